"""`ShredClosedRequests`: run by a Temporal Schedule every DSR_SHRED_EVERY, it shreds the
personal data of requests closed longer than DSR_PERSONAL_DATA_RETENTION ago. One
activity per batch; a full batch continues as new, so a backlog (the first run after the
period is shortened) drains with a bounded history. Counts only cross Temporal.

Nothing in its input moves the cutoff (review N1): the run's time is `workflow.now()` (the
activity takes the database's clock if that is earlier) and the period is the worker's. A
start carrying a time (`as_of`) or a count of its own is refused; only the runs it
continues as new carry them. A run, with the runs it continues as new, shreds at most
DSR_SHRED_AT_MOST requests (the activity counts), and the rest waits for the next."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import cast

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.retention import PersonalDataRetention
    from domain.retention import COMPUTED_FIELDS, RetentionCounts, RetentionRun
    from workflows.system_input import NO_INPUT, continued, decode_input, refuse_fields

# The schedule starts another run soon: a few attempts, then leave it to the next one.
RETENTION_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)
# Since issue 22 the run's time is the workflow's own and a run is capped; histories of
# runs before it replay with the time their input carried.
RETENTION_OWN_TIME = "retention-own-time-and-cap"
HOW = "the retention schedule starts it with no time and no count (runtime/schedules.py)"


@workflow.defn(name="ShredClosedRequests")
class ShredClosedRequests:
    @workflow.run
    async def run(self, raw: RawValue = NO_INPUT) -> RetentionCounts:
        order = decode_input(raw, RetentionRun, "ShredClosedRequests", HOW, required=False)
        if not workflow.patched(RETENTION_OWN_TIME):
            return await self._as_before(order)
        if not continued():
            # The schedule's argument names `as_of: null` (and always did): only a value
            # is refused.
            refuse_fields(
                "ShredClosedRequests",
                [f for f in COMPUTED_FIELDS if getattr(order, f) not in (None, 0)],
                "the workflow computes these itself (its time from its own clock, its "
                "period from the worker's settings)",
                HOW,
            )
        total = RetentionCounts()
        shredded = order.shredded if continued() else 0
        for _ in range(order.batches_per_run):
            batch = RetentionRun(
                limit=order.limit,
                batches_per_run=order.batches_per_run,
                as_of=workflow.now(),
                shredded=shredded + total.requests,
            )
            counts = await self._batch(batch)
            total = _added(total, counts)
            workflow.set_current_details(f"{total.requests} closed requests shredded so far")
            if not counts.more or counts.capped:
                return total
        # A run continued by a version before this one carried its time; this one does not.
        workflow.continue_as_new(
            RetentionRun(
                limit=order.limit,
                batches_per_run=order.batches_per_run,
                shredded=shredded + total.requests,
            )
        )

    async def _as_before(self, order: RetentionRun) -> RetentionCounts:
        """The run as recorded before issue 22 (replay only)."""
        total = RetentionCounts()
        batch = order.model_copy(update={"as_of": order.as_of or workflow.now()})
        for _ in range(batch.batches_per_run):
            counts = await self._batch(batch)
            total = _added(total, counts)
            workflow.set_current_details(f"{total.requests} closed requests shredded so far")
            if not counts.more:
                return total
        workflow.continue_as_new(batch)

    async def _batch(self, batch: RetentionRun) -> RetentionCounts:
        return await workflow.execute_activity_method(
            PersonalDataRetention.shred_closed_requests,
            batch,
            start_to_close_timeout=timedelta(minutes=10),
            heartbeat_timeout=timedelta(minutes=1),
            retry_policy=RETENTION_RETRY,
            summary=f"shred the personal data of up to {batch.limit} requests past retention",
        )


def _added(total: RetentionCounts, counts: RetentionCounts) -> RetentionCounts:
    return RetentionCounts(
        requests=total.requests + counts.requests,
        subjects=total.subjects + counts.subjects,
        values_forgotten=total.values_forgotten + counts.values_forgotten,
        more=counts.more,
        capped=counts.capped,
    )


# What a caller starts it with (`run` decodes a RawValue itself).
START_RETENTION = cast(
    Callable[[ShredClosedRequests, RetentionRun], Awaitable[RetentionCounts]],
    ShredClosedRequests.run,
)
