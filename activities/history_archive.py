"""The archiving activity: closed requests' workflow histories copied into the store.

Temporal drops a closed workflow's history once the namespace's retention has passed;
an auditor must still be able to replay it. `HistoryArchive.archive_closed_requests`,
run by the `ArchiveClosedRequests` schedule, copies each closed request's history into
`request_histories`; `ArchivedHistories` reads them back for `dsr audit`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from domain.archive import ArchiveBatch, ArchiveCounts
from store.history_archive import ArchivedHistories

log = structlog.get_logger(__name__)

# Below every real closure: where the first page starts.
_START = (datetime.fromisoformat("0001-01-01T00:00:00+00:00"), "")


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
            log.warning(
                "history dropped before it was archived",
                request_id=request_id,
                workflow_id=workflow_id,
            )
            await self._histories.note_gap(request_id, workflow_id)
            return "gone"
        written = await self._histories.insert(request_id, workflow_id, described.run_id, history)
        return "archived" if written else "already_archived"
