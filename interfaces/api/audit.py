"""For auditors, as `dsr audit report|export|verify` give it: the deadline-compliance
report, one request's history beside the store's record, and a request's chain verdict."""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import asdict
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import AwareDatetime

from audit.export import HistoryUnavailable, export_requests
from audit.report import build_report, kept_compliance_problem, render_csv, render_html
from domain.authority import Role
from interfaces.api.auth import require
from interfaces.api.deps import RequestId, Svc, known
from interfaces.api.models import AuditExport, ChainCheck
from interfaces.api.problems import INVALID_INPUT, NOT_FOUND, Problem, responses
from store.accounts import Account
from store.events import EventStore, UnknownRequest
from store.history_archive import ArchivedHistories
from store.views import RequestViews

router = APIRouter()
Auditor = Annotated[Account, Depends(require(Role.AUDITOR))]


@router.get(
    "/audit/report",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}, "text/html": {}},
            "description": "The report, as `dsr audit report` writes it",
        },
        **responses(401, 403, 422),
    },
)
async def compliance_report(
    services: Svc,
    account: Auditor,
    start: Annotated[AwareDatetime, Query(alias="from", description="From (inclusive)")],
    end: Annotated[AwareDatetime, Query(alias="to", description="To (exclusive)")],
    format: Literal["csv", "html"] = "csv",
) -> Response:
    """Deadline compliance per request and step over a period. Role: auditor."""
    try:
        report = await build_report(services.pool, start, end)
    except ValueError as error:
        raise Problem(
            422,
            str(error),
            type=INVALID_INPUT,
            title="Invalid input",
            errors=[("from", str(error))],
        ) from None
    if format == "html":
        return HTMLResponse(render_html(report))
    return PlainTextResponse(render_csv(report), media_type="text/csv; charset=utf-8")


def _read(folder: FilePath, request_id: str) -> tuple[dict, dict]:
    return (
        json.loads((folder / request_id / "history.json").read_text(encoding="utf-8")),
        json.loads((folder / request_id / "store.json").read_text(encoding="utf-8")),
    )


@router.get(
    "/audit/requests/{request_id}/export",
    response_model=AuditExport,
    responses=responses(401, 403, 404, 422),
)
async def export_request(request_id: RequestId, services: Svc, account: Auditor) -> AuditExport:
    """The request's workflow history (from Temporal, or the store's archive once
    Temporal has dropped it) and the store's events and deadlines: the files `dsr audit
    export --request ID` writes, which `dsr audit replay` reads back. Role: auditor."""
    await known(services, request_id)
    with tempfile.TemporaryDirectory(prefix="dsr-export-") as folder:
        try:
            manifest = await export_requests(
                [request_id],
                FilePath(folder),
                client=services.client,
                views=RequestViews(services.pool),
                archive=ArchivedHistories(services.pool),
            )
        except (UnknownRequest, HistoryUnavailable) as error:
            raise Problem(404, str(error), type=NOT_FOUND) from None
        history, store = await asyncio.to_thread(_read, FilePath(folder), request_id)
    return AuditExport(manifest=manifest[0], history=history, store=store)


@router.get(
    "/audit/requests/{request_id}/verify",
    response_model=ChainCheck,
    responses=responses(401, 403, 404, 422),
)
async def verify_request(request_id: RequestId, services: Svc, account: Auditor) -> ChainCheck:
    """Whether the request's chain of events is intact, and its compliance projection is
    what the events fold to (`dsr audit verify ID`). Role: auditor."""
    try:
        verdict = await EventStore(services.pool).verify(request_id)
    except UnknownRequest:
        raise Problem(404, f"no request {request_id}", type=NOT_FOUND) from None
    projection = (
        await kept_compliance_problem(services.pool, request_id) if verdict.intact else None
    )
    return ChainCheck(
        **(
            asdict(verdict)
            | {"intact": verdict.intact and projection is None, "compliance_projection": projection}
        )
    )
