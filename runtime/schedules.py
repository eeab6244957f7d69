"""The Temporal Schedules of the service's system workflows, one definition each.

Each is created at worker start-up, idempotently: a schedule already there is left as it
is, or updated when its workflow, task queue or interval changed (an operator's pause is
kept). In the Web UI they are under Schedules, named `<name>-<task queue>`. Not under
`dsr-`: that prefix names the requests' workflows (a schedule's runs' ids are the schedule
id and a timestamp).

Every schedule runs one run at a time, a run stuck past two intervals gives way to the
next, and a run missed while the cluster was down is not made up (the next one takes
everything still pending).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError

from domain.archive import ArchiveBatch
from domain.event_log import CheckpointOrder
from domain.retention import RetentionRun
from workflows.archive_closed_requests import START_ARCHIVE
from workflows.checkpoint_log import START_CHECKPOINT
from workflows.shred_closed_requests import START_RETENTION

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class ScheduleDefinition:
    """A system workflow started every so often (the interval is a setting)."""

    name: str  # the schedule's id, before the task queue
    workflow: Callable[[Any, Any], Awaitable[Any]]  # the workflow's run method
    argument: Any
    timeout_at_least: timedelta
    summary: str  # the runs' summary in the Web UI
    note: str  # the schedule's note in the Web UI
    refused: str  # what it costs when the cluster refuses the schedule

    def schedule_id(self, task_queue: str) -> str:
        return f"{self.name}-{task_queue}"

    def schedule(
        self, task_queue: str, every: timedelta, state: ScheduleState | None = None
    ) -> Schedule:
        return Schedule(
            action=ScheduleActionStartWorkflow(
                self.workflow,
                self.argument,
                id=self.schedule_id(task_queue),
                task_queue=task_queue,
                execution_timeout=max(2 * every, self.timeout_at_least),
                static_summary=self.summary,
            ),
            spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
            policy=SchedulePolicy(
                overlap=ScheduleOverlapPolicy.SKIP, catchup_window=max(every, timedelta(minutes=1))
            ),
            state=state or ScheduleState(note=self.note),
        )


# Every DSR_ARCHIVE_EVERY.
ARCHIVE = ScheduleDefinition(
    name="archive-closed-requests",
    workflow=START_ARCHIVE,
    argument=ArchiveBatch(),
    timeout_at_least=timedelta(minutes=10),
    summary="Archive the histories of closed requests into the store",
    note=(
        "Copies closed requests' workflow histories into the store (request_histories) "
        "before the namespace's retention drops them; `dsr audit replay --request ID` "
        "replays them from there."
    ),
    refused="closed requests' histories will not be archived",
)
# Every DSR_CHECKPOINT_EVERY; runs that find the log unchanged since the last checkpoint
# sign nothing.
CHECKPOINT = ScheduleDefinition(
    name="checkpoint-log",
    workflow=START_CHECKPOINT,
    argument=CheckpointOrder(),
    timeout_at_least=timedelta(minutes=5),
    summary="Sign the event log's head and write it to the witness",
    note=(
        "Signs the event log's size and head with the checkpoint key and writes the "
        "checkpoint to the witness outside the database (docs/audit.md)."
    ),
    refused="the event log is signed only when requests close",
)
# Every DSR_SHRED_EVERY, for requests closed longer than DSR_PERSONAL_DATA_RETENTION ago.
RETENTION = ScheduleDefinition(
    name="shred-closed-requests",
    workflow=START_RETENTION,
    argument=RetentionRun(),
    timeout_at_least=timedelta(minutes=30),
    summary="Shred the personal data of closed requests past retention",
    note=(
        "Shreds the personal data of requests closed longer than the retention period "
        "ago (their events, deadlines and outcome stay): docs/personal-data.md."
    ),
    refused=(
        "closed requests' personal data will not be shredded when their retention period ends"
    ),
)
SCHEDULES = (ARCHIVE, CHECKPOINT, RETENTION)


def _same(current: Schedule, wanted: Schedule) -> bool:
    action, want = current.action, wanted.action
    return (
        isinstance(action, ScheduleActionStartWorkflow)
        and isinstance(want, ScheduleActionStartWorkflow)
        and action.workflow == want.workflow
        and action.task_queue == want.task_queue
        and [i.every for i in current.spec.intervals] == [i.every for i in wanted.spec.intervals]
    )


async def ensure_schedule(
    client: Client, definition: ScheduleDefinition, *, task_queue: str, every: timedelta
) -> str | None:
    """Create the schedule, or update the one there when its workflow, task queue or
    interval differ (an operator's pause is kept). Returns its id, or None when the
    cluster refused, logged as a warning naming what that costs: the worker still serves
    requests."""
    sid = definition.schedule_id(task_queue)
    try:
        try:
            await client.create_schedule(sid, definition.schedule(task_queue, every))
            log.info("schedule created", schedule_id=sid, every=str(every))
            return sid
        except ScheduleAlreadyRunningError:
            pass
        changed = False

        def update(current: ScheduleUpdateInput) -> ScheduleUpdate | None:
            nonlocal changed
            schedule = current.description.schedule
            wanted = definition.schedule(task_queue, every, state=schedule.state)
            if _same(schedule, wanted):
                return None
            changed = True
            return ScheduleUpdate(schedule=wanted)

        await client.get_schedule_handle(sid).update(update)
        if changed:
            log.info("schedule updated", schedule_id=sid, every=str(every))
        return sid
    except RPCError as error:
        log.warning(
            f"the cluster refused a schedule; {definition.refused}",
            schedule_id=sid,
            reason=error.message,
            code=error.status.name,
        )
        return None
