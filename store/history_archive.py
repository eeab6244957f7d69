"""The archive of closed requests' workflow histories: the table `request_histories`,
written once per request by the archiving activity (activities/history_archive.py) and read
back by auditors (`dsr audit`)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
from temporalio.client import WorkflowHistory

from store.events import UnknownRequest

_PENDING = """
SELECT r.request_id, r.workflow_id, r.closed_at
  FROM requests r
 WHERE r.status = 'closed'
   AND (r.closed_at, r.request_id) > ($1::timestamptz, $2::text)
   AND NOT EXISTS (SELECT 1 FROM request_histories h WHERE h.request_id = r.request_id)
   AND NOT EXISTS (SELECT 1 FROM request_history_gaps g WHERE g.request_id = r.request_id)
 ORDER BY r.closed_at, r.request_id
 LIMIT $3
"""


@dataclass(frozen=True)
class ArchivedHistory:
    request_id: str
    workflow_id: str
    run_id: str
    history: dict[str, Any]
    archived_at: datetime

    def workflow_history(self) -> WorkflowHistory:
        return WorkflowHistory.from_json(self.workflow_id, self.history)


class HistoryNotArchived(LookupError):
    """A known request whose history is not in the archive; the message says why."""


class ArchivedHistories:
    """The archive table: written once per request, read by auditors."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def get(self, request_id: str) -> ArchivedHistory | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                """SELECT request_id, workflow_id, run_id, history, archived_at
                     FROM request_histories WHERE request_id = $1""",
                request_id,
            )
        return None if row is None else ArchivedHistory(**dict(row))

    async def require(self, request_id: str) -> ArchivedHistory:
        """The archived history; UnknownRequest or HistoryNotArchived (saying why) if none."""
        archived = await self.get(request_id)
        if archived is not None:
            return archived
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                """SELECT r.status, g.noted_at FROM requests r
                     LEFT JOIN request_history_gaps g ON g.request_id = r.request_id
                    WHERE r.request_id = $1""",
                request_id,
            )
        if row is None:
            raise UnknownRequest(request_id)
        if row["noted_at"] is not None:
            raise HistoryNotArchived(
                f"request {request_id}: Temporal no longer had its history when the archive "
                f"looked for it ({row['noted_at']:%Y-%m-%d %H:%M %Z}); nothing to replay"
            )
        if row["status"] != "closed":
            raise HistoryNotArchived(
                f"request {request_id} is {row['status']}, not closed: its history is "
                "archived once it closes (replay it from Temporal with `dsr audit export`)"
            )
        raise HistoryNotArchived(
            f"request {request_id} is closed but its history is not archived yet; the "
            "archive schedule takes it within DSR_ARCHIVE_EVERY"
        )

    async def pending(self, after: tuple[datetime, str], limit: int) -> list[asyncpg.Record]:
        async with self._pool.acquire() as connection:
            return await connection.fetch(_PENDING, after[0], after[1], limit)

    async def insert(
        self, request_id: str, workflow_id: str, run_id: str, history: WorkflowHistory
    ) -> bool:
        """Write one history; False when it was already there (written by another run)."""
        async with self._pool.acquire() as connection:
            status = await connection.execute(
                """INSERT INTO request_histories (request_id, workflow_id, run_id, history)
                   VALUES ($1, $2, $3, $4) ON CONFLICT (request_id) DO NOTHING""",
                request_id,
                workflow_id,
                run_id,
                json.loads(history.to_json()),
            )
        return status.endswith(" 1")

    async def note_gap(self, request_id: str, workflow_id: str) -> None:
        async with self._pool.acquire() as connection:
            await connection.execute(
                """INSERT INTO request_history_gaps (request_id, workflow_id) VALUES ($1, $2)
                   ON CONFLICT (request_id) DO NOTHING""",
                request_id,
                workflow_id,
            )
