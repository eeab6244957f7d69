"""For auditors, as `dsr audit report|export|verify` give it: the deadline-compliance
report, the requests of a period, one request's history beside the store's record, a
request's chain verdict, the whole verification (`POST /audit/verify`) and the witness's
signed checkpoints for an auditor who verifies them with a key of their own."""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import asdict
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import AwareDatetime

from audit.export import HistoryUnavailable, export_requests
from audit.histories import HistoryEvidence
from audit.report import build_report, kept_compliance_problem, render_csv, render_html
from audit.trust import LogAudit
from audit.witness import DirectoryWitness
from domain.authority import Role
from interfaces.api.auth import require
from interfaces.api.deps import RequestId, Svc, known
from interfaces.api.models import (
    AuditExport,
    AuditVerifyBody,
    AuditVerifyReply,
    ChainCheck,
    LogCheckReply,
    WitnessReply,
)
from interfaces.api.problems import CONFLICT, INVALID_INPUT, NOT_FOUND, Problem, responses
from service.audit_checks import Pinned, verify_store
from service.requests import Refused
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
    rows = {"X-Report-Rows": str(len(report.rows))}
    if format == "html":
        return HTMLResponse(render_html(report), headers=rows)
    return PlainTextResponse(render_csv(report), media_type="text/csv; charset=utf-8", headers=rows)


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


@router.get("/audit/requests", response_model=list[str], responses=responses(401, 403, 422))
async def requests_of_period(
    services: Svc,
    account: Auditor,
    start: Annotated[
        AwareDatetime | None, Query(alias="from", description="Submitted from (inclusive)")
    ] = None,
    end: Annotated[
        AwareDatetime | None, Query(alias="to", description="Before (exclusive)")
    ] = None,
) -> list[str]:
    """The ids of the requests submitted in a period (`dsr audit export --from --to`).
    Role: auditor."""
    return await RequestViews(services.pool).request_ids(start, end)


def _log(audit: LogAudit | None, histories: int) -> LogCheckReply | None:
    if audit is None:
        return None
    return LogCheckReply(
        intact=audit.intact,
        entries=audit.log_size,
        witnessed_checkpoints=audit.witnessed,
        history_checkpoints=audit.from_histories,
        histories=histories,
        problems=audit.problems,
        notes=audit.notes,
        newest=audit.newest,
        summary=audit.summary(),
    )


@router.post(
    "/audit/verify", response_model=AuditVerifyReply, responses=responses(401, 403, 404, 409, 422)
)
async def verify_all(
    services: Svc, account: Auditor, body: Annotated[AuditVerifyBody, Body()]
) -> AuditVerifyReply:
    """`dsr audit verify`: with no request named, every request's chain and compliance
    projection, every register stream, and the event log against the signed checkpoints
    (the service's key and witness, or those the caller trusted with its pinned key);
    with requests named, those, and the histories given against the store. A broken part
    is `intact: false` in a 200; 404 for an unknown request, 409 without a key to trust
    with (nothing was checked). Role: auditor."""
    histories = [
        HistoryEvidence(h.source, h.workflow_id, list(h.events), list(h.checkpoints))
        for h in body.histories
    ]
    pinned = (
        Pinned(
            body.pinned.checkpoints,
            body.pinned.witnessed,
            body.pinned.from_histories,
            body.pinned.witness,
        )
        if body.pinned is not None
        else None
    )
    settings = services.settings
    try:
        audit = await verify_store(
            services.pool,
            body.request_ids,
            histories,
            key_file=settings.checkpoint_public_key_file(),
            witness=DirectoryWitness(settings.witness_folder()),
            pinned=pinned,
        )
    except UnknownRequest as error:
        raise Problem(404, str(error), type=NOT_FOUND) from None
    except Refused as error:
        raise Problem(409, f"{error}. Nothing was checked.", type=CONFLICT) from None
    log = _log(audit.log, len(histories))
    return AuditVerifyReply(
        intact=audit.intact,
        requests=[ChainCheck(**r) for r in audit.requests],
        registers=audit.registers,
        event_log=log if audit.whole else None,
        histories=None if audit.whole else log,
    )


@router.get("/audit/checkpoints", response_model=WitnessReply, responses=responses(401, 403))
async def witness_checkpoints(services: Svc, account: Auditor) -> WitnessReply:
    """The signed checkpoints in the service's witness folder, as they are (signatures
    unchecked here), for `dsr audit verify --public-key` to check with a pinned key.
    Role: auditor."""
    folder = services.settings.witness_folder()
    reading = await asyncio.to_thread(DirectoryWitness(folder).read)
    return WitnessReply(
        folder=str(folder),
        checkpoints=[(path.name, signed) for path, signed in reading.checkpoints],
        unreadable=[(path.name, why) for path, why in reading.unreadable],
    )
