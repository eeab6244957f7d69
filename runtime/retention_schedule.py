"""The Temporal Schedule that shreds closed requests' personal data once their retention
period is over (DSR_PERSONAL_DATA_RETENTION, checked every DSR_SHRED_EVERY).

Created at worker start-up like the archive's (runtime/archive_schedule.py); in the Web UI
under Schedules as `shred-closed-requests-<task queue>`."""

from __future__ import annotations

from datetime import timedelta

from temporalio.client import Client, Schedule, ScheduleState

from domain.retention import RetentionRun
from runtime.archive_schedule import ensure_schedule, interval_schedule
from workflows.shred_closed_requests import ShredClosedRequests

NOTE = ("Shreds the personal data of requests closed longer than the retention period ago "
        "(their events, deadlines and outcome stay): docs/personal-data.md.")


def schedule_id(task_queue: str) -> str:
    return f"shred-closed-requests-{task_queue}"


def retention_schedule(task_queue: str, every: timedelta,
                       state: ScheduleState | None = None) -> Schedule:
    return interval_schedule(
        ShredClosedRequests.run, RetentionRun(), schedule_id=schedule_id(task_queue),
        task_queue=task_queue, every=every, timeout_at_least=timedelta(minutes=30),
        summary="Shred the personal data of closed requests past retention", note=NOTE,
        state=state)


async def ensure_retention_schedule(client: Client, *, task_queue: str,
                                    every: timedelta) -> str | None:
    return await ensure_schedule(
        client, schedule_id(task_queue),
        lambda state: retention_schedule(task_queue, every, state=state),
        every=every, refused="closed requests' personal data will not be shredded when "
                             "their retention period ends")
