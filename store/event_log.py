"""Reads of the global event log (migration 0007; the registers' events join it in 0011)
for the auditor's checks and the checkpoint signer: its rows beside the events they log,
the events not logged yet, its head, and the stored events a workflow history is compared
with (audit/verify.py, audit/checkpoints.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager

import asyncpg

from store.connection import Connection

_LOG_ROWS = """
SELECT l.position, l.request_id, l.seq, l.event_hash, l.log_hash, e.hash AS event_hash_now
  FROM event_log l
  LEFT JOIN logged_events e ON e.request_id = l.request_id AND e.seq = l.seq
 ORDER BY l.position
"""
# Requests' events and the registers' (as register/<stream>: migration 0011).
_UNLOGGED = """
SELECT e.request_id, e.seq FROM logged_events e
 WHERE NOT EXISTS (SELECT 1 FROM event_log l WHERE l.request_id = e.request_id
                                               AND l.seq = e.seq)
 ORDER BY e.recorded_at, e.request_id, e.seq LIMIT 1
"""


@asynccontextmanager
async def snapshot(pool: asyncpg.Pool) -> AsyncIterator[Connection]:
    """A connection reading one snapshot (repeatable read, read-only), so appends landing
    meanwhile cannot look like damage."""
    async with (
        pool.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        yield connection


async def log_rows(connection: Connection) -> AsyncIterator[asyncpg.Record]:
    """Every entry of the log in order, with the hash its event has now (None if the event
    is gone). Inside a transaction (a cursor needs one)."""
    async for row in connection.cursor(_LOG_ROWS, prefetch=5000):
        yield row


async def unlogged(connection: Connection) -> list[tuple[str, int]]:
    """The first event recorded that the log has no entry for, if any: (request, seq)."""
    return [(row["request_id"], row["seq"]) for row in await connection.fetch(_UNLOGGED)]


async def log_head(connection: Connection | asyncpg.Pool) -> asyncpg.Record | None:
    """The committed head: its `position` (the log's size) and `log_hash`; None if empty."""
    return await connection.fetchrow(
        "SELECT position, log_hash FROM event_log ORDER BY position DESC LIMIT 1"
    )


async def event_hash(connection: Connection, request_id: str, seq: int) -> str | None:
    """The stored hash of a request's event, None if there is no such event."""
    return await connection.fetchval(
        "SELECT hash FROM request_events WHERE request_id = $1 AND seq = $2", request_id, seq
    )


async def workflow_has_request(connection: Connection, workflow_id: str) -> bool:
    return (
        await connection.fetchval("SELECT 1 FROM requests WHERE workflow_id = $1", workflow_id)
        is not None
    )


async def events_by_key(connection: Connection, keys: Iterable[str]) -> dict[str, asyncpg.Record]:
    """The stored events under these idempotency keys, by key: their request, type,
    payload, time and actor."""
    return {
        row["idempotency_key"]: row
        for row in await connection.fetch(
            """SELECT idempotency_key, request_id, type, payload, occurred_at, actor
             FROM request_events WHERE idempotency_key = ANY ($1)""",
            list(keys),
        )
    }
