"""The demo support desk on a real PostgreSQL database, driven by the HTTP connector: the
subject's records found, erased, suspended and corrected over the wire contract, each
change made once however often it is sent, and nobody else's row touched."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from connectors.base import Change, Plan, RowChange, SystemRefused
from connectors.demo.support_desk import (
    HANAKO_EMAIL,
    create_support_desk_schema,
    seed_support_desk,
    support_desk_app,
    support_desk_serving,
)
from connectors.http import HttpConnector
from domain.datamap import MASK_TEXT, Identity, System
from tests.support.database import scratch_database

TOKEN = "desk-token-for-tests"
CUSTOMERS = 500
HANAKO = {Identity.EMAIL: [HANAKO_EMAIL]}

SYSTEM = System.model_validate(
    {
        "kind": "http",
        "connection": {"env": "SUPPORT_DESK_URL"},
        "auth": {"env": "SUPPORT_DESK_AUTHORIZATION"},
        "operations": {
            "collect": "GET /subjects/{email}",
            "erase": "POST /subjects/{email}/erase",
            "suspend": "POST /subjects/{email}/suspend",
            "correct": "POST /subjects/{email}/correct",
        },
        "collections": {
            "tickets": {
                "identities": [{"column": "contact_email", "identity": "email"}],
                "fields": {
                    "subject": {
                        "column": "subject",
                        "category": "history",
                        "purposes": ["respond_to_inquiries"],
                        "lawfully_obtained": True,
                    },
                    "body": {
                        "column": "body",
                        "category": "history",
                        "purposes": ["respond_to_inquiries"],
                        "lawfully_obtained": True,
                        "erasure": "mask",
                    },
                    "contact_email": {
                        "column": "contact_email",
                        "category": "contact",
                        "purposes": ["respond_to_inquiries"],
                        "lawfully_obtained": True,
                        "identifies": True,
                        "as": "email",
                        "erasure": "mask",
                    },
                },
            },
            "chat_transcripts": {
                "identities": [{"column": "contact_email", "identity": "email"}],
                "fields": {
                    "transcript": {
                        "column": "transcript",
                        "category": "history",
                        "purposes": ["respond_to_inquiries"],
                        "lawfully_obtained": True,
                        "erasure": "delete_row",
                    }
                },
            },
        },
    }
)

T1, T2, C1 = "T-000042-1", "T-000042-2", "C-000042-1"


@dataclass
class Desk:
    app: FastAPI
    admin: asyncpg.Connection
    url: str

    def connector(self, authorization: str | None = f"Bearer {TOKEN}") -> HttpConnector:
        return HttpConnector(
            "support-desk",
            SYSTEM,
            base_url="http://support-desk.test",
            authorization=authorization,
            transport=httpx.ASGITransport(app=self.app),
            backoff=0.001,
        )

    def client(self, **headers: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app),
            base_url="http://support-desk.test",
            headers=headers,
        )

    async def others(self) -> list[str]:
        """Every row not Hanako's, with its row version: byte-identical means untouched."""
        rows = await self.admin.fetch(
            """SELECT row_to_json(t)::text || xmin::text AS r FROM support_desk.tickets t
                WHERE id NOT LIKE '%-000042-%'
               UNION ALL
               SELECT row_to_json(t)::text || xmin::text FROM support_desk.chat_transcripts t
                WHERE id NOT LIKE '%-000042-%' ORDER BY 1"""
        )
        return [r["r"] for r in rows]

    async def hanakos(self) -> list[str]:
        rows = await self.admin.fetch(
            """SELECT row_to_json(t)::text || xmin::text AS r FROM support_desk.tickets t
                WHERE id LIKE '%-000042-%'
               UNION ALL
               SELECT row_to_json(t)::text || xmin::text FROM support_desk.chat_transcripts t
                WHERE id LIKE '%-000042-%' ORDER BY 1"""
        )
        return [r["r"] for r in rows]


@pytest.fixture
async def desk(postgres_server: str) -> AsyncIterator[Desk]:
    """A database of its own with the desk's schema and 500 customers, and the app with
    its lifespan started (its pool open)."""
    async with scratch_database(postgres_server, "desk") as url:
        admin = await asyncpg.connect(url)
        try:
            await create_support_desk_schema(admin)
            await create_support_desk_schema(admin)  # again: changes nothing
            await seed_support_desk(admin, CUSTOMERS)
            app = support_desk_app(url, token=TOKEN)
            async with app.router.lifespan_context(app):
                yield Desk(app=app, admin=admin, url=url)
        finally:
            await admin.close()


@contextlib.asynccontextmanager
async def connected(desk: Desk) -> AsyncIterator[HttpConnector]:
    connector = desk.connector()
    try:
        yield connector
    finally:
        await connector.close()


