"""The Temporal Schedule that signs the event log's head every DSR_CHECKPOINT_EVERY.

Created at worker start-up like the archive's (runtime/archive_schedule.py); in the Web UI
under Schedules as `checkpoint-log-<task queue>`. Runs that find the log unchanged since
the last checkpoint sign nothing.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client, Schedule, ScheduleState

from domain.event_log import CheckpointOrder
from runtime.archive_schedule import ensure_schedule, interval_schedule
from workflows.checkpoint_log import CheckpointLog

NOTE = ("Signs the event log's size and head with the checkpoint key and writes the "
        "checkpoint to the witness outside the database (docs/audit.md).")


def schedule_id(task_queue: str) -> str:
    return f"checkpoint-log-{task_queue}"


def checkpoint_schedule(task_queue: str, every: timedelta,
                        state: ScheduleState | None = None) -> Schedule:
    return interval_schedule(
        CheckpointLog.run, CheckpointOrder(), schedule_id=schedule_id(task_queue),
        task_queue=task_queue, every=every, timeout_at_least=timedelta(minutes=5),
        summary="Sign the event log's head and write it to the witness", note=NOTE,
        state=state)


async def ensure_checkpoint_schedule(client: Client, *, task_queue: str,
                                     every: timedelta) -> str | None:
    return await ensure_schedule(
        client, schedule_id(task_queue),
        lambda state: checkpoint_schedule(task_queue, every, state=state),
        every=every, refused="the event log is signed only when requests close")
