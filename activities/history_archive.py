"""The archive of closed requests' workflow histories, in the store.

Temporal drops a closed workflow's history once the namespace's retention has passed;
an auditor must still be able to replay it. `HistoryArchive.archive_closed_requests`,
run by the `ArchiveClosedRequests` schedule, copies each closed request's history into
`request_histories`; `ArchivedHistories` reads them back for `dsr audit`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from activities.event_store import UnknownRequest
from domain.archive import ArchiveBatch, ArchiveCounts

log = structlog.get_logger(__name__)

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
# Below every real closure: where the first page starts.
_START = (datetime.fromisoformat("0001-01-01T00:00:00+00:00"), "")


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
                     FROM request_histories WHERE request_id = $1""", request_id)
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
                    WHERE r.request_id = $1""", request_id)
        if row is None:
            raise UnknownRequest(request_id)
        if row["noted_at"] is not None:
            raise HistoryNotArchived(
                f"request {request_id}: Temporal no longer had its history when the archive "
                f"looked for it ({row['noted_at']:%Y-%m-%d %H:%M %Z}); nothing to replay")
        if row["status"] != "closed":
            raise HistoryNotArchived(
                f"request {request_id} is {row['status']}, not closed: its history is "
                "archived once it closes (replay it from Temporal with `dsr audit export`)")
        raise HistoryNotArchived(
            f"request {request_id} is closed but its history is not archived yet; the "
            "archive schedule takes it within DSR_ARCHIVE_EVERY")

    async def pending(self, after: tuple[datetime, str], limit: int) -> list[asyncpg.Record]:
        async with self._pool.acquire() as connection:
            return await connection.fetch(_PENDING, after[0], after[1], limit)

    async def insert(self, request_id: str, workflow_id: str, run_id: str,
                     history: WorkflowHistory) -> bool:
        """Write one history; False when it was already there (written by another run)."""
        async with self._pool.acquire() as connection:
            status = await connection.execute(
                """INSERT INTO request_histories (request_id, workflow_id, run_id, history)
                   VALUES ($1, $2, $3, $4) ON CONFLICT (request_id) DO NOTHING""",
                request_id, workflow_id, run_id, json.loads(history.to_json()))
        return status.endswith(" 1")

    async def note_gap(self, request_id: str, workflow_id: str) -> None:
        async with self._pool.acquire() as connection:
            await connection.execute(
                """INSERT INTO request_history_gaps (request_id, workflow_id) VALUES ($1, $2)
                   ON CONFLICT (request_id) DO NOTHING""", request_id, workflow_id)


class HistoryArchive:
    """The archiving activity: reads Temporal through `client`, writes the store."""

    def __init__(self, pool: asyncpg.Pool, client: Client) -> None:
        self._histories = ArchivedHistories(pool)
        self._client = client

    def all(self) -> list[Any]:
        return [self.archive_closed_requests]

    @activity.defn(name="archive_closed_requests")
    async def archive_closed_requests(self, batch: ArchiveBatch) -> ArchiveCounts:
        """Copy the histories of closed requests not yet archived, oldest closure first, in
        pages, up to `batch.limit` requests. Idempotent: a history already there stays."""
        counts = {"archived": 0, "already_archived": 0, "still_running": 0, "gone": 0}
        after, seen = _START, 0
        while seen < batch.limit:
            rows = await self._histories.pending(after, min(batch.page, batch.limit - seen))
            if not rows:
                break
            for row in rows:
                counts[await self._archive_one(row["request_id"], row["workflow_id"])] += 1
            seen += len(rows)
            after = (rows[-1]["closed_at"], rows[-1]["request_id"])
            if activity.in_activity():
                activity.heartbeat(seen)
        more = seen >= batch.limit and bool(await self._histories.pending(after, 1))
        if counts["archived"] or counts["gone"]:
            log.info("closed requests archived", **counts, more=more)
        return ArchiveCounts(**counts, more=more)

    async def _archive_one(self, request_id: str, workflow_id: str) -> str:
        handle = self._client.get_workflow_handle(workflow_id)
        try:
            described = await handle.describe()
            if described.status in (None, WorkflowExecutionStatus.RUNNING):
                # The store says closed as the workflow's last activity ends; its history
                # is complete only once the workflow itself has closed.
                return "still_running"
            run = self._client.get_workflow_handle(workflow_id, run_id=described.run_id)
            history = await run.fetch_history()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
            log.warning("history dropped before it was archived", request_id=request_id,
                        workflow_id=workflow_id)
            await self._histories.note_gap(request_id, workflow_id)
            return "gone"
        written = await self._histories.insert(request_id, workflow_id, described.run_id,
                                               history)
        return "archived" if written else "already_archived"
