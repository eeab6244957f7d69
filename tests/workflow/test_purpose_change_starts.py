"""`PurposeChange` started by hand (review N4): every run has its authority verified before
any effect and takes its judgement from the record, so a raw start with a forged authority
and a judgement filled in sends no notice and appends nothing to the change's register
stream; and the activities refuse notices for a change recorded to be published only, and
anything after its completion, whoever calls them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.purpose_changes import PurposeChangeActivities
from domain.purpose_change_messages import ChangeStep, CompleteChange, NoticeBatch, workflow_id
from domain.purposes import NoticeMethod
from store.purpose_changes import record_proposal
from store.purpose_notices import NoticesRefused, record_batch
from store.purposes import change_stream
from tests.support.purposes import holders
from tests.support.temporal import act_verification
from tests.workflow.test_purpose_change import (
    CountingSender,
    Setup,
    _setup,
    maildrop_files,
    order,
    start,
    worker,
)


@pytest.fixture
async def setup(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str, tmp_path: Any
) -> Setup:
    return await _setup(time_skipping_env.client, pool, unique, tmp_path)


async def _refusal(handle: WorkflowHandle) -> ApplicationError:
    """The run's failure: at once, for good (no workflow task retried)."""
    with pytest.raises(WorkflowFailureError) as failed:
        async with asyncio.timeout(15):
            await handle.result()
    cause = failed.value.cause
    while isinstance(cause, Exception) and not isinstance(cause, ApplicationError):
        cause = cause.__cause__ or getattr(cause, "cause", None)
    assert isinstance(cause, ApplicationError) and cause.non_retryable, cause
    history = await handle.fetch_history()
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in {e.event_type for e in history.events}
    return cause


async def _stream(setup: Setup, change_id: str) -> list[tuple[int, str]]:
    rows = await setup.pool.fetch(
        "SELECT seq, type FROM register_events WHERE stream = $1 ORDER BY seq",
        change_stream(change_id),
    )
    return [(r["seq"], r["type"]) for r in rows]


async def test_a_raw_start_with_a_forged_authority_and_a_judgement_sends_no_notice(
    setup: Setup,
) -> None:
    """N4: C1 was a legitimate change, published only. The review's raw start (the
    proposal's method turned to notify, the signature "00", `fanout.judgement` filled in
    as accepted with two affected) sent both of them Article 4 notices and appended
    `notices_sent` after `completed`. Now every such start fails non-retryably: under
    another workflow id, under the change's own, and even with the change's own signed
    authority once it is complete; no notice goes out and the stream stays as it was."""
    await holders(setup.pool, setup.purpose_id, f"s-{setup.unique}", 2)
    sender = CountingSender(setup.maildrop)
    legit = order(setup, method=NoticeMethod.PUBLISH)
    change_id = legit.proposal.change_id
    attack = legit.model_dump(mode="json")
    attack["proposal"] |= {
        "method": "notify",
        "reason": "forged by mallory, no signature",
        "decided_by": "mallory",
    }
    attack["authority"]["signature"] = "00"
    attack["fanout"]["judgement"] = {"change_id": change_id, "accepted": True, "affected": 2}
    unsigned_fresh = {**attack, "fanout": {"batch_size": 4, "batches_per_run": 2}}
    signed_again = legit.model_dump(mode="json")
    signed_with_judgement = {**signed_again, "fanout": attack["fanout"]}
    async with worker(setup, sender):
        done = await (await start(setup, legit)).result()
        assert (done.status, done.published, done.notified) == ("done", True, 0)
        recorded = await _stream(setup, change_id)
        refusals = {}
        for name, input, wid in [
            ("elsewhere", attack, f"mallory-pc-1-{setup.unique}"),
            ("own id", attack, workflow_id(change_id)),
            ("judgement", signed_with_judgement, workflow_id(change_id)),
            ("unsigned", unsigned_fresh, workflow_id(change_id)),
            ("complete", signed_again, workflow_id(change_id)),
        ]:
            handle = await setup.client.start_workflow(
                "PurposeChange", input, id=wid, task_queue=setup.task_queue
            )
            refusals[name] = await _refusal(handle)
    assert "runs as purpose-change-" in refusals["elsewhere"].message
    assert "fanout.judgement" in refusals["own id"].message
    assert "fanout.judgement" in refusals["judgement"].message
    # The forged proposal is not the one on record; the record's own is signed, but done.
    assert refusals["unsigned"].type == "ChangeIdTaken"
    assert refusals["complete"].type == "ChangeComplete"
    assert sender.attempts == 0 and maildrop_files(setup) == {}
    assert (
        await setup.pool.fetchval(
            "SELECT count(*) FROM purpose_change_notices WHERE change_id = $1", change_id
        )
        == 0
    )
    assert await _stream(setup, change_id) == recorded
    assert recorded[-1][1] == "purpose_change.completed"


