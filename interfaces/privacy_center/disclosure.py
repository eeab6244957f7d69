"""Article 6: the disclosure delivered in the privacy center. The outcome e-mail links here
and carries no disclosed value; the link's page shows nothing of the items until a fresh
one-time code, sent to the address on record, is entered (challenges.py makes and checks
it, as for a form). The browser that entered it then sees the items, and downloads them
as JSON or as a page to print, for domain.disclosure_delivery.OPENED_FOR and never past
the link's expiry. An expired link, or one whose subject was erased, shows nothing of
them. Each opening and download is an event of the request (ids and formats only).
"""

from __future__ import annotations

import hmac
import json
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.background import BackgroundTask

from domain.disclosure_delivery import (
    LinkState,
    disclosed_items,
    download_document,
    link_state,
    opened_until,
    still_open,
)
from domain.events import EventType, NewEvent
from domain.notices import format_date
from domain.requests import Language
from interfaces.privacy_center.challenges import (
    CODE_VALID_FOR,
    LOCKED_FOR,
    Message,
    Verdict,
)
from interfaces.privacy_center.pages import (
    CSRF_COOKIE,
    SECURITY_HEADERS,
    TOKEN,
    browser,
    challenges,
    keep_cookie,
    not_found,
    outbox,
    page,
    same_origin,
    services,
)
from interfaces.privacy_center.texts import texts
from store import disclosure_links as links
from store.events import EventStore

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)

