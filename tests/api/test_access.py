"""Every call is authenticated: no token or a wrong one is 401, counted per minute and
route in `access_refusal_counts`; a wrong role 403, recorded with the account in
`access_refusals`; accounts are made and disabled by an admin."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import asyncpg
import httpx

from domain.authority import Role
from tests.support.api import Token, bearer


async def _refusals(pool: asyncpg.Pool, path: str) -> list[tuple[int, str | None]]:
    rows = await pool.fetch(
        "SELECT status, account FROM access_refusals WHERE path = $1 ORDER BY refusal_id", path
    )
    return [(row["status"], row["account"]) for row in rows]


_ONE_REQUEST = "/api/v1/requests/{request_id}"  # as the API declares the route


async def _counted(pool: asyncpg.Pool, route: str) -> dict[str, int]:
    """Anonymous refusals counted for the route, by reason."""
    rows = await pool.fetch(
        """SELECT reason, sum(refusals)::int AS n FROM access_refusal_counts
            WHERE route = $1 GROUP BY reason""",
        route,
    )
    return {row["reason"]: row["n"] for row in rows}


async def test_health_needs_no_token(api: httpx.AsyncClient) -> None:
    reply = await api.get("/api/v1/health")
    assert reply.status_code == 200 and reply.json() == {"status": "ok"}


async def test_no_token_or_a_wrong_one_is_401_and_counted(
    api: httpx.AsyncClient,
    pool: asyncpg.Pool,
    unique: str,
) -> None:
    path = f"/api/v1/requests/nobody-{unique}"
    before = await _counted(pool, _ONE_REQUEST)
    for headers in ({}, bearer("dsr_not-a-token"), {"Authorization": "Basic dXNlcjpwdw=="}):
        reply = await api.get(path, headers=headers)
        assert reply.status_code == 401, reply.text
        assert reply.headers["www-authenticate"] == "Bearer"
        assert reply.headers["content-type"] == "application/problem+json"
        problem = reply.json()
        assert problem["status"] == 401 and problem["instance"] == path
        assert {"type", "title", "detail"} <= problem.keys()
    after = await _counted(pool, _ONE_REQUEST)
    grown = {reason: after[reason] - before.get(reason, 0) for reason in after}
    assert grown == {"no bearer token": 2, "unknown or disabled token": 1}
    assert await _refusals(pool, path) == []  # counted under the route, no row of its own
    # Authentication comes before the body is looked at: bad input without a token is 401.
    reply = await api.post("/api/v1/requests", json={"kind": "nonsense"})
    assert reply.status_code == 401


async def test_n8_a_flood_of_unauthenticated_calls_adds_a_count_not_a_row_each(
    api: httpx.AsyncClient, pool: asyncpg.Pool, owner_pool: asyncpg.Pool
) -> None:
    """N8 (refusal flood): 1000 unauthenticated GETs, each to a path of its own, used to
    add 1000 rows to the append-only access_refusals; now they add at most a row per
    minute (two, if the flood spans a minute's turn), counted 1000, and the count is
    never lowered, not even by the schema's owner."""

    async def rows() -> tuple[int, int]:
        return (
            await pool.fetchval("SELECT count(*) FROM access_refusals"),
            await pool.fetchval("SELECT count(*) FROM access_refusal_counts"),
        )

    before_rows, before = await rows(), await _counted(pool, _ONE_REQUEST)
    paths = [f"/api/v1/requests/flood-{uuid.uuid4().hex}" for _ in range(1000)]
    for batch in range(0, len(paths), 50):
        replies = await asyncio.gather(*(api.get(p) for p in paths[batch : batch + 50]))
        assert {reply.status_code for reply in replies} == {401}
    after_rows, after = await rows(), await _counted(pool, _ONE_REQUEST)
    assert after_rows[0] == before_rows[0]  # not one row of access_refusals
    assert after_rows[1] - before_rows[1] <= 2
    assert after["no bearer token"] - before.get("no bearer token", 0) == 1000
    for change in (
        "UPDATE access_refusal_counts SET refusals = 1",
        "DELETE FROM access_refusal_counts",
    ):
        try:
            await owner_pool.execute(change)
        except asyncpg.RaiseError as error:
            assert "access_refusal_counts" in str(error)
        else:
            raise AssertionError(f"{change!r} was allowed")


async def test_a_body_too_large_is_refused_unread(api: httpx.AsyncClient, token: Token) -> None:
    intake = await token("svc", Role.INTAKE)
    reply = await api.post(
        "/api/v1/requests",
        content=b"{" + b" " * (1 << 20) + b"}",
        headers={**bearer(intake), "Content-Type": "application/json"},
    )
    assert reply.status_code == 413
    assert reply.headers["content-type"] == "application/problem+json"

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        yield b"{"
        for _ in range(20):
            yield b" " * 65536
        yield b"}"

    reply = await api.post(
        "/api/v1/requests",
        content=chunks(),
        headers={**bearer(intake), "Content-Type": "application/json"},
    )
    assert reply.status_code == 413, reply.text


async def test_a_disabled_account_no_longer_signs_in(
    api: httpx.AsyncClient,
    token: Token,
    unique: str,
) -> None:
    admin = await token("admin", Role.ADMIN)
    auditor = await token("aud", Role.AUDITOR)
    assert (await api.get("/api/v1/requests", headers=bearer(auditor))).status_code == 200
    reply = await api.post(f"/api/v1/accounts/aud-{unique}/disable", headers=bearer(admin))
    assert reply.status_code == 200 and reply.json()["disabled"] is True
    assert (await api.get("/api/v1/requests", headers=bearer(auditor))).status_code == 401
    again = await api.post(f"/api/v1/accounts/aud-{unique}/disable", headers=bearer(admin))
    assert again.status_code == 200 and "already" in again.json()["message"]
    missing = await api.post(f"/api/v1/accounts/ghost-{unique}/disable", headers=bearer(admin))
    assert missing.status_code == 404


async def test_a_wrong_role_is_403_and_recorded(
    api: httpx.AsyncClient,
    pool: asyncpg.Pool,
    token: Token,
    unique: str,
) -> None:
    intake = await token("svc", Role.INTAKE)
    auditor = await token("aud", Role.AUDITOR)
    reply = await api.get("/api/v1/requests", headers=bearer(intake))
    assert reply.status_code == 403, reply.text
    assert reply.headers["content-type"] == "application/problem+json"
    assert "auditor" in reply.json()["detail"]
    reply = await api.get("/api/v1/accounts", headers=bearer(auditor))
    assert reply.status_code == 403
    rid = f"nobody-{unique}"
    act = f"/api/v1/requests/{rid}/acts/respond"
    reply = await api.post(act, json={"text": "an answer"}, headers=bearer(auditor))
    assert reply.status_code == 403
    assert (403, f"svc-{unique}") in await _refusals(pool, "/api/v1/requests")
    assert await _refusals(pool, act) == [(403, f"aud-{unique}")]


async def test_accounts_as_admin(api: httpx.AsyncClient, token: Token, unique: str) -> None:
    admin = await token("admin", Role.ADMIN)
    reply = await api.post(
        "/api/v1/accounts",
        headers=bearer(admin),
        json={"account": f"op-{unique}", "roles": ["operator", "approver"]},
    )
    assert reply.status_code == 201, reply.text
    made = reply.json()
    assert made["roles"] == ["approver", "operator"] and made["token"].startswith("dsr_")
    assert reply.headers["cache-control"] == "no-store"
    # The token it printed signs in, with its roles: an operator may list, not make accounts.
    assert (await api.get("/api/v1/requests", headers=bearer(made["token"]))).status_code == 200
    assert (await api.get("/api/v1/accounts", headers=bearer(made["token"]))).status_code == 403
    listed = (await api.get("/api/v1/accounts", headers=bearer(admin))).json()
    row = next(a for a in listed if a["account"] == f"op-{unique}")
    assert row["created_by"] == f"admin-{unique}" and row["disabled_at"] is None
    assert "token" not in row and "token_hash" not in row
    again = await api.post(
        "/api/v1/accounts",
        headers=bearer(admin),
        json={"account": f"op-{unique}", "roles": ["operator"]},
    )
    assert again.status_code == 409
    bad = await api.post(
        "/api/v1/accounts", headers=bearer(admin), json={"account": "Not A Name", "roles": []}
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"account", "roles"}
