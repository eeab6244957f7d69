"""`ShredClosedRequests` as the retention schedule runs it: batch after batch until no
request past retention is left, continuing as new when a run has done its share, with
counts (never ids) in its history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from temporalio.client import WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.retention import PersonalDataRetention
from domain.events import EventType
from domain.retention import RetentionCounts, RetentionRun
from runtime.schedules import RETENTION
from store.events import EventStore
from store.intake import IntakeStore
from tests.support.builders import POLICY, T0, event, parsed
from tests.support.privacy import readable_history
from workflows.shred_closed_requests import ShredClosedRequests

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


async def test_the_workflow_shreds_every_due_request_in_bounded_runs(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    ids = [f"wf{n}-{unique}" for n in range(5)]
    for n, request_id in enumerate(ids):
        await _closed_long_ago(pool, request_id, f"subj{n}-{unique}")
    as_of = CLOSED_AT + timedelta(days=3)
    task_queue = f"retention-{unique}"
    retention = PersonalDataRetention(pool, EventStore(pool), timedelta(days=1))
    async with Worker(
        time_skipping_env.client,
        task_queue=task_queue,
        workflows=[ShredClosedRequests],
        activities=retention.all(),
    ):
        handle = await time_skipping_env.client.start_workflow(
            ShredClosedRequests.run,
            RetentionRun(limit=1, batches_per_run=2, as_of=as_of),
            id=f"shred-{uuid.uuid4()}",
            task_queue=task_queue,
        )
        result = await handle.result()
    assert isinstance(result, RetentionCounts) and result.more is False
    shredded = await pool.fetchval(
        "SELECT count(*) FROM requests WHERE request_id = ANY($1::text[])"
        " AND personal_data_shredded_at IS NOT NULL",
        ids,
    )
    assert shredded == len(ids)
    # Runs of at most two batches each: the first run continued as new.
    first_run = await time_skipping_env.client.get_workflow_handle(
        handle.id, run_id=handle.first_execution_run_id
    ).describe()
    assert first_run.status is WorkflowExecutionStatus.CONTINUED_AS_NEW
    history = readable_history((await handle.fetch_history()).to_json())
    for request_id in ids:
        assert request_id not in history


def test_the_schedule_starts_the_workflow_on_the_task_queue() -> None:
    schedule = RETENTION.schedule("dsr", timedelta(hours=1))
    assert schedule.action.workflow == "ShredClosedRequests"
    assert schedule.action.id == RETENTION.schedule_id("dsr") == "shred-closed-requests-dsr"
    assert [i.every for i in schedule.spec.intervals] == [timedelta(hours=1)]
