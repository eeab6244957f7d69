"""Property-based fuzzing of the API from its own OpenAPI document (schemathesis): valid
and invalid calls to every operation, as an administrator, never get a 5xx.

Schemathesis generates the calls; they are sent here, over httpx's ASGI transport on the
suite's event loop, because its own ASGI client runs the app on a loop of its own, which
the session's database pool and Temporal client do not serve. Fuzzed submissions go to a
task queue no worker polls, and their workflows are terminated at the end, so nothing is
left running to hold the time-skipping server's clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from temporalio.testing import WorkflowEnvironment

from domain.authority import Role
from tests.support.api import Token, bearer, make_app, services_for
from tests.support.temporal import end_open_requests, time_skipping_server

EXAMPLES = 120  # per generation mode, across every operation


def _generate(
    schema: Any, mode: schemathesis.GenerationMode, headers: dict[str, str], request_id: str
) -> list[schemathesis.Case]:
    cases: list[schemathesis.Case] = []
    strategy = schema.as_strategy(
        generation_mode=mode, headers=headers, path_parameters={"request_id": request_id}
    )

    @settings(
        max_examples=EXAMPLES,
        database=None,
        derandomize=True,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(case: schemathesis.Case) -> None:
        cases.append(case)

    collect()
    return cases


async def _send(
    api: httpx.AsyncClient, case: schemathesis.Case, headers: dict[str, str]
) -> httpx.Response:
    sent = case.as_transport_kwargs(base_url="http://test", headers=headers)
    body: dict[str, Any] = {}
    if "json" in sent:
        body["json"] = sent["json"]
    elif isinstance(sent.get("data"), dict):
        body["data"] = sent["data"]
    elif sent.get("data") is not None:
        body["content"] = sent["data"]
    if sent.get("cookies"):  # sent as a header: httpx keeps per-request cookies no more
        cookie = "; ".join(f"{k}={v}" for k, v in sent["cookies"].items())
        sent["headers"] = {**(sent.get("headers") or {}), "Cookie": cookie}
    return await api.request(
        sent["method"], sent["url"], headers=sent.get("headers"), params=sent.get("params"), **body
    )


@pytest.fixture
async def own_time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """A server of the fuzzing's own: after thousands of odd calls its virtual clock stalled
    once, with no workflow of theirs left open, which must not reach the API's other tests."""
    async with time_skipping_server() as env:
        yield env


async def test_fuzzing_the_openapi_schema_finds_no_server_error(
    own_time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    token: Token,
    unique: str,
) -> None:
    time_skipping_env = own_time_skipping_env
    app = make_app(services_for(time_skipping_env.client, pool, f"dsr-api-fuzz-{unique}"))
    headers = bearer(await token("fuzz-admin", Role.ADMIN))
    schema = schemathesis.openapi.from_dict(app.openapi())
    started: set[str] = set()
    statuses: dict[int, int] = {}
    began = await pool.fetchval("SELECT now()")
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=60
        ) as api:
            for mode in (
                schemathesis.GenerationMode.POSITIVE,
                schemathesis.GenerationMode.NEGATIVE,
            ):
                # Acts and reads name a request that does not exist: an act on a real one
                # would wait for a worker this queue does not have.
                for case in _generate(schema, mode, headers, f"fuzz-none-{unique}"):
                    response = await _send(api, case, headers)
                    statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                    case.validate_response(response, checks=[not_a_server_error])
                    if case.method.upper() != "POST" or case.path != "/api/v1/requests":
                        continue
                    if response.status_code in (200, 201):
                        started.add(response.json()["workflow_id"])
                    # The schema cannot say what an e-mail address is, so most generated
                    # submissions stop there; the same with a valid one goes further.
                    if (
                        mode is schemathesis.GenerationMode.POSITIVE
                        and isinstance(case.body, dict)
                        and isinstance(case.body.get("requester"), dict)
                    ):
                        body = {
                            **case.body,
                            "requester": {**case.body["requester"], "email": "fuzz@example.jp"},
                        }
                        again = await api.post("/api/v1/requests", json=body, headers=headers)
                        statuses[again.status_code] = statuses.get(again.status_code, 0) + 1
                        assert again.status_code < 500, (body, again.text)
                        if again.status_code in (200, 201):
                            started.add(again.json()["workflow_id"])
    finally:
        # Every request the fuzzing made, whether its reply said so or not.
        await end_open_requests(time_skipping_env.client, pool, "submitted_at >= $1", began)
    assert not any(status >= 500 for status in statuses), statuses
    # The fuzzing reached past authentication and validation, not only the edge.
    assert statuses.get(200, 0) > 0 and statuses.get(422, 0) > 0, statuses
