"""The privacy center's pages: a form per kind of request, a one-time code sent to the
address on record, and a status page reached only by the link sent to the person.

Every page is server-rendered in Japanese or English (`?lang=`, else the browser's
Accept-Language) and sent with no-store caching, no framing and no referrer to other
sites. Forms are same-origin POSTs carrying a token tied to a cookie of the browser (and,
for the code form, to the challenge)."""

from __future__ import annotations

import hmac
import re
import secrets
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import asyncpg
import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.background import BackgroundTask
from starlette.datastructures import FormData

from domain.requests import InvalidSubmission, Language, RequestKind
from interfaces.api.services import Services
from interfaces.privacy_center import forms
from interfaces.privacy_center.challenges import (
    CODE_VALID_FOR,
    LOCKED_FOR,
    Challenges,
    Message,
    Outbox,
    Refusal,
    Verdict,
    derive_key,
)
from interfaces.privacy_center.texts import texts
from runtime.notice_senders import notice_sender
from service.requests import Refused, submit
from store.sealing import key_of, vault_of

log = structlog.get_logger(__name__)

_HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=_HERE / "templates")
_CSS = (_HERE / "static" / "privacy-center.css").read_text(encoding="utf-8")

router = APIRouter(include_in_schema=False)

CSRF_COOKIE = "pc_csrf"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    # A status link must not leak to another site; "no-referrer" would make the browser
    # send "Origin: null" with the forms, which the origin check refuses.
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; "
                               "form-action 'self'; base-uri 'none'",
}


def _services(request: Request) -> Services:
    return request.app.state.services


def _challenges(request: Request) -> Challenges:
    services = _services(request)
    return Challenges(services.pool, derive_key(services.act_key))


def _outbox(request: Request) -> Outbox:
    services = _services(request)
    # The same sender the worker delivers notices with: the maildrop folder.
    # The service's own sender (the maildrop, or SMTP with DSR_MAIL=smtp), like the notices.
    return Outbox(services.pool, notice_sender(services.settings))


def _language(request: Request, chosen: object = None) -> Language:
    for value in (request.query_params.get("lang"), chosen):
        if value in ("ja", "en"):
            return Language(value)
    ranked = []
    for part in request.headers.get("accept-language", "").split(","):
        tag, _, weight = part.strip().partition(";q=")
        try:
            quality = float(weight) if weight else 1.0
        except ValueError:
            continue
        ranked.append((quality, tag.strip().lower()))
    for _quality, tag in sorted(ranked, key=lambda pair: -pair[0]):
        if tag.startswith("ja"):
            return Language.JA
        if tag.startswith("en"):
            return Language.EN
    return Language.EN


def _page(request: Request, name: str, language: Language, status: int = 200,
          **context: Any) -> HTMLResponse:
    other = Language.EN if language is Language.JA else Language.JA
    response = templates.TemplateResponse(
        request, name, {"t": texts(language), "lang": language.value, "other": other.value,
                        **context}, status_code=status)
    response.headers.update(_SECURITY_HEADERS)
    return response


