"""The Temporal Schedule that archives closed requests' histories into the store.

Created at worker start-up, idempotently: a schedule already there is left as it is, or
updated when DSR_ARCHIVE_EVERY or the task queue changed (an operator's pause is kept).
In the Web UI it is under Schedules, named `archive-closed-requests-<task queue>`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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
from workflows.archive_closed_requests import ArchiveClosedRequests

log = structlog.get_logger(__name__)

NOTE = ("Copies closed requests' workflow histories into the store (request_histories) "
        "before the namespace's retention drops them; `dsr audit replay --request ID` "
        "replays them from there.")


def schedule_id(task_queue: str) -> str:
    # Not under `dsr-`: that prefix names the requests' workflows (its runs' ids are the
    # schedule id and a timestamp).
    return f"archive-closed-requests-{task_queue}"


def archive_schedule(task_queue: str, every: timedelta,
                     state: ScheduleState | None = None) -> Schedule:
    return Schedule(
        action=ScheduleActionStartWorkflow(
            ArchiveClosedRequests.run, ArchiveBatch(), id=schedule_id(task_queue),
            task_queue=task_queue,
            # A run stuck past two intervals gives way to the next one.
            execution_timeout=max(2 * every, timedelta(minutes=10)),
            static_summary="Archive the histories of closed requests into the store",
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        # One run at a time; a run missed while the cluster was down is not made up (the
        # next one takes everything still pending).
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP,
                              catchup_window=max(every, timedelta(minutes=1))),
        state=state or ScheduleState(note=NOTE),
    )


def interval_schedule(workflow: Callable[[Any, Any], Awaitable[Any]], arg: Any, *,
                      schedule_id: str, task_queue: str, every: timedelta,
                      timeout_at_least: timedelta, summary: str, note: str,
                      state: ScheduleState | None = None) -> Schedule:
    """A schedule starting `workflow` with `arg` every `every`: one run at a time, a run
    stuck past two intervals gives way to the next, and a run missed while the cluster was
    down is not made up (the next one takes everything still pending)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            workflow, arg, id=schedule_id, task_queue=task_queue,
            execution_timeout=max(2 * every, timeout_at_least), static_summary=summary),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP,
                              catchup_window=max(every, timedelta(minutes=1))),
        state=state or ScheduleState(note=note),
    )


def _same(current: Schedule, wanted: Schedule) -> bool:
    action, want = current.action, wanted.action
    return (isinstance(action, ScheduleActionStartWorkflow)
            and isinstance(want, ScheduleActionStartWorkflow)
            and action.workflow == want.workflow and action.task_queue == want.task_queue
            and [i.every for i in current.spec.intervals]
            == [i.every for i in wanted.spec.intervals])


async def ensure_archive_schedule(client: Client, *, task_queue: str,
                                  every: timedelta) -> str | None:
    """Create or update the schedule; returns its id, or None when the cluster refused
    (logged as a warning: the worker still serves requests, but nothing is archived)."""
    return await ensure_schedule(
        client, schedule_id(task_queue),
        lambda state: archive_schedule(task_queue, every, state=state),
        every=every, refused="closed requests' histories will not be archived")


async def ensure_schedule(client: Client, sid: str,
                          build: Callable[[ScheduleState | None], Schedule], *,
                          every: timedelta, refused: str) -> str | None:
    """Create the schedule `build` describes, or update the one there when its workflow,
    task queue or interval differ (an operator's pause is kept). Returns its id, or None
    when the cluster refused, logged as a warning naming what `refused` costs."""
    try:
        try:
            await client.create_schedule(sid, build(None))
            log.info("schedule created", schedule_id=sid, every=str(every))
            return sid
        except ScheduleAlreadyRunningError:
            pass
        changed = False

        def update(current: ScheduleUpdateInput) -> ScheduleUpdate | None:
            nonlocal changed
            schedule = current.description.schedule
            wanted = build(schedule.state)
            if _same(schedule, wanted):
                return None
            changed = True
            return ScheduleUpdate(schedule=wanted)

        await client.get_schedule_handle(sid).update(update)
        if changed:
            log.info("schedule updated", schedule_id=sid, every=str(every))
        return sid
    except RPCError as error:
        log.warning(f"the cluster refused a schedule; {refused}", schedule_id=sid,
                    reason=error.message, code=error.status.name)
        return None
