"""An unexpected failure is a 500 problem that names nothing of what failed."""

from __future__ import annotations

import httpx
import pytest

from activities.request_views import RequestViews
from domain.authority import Role
from tests.api.conftest import Token, bearer
from tests.support import PERSONAL


async def test_an_unexpected_error_is_a_500_problem_without_its_message(
    api: httpx.AsyncClient, token: Token, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    auditor = await token("aud", Role.AUDITOR)

    async def broken(self: RequestViews, where: object) -> list[dict]:
        raise RuntimeError(f"database said something about {PERSONAL['email']}")

    monkeypatch.setattr(RequestViews, "list", broken)
    reply = await api.get("/api/v1/requests", headers=bearer(auditor))
    assert reply.status_code == 500
    assert reply.headers["content-type"] == "application/problem+json"
    problem = reply.json()
    assert problem["type"] == "urn:dsr:problem:internal"
    assert problem["instance"] == "/api/v1/requests"
    assert PERSONAL["email"] not in reply.text and "RuntimeError" not in reply.text
    assert "RuntimeError" in caplog.text and PERSONAL["email"] not in caplog.text
