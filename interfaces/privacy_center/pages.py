"""What every page of the privacy center shares: the templates, the language, the
security headers, the browser's CSRF cookie and the same-origin check, and the services a
page reaches (interfaces/privacy_center/routes.py and status.py are the pages).

Every page is server-rendered in Japanese or English (`?lang=`, else the browser's
Accept-Language) and sent with no-store caching, no framing and no referrer to other
sites. Forms are same-origin POSTs carrying a token tied to a cookie of the browser (and,
for the code form, to the challenge)."""

from __future__ import annotations

import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.background import BackgroundTask

from domain.requests import Language
from interfaces.api.services import Services
from interfaces.privacy_center.challenges import (
    LOCKED_FOR,
    Challenges,
    Outbox,
    Refusal,
    Started,
    derive_key,
)
from interfaces.privacy_center.texts import texts
from runtime.notice_senders import notice_sender

_HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=_HERE / "templates")
CSS = (_HERE / "static" / "privacy-center.css").read_text(encoding="utf-8")

CSRF_COOKIE = "pc_csrf"
TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
SECURITY_HEADERS = {
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


def services(request: Request) -> Services:
    return request.app.state.services


def challenges(request: Request) -> Challenges:
    found = services(request)
    return Challenges(found.pool, derive_key(found.act_signer))


def outbox(request: Request) -> Outbox:
    found = services(request)
    # The service's own sender (the maildrop, or SMTP with DSR_MAIL=smtp), like the notices.
    return Outbox(found.pool, notice_sender(found.settings))


def language_of(request: Request, chosen: object = None) -> Language:
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


def page(
    request: Request, name: str, language: Language, status: int = 200, **context: Any
) -> HTMLResponse:
    other = Language.EN if language is Language.JA else Language.JA
    response = templates.TemplateResponse(
        request,
        name,
        {"t": texts(language), "lang": language.value, "other": other.value, **context},
        status_code=status,
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def code_sent(
    request: Request, language: Language, started: Started, *, back: str, verify: str
) -> Response:
    """After a code was asked for: the refusal as a page (too many codes, or the address
    locked), or on to `verify`/<challenge> where the code is entered. The code's message is
    delivered after the reply, so a registered address does not answer measurably slower
    than an unknown one."""
    if started.refused is not None:
        t = texts(language)
        message = (
            t["limited"]
            if started.refused is Refusal.RATE_LIMITED
            else t["locked.address"].format(minutes=int(LOCKED_FOR.total_seconds() // 60))
        )
        return page(
            request,
            "message.html",
            language,
            status=429,
            heading="limited.title",
            message=message,
            back=back,
        )
    response = RedirectResponse(
        f"{verify}/{started.challenge_id}?lang={language.value}",
        status_code=303,
        background=BackgroundTask(outbox(request).deliver, started.notice_id),
    )
    response.headers.update(SECURITY_HEADERS)
    return response


def browser(request: Request) -> tuple[str, bool]:
    """The browser's CSRF cookie, or a new one (True: it must be set)."""
    cookie = request.cookies.get(CSRF_COOKIE)
    if cookie and TOKEN.match(cookie):
        return cookie, False
    return secrets.token_urlsafe(24), True


def keep_cookie(request: Request, response: Response, cookie: str, new: bool) -> Response:
    if new:
        response.set_cookie(
            CSRF_COOKIE,
            cookie,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
            path="/",
        )
    return response


def same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None  # "null": a sandboxed or cross-origin redirect
    return urlsplit(origin).netloc == request.headers.get("host", "")


def not_found(request: Request, language: Language | None = None) -> HTMLResponse:
    return page(request, "not_found.html", language or language_of(request), status=404)
