"""`ShredClosedRequests`: run by a Temporal Schedule every DSR_SHRED_EVERY, it shreds the
personal data of requests closed longer than DSR_PERSONAL_DATA_RETENTION ago. One
activity per batch; a full batch continues as new, so a backlog (the first run after the
period is shortened) drains with a bounded history. Counts only cross Temporal."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.retention import PersonalDataRetention
    from domain.retention import RetentionCounts, RetentionRun

# The schedule starts another run soon: a few attempts, then leave it to the next one.
RETENTION_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)


@workflow.defn(name="ShredClosedRequests")
class ShredClosedRequests:
    @workflow.run
    async def run(self, order: RetentionRun) -> RetentionCounts:
        total = RetentionCounts()
        batch = order.model_copy(update={"as_of": order.as_of or workflow.now()})
        for _ in range(batch.batches_per_run):
            counts = await workflow.execute_activity_method(
                PersonalDataRetention.shred_closed_requests,
                batch,
                start_to_close_timeout=timedelta(minutes=10),
                heartbeat_timeout=timedelta(minutes=1),
                retry_policy=RETENTION_RETRY,
                summary=f"shred the personal data of up to {batch.limit} requests past retention",
            )
            total = RetentionCounts(
                requests=total.requests + counts.requests,
                subjects=total.subjects + counts.subjects,
                values_forgotten=total.values_forgotten + counts.values_forgotten,
                more=counts.more,
            )
            workflow.set_current_details(f"{total.requests} closed requests shredded so far")
            if not counts.more:
                return total
        workflow.continue_as_new(batch)