def _browser(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie, or a new one (True: it must be set)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if cookie and _TOKEN.match(cookie):
        return cookie, False
    return secrets.token_urlsafe(24), True


def _keep_cookie(request: Request, response: Response, cookie: str, new: bool) -> Response:
    if new:
        response.set_cookie(CSRF_COOKIE, cookie, httponly=True, samesite="strict",
                            secure=request.url.scheme == "https", path="/")
    return response


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # "null": a sandboxed or cross-origin redirect
    return urlsplit(origin).netloc == request.headers.get("host", "")


def _not_found(request: Request, language: Language | None = None) -> HTMLResponse:
    return _page(request, "not_found.html", language or _language(request), status=404)


def _form_kind(kind: str) -> RequestKind | None:
    try:
        return RequestKind(kind)
    except ValueError:
        return None


@router.get("/privacy-center.css")
async def stylesheet() -> Response:
    return Response(_CSS, media_type="text/css",
                    headers={"Cache-Control": "public, max-age=3600"})


@router.get("/", response_class=HTMLResponse)
async def start(request: Request) -> HTMLResponse:
    return _page(request, "start.html", _language(request), kinds=forms.KINDS)


def _form_page(request: Request, kind: RequestKind, language: Language, *, status: int = 200,
               values: FormData | dict | None = None,
               problems: list[tuple[str, str]] | None = None) -> Response:
    cookie, new = _browser(request)
    response = _page(
        request, "form.html", language, status=status, kind=kind.value, csrf=cookie,
        values=values or {}, problems=problems or [], categories=forms.CATEGORIES,
        actions=forms.ACTIONS, suspension_actions=forms.SUSPENSION_ACTIONS,
        grounds=forms.GROUNDS, rows=range(1, forms.CHANGE_ROWS + 1),
        suggestions=forms.FIELD_SUGGESTIONS)
    return _keep_cookie(request, response, cookie, new)


@router.get("/request/{kind}", response_class=HTMLResponse)
async def request_form(request: Request, kind: str) -> Response:
    chosen = _form_kind(kind)
    if chosen is None:
        return _not_found(request)
    return _form_page(request, chosen, _language(request))


@router.post("/request/{kind}", response_class=HTMLResponse)
async def send_form(request: Request, kind: str) -> Response:
    chosen = _form_kind(kind)
    form = await request.form()
    language = _language(request, form.get("lang"))
    if chosen is None:
        return _not_found(request, language)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get("csrf")
    if not (cookie and isinstance(sent, str) and hmac.compare_digest(sent, cookie)
            and _same_origin(request)):
        return _page(request, "message.html", language, status=403, heading="title",
                     message=texts(language)["bad_form"], back=f"/request/{chosen.value}")
    name, email = (form.get("name") or "").strip(), (form.get("email") or "").strip()
    details = forms.details_from(chosen, form)
    problems = forms.check(chosen, name, email, details, language.value)
    if problems:
        return _form_page(request, chosen, language, status=400, values=form,
                          problems=problems)
    t = texts(language)
    minutes = int(CODE_VALID_FOR.total_seconds() // 60)
    started = await _challenges(request).start(
        kind=chosen.value, language=language.value, email=email, name=name, details=details,
        now=datetime.now(UTC),
        code_message=lambda code: Message(
            t["mail.code.subject"], t["mail.code.body"].format(code=code, minutes=minutes)))
    if started.refused is not None:
        message = (t["limited"] if started.refused is Refusal.RATE_LIMITED
                   else t["locked.address"].format(minutes=int(LOCKED_FOR.total_seconds() // 60)))
        return _page(request, "message.html", language, status=429, heading="limited.title",
                     message=message, back="/")
    # Delivered after the reply, so a registered address does not answer measurably
    # slower than an unknown one.
    response = RedirectResponse(f"/verify/{started.challenge_id}?lang={language.value}",
                                status_code=303,
                                background=BackgroundTask(_outbox(request).deliver,
                                                          started.notice_id))
    response.headers.update(_SECURITY_HEADERS)
    return response


def _challenge_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _verify_page(request: Request, challenge_id: uuid.UUID, language: Language, *,
                 status: int = 200, note: str | None = None, form: bool = True) -> Response:
    cookie, new = _browser(request)
    response = _page(
        request, "verify.html", language, status=status, challenge_id=str(challenge_id),
        csrf=_challenges(request).csrf_token(challenge_id, cookie), note=note, form=form,
        minutes=int(CODE_VALID_FOR.total_seconds() // 60))
    return _keep_cookie(request, response, cookie, new)


@router.get("/verify/{challenge}", response_class=HTMLResponse)
async def verify_form(request: Request, challenge: str) -> Response:
    challenge_id = _challenge_id(challenge)
    language = _language(request)
    row = None if challenge_id is None else await _services(request).pool.fetchrow(
        """SELECT locked_until > now() AS locked, verified_at IS NOT NULL AS used
             FROM privacy_center_challenges WHERE challenge_id = $1""", challenge_id)
    if row is None:
        return _not_found(request, language)
    t = texts(language)
    if row["used"]:
        return _verify_page(request, challenge_id, language, form=False, note=t["verify.used"])
    if row["locked"]:
        return _verify_page(request, challenge_id, language, form=False, note=t[
            "verify.locked"].format(minutes=int(LOCKED_FOR.total_seconds() // 60)))
    return _verify_page(request, challenge_id, language)


@router.post("/verify/{challenge}", response_class=HTMLResponse)
async def verify(request: Request, challenge: str) -> Response:
    form = await request.form()
    language = _language(request, form.get("lang"))
    challenge_id = _challenge_id(challenge)
    if challenge_id is None:
        return _not_found(request, language)
    challenges = _challenges(request)
    t = texts(language)
    sent = form.get("csrf")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (cookie and isinstance(sent, str) and _same_origin(request) and
            hmac.compare_digest(sent, challenges.csrf_token(challenge_id, cookie))):
        return _page(request, "message.html", language, status=403, heading="title",
                     message=t["bad_form"], back=f"/verify/{challenge_id}")
    code = form.get("code")
    checked = await challenges.check(challenge_id, code if isinstance(code, str) else "",
                                     now=datetime.now(UTC))
    minutes = int(LOCKED_FOR.total_seconds() // 60)
    match checked.verdict:
        case Verdict.UNKNOWN:
            return _not_found(request, language)
        case Verdict.LOCKED:
            return _verify_page(request, challenge_id, language, status=429, form=False,
                                note=t["verify.locked"].format(minutes=minutes))
        case Verdict.EXPIRED:
            return _verify_page(request, challenge_id, language, status=410, form=False,
                                note=t["verify.expired"])
        case Verdict.WRONG:
            return _verify_page(request, challenge_id, language, status=400,
                                note=t["verify.wrong"].format(left=checked.attempts_left))
        case Verdict.USED:
            return _verify_page(request, challenge_id, language, status=409, form=False,
                                note=t["verify.used"])
    return await _submit(request, challenge_id, checked.request, language)


async def _submit(request: Request, challenge_id: uuid.UUID, submission: dict[str, Any],
                  language: Language) -> Response:
    services = _services(request)
    # The request's own language, chosen on the form: its notices follow it.
    language = Language(submission["language"])
    t = texts(language)
    try:
        result = await submit(submission, client=services.client, pool=services.pool,
                              task_queue=services.task_queue,
                              deadline_policy=services.deadline_policy)
    except (InvalidSubmission, Refused) as error:
        log.warning("privacy center submission refused", challenge_id=str(challenge_id),
                    reason=type(error).__name__)
        return _verify_page(request, challenge_id, language, status=422, form=False,
                            note=t["failed"])
    except Exception as error:  # Temporal away: the code may be entered again
        log.warning("privacy center submission failed", challenge_id=str(challenge_id),
                    error=type(error).__name__)
        return _verify_page(request, challenge_id, language, status=503, note=t["failed"])
    label = t[f"kind.{submission['kind']}"]
    name = submission["requester"]["name"]
    notice_id = await _challenges(request).complete(
        challenge_id, result.request_id, base_url=services.settings.api.url(),
        link_message=lambda url: Message(
            t["mail.status.subject"].format(request_id=result.request_id),
            t["mail.status.body"].format(name=name, label=label,
                                         request_id=result.request_id, url=url)))
    await _outbox(request).deliver(notice_id)
    return _page(request, "done.html", language, label=label, request_id=result.request_id)


_STATUS = """
SELECT r.request_id, r.kind, r.status, r.step, r.overdue, r.outcome, r.submitted_at,
       r.personal_data_shredded_at, d.due_at, x.language, x.requester_email
  FROM requests r
  JOIN request_details x ON x.request_id = r.request_id
  LEFT JOIN deadlines d ON d.request_id = r.request_id AND d.step = r.step
                       AND d.status IN ('open', 'breached')
 WHERE r.request_id = $1
"""


def _when(moment: datetime | None, language: Language, zone: ZoneInfo) -> str | None:
    if moment is None:
        return None
    local = moment.astimezone(zone)
    if language is Language.JA:
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{local.day} {local:%B %Y}, {local:%H:%M} ({zone.key})"


async def _status_row(pool: asyncpg.Pool, request_id: str) -> dict[str, Any] | None:
    """The request as its status page shows it, with `erased`: whether its personal data
    is gone (shredded by retention, or its key destroyed by an erasure). The page shows
    no personal value, but says so, rather than let the person think we still hold what
    they sent."""
    async with pool.acquire() as connection:
        row = await connection.fetchrow(_STATUS, request_id)
        if row is None:
            return None
        sealed = row["requester_email"]
        erased = row["personal_data_shredded_at"] is not None or (
            sealed is not None and (vault_of(connection).is_erased(sealed) or bool(
                # Shredded, its key not yet deleted from the keyring (that follows the
                # commit): forgotten all the same.
                await connection.fetchval(
                    "SELECT destroyed_at IS NOT NULL FROM subject_keys WHERE key_id = $1",
                    key_of(sealed)))))
    return {**dict(row), "erased": erased}


@router.get("/status/{token}", response_class=HTMLResponse)
async def status_page(request: Request, token: str) -> Response:
    if not _TOKEN.match(token):
        return _not_found(request)
    services = _services(request)
    request_id = await _challenges(request).request_of(token)
    row = await _status_row(services.pool, request_id) if request_id else None
    if row is None:
        return _not_found(request)
    chosen = request.query_params.get("lang")
    language = Language(chosen) if chosen in ("ja", "en") else Language(row["language"])
    zone = services.settings.policy.zone()
    closed = row["status"] == "closed"
    view = {
        "request_id": row["request_id"], "kind": row["kind"],
        "status": "received_" if row["status"] == "received" else row["status"],
        "step": None if closed else row["step"],
        "due": None if closed else _when(row["due_at"], language, zone),
        "overdue": row["overdue"] and not closed,
        "outcome": row["outcome"],
        "submitted": _when(row["submitted_at"], language, zone),
        "erased": row["erased"],
    }
    return _page(request, "status.html", language, view=view, token=token)


@router.get("/status/", response_class=HTMLResponse)
async def status_without_token(request: Request) -> Response:
    return _not_found(request)
