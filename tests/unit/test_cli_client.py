"""The `dsr` client's contract (interfaces/cli/client.py): where the URL and the token
come from, and how the API's answers become `dsr`'s errors and exit statuses."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest

from interfaces.cli.client import (
    Api,
    ApiDiverged,
    ApiRefused,
    ApiUnavailable,
    endpoint,
)


def _env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), **values}


def test_the_token_comes_from_dsr_token_then_login_then_the_local_administrator(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    data = tmp_path / "data"
    data.mkdir()
    (data / "admin-token").write_text("dsr_admin\n")
    local = _env(tmp_path, DSR_DATA_DIR=str(data), DSR_API_PORT="8123")
    found = endpoint(local)
    assert (found.url, found.token) == ("http://127.0.0.1:8123", "dsr_admin")
    # Not on the local service: the local administrator's token is never sent elsewhere.
    remote = endpoint({**local, "DSR_URL": "https://dsr.example.jp/api/v1/"})
    assert (remote.url, remote.token) == ("https://dsr.example.jp", None)
    kept = tmp_path / "config" / "dsr" / "token"
    kept.parent.mkdir(parents=True)
    kept.write_text("dsr_login\n")
    assert endpoint(local).token == "dsr_login"
    assert endpoint({**local, "DSR_URL": "https://dsr.example.jp"}).token == "dsr_login"
    assert endpoint({**local, "DSR_TOKEN": "dsr_env"}).token == "dsr_env"


def _answering(status: int, body: Any, headers: dict[str, str] | None = None) -> Api:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers)

    return Api("http://api.test", "dsr_t", transport=httpx.MockTransport(answer))


def _call(api: Api) -> Any:
    async def go() -> Any:
        async with api:
            return await api.get("/requests", kind=None, overdue=False, limit=[1, 2])

    return asyncio.run(go())


PROBLEM = {"type": "urn:dsr:problem:act-refused", "title": "Act refused", "status": 409}


@pytest.mark.parametrize(
    ("status", "body", "error", "says"),
    [
        (409, {**PROBLEM, "detail": "not at that step"}, ApiRefused, "not at that step"),
        (
            422,
            {"detail": "Invalid input", "errors": [{"field": "limit", "message": "too big"}]},
            ApiRefused,
            "limit: too big",
        ),
        (401, {"detail": "unknown or disabled token"}, ApiRefused, "does not sign in"),
        (403, {"detail": "account a does not hold the auditor role"}, ApiRefused, "auditor"),
        (409, {"type": "urn:dsr:problem:diverged", "detail": "broken"}, ApiDiverged, "broken"),
        (503, {"detail": "no worker took the act"}, ApiUnavailable, "try again in 30 s"),
    ],
)
def test_answers_become_errors(status: int, body: Any, error: type, says: str) -> None:
    with pytest.raises(error) as raised:
        _call(_answering(status, body, {"Retry-After": "30"} if status == 503 else None))
    assert says in str(raised.value)


def test_parameters_and_an_unreachable_service() -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=[])

    assert _call(Api("http://api.test", "t", transport=httpx.MockTransport(answer))) == []
    assert seen == ["http://api.test/api/v1/requests?overdue=false&limit=1&limit=2"]
    with pytest.raises(ApiUnavailable, match=r"cannot reach the service at http://127\.0\.0\.1:9"):
        _call(Api("http://127.0.0.1:9", "t"))
