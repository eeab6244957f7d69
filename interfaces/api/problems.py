"""Errors as RFC 9457 problem details (`application/problem+json`): every error the app
returns has `type`, `title`, `status`, `detail` and `instance`, and input errors an
`errors` list of {field, message}. Messages name fields, never echo what was sent, and an
unexpected failure says only that it happened: no internals, no personal data."""

from __future__ import annotations

import logging
import traceback
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from temporalio.service import RPCError, RPCStatusCode

from domain.requests import InvalidSubmission, RequestKind, field_path, parse_submission
from service.acts import Forbidden, Refused, Unanswered

MEDIA_TYPE = "application/problem+json"
_log = logging.getLogger("dsr.api")

# Problem types of this API; plain HTTP errors (404 of an unknown route, 405) are
# `about:blank`, whose title is the status's phrase.
INVALID_INPUT = "urn:dsr:problem:invalid-input"
UNAUTHENTICATED = "urn:dsr:problem:unauthenticated"
FORBIDDEN = "urn:dsr:problem:forbidden"
NOT_FOUND = "urn:dsr:problem:not-found"
CONFLICT = "urn:dsr:problem:conflict"
ACT_REFUSED = "urn:dsr:problem:act-refused"
NOT_TAKEN = "urn:dsr:problem:act-not-taken"
UNAVAILABLE = "urn:dsr:problem:unavailable"
INTERNAL = "urn:dsr:problem:internal"


class FieldProblem(BaseModel):
    field: str
    message: str


