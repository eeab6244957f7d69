"""Unexpected failures and acts not taken: problems that name nothing of what failed."""

from __future__ import annotations

import httpx
import pytest

from domain.authority import Role
from service import acts
from store.views import RequestViews
from tests.support.api import Token, bearer
from tests.support.builders import submission
from tests.support.privacy import PERSONAL


async def test_an_unexpected_error_is_a_500_problem_without_its_message(
    api: httpx.AsyncClient,
    token: Token,
    monkeypatch: pytest.MonkeyPatch,
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


async def test_an_act_no_worker_takes_in_time_is_a_503_with_retry_after(
    api: httpx.AsyncClient,
    token: Token,
    unique: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    intake = await token("svc", Role.INTAKE)
    operator = await token("op", Role.OPERATOR)
    rid = f"api-503-{unique}"
    reply = await api.post(
        "/api/v1/requests",
        json=submission("inquiry", rid, f"s-{unique}", person=PERSONAL),
        headers=bearer(intake),
    )
    assert reply.status_code == 201

    async def not_taken(*args: object, **kwargs: object) -> None:
        raise acts.Unanswered(f"request {rid}: the respond was not taken within 30s")

    monkeypatch.setattr(acts, "respond", not_taken)
    reply = await api.post(
        f"/api/v1/requests/{rid}/acts/respond",
        json={"text": "An answer."},
        headers=bearer(operator),
    )
    assert reply.status_code == 503 and reply.headers["retry-after"] == "30"
    assert reply.json()["type"] == "urn:dsr:problem:act-not-taken"
