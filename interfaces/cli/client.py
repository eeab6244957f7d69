"""The `dsr` command's one way into the service: the HTTP API under `<DSR_URL>/api/v1`,
with an account's bearer token. Nothing here (nor anything it imports) opens the
database, Temporal or a key file: `dsr` holds a URL and a token, like `gh` or `kubectl`.

Where they come from (`endpoint()`):
- the URL: `DSR_URL`; unset, the embedded default's local API,
  `http://127.0.0.1:${DSR_API_PORT:-8000}`;
- the token: `DSR_TOKEN`; else the one `dsr login` saved (`token_file()`, mode 0600);
  else, on the embedded default only (no `DSR_URL`), the local administrator's,
  `${DSR_DATA_DIR:-.dsr}/admin-token`.

Errors, each with the exit status `dsr` ends with (interfaces/cli/main.py maps them):
`ApiRefused` (2: the service refused the input, 401 and 403 included; nothing was
written), `ApiUnavailable` (1: no answer, or a 5xx), `ApiDiverged` (3: an audit found a
divergence), and `InputRefused` (2: refused here before anything was sent).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

API_PREFIX = "/api/v1"
DEFAULT_PORT = 8000
# An act is answered within ~30 s (503 after); a whole `audit verify` may take longer.
TIMEOUT = httpx.Timeout(300.0, connect=10.0)

# For tests only: the transport an `Api` made without one uses (e.g. httpx.MockTransport
# to see what a command would send, without a service).
default_transport: ContextVar[httpx.AsyncBaseTransport | None] = ContextVar(
    "dsr_transport", default=None
)


class CliError(Exception):
    """An error `dsr` reports in one line and ends with its own exit status."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ApiRefused(CliError):
    """The service refused the call (4xx, 401 and 403 included): nothing was written."""

    def __init__(self, message: str, status: int, problem: Mapping[str, Any] | None = None):
        super().__init__(message)
        self.status = status
        self.problem = dict(problem or {})


class ApiUnavailable(CliError):
    """The service could not be reached, or failed (5xx): try again."""


class ApiDiverged(CliError):
    """The service (or a local audit) found a divergence: a chain broken, a history that
    no longer replays. The details were printed before this is raised."""

    def __init__(self, message: str = "a divergence was found") -> None:
        super().__init__(message)


class InputRefused(CliError):
    """`dsr` refused the input itself (a file it cannot read, not JSON): nothing was sent."""


@dataclass(frozen=True)
class Endpoint:
    url: str  # without a trailing slash, without /api/v1
    token: str | None
    token_source: str  # where the token came from, for messages


def app_dir() -> Path:
    """The user's configuration folder for `dsr` (typer.get_app_dir("dsr"))."""
    import typer  # light: click's helper, imported here to keep this module's imports lean

    return Path(typer.get_app_dir("dsr"))


def token_file() -> Path:
    """Where `dsr login` keeps the token (mode 0600)."""
    return app_dir() / "token"


def _read_token(path: Path) -> str | None:
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return token or None


