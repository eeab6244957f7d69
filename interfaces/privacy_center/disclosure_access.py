"""What the pages of a disclosure delivered in the privacy center share (Article 6;
disclosure.py asks for and checks the code, disclosure_downloads.py serves the items): the
link found by its token's hash, what it may show now, whether this browser entered the
code that opens it, and the record of each access (an event: ids and formats, no value).
"""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from domain.disclosure_delivery import LinkState, link_state, still_open
from domain.events import EventType, NewEvent
from domain.notices import format_date
from domain.requests import Language
from interfaces.privacy_center.pages import CSRF_COOKIE, TOKEN, challenges, page, services
from interfaces.privacy_center.texts import texts
from store import disclosure_links as links
from store.events import EventStore

OPENED_COOKIE = "pc_disclosure"


async def link_of(request: Request, token: str) -> dict[str, Any] | None:
    """The link whose token this is (store/disclosure_links.link), found by its hash."""
    if not TOKEN.match(token):
        return None
    async with services(request).pool.acquire() as connection:
        return await links.link(connection, links.token_hash(token))


def language_for(request: Request, found: dict[str, Any]) -> Language:
    chosen = request.query_params.get("lang")
    return Language(chosen) if chosen in ("ja", "en") else Language(found["language"])


def state_of(found: dict[str, Any], now: datetime) -> LinkState:
    """What the link may show now (domain/disclosure_delivery.link_state)."""
    return link_state(found=True, expires_at=found["expires_at"], erased=found["erased"], now=now)


def opening_mac(request: Request, challenge_id: str, token: str, cookie: str) -> str:
    return challenges(request).opening_mac(challenge_id, links.token_hash(token), cookie)


async def opened_at(request: Request, found: dict[str, Any], token: str) -> datetime | None:
    """When this browser entered the code that opened this link, if it did and that still
    lets it in now: the cookie names the challenge and is bound to the browser's cookie."""
    value = request.cookies.get(OPENED_COOKIE, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    challenge, _, mac = value.partition(".")
    if not (cookie and challenge and mac):
        return None
    if not hmac.compare_digest(mac, opening_mac(request, challenge, token, cookie)):
        return None
    try:
        challenge_id = uuid.UUID(challenge)
    except ValueError:
        return None
    verified_at = await links.opening(services(request).pool, challenge_id, found["request_id"])
    if not still_open(
        verified_at=verified_at,
        link_expires=found["expires_at"],
        erased=found["erased"],
        now=datetime.now(UTC),
    ):
        return None
    return verified_at


async def record_access(
    request: Request, found: dict[str, Any], kind: EventType, **payload: str
) -> None:
    """The access, as an event of the request: ids and formats, never a value."""
    now = datetime.now(UTC)
    async with services(request).pool.acquire() as connection, connection.transaction():
        await EventStore(services(request).pool).append_in(
            connection,
            NewEvent(
                request_id=found["request_id"],
                type=kind,
                payload=dict(payload),
                occurred_at=now,
                actor="subject",
                idempotency_key=f"pc-{kind.value}:{uuid.uuid4()}",
            ),
        )


def date_text(request: Request, moment: datetime, language: Language) -> str:
    zone = services(request).settings.policy.zone()
    return format_date(moment, zone, language)


def time_text(request: Request, moment: datetime, language: Language) -> str:
    local = moment.astimezone(services(request).settings.policy.zone())
    return f"{date_text(request, moment, language)} {local:%H:%M}"


def closed_page(request: Request, language: Language, state: LinkState) -> Response:
    """An expired or erased link: says so, and nothing of the items."""
    note = texts(language)[
        "disclosure.expired" if state is LinkState.EXPIRED else "disclosure.erased"
    ]
    return page(request, "disclosure.html", language, status=410, note=note, closed=True)
