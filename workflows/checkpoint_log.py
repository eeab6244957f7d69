"""`CheckpointLog`: run by a Temporal Schedule every DSR_CHECKPOINT_EVERY, it signs the
event log's head and writes the checkpoint to the witness, so events appended between
two requests' closes are pinned too. One activity; its history holds sizes and hashes."""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.log_checkpoints import LogCheckpoints
    from domain.event_log import CheckpointOrder, CheckpointTaken

# The schedule starts another run soon: a few attempts, then leave it to the next one.
CHECKPOINT_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    maximum_attempts=5,
)


@workflow.defn(name="CheckpointLog")
class CheckpointLog:
    @workflow.run
    async def run(self, order: CheckpointOrder) -> CheckpointTaken:
        return await workflow.execute_activity_method(
            LogCheckpoints.checkpoint_log,
            order,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=CHECKPOINT_RETRY,
            summary="sign the event log's head and write it to the witness",
        )
