"""`ShredClosedRequests` as the retention schedule runs it: batch after batch until no
request past retention is left, continuing as new when a run has done its share, with
counts (never ids) in its history; at most the worker's cap in a run; and review N1's start
with a time of its own refused, shredding nothing."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType as HistoryEventType
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.retention import PersonalDataRetention
from domain.events import EventType
from domain.retention import RetentionCounts, RetentionLimits, RetentionRun
from runtime.schedules import RETENTION
from store.events import EventStore
from store.intake import IntakeStore
from tests.support.builders import POLICY, T0, event, parsed
from tests.support.privacy import readable_history
from workflows.shred_closed_requests import START_RETENTION, ShredClosedRequests

# Far before any other test's requests, which share the session's database.
CLOSED_AT = datetime(2018, 3, 1, 9, 0, tzinfo=UTC)


async def _closed_long_ago(pool: asyncpg.Pool, request_id: str, subject_id: str) -> None:
    await IntakeStore(pool).record_submission(parsed("inquiry", request_id, subject_id), POLICY)
    events = EventStore(pool)
    minutes = -int((T0 - CLOSED_AT).total_seconds() // 60)
    await events.append(event(request_id, EventType.RECEIVED, minutes=minutes))
    await events.append(
        event(request_id, EventType.CLOSED, minutes=minutes + 5, outcome="answered")
    )


async def _keep_for(pool: asyncpg.Pool, cutoff: datetime) -> timedelta:
    """The retention period that puts the cutoff at `cutoff` now, by the database's clock
    (the workflow's time is no later): only requests closed before it are due, so runs here
    leave other tests' requests, in the session's database, alone."""
    return await pool.fetchval("SELECT now()") - cutoff


async def _shredded(pool: asyncpg.Pool, ids: list[str]) -> int:
    return await pool.fetchval(
        "SELECT count(*) FROM requests WHERE request_id = ANY($1::text[])"
        " AND personal_data_shredded_at IS NOT NULL",
        ids,
    )


async def test_the_workflow_shreds_every_due_request_in_bounded_runs(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    ids = [f"wf{n}-{unique}" for n in range(5)]
    for n, request_id in enumerate(ids):
        await _closed_long_ago(pool, request_id, f"subj{n}-{unique}")
    task_queue = f"retention-{unique}"
    keep_for = await _keep_for(pool, CLOSED_AT + timedelta(days=3))
    retention = PersonalDataRetention(pool, EventStore(pool), keep_for)
    async with Worker(
        time_skipping_env.client,
        task_queue=task_queue,
        workflows=[ShredClosedRequests],
        activities=retention.all(),
    ):
        handle = await time_skipping_env.client.start_workflow(
            START_RETENTION,
            RetentionRun(limit=1, batches_per_run=2),
            id=f"shred-{uuid.uuid4()}",
            task_queue=task_queue,
        )
        result = await handle.result()
    assert isinstance(result, RetentionCounts) and result.more is False
    assert await _shredded(pool, ids) == len(ids)
    # Runs of at most two batches each: the first run continued as new.
    first_run = await time_skipping_env.client.get_workflow_handle(
        handle.id, run_id=handle.first_execution_run_id
    ).describe()
    assert first_run.status is WorkflowExecutionStatus.CONTINUED_AS_NEW
    history = readable_history((await handle.fetch_history()).to_json())
    for request_id in ids:
        assert request_id not in history
    # Each shredded event is dated by the run's clock, never ahead of the database's.
    assert not await pool.fetchval(
        "SELECT count(*) FROM request_events WHERE request_id = ANY($1::text[])"
        " AND occurred_at > now()",
        ids,
    )


async def test_a_run_stops_at_the_workers_cap_across_its_continued_runs(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    ids = [f"cap{n}-{unique}" for n in range(3)]
    for n, request_id in enumerate(ids):
        await _closed_long_ago(pool, request_id, f"subj{n}-{unique}")
    task_queue = f"retention-{unique}"
    keep_for = await _keep_for(pool, CLOSED_AT + timedelta(days=3))
    capped = PersonalDataRetention(pool, EventStore(pool), keep_for, RetentionLimits(at_most=2))
    async with Worker(
        time_skipping_env.client,
        task_queue=task_queue,
        workflows=[ShredClosedRequests],
        activities=capped.all(),
    ):
        # One request a batch, one batch a run: the cap holds across runs continued as new.
        result = await time_skipping_env.client.execute_workflow(
            START_RETENTION,
            RetentionRun(limit=1, batches_per_run=1),
            id=f"shred-{uuid.uuid4()}",
            task_queue=task_queue,
        )
    assert (result.requests, result.capped, result.more) == (1, True, True)
    assert await _shredded(pool, ids) == 2
    # The next run (here with no cap) takes the rest.
    retention = PersonalDataRetention(pool, EventStore(pool), keep_for)
    async with Worker(
        time_skipping_env.client,
        task_queue=task_queue,
        workflows=[ShredClosedRequests],
        activities=retention.all(),
    ):
        await time_skipping_env.client.execute_workflow(
            START_RETENTION, RetentionRun(), id=f"shred-{uuid.uuid4()}", task_queue=task_queue
        )
    assert await _shredded(pool, ids) == 3


@pytest.mark.parametrize(
    "attack",
    [
        {"as_of": "2100-01-01T00:00:00Z"},  # the review's
        {"shredded": 0, "as_of": "2100-01-01T00:00:00+00:00", "limit": 2000},
    ],
)
async def test_a_start_with_a_time_of_its_own_is_refused_and_shreds_nothing(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    unique: str,
    attack: dict,
) -> None:
    """N1: `temporal workflow start --type ShredClosedRequests --input
    '{"as_of":"2100-01-01T00:00:00Z"}'` shredded every closed request at once and dated its
    events 2100. Now it fails at once, non-retryably, naming as_of: the request closed a
    minute ago keeps its data and no event is dated ahead of the clock. A run as the
    schedule starts it, under the same worker, shreds nothing early either, even on a
    server whose clock has been skipped ahead (the database's is the later bound)."""
    now: datetime = await pool.fetchval("SELECT now()")
    recent = f"recent-{unique}"
    await IntakeStore(pool).record_submission(parsed("inquiry", recent, f"s-{unique}"), POLICY)
    minutes = int((now - T0).total_seconds() // 60)
    events = EventStore(pool)
    await events.append(event(recent, EventType.RECEIVED, minutes=minutes - 2))
    await events.append(event(recent, EventType.CLOSED, minutes=minutes - 1, outcome="answered"))
    task_queue = f"retention-{unique}"
    # Back to 2000 by the database's clock: with the attack's 2100, back to 2073.
    keep_for = await _keep_for(pool, datetime(2000, 1, 1, tzinfo=UTC))
    retention = PersonalDataRetention(pool, EventStore(pool), keep_for)
    client = time_skipping_env.client
    async with Worker(
        client, task_queue=task_queue, workflows=[ShredClosedRequests], activities=retention.all()
    ):
        handle = await client.start_workflow(
            "ShredClosedRequests", attack, id=f"mallory-shred-{unique}", task_queue=task_queue
        )
        with pytest.raises(WorkflowFailureError) as failed:
            async with asyncio.timeout(15):
                await handle.result()
        scheduled = await client.execute_workflow(
            START_RETENTION, RetentionRun(), id=f"shred-{unique}", task_queue=task_queue
        )
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.non_retryable
    assert cause.type == "InvalidWorkflowInput" and "as_of" in cause.message
    history = await handle.fetch_history()
    kinds = {e.event_type for e in history.events}
    assert HistoryEventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds
    assert HistoryEventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in kinds
    assert scheduled.requests == 0
    assert await _shredded(pool, [recent]) == 0
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM request_events WHERE request_id = $1 AND occurred_at > now()",
            recent,
        )
        == 0
    )
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM request_events WHERE type = 'request.personal_data_shredded'"
            " AND occurred_at > now()"
        )
        == 0
    )


def test_the_schedule_starts_the_workflow_on_the_task_queue() -> None:
    schedule = RETENTION.schedule("dsr", timedelta(hours=1))
    assert schedule.action.workflow == "ShredClosedRequests"
    assert schedule.action.id == RETENTION.schedule_id("dsr") == "shred-closed-requests-dsr"
    assert [i.every for i in schedule.spec.intervals] == [timedelta(hours=1)]