async def test_a_start_signed_with_a_forged_signature_records_nothing(setup: Setup) -> None:
    """N4: the proposal as it would be signed, its signature replaced: refused by the
    first run's verification before anything is recorded."""
    forged = order(setup).model_dump(mode="json")
    forged["authority"]["signature"] = "00"
    change_id = forged["proposal"]["change_id"]
    async with worker(setup, CountingSender(setup.maildrop)):
        handle = await setup.client.start_workflow(
            "PurposeChange", forged, id=workflow_id(change_id), task_queue=setup.task_queue
        )
        refusal = await _refusal(handle)
    assert refusal.type == "NotAuthorised"
    history = await handle.fetch_history()
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert scheduled == ["verify_purpose_change"]
    assert await _stream(setup, change_id) == []
    assert (
        await setup.pool.fetchval(
            "SELECT count(*) FROM purpose_changes WHERE change_id = $1", change_id
        )
        == 0
    )


async def test_the_activities_refuse_notices_the_record_does_not_allow(setup: Setup) -> None:
    """N4: whoever calls them, notices are refused for a change recorded to be published
    only, and after a change's completion no batch of notices is sent or recorded."""
    await holders(setup.pool, setup.purpose_id, f"s-{setup.unique}", 2)
    sender = CountingSender(setup.maildrop)
    activities = PurposeChangeActivities(setup.pool, sender, act_verification(setup.pool))
    proposal = order(setup, method=NoticeMethod.PUBLISH).proposal
    change_id, now = proposal.change_id, datetime.now(UTC)
    batch = NoticeBatch(change_id=change_id, number=0, after=None, limit=10, occurred_at=now)
    try:
        await record_proposal(setup.pool, proposal, now)
        with pytest.raises(ApplicationError) as published_only:
            await activities.notify_batch(batch)
        await activities.publish(ChangeStep(change_id=change_id, occurred_at=now))
        await activities.complete(
            CompleteChange(change_id=change_id, occurred_at=now, batches=0, unreachable=0)
        )
        recorded = await _stream(setup, change_id)
        with pytest.raises(ApplicationError) as complete:
            await activities.notify_batch(batch)
    finally:
        activities.close()
    with pytest.raises(NoticesRefused, match="is complete"):
        await record_batch(
            setup.pool, change_id, number=7, after=None, subjects=[], occurred_at=now
        )
    for refused in (published_only.value, complete.value):
        assert refused.non_retryable and refused.type == "ChangeNotOnRecord"
    assert "notifies nobody" in published_only.value.message
    assert "is complete" in complete.value.message
    assert sender.attempts == 0 and maildrop_files(setup) == {}
    assert await _stream(setup, change_id) == recorded
    assert recorded[-1][1] == "purpose_change.completed"


async def test_every_run_is_verified_first_and_a_continued_one_records_nothing_twice(
    setup: Setup,
) -> None:
    """N4: the run continued as new, carrying the judgement, has the authority verified
    before its first batch too, and takes the judgement from the record."""
    await holders(setup.pool, setup.purpose_id, f"s-{setup.unique}", 3)
    the_order = order(setup, batch_size=2, batches_per_run=1)
    async with worker(setup, CountingSender(setup.maildrop)):
        handle = await start(setup, the_order)
        result = await handle.result()
    assert (result.status, result.notified, result.runs) == ("done", 3, 2)
    runs = []
    for run_id in (handle.first_execution_run_id, None):
        history = await setup.client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        runs.append(
            [
                e.activity_task_scheduled_event_attributes.activity_type.name
                for e in history.events
                if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
            ]
        )
    assert runs == [
        [
            "verify_purpose_change",
            "record_purpose_change",
            "publish_purpose_change",
            "notify_purpose_change_batch",
        ],
        ["verify_purpose_change", "notify_purpose_change_batch", "complete_purpose_change"],
    ]
