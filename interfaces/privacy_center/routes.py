"""The privacy center's forms: a form per kind of request, and the one-time code sent to
the address on record that proves who sent it; the request is made once the code is
entered (the status page is status.py, what the pages share pages.py)."""

from __future__ import annotations

import hmac
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from domain.requests import InvalidSubmission, Language, RequestKind
from interfaces.privacy_center import forms
from interfaces.privacy_center.challenges import (
    CODE_VALID_FOR,
    LOCKED_FOR,
    Message,
    Verdict,
)
from interfaces.privacy_center.contact import router as contact_router
from interfaces.privacy_center.disclosure import router as disclosure_router
from interfaces.privacy_center.pages import (
    CSRF_COOKIE,
    CSS,
    browser,
    challenges,
    code_sent,
    keep_cookie,
    language_of,
    not_found,
    outbox,
    page,
    same_origin,
    services,
    throttled,
)
from interfaces.privacy_center.purposes import router as purposes_router
from interfaces.privacy_center.status import router as status_router
from interfaces.privacy_center.texts import texts
from interfaces.privacy_center.throttle import Action
from service.requests import Refused, submit
from store.recipients import third_parties_named

log = structlog.get_logger(__name__)

router = APIRouter(include_in_schema=False)


def _form_kind(kind: str) -> RequestKind | None:
    try:
        return RequestKind(kind)
    except ValueError:
        return None


