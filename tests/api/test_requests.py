"""Submission, status, list and timeline over HTTP; an inquiry answered through the API
by an account, which becomes the event's actor; bad input is a problem and writes nothing."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx

from domain.authority import Role
from domain.requests import workflow_id_for
from tests.support.api import Token, bearer
from tests.support.builders import submission
from tests.support.privacy import PERSONAL
from tests.support.temporal import eventually

COUNTED = (
    "subjects",
    "personal_data",
    "requests",
    "request_details",
    "request_events",
    "deadlines",
    "answers",
    "operator_notes",
    "notifications",
    "access_refusals",
)


async def _rows(pool: asyncpg.Pool) -> dict[str, int]:
    present = {
        row["table_name"]
        for row in await pool.fetch(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
        )
    }
    return {
        table: await pool.fetchval(f"SELECT count(*) FROM {table}")
        for table in COUNTED
        if table in present
    }


async def _status(api: httpx.AsyncClient, rid: str, token: str) -> dict[str, Any]:
    reply = await api.get(f"/api/v1/requests/{rid}", headers=bearer(token))
    assert reply.status_code == 200, reply.text
    return reply.json()


async def test_a_submission_is_201_then_200_when_sent_again_and_409_when_different(
    api: httpx.AsyncClient,
    token: Token,
    unique: str,
) -> None:
    intake = await token("svc", Role.INTAKE)
    rid = f"api-inq-{unique}"
    body = submission("inquiry", rid, f"s-{unique}", person=PERSONAL)
    first = await api.post("/api/v1/requests", json=body, headers=bearer(intake))
    assert first.status_code == 201, first.text
    assert first.headers["location"] == f"/api/v1/requests/{rid}"
    made = first.json()
    assert made["created"] and made["workflow_started"]
    assert made["workflow_id"] == workflow_id_for(rid)
    again = await api.post("/api/v1/requests", json=body, headers=bearer(intake))
    assert again.status_code == 200 and not again.json()["created"]
    assert "already submitted" in again.json()["message"]
    other = dict(body, details={"text": "Something else entirely."})
    conflict = await api.post("/api/v1/requests", json=other, headers=bearer(intake))
    assert conflict.status_code == 409, conflict.text
    assert conflict.headers["content-type"] == "application/problem+json"
    # The problem names no personal value of either submission.
    assert not any(value in conflict.text for value in PERSONAL.values())
    view = await _status(api, rid, intake)
    assert view["request_id"] == rid and view["kind"] == "inquiry"


async def test_bad_input_is_422_problem_details_and_writes_nothing(
    api: httpx.AsyncClient,
    pool: asyncpg.Pool,
    token: Token,
    unique: str,
) -> None:
    intake = await token("svc", Role.INTAKE)
    operator = await token("op", Role.OPERATOR)
    good = submission("inquiry", f"api-bad-{unique}", f"s-{unique}", person=PERSONAL)
    before = await _rows(pool)
    bad_bodies = [
        {**good, "kind": "wishlist"},
        {**good, "requester": {"name": PERSONAL["name"], "email": "not-an-address"}},
        {**good, "request_id": "has spaces"},
        {**good, "surprise": 1},
        {k: v for k, v in good.items() if k != "details"},
        [],
    ]
    for body in bad_bodies:
        reply = await api.post("/api/v1/requests", json=body, headers=bearer(intake))
        assert reply.status_code == 422, (body, reply.text)
        assert reply.headers["content-type"] == "application/problem+json"
        problem = reply.json()
        assert problem["type"] == "urn:dsr:problem:invalid-input" and problem["errors"]
        assert all({"field", "message"} == e.keys() for e in problem["errors"])
        assert PERSONAL["name"] not in reply.text
    fields = {
        e["field"]
        for e in (
            await api.post(
                "/api/v1/requests",
                json={**good, "requester": {"name": "x", "email": "nope"}},
                headers=bearer(intake),
            )
        ).json()["errors"]
    }
    assert fields == {"requester.email"}
    unparsable = await api.post(
        "/api/v1/requests",
        content=b"{not json",
        headers={**bearer(intake), "Content-Type": "application/json"},
    )
    assert unparsable.status_code == 422
    # An act with a body that does not fit, on a request that does not exist.
    reply = await api.post(
        f"/api/v1/requests/api-bad-{unique}/acts/decide",
        json={"outcome": "maybe"},
        headers=bearer(operator),
    )
    assert reply.status_code == 422 and reply.json()["errors"][0]["field"] == "outcome"
    after = await _rows(pool)
    assert after == before
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM requests WHERE request_id = $1", f"api-bad-{unique}"
        )
        == 0
    )


async def test_unknown_requests_are_404(api: httpx.AsyncClient, token: Token, unique: str) -> None:
    auditor = await token("aud", Role.AUDITOR)
    operator = await token("op", Role.OPERATOR)
    rid = f"ghost-{unique}"
    for path in (
        f"/api/v1/requests/{rid}",
        f"/api/v1/requests/{rid}/timeline",
        f"/api/v1/audit/requests/{rid}/verify",
        f"/api/v1/audit/requests/{rid}/export",
    ):
        reply = await api.get(path, headers=bearer(auditor))
        assert reply.status_code == 404, (path, reply.text)
        assert reply.json()["instance"] == path
    reply = await api.post(
        f"/api/v1/requests/{rid}/acts/respond", json={"text": "hello"}, headers=bearer(operator)
    )
    assert reply.status_code == 404
    unknown_route = await api.get("/api/v1/nowhere", headers=bearer(auditor))
    assert unknown_route.status_code == 404
    assert unknown_route.headers["content-type"] == "application/problem+json"


async def test_an_inquiry_answered_through_the_api_names_the_account(
    api: httpx.AsyncClient,
    pool: asyncpg.Pool,
    token: Token,
    unique: str,
) -> None:
    intake = await token("svc", Role.INTAKE)
    operator = await token("op", Role.OPERATOR)
    auditor = await token("aud", Role.AUDITOR)
    rid = f"api-ans-{unique}"
    reply = await api.post(
        "/api/v1/requests",
        json=submission("inquiry", rid, f"s-{unique}", person=PERSONAL),
        headers=bearer(intake),
    )
    assert reply.status_code == 201

    async def step() -> str | None:
        return (await _status(api, rid, intake))["step"]

    await eventually(step, lambda s: s == "answer")
    listed = await api.get(
        "/api/v1/requests",
        params={"kind": "inquiry", "status": "in_progress", "limit": 10_000},
        headers=bearer(operator),
    )
    assert listed.status_code == 200 and rid in {r["request_id"] for r in listed.json()}
    # An intake service may not answer; an operator may, as herself, whatever it claims.
    act = f"/api/v1/requests/{rid}/acts/respond"
    assert (
        await api.post(act, json={"text": PERSONAL["answer"]}, headers=bearer(intake))
    ).status_code == 403
    claimed = await api.post(
        act, json={"text": PERSONAL["answer"], "operator": "mallory"}, headers=bearer(operator)
    )
    assert claimed.status_code == 422  # no such field: the actor is the account
    answered = await api.post(act, json={"text": PERSONAL["answer"]}, headers=bearer(operator))
    assert answered.status_code == 200, answered.text
    assert answered.json()["request_id"] == rid
    # The same act again is the same act: one answer, one event.
    again = await api.post(act, json={"text": PERSONAL["answer"]}, headers=bearer(operator))
    assert again.status_code == 200
    actors = await pool.fetch(
        "SELECT actor FROM request_events WHERE request_id = $1 AND type = 'answer.recorded'", rid
    )
    assert [a["actor"] for a in actors] == [f"op-{unique}"]
    await eventually(step, lambda s: s is None)
    # A closed request refuses another act: 409, and nothing more is written.
    late = await api.post(act, json={"text": "A second answer."}, headers=bearer(operator))
    assert late.status_code == 409, late.text
    assert late.json()["type"] == "urn:dsr:problem:act-refused"
    timeline = await api.get(f"/api/v1/requests/{rid}/timeline", headers=bearer(auditor))
    assert timeline.status_code == 200
    events = timeline.json()["events"]
    assert [e["actor"] for e in events if e["type"] == "answer.recorded"] == [f"op-{unique}"]
    assert timeline.json()["request"]["status"] == "closed"