async def test_the_seed_gives_hanako_two_tickets_and_one_chat(desk: Desk) -> None:
    counts = await desk.admin.fetchrow(
        """SELECT (SELECT count(*) FROM support_desk.tickets) AS tickets,
                  (SELECT count(*) FROM support_desk.tickets
                    WHERE contact_email = 'hanako@example.jp') AS hanakos,
                  (SELECT count(*) FROM support_desk.chat_transcripts
                    WHERE contact_email = 'hanako@example.jp') AS chats,
                  (SELECT count(*) FROM support_desk.tickets
                    WHERE contact_email = 'customer7@example.com') AS sevens"""
    )
    assert counts is not None
    assert (counts["hanakos"], counts["chats"]) == (2, 1)
    assert 0.25 * CUSTOMERS <= counts["tickets"] <= 0.35 * CUSTOMERS
    before = await desk.others()
    await seed_support_desk(desk.admin, CUSTOMERS)  # again: adds nothing
    assert await desk.others() == before


async def test_collect_finds_hanakos_tickets_and_chat(desk: Desk) -> None:
    async with connected(desk) as connector:
        collected = await connector.collect(HANAKO)
    assert collected.counts == {"tickets": 2, "chat_transcripts": 1}
    rows = {(row.collection, row.key): row for row in collected.rows}
    assert set(rows) == {("tickets", T1), ("tickets", T2), ("chat_transcripts", C1)}
    first = rows[("tickets", T1)]
    assert first.values["contact_email"] == HANAKO_EMAIL
    assert first.values["body"] is not None and "Hanako" in first.values["body"]
    assert set(first.values) == {"subject", "body", "contact_email"}
    assert not first.restricted


async def test_a_subject_with_nothing_there_is_zero_rows(desk: Desk) -> None:
    async with desk.client(authorization=f"Bearer {TOKEN}") as client:
        assert (await client.get("/subjects/nobody@example.jp")).status_code == 404
    async with connected(desk) as connector:
        collected = await connector.collect({Identity.EMAIL: ["nobody@example.jp"]})
        assert collected.rows == []
        assert collected.counts == {"tickets": 0, "chat_transcripts": 0}
        assert await connector.check() == []


ERASURE = Plan(
    (
        RowChange("tickets", T1, Change.SET_NULL, "subject"),
        RowChange("tickets", T1, Change.MASK, "body"),
        RowChange("tickets", T2, Change.MASK, "body"),
        RowChange("chat_transcripts", C1, Change.DELETE_ROW),
    )
)


async def test_an_erasure_is_made_confirmed_and_made_once(desk: Desk) -> None:
    others = await desk.others()
    async with connected(desk) as connector:
        await connector.apply(ERASURE, HANAKO)
        assert await connector.confirm(ERASURE, HANAKO) == []
        after = await desk.hanakos()
        await connector.apply(ERASURE, HANAKO)  # a retry: nothing more changes
        assert await desk.hanakos() == after
        collected = await connector.collect(HANAKO)

    rows = {(row.collection, row.key): row for row in collected.rows}
    assert set(rows) == {("tickets", T1), ("tickets", T2)}
    assert rows[("tickets", T1)].values["subject"] is None
    assert rows[("tickets", T1)].values["body"] == MASK_TEXT
    assert rows[("tickets", T2)].values["body"] == MASK_TEXT
    assert rows[("tickets", T2)].values["subject"] is not None
    assert await desk.others() == others

    async with desk.client(authorization=f"Bearer {TOKEN}") as client:
        body = {
            "changes": [
                {"collection": "tickets", "key": T1, "change": "mask", "field": "body"},
                {"collection": "chat_transcripts", "key": C1, "change": "delete_row"},
            ]
        }
        answer = await client.post(f"/subjects/{HANAKO_EMAIL}/erase", json=body)
    assert answer.status_code == 200
    assert answer.json() == {"applied": 0}


async def test_an_erasure_of_the_email_they_are_found_by_reaches_all_their_rows(
    desk: Desk,
) -> None:
    others = await desk.others()
    plan = Plan(
        (
            RowChange("tickets", T1, Change.MASK, "contact_email"),
            RowChange("tickets", T2, Change.MASK, "contact_email"),
            RowChange("tickets", T2, Change.MASK, "body"),
        )
    )
    async with connected(desk) as connector:
        await connector.apply(plan, HANAKO)
        collected = await connector.collect(HANAKO)
    # No ticket is found by her address any more; her chat, not in the plan, still is.
    assert [(row.collection, row.key) for row in collected.rows] == [("chat_transcripts", C1)]
    masked = await desk.admin.fetch(
        "SELECT contact_email, body FROM support_desk.tickets WHERE id = ANY($1) ORDER BY id",
        [T1, T2],
    )
    assert [r["contact_email"] for r in masked] == [MASK_TEXT, MASK_TEXT]
    assert masked[1]["body"] == MASK_TEXT  # made after her address was masked
    assert await desk.others() == others


async def test_confirm_reports_a_change_undone_without_its_value(desk: Desk) -> None:
    async with connected(desk) as connector:
        await connector.apply(ERASURE, HANAKO)
        await desk.admin.execute(
            "UPDATE support_desk.tickets SET body = 'restored by a backup' WHERE id = $1", T2
        )
        problems = await connector.confirm(ERASURE, HANAKO)
    assert problems == ["support-desk.tickets: change 3 (mask on body) is not so"]


