"""The status page, reached only by the link sent to the person: the request's kind,
status, current step and its due time, never a personal value."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from domain.requests import Language
from interfaces.privacy_center.pages import TOKEN, challenges, not_found, page, services
from store.privacy_center import status_row

router = APIRouter(include_in_schema=False)


def _when(moment: datetime | None, language: Language, zone: ZoneInfo) -> str | None:
    if moment is None:
        return None
    local = moment.astimezone(zone)
    if language is Language.JA:
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%B %Y}, {local:%H:%M} ({zone.key})"


@router.get("/status/{token}", response_class=HTMLResponse)
async def status_page(request: Request, token: str) -> Response:
    if not TOKEN.match(token):
        return not_found(request)
    found = services(request)
    request_id = await challenges(request).request_of(token)
    row = await status_row(found.pool, request_id) if request_id else None
    if row is None:
        return not_found(request)
    chosen = request.query_params.get("lang")
    language = Language(chosen) if chosen in ("ja", "en") else Language(row["language"])
    zone = found.settings.policy.zone()
    closed = row["status"] == "closed"
    view = {
        "request_id": row["request_id"],
        "kind": row["kind"],
        "status": "received_" if row["status"] == "received" else row["status"],
        "step": None if closed else row["step"],
        "due": None if closed else _when(row["due_at"], language, zone),
        "overdue": row["overdue"] and not closed,
        "outcome": row["outcome"],
        "submitted": _when(row["submitted_at"], language, zone),
        "erased": row["erased"],
    }
    return page(request, "status.html", language, view=view, token=token)


@router.get("/status/", response_class=HTMLResponse)
async def status_without_token(request: Request) -> Response:
    return not_found(request)
