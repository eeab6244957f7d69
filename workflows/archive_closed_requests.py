"""`ArchiveClosedRequests`: run by a Temporal Schedule every DSR_ARCHIVE_EVERY, it copies
the histories of closed requests into the store's archive before retention drops them.

Orchestration only: one activity does the work and returns counts; no request id or
personal value enters this workflow's history.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.history_archive import HistoryArchive
    from domain.archive import ArchiveBatch, ArchiveCounts

# The schedule starts another run soon: a few attempts, then leave it to the next one.
ARCHIVE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)


@workflow.defn(name="ArchiveClosedRequests")
class ArchiveClosedRequests:
    @workflow.run
    async def run(self, batch: ArchiveBatch) -> ArchiveCounts:
        return await workflow.execute_activity_method(
            HistoryArchive.archive_closed_requests,
            batch,
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(minutes=1),
            retry_policy=ARCHIVE_RETRY,
            summary=f"archive the histories of up to {batch.limit} closed requests",
        )