async def test_a_suspension_flags_the_rows_once(desk: Desk) -> None:
    others = await desk.others()
    plan = Plan(
        (RowChange("tickets", T1, Change.FLAG), RowChange("chat_transcripts", C1, Change.FLAG))
    )
    async with connected(desk) as connector:
        assert await connector.confirm(plan, HANAKO) != []
        await connector.apply(plan, HANAKO)
        assert await connector.confirm(plan, HANAKO) == []
        after = await desk.hanakos()
        await connector.apply(plan, HANAKO)
        assert await desk.hanakos() == after
        collected = await connector.collect(HANAKO)
    restricted = {row.key: row.restricted for row in collected.rows}
    assert restricted == {T1: True, T2: False, C1: True}
    assert await desk.others() == others


async def test_a_correction_updates_the_field(desk: Desk) -> None:
    others = await desk.others()
    plan = Plan((RowChange("tickets", T1, Change.UPDATE, "subject", "My bill for March"),))
    async with connected(desk) as connector:
        problems = await connector.confirm(plan, HANAKO)
        assert problems == ["support-desk.tickets: change 1 (update on subject) is not so"]
        await connector.apply(plan, HANAKO)
        assert await connector.confirm(plan, HANAKO) == []
    subject = await desk.admin.fetchval(
        "SELECT subject FROM support_desk.tickets WHERE id = $1", T1
    )
    assert subject == "My bill for March"
    assert await desk.others() == others


async def test_a_key_of_another_subjects_row_is_not_changed(desk: Desk) -> None:
    others = await desk.others()
    plan = Plan(
        (
            RowChange("tickets", "T-000010-1", Change.DELETE_ROW),
            RowChange("tickets", "T-000011-1", Change.MASK, "body"),
        )
    )
    async with connected(desk) as connector:
        await connector.apply(plan, HANAKO)
    assert await desk.others() == others


async def test_a_change_outside_the_allow_list_is_refused(desk: Desk) -> None:
    before = await desk.hanakos()
    async with desk.client(authorization=f"Bearer {TOKEN}") as client:
        for change in (
            {"collection": "tickets", "key": T1, "change": "set_null", "field": "id"},
            {"collection": "tickets", "key": T1, "change": "mask", "field": "opened_at"},
            {"collection": "tickets", "key": T1, "change": "set_null", "field": "body; DROP"},
            {"collection": "pg_catalog.pg_class", "key": T1, "change": "delete_row"},
            {"collection": "tickets", "key": T1, "change": "update", "field": "body"},
        ):
            answer = await client.post(
                f"/subjects/{HANAKO_EMAIL}/erase", json={"changes": [change]}
            )
            assert answer.status_code == 422, change
    assert await desk.hanakos() == before


async def test_a_request_without_the_token_is_refused(desk: Desk) -> None:
    before = await desk.hanakos()
    body = {"changes": [{"collection": "chat_transcripts", "key": C1, "change": "delete_row"}]}
    for headers in ({}, {"authorization": "Bearer wrong"}, {"authorization": TOKEN}):
        async with desk.client(**headers) as client:
            collect = await client.get(f"/subjects/{HANAKO_EMAIL}")
            erase = await client.post(f"/subjects/{HANAKO_EMAIL}/erase", json=body)
        assert (collect.status_code, erase.status_code) == (401, 401)
        assert "hanako" not in collect.text.lower()
    assert await desk.hanakos() == before

    connector = desk.connector(authorization="Bearer wrong")
    try:
        with pytest.raises(SystemRefused, match="401"):
            await connector.collect(HANAKO)
        (finding,) = await connector.check()
        assert "not authorised" in finding
    finally:
        await connector.close()


async def test_it_serves_over_a_real_socket(desk: Desk) -> None:
    async with support_desk_serving(desk.url, TOKEN, "127.0.0.1", 0) as base_url:
        connector = HttpConnector(
            "support-desk", SYSTEM, base_url=base_url, authorization=f"Bearer {TOKEN}"
        )
        try:
            collected = await connector.collect(HANAKO)
            assert collected.counts == {"tickets": 2, "chat_transcripts": 1}
            assert await connector.check() == []
        finally:
            await connector.close()


async def test_a_million_customers_seed_quickly(postgres_server: str) -> None:
    async with scratch_database(postgres_server, "desk_big") as url:
        connection = await asyncpg.connect(url)
        try:
            started = time.monotonic()
            await create_support_desk_schema(connection)
            await seed_support_desk(connection, 1_000_000)
            took = time.monotonic() - started
            tickets = await connection.fetchval("SELECT count(*) FROM support_desk.tickets")
            hanakos = await connection.fetchval(
                "SELECT count(*) FROM support_desk.tickets WHERE contact_email = $1",
                HANAKO_EMAIL,
            )
        finally:
            await connection.close()
    assert 290_000 <= tickets <= 310_000
    assert hanakos == 2
    assert took < 60, f"seeding a million customers took {took:.0f}s"