OPENED_COOKIE = "pc_disclosure"
_MINUTES = int(CODE_VALID_FOR.total_seconds() // 60)


async def _link(request: Request, token: str) -> dict[str, Any] | None:
    if not TOKEN.match(token):
        return None
    async with services(request).pool.acquire() as connection:
        return await links.link(connection, links.token_hash(token))


def _language(request: Request, found: dict[str, Any]) -> Language:
    chosen = request.query_params.get("lang")
    return Language(chosen) if chosen in ("ja", "en") else Language(found["language"])


def _state(found: dict[str, Any], now: datetime) -> LinkState:
    return link_state(found=True, expires_at=found["expires_at"], erased=found["erased"], now=now)


def _opening_mac(request: Request, challenge_id: str, token: str, cookie: str) -> str:
    return challenges(request).opening_mac(challenge_id, links.token_hash(token), cookie)


async def _opened_at(request: Request, found: dict[str, Any], token: str) -> datetime | None:
    """When this browser entered the code that opened this link, if it did and that still
    lets it in now: the cookie names the challenge and is bound to the browser's cookie."""
    value = request.cookies.get(OPENED_COOKIE, "")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    challenge, _, mac = value.partition(".")
    if not (cookie and challenge and mac):
        return None
    if not hmac.compare_digest(mac, _opening_mac(request, challenge, token, cookie)):
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


async def _record(request: Request, found: dict[str, Any], kind: EventType, **payload: str) -> None:
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


def _when(request: Request, moment: datetime, language: Language) -> str:
    zone = services(request).settings.policy.zone()
    return format_date(moment, zone, language)


def _time(request: Request, moment: datetime, language: Language) -> str:
    local = moment.astimezone(services(request).settings.policy.zone())
    return f"{_when(request, moment, language)} {local:%H:%M}"


def _closed(request: Request, language: Language, state: LinkState) -> Response:
    """An expired or erased link: says so, and nothing of the items."""
    note = texts(language)[
        "disclosure.expired" if state is LinkState.EXPIRED else "disclosure.erased"
    ]
    return page(request, "disclosure.html", language, status=410, note=note, closed=True)


@router.get("/disclosure/{token}", response_class=HTMLResponse)
async def disclosure_page(request: Request, token: str) -> Response:
    found = await _link(request, token)
    if found is None:
        return not_found(request)
    language = _language(request, found)
    state = _state(found, datetime.now(UTC))
    if state is not LinkState.OPEN:
        return _closed(request, language, state)
    opened = await _opened_at(request, found, token)
    cookie, new = browser(request)
    context: dict[str, Any] = {
        "request_id": found["request_id"],
        "expires": _when(request, found["expires_at"], language),
        "token": token,
        "csrf": cookie,
        "minutes": _MINUTES,
        "closed": False,
    }
    if opened is not None:
        async with services(request).pool.acquire() as connection:
            compiled = await links.items(connection, found["request_id"])
        if compiled is None:  # erased a moment ago
            return _closed(request, language, LinkState.ERASED)
        context |= {
            "items": disclosed_items(compiled),
            "until": _time(request, opened_until(opened, found["expires_at"]), language),
        }
    response = page(request, "disclosure.html", language, **context)
    return keep_cookie(request, response, cookie, new)


def _refused(request: Request, language: Language, token: str) -> Response:
    return page(
        request,
        "message.html",
        language,
        status=403,
        heading="disclosure.title",
        message=texts(language)["bad_form"],
        back=f"/disclosure/{token}",
    )


@router.post("/disclosure/{token}/code", response_class=HTMLResponse)
async def send_code(request: Request, token: str) -> Response:
    found = await _link(request, token)
    if found is None:
        return not_found(request)
    form = await request.form()
    language = _language(request, found)
    sent, cookie = form.get("csrf"), request.cookies.get(CSRF_COOKIE, "")
    if not (cookie and isinstance(sent, str) and hmac.compare_digest(sent, cookie)):
        return _refused(request, language, token)
    if not same_origin(request):
        return _refused(request, language, token)
    now = datetime.now(UTC)
    state = _state(found, now)
    if state is not LinkState.OPEN:
        return _closed(request, language, state)
    t = texts(language)
    started = await challenges(request).start_opening(
        found["request_id"],
        language=language.value,
        now=now,
        code_message=lambda code: Message(
            t["mail.disclosure_code.subject"],
            t["mail.disclosure_code.body"].format(code=code, minutes=_MINUTES),
        ),
    )
    if started.refused is not None:
        return page(
            request,
            "message.html",
            language,
            status=429,
            heading="limited.title",
            message=t["limited"],
            back=f"/disclosure/{token}",
        )
    if started.challenge_id is None:
        return page(
            request,
            "disclosure.html",
            language,
            status=410,
            note=t["disclosure.unreachable"],
            closed=True,
        )
    response = RedirectResponse(
        f"/disclosure/{token}/verify/{started.challenge_id}?lang={language.value}",
        status_code=303,
        background=BackgroundTask(outbox(request).deliver, started.notice_id),
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def _code_page(
    request: Request,
    language: Language,
    token: str,
    challenge_id: uuid.UUID,
    *,
    status: int = 200,
    note: str | None = None,
    form: bool = True,
) -> Response:
    cookie, new = browser(request)
    response = page(
        request,
        "disclosure_code.html",
        language,
        status=status,
        action=f"/disclosure/{token}/verify/{challenge_id}",
        csrf=challenges(request).csrf_token(challenge_id, cookie),
        note=note,
        form=form,
        minutes=_MINUTES,
        token=token,
    )
    return keep_cookie(request, response, cookie, new)


def _challenge(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@router.get("/disclosure/{token}/verify/{challenge}", response_class=HTMLResponse)
async def code_form(request: Request, token: str, challenge: str) -> Response:
    found, challenge_id = await _link(request, token), _challenge(challenge)
    if found is None or challenge_id is None:
        return not_found(request)
    language = _language(request, found)
    state = _state(found, datetime.now(UTC))
    if state is not LinkState.OPEN:
        return _closed(request, language, state)
    return _code_page(request, language, token, challenge_id)


@router.post("/disclosure/{token}/verify/{challenge}", response_class=HTMLResponse)
async def enter_code(request: Request, token: str, challenge: str) -> Response:
    found, challenge_id = await _link(request, token), _challenge(challenge)
    if found is None or challenge_id is None:
        return not_found(request)
    form = await request.form()
    language = _language(request, found)
    checker = challenges(request)
    sent, cookie = form.get("csrf"), request.cookies.get(CSRF_COOKIE, "")
    if not (
        cookie
        and isinstance(sent, str)
        and same_origin(request)
        and hmac.compare_digest(sent, checker.csrf_token(challenge_id, cookie))
    ):
        return _refused(request, language, token)
    now = datetime.now(UTC)
    state = _state(found, now)
    if state is not LinkState.OPEN:
        return _closed(request, language, state)
    code = form.get("code")
    checked = await checker.check(challenge_id, code if isinstance(code, str) else "", now=now)
    t = texts(language)
    if checked.verdict is Verdict.VERIFIED and checked.opens != found["request_id"]:
        return not_found(request, language)  # a form's code, or another disclosure's
    match checked.verdict:
        case Verdict.UNKNOWN:
            return not_found(request, language)
        case Verdict.LOCKED:
            note = t["verify.locked"].format(minutes=int(LOCKED_FOR.total_seconds() // 60))
            return _code_page(
                request, language, token, challenge_id, status=429, note=note, form=False
            )
        case Verdict.EXPIRED:
            return _code_page(
                request,
                language,
                token,
                challenge_id,
                status=410,
                note=t["verify.expired"],
                form=False,
            )
        case Verdict.WRONG:
            note = t["verify.wrong"].format(left=checked.attempts_left)
            return _code_page(request, language, token, challenge_id, status=400, note=note)
        case Verdict.USED:
            return _code_page(
                request,
                language,
                token,
                challenge_id,
                status=409,
                note=t["disclosure.used"],
                form=False,
            )
    await _record(request, found, EventType.DISCLOSURE_OPENED, challenge_id=str(challenge_id))
    response = RedirectResponse(f"/disclosure/{token}?lang={language.value}", status_code=303)
    response.headers.update(SECURITY_HEADERS)
    response.set_cookie(
        OPENED_COOKIE,
        f"{challenge_id}.{_opening_mac(request, str(challenge_id), token, cookie)}",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=f"/disclosure/{token}",
    )
    return response


async def _opened_items(
    request: Request, token: str
) -> tuple[dict[str, Any], Language, list[Any], datetime] | Response:
    """The items, for a browser that opened this link; else the page saying why not."""
    found = await _link(request, token)
    if found is None:
        return not_found(request)
    language = _language(request, found)
    state = _state(found, datetime.now(UTC))
    if state is not LinkState.OPEN:
        return _closed(request, language, state)
    opened = await _opened_at(request, found, token)
    if opened is None:  # no code entered in this browser (or its opening lapsed)
        return RedirectResponse(f"/disclosure/{token}?lang={language.value}", status_code=303)
    async with services(request).pool.acquire() as connection:
        compiled = await links.items(connection, found["request_id"])
    if compiled is None:
        return _closed(request, language, LinkState.ERASED)
    return found, language, disclosed_items(compiled), found["compiled_at"]


@router.get("/disclosure/{token}/disclosure.json")
async def download_json(request: Request, token: str) -> Response:
    opened = await _opened_items(request, token)
    if isinstance(opened, Response):
        return opened
    found, _, items, compiled_at = opened
    await _record(request, found, EventType.DISCLOSURE_DOWNLOADED, format="json")
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
    await _record(request, found, EventType.DISCLOSURE_DOWNLOADED, format="html")
    response = page(
        request,
        "disclosure_print.html",
        language,
        request_id=found["request_id"],
        compiled=_when(request, compiled_at, language),
        items=items,
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="disclosure-{found["request_id"]}.html"'
    )
    return response