class ProblemDetails(BaseModel):
    """RFC 9457 problem details, as every error of the API is returned."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem] | None = None


class Problem(Exception):
    """Raised by a handler to answer with problem details."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        type: str = "about:blank",
        title: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[tuple[str, str]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type
        self.title = title or HTTPStatus(status).phrase
        self.headers = headers or {}
        self.errors = errors


def problem_response(
    request: Request | None, problem: Problem, *, path: str | None = None
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": path if path is not None else request.url.path if request else "",
    }
    if problem.errors is not None:
        body["errors"] = [{"field": f, "message": m} for f, m in problem.errors]
    return JSONResponse(
        body, status_code=problem.status, headers=problem.headers, media_type=MEDIA_TYPE
    )


# Responses to declare on routes, so the OpenAPI document shows the problem format.
def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    content = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
    return {
        status: {"description": HTTPStatus(status).phrase, "content": content}
        for status in statuses
    }


def _with_problem_schema(app: FastAPI) -> None:
    """Puts ProblemDetails among the document's schemas, for the routes' error responses
    (declared by media type, not as a model, which FastAPI would file under JSON)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            schema = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
            schemas.update(schema.pop("$defs", {}))
            schemas["ProblemDetails"] = schema
        return app.openapi_schema or document

    app.openapi = openapi  # type: ignore[method-assign]


def _validation_problems(request: Request, error: RequestValidationError) -> list[tuple[str, str]]:
    # A submission is reported in the contract's own words, as `dsr submit` reports it.
    if request.method == "POST" and request.url.path.endswith("/requests"):
        body = error.body
        if isinstance(body, dict | list) or body is None:
            try:
                parse_submission(body)
            except InvalidSubmission as invalid:
                return invalid.problems
    kinds = {kind.value for kind in RequestKind}
    problems: list[tuple[str, str]] = []
    for item in error.errors():
        loc = [str(part) for part in item.get("loc", ())]
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]
        if loc and loc[0] in kinds:
            loc = loc[1:]
        message = " ".join(
            str(item.get("msg", "is not valid")).removeprefix("Value error, ").split()
        )[:200]
        problem = (field_path(loc) or "body", message[:1].lower() + message[1:])
        if problem not in problems:
            problems.append(problem)
    return problems[:20]


async def _on_validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    problems = _validation_problems(request, error)
    return problem_response(
        request,
        Problem(
            422,
            "the input does not fit: "
            + "; ".join(f"{f}: {m}" for f, m in problems[:3])
            + ("; ..." if len(problems) > 3 else "")
            + ". Nothing was written.",
            type=INVALID_INPUT,
            title="Invalid input",
            errors=problems,
        ),
    )


async def _on_problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Problem)
    return problem_response(request, error)


async def _on_http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    detail = error.detail if isinstance(error.detail, str) else HTTPStatus(error.status_code).phrase
    return problem_response(
        request, Problem(error.status_code, detail, headers=dict(error.headers or {}))
    )


async def _on_invalid_submission(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InvalidSubmission)
    return problem_response(
        request,
        Problem(
            422,
            f"{error}. Nothing was written.",
            type=INVALID_INPUT,
            title="Invalid input",
            errors=error.problems,
        ),
    )


async def _on_refused(request: Request, error: Exception) -> JSONResponse:
    # A safety net: the routes map these themselves, with the request's context.
    if isinstance(error, Forbidden):
        return problem_response(request, Problem(403, str(error), type=FORBIDDEN))
    if isinstance(error, Unanswered):
        return problem_response(
            request, Problem(503, str(error), type=NOT_TAKEN, headers={"Retry-After": "30"})
        )
    return problem_response(
        request, Problem(409, f"{error}. Nothing was written.", type=CONFLICT, title="Refused")
    )


async def _on_rpc(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RPCError)
    if error.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
        return problem_response(
            request,
            Problem(
                503,
                "Temporal cannot be reached; try again shortly",
                type=UNAVAILABLE,
                headers={"Retry-After": "10"},
            ),
        )
    return _internal(request.scope, error)


def _internal(scope: Scope, error: BaseException) -> JSONResponse:
    # The type and where it was raised, never the message: it may quote personal data.
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    _log.error(
        "unexpected %s at %s on %s %s",
        type(error).__name__,
        where,
        scope.get("method"),
        scope.get("path"),
    )
    return problem_response(
        None,
        Problem(
            500,
            "the service met an unexpected error; it is logged. Try again later, or tell "
            "the operators the time of the call",
            type=INTERNAL,
        ),
        path=scope.get("path", ""),
    )


class _Unexpected:
    """Turns an exception no handler took into a 500 problem (Starlette's own error page
    would re-raise it after answering)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception as error:
            if started:
                raise
            await _internal(scope, error)(scope, receive, send)


MAX_BODY = 1 << 20  # bytes; the largest valid submission is far smaller
# Paths whose bodies may be larger: an inventory load carries up to 10,000 subjects.
LARGER_BODIES = {"/api/v1/inventory": 64 << 20}


class _BodyLimit:
    """Refuses a body of more than MAX_BODY bytes, or its path's limit in LARGER_BODIES
    (413): at once when its Content-Length says so, else as soon as that much has arrived
    (a chunked body)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = LARGER_BODIES.get(scope.get("path", ""), MAX_BODY)
        declared = dict(scope.get("headers") or []).get(b"content-length", b"0")
        if not declared.isdigit() or int(declared) > limit:
            await problem_response(
                None,
                Problem(
                    413,
                    f"the body is larger than {limit} bytes"
                    if declared.isdigit()
                    else "the Content-Length header is not a number",
                    type=INVALID_INPUT,
                ),
                path=scope.get("path", ""),
            )(scope, receive, send)
            return
        received = 0

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # An HTTPException: FastAPI lets it through its reading of the body.
                    raise StarletteHTTPException(413, f"the body is larger than {limit} bytes")
            return message

        await self.app(scope, counting, send)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(InvalidSubmission, _on_invalid_submission)
    app.add_exception_handler(Refused, _on_refused)
    app.add_exception_handler(Unanswered, _on_refused)
    app.add_exception_handler(RPCError, _on_rpc)
    app.add_middleware(_Unexpected)
    app.add_middleware(_BodyLimit)
    _with_problem_schema(app)
