"""`ArchiveClosedRequests`: run by a Temporal Schedule every DSR_ARCHIVE_EVERY, it copies
the histories of closed requests into the store's archive before retention drops them.

Orchestration only: one activity does the work and returns counts; no request id or
personal value enters this workflow's history. A start from outside the schedule is
harmless: it copies what the schedule would (a history already archived stays as it is),
within the same bounds; input of the wrong shape fails it at once (workflows/system_input.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import cast

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.history_archive import HistoryArchive
    from domain.archive import ArchiveBatch, ArchiveCounts
    from workflows.system_input import NO_INPUT, decode_input

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
    async def run(self, raw: RawValue = NO_INPUT) -> ArchiveCounts:
        batch = decode_input(
            raw,
            ArchiveBatch,
            "ArchiveClosedRequests",
            "the archive schedule starts it with a batch's bounds only (runtime/schedules.py)",
            required=False,
        )
        return await workflow.execute_activity_method(
            HistoryArchive.archive_closed_requests,
            batch,
            start_to_close_timeout=timedelta(minutes=5),
            heartbeat_timeout=timedelta(minutes=1),
            retry_policy=ARCHIVE_RETRY,
            summary=f"archive the histories of up to {batch.limit} closed requests",
        )


# What a caller starts it with (`run` decodes a RawValue itself).
START_ARCHIVE = cast(
    Callable[[ArchiveClosedRequests, ArchiveBatch], Awaitable[ArchiveCounts]],
    ArchiveClosedRequests.run,
)
