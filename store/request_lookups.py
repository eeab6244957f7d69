"""Small reads of the requests table for the client API and the command line: every
request's id, and a request's outcome."""

from __future__ import annotations

import asyncpg

from store.connection import Connection


async def request_ids(pool: asyncpg.Pool | Connection) -> list[str]:
    """Every request's id, in order."""
    return [
        row["request_id"] for row in await pool.fetch("SELECT request_id FROM requests ORDER BY 1")
    ]


async def outcome_of(pool: asyncpg.Pool | Connection, request_id: str) -> str | None:
    """The request's outcome as projected (None until decided, or if no such request)."""
    return await pool.fetchval("SELECT outcome FROM requests WHERE request_id = $1", request_id)
