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
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from domain.disclosure_delivery import LinkState, disclosed_items, opened_until
from domain.events import EventType
from domain.requests import Language
from interfaces.privacy_center.challenges import (
    CODE_VALID_FOR,
    LOCKED_FOR,
    Message,
    Verdict,
)
from interfaces.privacy_center.disclosure_access import (
    OPENED_COOKIE,
    closed_page,
    date_text,
    language_for,
    link_of,
    opened_at,
    opening_mac,
    record_access,
    state_of,
    time_text,
)
from interfaces.privacy_center.disclosure_downloads import router as downloads_router
from interfaces.privacy_center.pages import (
    CSRF_COOKIE,
    SECURITY_HEADERS,
    browser,
    challenges,
    code_sent,
    keep_cookie,
    not_found,
    page,
    same_origin,
    services,
    throttled,
)
from interfaces.privacy_center.texts import texts
from interfaces.privacy_center.throttle import Action
from store import disclosure_links as links

router = APIRouter(include_in_schema=False)

_MINUTES = int(CODE_VALID_FOR.total_seconds() // 60)


@router.get("/disclosure/{token}", response_class=HTMLResponse)
async def disclosure_page(request: Request, token: str) -> Response:
    found = await link_of(request, token)
    if found is None:
        return not_found(request)
    language = language_for(request, found)
    state = state_of(found, datetime.now(UTC))
    if state is not LinkState.OPEN:
        return closed_page(request, language, state)
    opened = await opened_at(request, found, token)
    cookie, new = browser(request)
    context: dict[str, Any] = {
        "request_id": found["request_id"],
        "expires": date_text(request, found["expires_at"], language),
        "token": token,
        "csrf": cookie,
        "minutes": _MINUTES,
        "closed": False,
    }
    if opened is not None:
        async with services(request).pool.acquire() as connection:
            compiled = await links.items(connection, found["request_id"])
        if compiled is None:  # erased a moment ago
            return closed_page(request, language, LinkState.ERASED)
        context |= {
            "items": disclosed_items(compiled, language),
            "until": time_text(request, opened_until(opened, found["expires_at"]), language),
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
    found = await link_of(request, token)
    if found is None:
        return not_found(request)
    form = await request.form()
    language = language_for(request, found)
    if (busy := throttled(request, language, Action.FORM, f"/disclosure/{token}")) is not None:
        return busy
    sent, cookie = form.get("csrf"), request.cookies.get(CSRF_COOKIE, "")
    if not (cookie and isinstance(sent, str) and hmac.compare_digest(sent, cookie)):
        return _refused(request, language, token)
    if not same_origin(request):
        return _refused(request, language, token)
    now = datetime.now(UTC)
    state = state_of(found, now)
    if state is not LinkState.OPEN:
        return closed_page(request, language, state)
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
    if started.refused is None and started.challenge_id is None:
        return page(
            request,
            "disclosure.html",
            language,
            status=410,
            note=t["disclosure.unreachable"],
            closed=True,
        )
    return code_sent(
        request,
        language,
        started,
        back=f"/disclosure/{token}",
        verify=f"/disclosure/{token}/verify",
    )


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
    found, challenge_id = await link_of(request, token), _challenge(challenge)
    if found is None or challenge_id is None:
        return not_found(request)
    language = language_for(request, found)
    state = state_of(found, datetime.now(UTC))
    if state is not LinkState.OPEN:
        return closed_page(request, language, state)
    return _code_page(request, language, token, challenge_id)


@router.post("/disclosure/{token}/verify/{challenge}", response_class=HTMLResponse)
async def enter_code(request: Request, token: str, challenge: str) -> Response:
    found, challenge_id = await link_of(request, token), _challenge(challenge)
    if found is None or challenge_id is None:
        return not_found(request)
    form = await request.form()
    language = language_for(request, found)
    if (busy := throttled(request, language, Action.CODE, f"/disclosure/{token}")) is not None:
        return busy
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
    state = state_of(found, now)
    if state is not LinkState.OPEN:
        return closed_page(request, language, state)
    code = form.get("code")
    checked = await checker.check(
        challenge_id,
        code if isinstance(code, str) else "",
        now=now,
        opens=found["request_id"],  # a form's code, or another disclosure's, is unknown here
    )
    t = texts(language)
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
    await record_access(request, found, EventType.DISCLOSURE_OPENED, challenge_id=str(challenge_id))
    response = RedirectResponse(f"/disclosure/{token}?lang={language.value}", status_code=303)
    response.headers.update(SECURITY_HEADERS)
    response.set_cookie(
        OPENED_COOKIE,
        f"{challenge_id}.{opening_mac(request, str(challenge_id), token, cookie)}",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        path=f"/disclosure/{token}",
    )
    return response


# The downloads: their own module, under the same links.
router.include_router(downloads_router)