@router.get("/privacy-center.css")
async def stylesheet() -> Response:
    return Response(CSS, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/", response_class=HTMLResponse)
async def start(request: Request) -> HTMLResponse:
    return page(request, "start.html", language_of(request), kinds=forms.KINDS)


def _form_page(
    request: Request,
    kind: RequestKind,
    language: Language,
    *,
    status: int = 200,
    values: FormData | dict | None = None,
    problems: list[tuple[str, str]] | None = None,
    recipients: list[tuple[str, str]] | None = None,
) -> Response:
    cookie, new = browser(request)
    response = page(
        request,
        "form.html",
        language,
        status=status,
        kind=kind.value,
        csrf=cookie,
        values=values or {},
        problems=problems or [],
        categories=forms.CATEGORIES,
        actions=forms.ACTIONS,
        suspension_actions=forms.SUSPENSION_ACTIONS,
        grounds=forms.GROUNDS,
        rows=range(1, forms.CHANGE_ROWS + 1),
        suggestions=forms.field_suggestions(language),
        recipients=recipients or [],
    )
    return keep_cookie(request, response, cookie, new)


async def _recipients(request: Request, kind: RequestKind) -> list[tuple[str, str]]:
    """A stop request's form offers the third parties on record to choose from (N4)."""
    if kind is not RequestKind.THIRD_PARTY_STOP:
        return []
    return await third_parties_named(services(request).pool)


@router.get("/request/{kind}", response_class=HTMLResponse)
async def request_form(request: Request, kind: str) -> Response:
    chosen = _form_kind(kind)
    if chosen is None:
        return not_found(request)
    return _form_page(
        request, chosen, language_of(request), recipients=await _recipients(request, chosen)
    )


@router.post("/request/{kind}", response_class=HTMLResponse)
async def send_form(request: Request, kind: str) -> Response:
    chosen = _form_kind(kind)
    form = await request.form()
    language = language_of(request, form.get("lang"))
    if chosen is None:
        return not_found(request, language)
    if (busy := throttled(request, language, Action.FORM, f"/request/{chosen.value}")) is not None:
        return busy
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get("csrf")
    if not (
        cookie
        and isinstance(sent, str)
        and hmac.compare_digest(sent, cookie)
        and same_origin(request)
    ):
        return page(
            request,
            "message.html",
            language,
            status=403,
            heading="title",
            message=texts(language)["bad_form"],
            back=f"/request/{chosen.value}",
        )
    name, email = (_text(form.get("name")), _text(form.get("email")))
    details = forms.details_from(chosen, form)
    problems = forms.check(chosen, name, email, details, language.value)
    if problems:
        return _form_page(
            request,
            chosen,
            language,
            status=400,
            values=form,
            problems=problems,
            recipients=await _recipients(request, chosen),
        )
    t = texts(language)
    minutes = int(CODE_VALID_FOR.total_seconds() // 60)
    started = await challenges(request).begin(
        kind=chosen.value,
        language=language.value,
        email=email,
        name=name,
        details=details,
        now=datetime.now(UTC),
        code_message=lambda code: Message(
            t["mail.code.subject"], t["mail.code.body"].format(code=code, minutes=minutes)
        ),
    )
    return code_sent(request, language, started, back="/", verify="/verify")


def _text(value: object) -> str:
    """A form field as text, stripped: an upload where text was expected is no text."""
    return value.strip() if isinstance(value, str) else ""


def _challenge_id(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _verify_page(
    request: Request,
    challenge_id: uuid.UUID,
    language: Language,
    *,
    status: int = 200,
    note: str | None = None,
    form: bool = True,
) -> Response:
    cookie, new = browser(request)
    response = page(
        request,
        "verify.html",
        language,
        status=status,
        challenge_id=str(challenge_id),
        csrf=challenges(request).csrf_token(challenge_id, cookie),
        note=note,
        form=form,
        minutes=int(CODE_VALID_FOR.total_seconds() // 60),
    )
    return keep_cookie(request, response, cookie, new)


@router.get("/verify/{challenge}", response_class=HTMLResponse)
async def verify_form(request: Request, challenge: str) -> Response:
    challenge_id = _challenge_id(challenge)
    language = language_of(request)
    if challenge_id is None:
        return not_found(request, language)
    row = await challenges(request).state(challenge_id)
    if row is None:
        return not_found(request, language)
    t = texts(language)
    if row["used"]:
        return _verify_page(request, challenge_id, language, form=False, note=t["verify.used"])
    if row["locked"]:
        return _verify_page(
            request,
            challenge_id,
            language,
            form=False,
            note=t["verify.locked"].format(minutes=int(LOCKED_FOR.total_seconds() // 60)),
        )
    return _verify_page(request, challenge_id, language)


@router.post("/verify/{challenge}", response_class=HTMLResponse)
async def verify(request: Request, challenge: str) -> Response:
    form = await request.form()
    language = language_of(request, form.get("lang"))
    challenge_id = _challenge_id(challenge)
    if challenge_id is None:
        return not_found(request, language)
    if (busy := throttled(request, language, Action.CODE, f"/verify/{challenge_id}")) is not None:
        return busy
    checker = challenges(request)
    t = texts(language)
    sent = form.get("csrf")
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not (
        cookie
        and isinstance(sent, str)
        and same_origin(request)
        and hmac.compare_digest(sent, checker.csrf_token(challenge_id, cookie))
    ):
        return page(
            request,
            "message.html",
            language,
            status=403,
            heading="title",
            message=t["bad_form"],
            back=f"/verify/{challenge_id}",
        )
    code = form.get("code")
    checked = await checker.check(
        challenge_id, code if isinstance(code, str) else "", now=datetime.now(UTC)
    )
    minutes = int(LOCKED_FOR.total_seconds() // 60)
    match checked.verdict:
        case Verdict.UNKNOWN:
            return not_found(request, language)
        case Verdict.LOCKED:
            return _verify_page(
                request,
                challenge_id,
                language,
                status=429,
                form=False,
                note=t["verify.locked"].format(minutes=minutes),
            )
        case Verdict.EXPIRED:
            return _verify_page(
                request, challenge_id, language, status=410, form=False, note=t["verify.expired"]
            )
        case Verdict.WRONG:
            return _verify_page(
                request,
                challenge_id,
                language,
                status=400,
                note=t["verify.wrong"].format(left=checked.attempts_left),
            )
        case Verdict.USED:
            return _verify_page(
                request, challenge_id, language, status=409, form=False, note=t["verify.used"]
            )
    assert checked.request is not None  # a verified code carries its form
    return await _submit(request, challenge_id, checked.request, language)


async def _submit(
    request: Request, challenge_id: uuid.UUID, submission: dict[str, Any], language: Language
) -> Response:
    found = services(request)
    # The request's own language, chosen on the form: its notices follow it.
    language = Language(submission["language"])
    t = texts(language)
    try:
        result = await submit(
            submission,
            client=found.client,
            pool=found.pool,
            task_queue=found.task_queue,
            deadline_policy=found.deadline_policy,
        )
    except (InvalidSubmission, Refused) as error:
        log.warning(
            "privacy center submission refused",
            challenge_id=str(challenge_id),
            reason=type(error).__name__,
        )
        return _verify_page(
            request, challenge_id, language, status=422, form=False, note=t["failed"]
        )
    except Exception as error:  # Temporal away: the code may be entered again
        log.warning(
            "privacy center submission failed",
            challenge_id=str(challenge_id),
            error=type(error).__name__,
        )
        return _verify_page(request, challenge_id, language, status=503, note=t["failed"])
    label = t[f"kind.{submission['kind']}"]
    name = submission["requester"]["name"]
    notice_id = await challenges(request).complete(
        challenge_id,
        result.request_id,
        base_url=found.settings.api.url(),
        link_message=lambda url: Message(
            t["mail.status.subject"].format(request_id=result.request_id),
            t["mail.status.body"].format(
                name=name, label=label, request_id=result.request_id, url=url
            ),
        ),
    )
    await outbox(request).deliver(notice_id)
    return page(request, "done.html", language, label=label, request_id=result.request_id)


# The status page: its own module, the same URLs.
router.include_router(status_router)
router.include_router(purposes_router)  # the purposes of use and their changes (Art 3, 4)
router.include_router(disclosure_router)  # Article 6: a disclosure delivered (disclosure.py)
router.include_router(contact_router)  # Art 10's CONTACT form, open to anyone (N8)
