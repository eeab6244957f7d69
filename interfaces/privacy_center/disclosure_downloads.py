"""A disclosure's items, served to the browser that entered the code that opens it
(Article 6): as a JSON file and as a page to print, each download recorded as an event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.disclosure_delivery import LinkState, disclosed_items, download_document
from domain.events import EventType
from domain.requests import Language
from interfaces.privacy_center.disclosure_access import (
    closed_page,
    date_text,
    language_for,
    link_of,
    opened_at,
    record_access,
    state_of,
)
from interfaces.privacy_center.pages import SECURITY_HEADERS, not_found, page, services
from store import disclosure_links as links

router = APIRouter(include_in_schema=False)


async def _opened_items(
    request: Request, token: str
) -> tuple[dict[str, Any], Language, list[Any], datetime] | Response:
    """The items, for a browser that opened this link; else the page saying why not."""
    found = await link_of(request, token)
    if found is None:
        return not_found(request)
    language = language_for(request, found)
    state = state_of(found, datetime.now(UTC))
    if state is not LinkState.OPEN:
        return closed_page(request, language, state)
    opened = await opened_at(request, found, token)
    if opened is None:  # no code entered in this browser (or its opening lapsed)
        return RedirectResponse(f"/disclosure/{token}?lang={language.value}", status_code=303)
    async with services(request).pool.acquire() as connection:
        compiled = await links.items(connection, found["request_id"])
    if compiled is None:
        return closed_page(request, language, LinkState.ERASED)
    return found, language, disclosed_items(compiled, language), found["compiled_at"]


@router.get("/disclosure/{token}/disclosure.json")
async def download_json(request: Request, token: str) -> Response:
    opened = await _opened_items(request, token)
    if isinstance(opened, Response):
        return opened
    found, _, items, compiled_at = opened
    await record_access(request, found, EventType.DISCLOSURE_DOWNLOADED, format="json")
    document = download_document(
        request_id=found["request_id"], compiled_at=compiled_at, items=items
    )
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="disclosure-{found["request_id"]}.json"',
        },
    )


@router.get("/disclosure/{token}/print", response_class=HTMLResponse)
async def printable(request: Request, token: str) -> Response:
    opened = await _opened_items(request, token)
    if isinstance(opened, Response):
        return opened
    found, language, items, compiled_at = opened
    await record_access(request, found, EventType.DISCLOSURE_DOWNLOADED, format="html")
    response = page(
        request,
        "disclosure_print.html",
        language,
        request_id=found["request_id"],
        compiled=date_text(request, compiled_at, language),
        items=items,
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="disclosure-{found["request_id"]}.html"'
    )
    return response