def endpoint(environ: Mapping[str, str] | None = None) -> Endpoint:
    """The API's URL and the token to call it with, from the environment (see above)."""
    env = os.environ if environ is None else environ
    configured = env.get("DSR_URL", "").strip()
    url = (configured or f"http://127.0.0.1:{env.get('DSR_API_PORT') or DEFAULT_PORT}").rstrip("/")
    if url.endswith(API_PREFIX):
        url = url[: -len(API_PREFIX)]
    if token := env.get("DSR_TOKEN", "").strip():
        return Endpoint(url, token, "DSR_TOKEN")
    saved = token_file()
    if kept := _read_token(saved):
        return Endpoint(url, kept, f"the token `dsr login` saved in {saved}")
    if not configured:
        local = Path(env.get("DSR_DATA_DIR") or ".dsr") / "admin-token"
        if administrator := _read_token(local):
            return Endpoint(url, administrator, f"the local administrator's token in {local}")
    return Endpoint(url, None, "no token")


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _params(params: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """Query parameters: None left out, a list or tuple repeated, booleans as true/false."""
    pairs: list[tuple[str, Any]] = []
    for name, value in params.items():
        if value is None:
            continue
        for one in value if isinstance(value, list | tuple) else [value]:
            pairs.append((name, _param(one)))
    return pairs


def _problem_message(response: httpx.Response) -> tuple[str, dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        text = response.text.strip().splitlines()
        return (text[0][:200] if text else response.reason_phrase), {}
    detail = body.get("detail")
    if isinstance(detail, list):  # FastAPI's plain validation errors
        detail = "; ".join(str(item.get("msg", item)) for item in detail if item)
    message = str(detail or body.get("title") or response.reason_phrase)
    errors = body.get("errors") or []
    extra = [
        f"{e.get('field')}: {e.get('message')}"
        for e in errors
        if isinstance(e, dict) and f"{e.get('field')}: {e.get('message')}" not in message
    ]
    if extra:
        message = "; ".join([message, *extra])
    return message, body


def _diverged(problem: Mapping[str, Any]) -> bool:
    kind = str(problem.get("type") or "")
    return kind.endswith(("/diverged", ":diverged"))


class Api:
    """An async client of the API: `async with Api() as api: await api.get("/requests")`.

    Paths are relative to `<DSR_URL>/api/v1`. JSON answers are parsed; others come back
    as text. Errors are raised as the exceptions above, never as httpx's."""

    def __init__(
        self,
        url: str | None = None,
        token: str | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: httpx.Timeout | float = TIMEOUT,
    ) -> None:
        if url is None:
            found = endpoint()
            url, token = found.url, token if token is not None else found.token
            self.token_source = found.token_source
        else:
            self.token_source = "the token given"
        self.url = url.rstrip("/")
        self.token = token
        headers = {"Accept": "application/json, application/problem+json;q=0.9, */*;q=0.5"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._client = httpx.AsyncClient(
            base_url=f"{self.url}{API_PREFIX}",
            headers=headers,
            transport=transport if transport is not None else default_transport.get(),
            timeout=timeout,
            follow_redirects=False,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self._client.aclose()

    async def get(self, path: str, **params: Any) -> Any:
        return await self._call("GET", path, params=params)

    async def post(self, path: str, json: Any = None, **params: Any) -> Any:
        return await self._call("POST", path, json=json, params=params)

    async def stream(self, path: str, **params: Any) -> AsyncIterator[bytes]:
        """A download, chunk by chunk: `async for chunk in api.stream(path): ...`."""
        request = self._client.build_request("GET", path, params=_params(params))
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as error:
            raise self._unreachable(error) from None
        try:
            if response.status_code >= 400:
                await response.aread()
                self._raise_for(response)
            async for chunk in response.aiter_bytes():
                yield chunk
        except httpx.HTTPError as error:
            raise self._unreachable(error) from None
        finally:
            await response.aclose()

    async def response(
        self, method: str, path: str, *, json: Any = None, **params: Any
    ) -> httpx.Response:
        """The answer itself (its headers too), once it is not an error."""
        try:
            answer = await self._client.request(
                method, path, json=json, params=_params(params) or None
            )
        except httpx.HTTPError as error:
            raise self._unreachable(error) from None
        if answer.status_code >= 400:
            self._raise_for(answer)
        return answer

    async def upload(
        self,
        path: str,
        content: AsyncIterator[bytes],
        *,
        content_type: str = "application/json",
        **params: Any,
    ) -> Any:
        """A POST of a large body given chunk by chunk (e.g. to show its progress)."""
        try:
            answer = await self._client.request(
                "POST",
                path,
                content=content,
                headers={"Content-Type": content_type},
                params=_params(params) or None,
            )
        except httpx.HTTPError as error:
            raise self._unreachable(error) from None
        if answer.status_code >= 400:
            self._raise_for(answer)
        if "json" in answer.headers.get("content-type", ""):
            return answer.json()
        return answer.text

    async def _call(
        self, method: str, path: str, *, json: Any = None, params: Mapping[str, Any]
    ) -> Any:
        answer = await self.response(method, path, json=json, **params)
        if answer.status_code == 204 or not answer.content:
            return None
        if "json" in answer.headers.get("content-type", ""):
            return answer.json()
        return answer.text

    def _unreachable(self, error: httpx.HTTPError) -> ApiUnavailable:
        if self.url.endswith(":0"):
            return ApiUnavailable(
                "the local service serves no API (DSR_API_PORT is 0): set DSR_URL to the "
                "API's address, or DSR_API_PORT to the port it serves on"
            )
        reason = str(error) or type(error).__name__
        return ApiUnavailable(
            f"cannot reach the service at {self.url} ({reason}); is it running? (DSR_URL names it)"
        )

    def _raise_for(self, response: httpx.Response) -> None:
        message, problem = _problem_message(response)
        status = response.status_code
        if status == 401:
            if not self.token:
                raise ApiRefused("no token: set DSR_TOKEN, or run `dsr login`", status, problem)
            raise ApiRefused(
                f"the token from {self.token_source} does not sign in: it is unknown, or "
                "its account is disabled",
                status,
                problem,
            )
        if status == 409 and _diverged(problem):
            raise ApiDiverged(message)
        if status >= 500:
            retry = response.headers.get("Retry-After")
            raise ApiUnavailable(
                f"{message} (HTTP {status}" + (f"; try again in {retry} s" if retry else "") + ")"
            )
        raise ApiRefused(message, status, problem)
