"""Reads for operators and auditors, from the store's projections and event record."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from store.events import EventStore, UnknownRequest


@dataclass(frozen=True)
class RequestFilter:
    kind: str | None = None
    status: str | None = None
    overdue: bool | None = None
    due_before: datetime | None = None
    limit: int = 100


_LIST = """
SELECT r.request_id, r.kind, r.status, r.step, r.overdue, r.outcome, r.submitted_at,
       r.closed_at, r.deadline_policy_version, r.privacy_policy_version,
       r.personal_data_shredded_at, d.due_at
  FROM requests r
  LEFT JOIN deadlines d ON d.request_id = r.request_id AND d.step = r.step
                       AND d.status IN ('open', 'breached')
 WHERE ($1::text IS NULL OR r.kind = $1)
   AND ($2::text IS NULL OR r.status = $2)
   AND ($3::boolean IS NULL OR r.overdue = $3)
   AND ($4::timestamptz IS NULL OR d.due_at < $4)
 ORDER BY d.due_at NULLS LAST, r.submitted_at
 LIMIT $5
"""


class RequestViews:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def list(self, where: RequestFilter) -> list[dict[str, Any]]:
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                _LIST, where.kind, where.status, where.overdue, where.due_before, where.limit
            )
        return [dict(row) for row in rows]

    async def timeline(self, request_id: str) -> dict[str, Any]:
        """The request, its events in order and its deadlines, met or breached."""
        async with self._pool.acquire() as connection:
            request = await connection.fetchrow(
                """SELECT request_id, workflow_id, kind, subject_id, status, step, outcome,
                          overdue, deadline_policy_version, privacy_policy_version,
                          submitted_at, closed_at, personal_data_shredded_at, last_hash
                     FROM requests WHERE request_id = $1""",
                request_id,
            )
            if request is None:
                raise UnknownRequest(request_id)
            deadlines = await connection.fetch(
                """SELECT step, policy_version, started_at, due_at, reminded_at, met_at,
                          breached_at, completed_at, extensions, status
                     FROM deadlines WHERE request_id = $1 ORDER BY started_at, step""",
                request_id,
            )
        events = await EventStore(self._pool).events(request_id)
        return {
            "request": dict(request),
            "events": [event.model_dump(mode="json") for event in events],
            "deadlines": [dict(row) for row in deadlines],
        }

    # builtins.list: in this class, `list` is the method above.
    async def request_ids(self, start: datetime | None, end: datetime | None) -> builtins.list[str]:
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                """SELECT request_id FROM requests
                    WHERE ($1::timestamptz IS NULL OR submitted_at >= $1)
                      AND ($2::timestamptz IS NULL OR submitted_at < $2)
                    ORDER BY submitted_at, request_id""",
                start,
                end,
            )
        return [row["request_id"] for row in rows]
