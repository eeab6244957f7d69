"""The CONTACT form of Article 10, open to anyone (N8): "For inquiries regarding this Policy,
please contact us via the CONTACT form". A person without a working registered address (a
partner gave us their data; they lost the mailbox) can ask here. A one-time code goes to
the address they type, registered or not, so only someone who reads that mailbox makes an
inquiry in its name; the code proves the mailbox, not the person. The inquiry is then a
guest's (domain/guests.py) unless the address is on record, and its answer carries no
personal information about them (it says so, and how to prove who they are).

Registered with one line in routes.py; the code form and the done page are routes.py's."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from domain.requests import Language, RequestKind
from interfaces.privacy_center import forms
from interfaces.privacy_center.challenges import CODE_VALID_FOR, Message
from interfaces.privacy_center.pages import (
    CSRF_COOKIE,
    browser,
    challenges,
    code_sent,
    keep_cookie,
    language_of,
    page,
    same_origin,
    throttled,
)
from interfaces.privacy_center.texts import texts
from interfaces.privacy_center.throttle import Action

router = APIRouter(include_in_schema=False)


def _contact_page(
    request: Request,
    language: Language,
    *,
    status: int = 200,
    values: FormData | dict | None = None,
    problems: list[tuple[str, str]] | None = None,
) -> Response:
    cookie, new = browser(request)
    response = page(
        request,
        "contact.html",
        language,
        status=status,
        csrf=cookie,
        values=values or {},
        problems=problems or [],
    )
    return keep_cookie(request, response, cookie, new)


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


@router.get("/contact", response_class=HTMLResponse)
async def contact_form(request: Request) -> Response:
    return _contact_page(request, language_of(request))


@router.post("/contact", response_class=HTMLResponse)
async def send_contact(request: Request) -> Response:
    form = await request.form()
    language = language_of(request, form.get("lang"))
    if (busy := throttled(request, language, Action.FORM, "/contact")) is not None:
        return busy
    t = texts(language)
    sent, cookie = form.get("csrf"), request.cookies.get(CSRF_COOKIE, "")
    fresh = cookie and isinstance(sent, str) and hmac.compare_digest(sent, cookie)
    if not (fresh and same_origin(request)):
        return page(
            request,
            "message.html",
            language,
            status=403,
            heading="title",
            message=t["bad_form"],
            back="/contact",
        )
    name, email = _text(form.get("name")), _text(form.get("email"))
    details = forms.details_from(RequestKind.INQUIRY, form)
    problems = forms.check(RequestKind.INQUIRY, name, email, details, language.value)
    if problems:
        return _contact_page(request, language, status=400, values=form, problems=problems)
    minutes = int(CODE_VALID_FOR.total_seconds() // 60)
    started = await challenges(request).begin(
        kind=RequestKind.INQUIRY.value,
        language=language.value,
        email=email,
        name=name,
        details=details,
        now=datetime.now(UTC),
        code_message=lambda code: Message(
            t["mail.code.subject"], t["mail.code.body"].format(code=code, minutes=minutes)
        ),
        any_address=True,
    )
    return code_sent(request, language, started, back="/contact", verify="/verify")
