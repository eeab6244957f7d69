"""`CheckpointLog`: run by a Temporal Schedule every DSR_CHECKPOINT_EVERY, it signs the
event log's head and writes the checkpoint to the witness, so events appended between
two requests' closes are pinned too. One activity; its history holds sizes and hashes.

It signs as the schedule orders it, whoever starts it: a start asking for another reason
or for a signature of an unchanged log is refused (its activity is given the schedule's
order, never the input's), and one from outside the schedule only signs the head as the
next scheduled run would. Input of the wrong shape fails it at once
(workflows/system_input.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import cast

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.log_checkpoints import LogCheckpoints
    from domain.event_log import CheckpointOrder, CheckpointTaken
    from workflows.system_input import NO_INPUT, decode_input, refuse_fields

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
    async def run(self, raw: RawValue = NO_INPUT) -> CheckpointTaken:
        how = "the checkpoint schedule starts it with the defaults (runtime/schedules.py)"
        order = decode_input(raw, CheckpointOrder, "CheckpointLog", how, required=False)
        scheduled = CheckpointOrder()
        refuse_fields(
            "CheckpointLog",
            [f for f in CheckpointOrder.model_fields if getattr(order, f) != getattr(scheduled, f)],
            "a start may not choose them; the log's head is signed as the schedule orders",
            how,
        )
        return await workflow.execute_activity_method(
            LogCheckpoints.checkpoint_log,
            scheduled,
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=CHECKPOINT_RETRY,
            summary="sign the event log's head and write it to the witness",
        )


# What a caller starts it with (`run` decodes a RawValue itself).
START_CHECKPOINT = cast(
    Callable[[CheckpointLog, CheckpointOrder], Awaitable[CheckpointTaken]], CheckpointLog.run
)
