"""A workflow's input is a claim (issue 22): a `DataSubjectRequest` started by whoever
reaches Temporal, with an input that is not the request's terms on record, or over a
request an earlier run has already moved, fails at its first activity, non-retryably, and
nothing is written: no event, no notice, no deadline. Review N5 (terminate, then start again
under the same id with a forged deadline policy) and N9 (a start under another request's id,
an unknown one, or other terms) are run here as the review ran them."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.deadlines import DeadlinePolicy, Step
from domain.messages import RequestRef
from domain.requests import RequestKind, workflow_id_for
from service.requests import respond
from store.events import EventStore
from store.intake import IntakeStore
from tests.support.builders import parsed
from tests.support.privacy import PERSONAL
from tests.support.scenarios import Scenario, at_step, outcome_of
from tests.support.temporal import Rig, actor, end_open_requests


@dataclass(frozen=True)
class Record:
    """What a request is in the store and the maildrop, to compare before and after."""

    events: list[tuple[int, str, str]]
    notices: list[tuple[str, str | None]]
    row: dict[str, Any]
    deadlines: list[dict[str, Any]]
    maildrop: list[str]


async def _record(rig: Rig, request_id: str) -> Record:
    pool = rig.pool
    return Record(
        events=[
            (r["seq"], r["type"], r["hash"])
            for r in await pool.fetch(
                "SELECT seq, type, hash FROM request_events WHERE request_id = $1 ORDER BY seq",
                request_id,
            )
        ],
        notices=[
            (r["notice"], r["status"])
            for r in await pool.fetch(
                "SELECT notice, status FROM notifications WHERE request_id = $1"
                " ORDER BY notification_id",
                request_id,
            )
        ],
        row=dict(
            await pool.fetchrow("SELECT * FROM requests WHERE request_id = $1", request_id) or {}
        ),
        deadlines=[
            dict(r)
            for r in await pool.fetch("SELECT * FROM deadlines WHERE request_id = $1", request_id)
        ],
        maildrop=sorted(p.name for p in rig.maildrop.glob("*")) if rig.maildrop.exists() else [],
    )


async def _forge(rig: Rig, workflow_id: str, ref: RequestRef) -> ApplicationError:
    """Start `DataSubjectRequest` as the review did (`temporal workflow start ...
    --id-reuse-policy AllowDuplicate`) and return the failure it ends with, after checking
    that it ended at its first activity, tried once, and never failed a workflow task."""
    handle = await rig.client.start_workflow(
        "DataSubjectRequest",
        ref,
        id=workflow_id,
        task_queue=rig.task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    with pytest.raises(WorkflowFailureError) as failed:
        async with asyncio.timeout(15):  # fast: no retry loop (N9)
            await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    history = await handle.fetch_history()
    scheduled = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    attempts = [
        e.activity_task_started_event_attributes.attempt
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED
    ]
    assert scheduled == ["check_start"] and attempts == [1], (scheduled, attempts)
    kinds = {e.event_type for e in history.events}
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds
    assert EventType.EVENT_TYPE_TIMER_STARTED not in kinds
    assert cause.non_retryable
    return cause


async def _ref_on_record(pool: asyncpg.Pool, request_id: str, **changes: Any) -> RequestRef:
    """The request's reference as `dsr submit` started it (the default deadline policy),
    with `changes`."""
    row = await pool.fetchrow(
        "SELECT subject_id, kind, privacy_policy_version FROM requests WHERE request_id = $1",
        request_id,
    )
    assert row is not None
    terms: dict[str, Any] = {
        "request_id": request_id,
        "subject_id": row["subject_id"],
        "kind": RequestKind(row["kind"]),
        "deadline_policy": DeadlinePolicy(),
        "privacy_policy_version": row["privacy_policy_version"],
    }
    return RequestRef(**(terms | changes))


def _short_verify_window() -> DeadlinePolicy:
    """Review N5's forged policy: the label on record, a 20-second identity window."""
    policy = DeadlinePolicy()
    return DeadlinePolicy.model_validate(
        {
            **policy.model_dump(),
            "durations": {**policy.durations, Step.VERIFY_IDENTITY: timedelta(seconds=20)},
        }
    )


async def test_a_restart_with_a_forged_deadline_policy_changes_nothing(
    rig: Rig, time_skipping_env: WorkflowEnvironment, dsr: Any
) -> None:
    """N5: an operator verified the requester of a disclosure, which waits for a decision;
    its workflow is terminated and started again under the same id with the policy's label
    but a 20-second identity window. The new run fails non-retryably at its first activity:
    no `deadline.lapsed`, no notice, no deadline, the request as it was, verify intact.
    Started again on the very terms on record, it is refused too: the request has moved."""
    pool = rig.pool
    request = await Scenario(rig, "n5-dis").disclosure().verified().at(Step.DECIDE)
    await end_open_requests(rig.client, pool, "request_id = $1", request.id)  # terminate
    before = await _record(rig, request.id)
    assert "identity.verified" in [t for _, t, _ in before.events]

    forged = await _ref_on_record(pool, request.id, deadline_policy=_short_verify_window())
    assert forged.deadline_policy.version == DeadlinePolicy().version  # the same label
    cause = await _forge(rig, request.workflow_id, forged)
    assert cause.type == "InputDisagreesWithRecord"
    assert "deadline policy" in cause.message and "digest differs" in cause.message
    await time_skipping_env.sleep(timedelta(minutes=5))  # well past the forged window
    after = await _record(rig, request.id)
    assert after == before
    assert "deadline.lapsed" not in [t for _, t, _ in after.events]

    same_terms = await _ref_on_record(pool, request.id)
    cause = await _forge(rig, request.workflow_id, same_terms)
    assert cause.type == "RequestAlreadyUnderway"
    assert f"already has {len(before.events)} event(s)" in cause.message
    assert await _record(rig, request.id) == before

    code, out, err = await dsr("audit", "verify", request.id)
    assert code == 0 and f"intact ({len(before.events)} events)" in out, out + err


async def test_a_start_under_another_workflow_id_fails_fast(rig: Rig, dsr: Any) -> None:
    """N9: a run started as `dsr-mallory-…` with the RequestRef of another, closed request
    (`inq-3` in the review, whose run looped for ever on `deadlines_pkey`) fails at once,
    non-retryably, naming the request's own workflow; the closed request is untouched."""
    pool = rig.pool
    request = await Scenario(rig, "n9-inq").inquiry().unseeded().at(Step.ANSWER)
    await respond(request.id, PERSONAL["answer"], actor("op-1"), client=rig.client, pool=pool)
    assert await outcome_of(rig.client, request.id) == "answered"
    before = await _record(rig, request.id)

    mallory = f"dsr-mallory-{rig.unique}"
    cause = await _forge(rig, mallory, await _ref_on_record(pool, request.id))
    assert cause.type == "InputDisagreesWithRecord"
    assert request.workflow_id in cause.message and mallory in cause.message
    assert await _record(rig, request.id) == before
    code, out, err = await dsr("audit", "verify", request.id)
    assert code == 0 and "intact" in out, out + err


async def test_a_start_for_an_unknown_request_fails_fast(rig: Rig) -> None:
    """N9: a start for a request id nobody took in fails at its first activity, once, with
    UnknownRequest; no request appears."""
    request_id = f"nobody-{rig.unique}"
    ref = RequestRef(request_id=request_id, subject_id=f"s-{rig.unique}", kind=RequestKind.INQUIRY)
    cause = await _forge(rig, workflow_id_for(request_id), ref)
    assert cause.type == "UnknownRequest" and "dsr submit" in cause.message
    assert (
        await rig.pool.fetchval("SELECT count(*) FROM requests WHERE request_id = $1", request_id)
        == 0
    )


RECORDED_POLICY = DeadlinePolicy().with_overrides({Step.ANSWER: timedelta(days=10)}, "test-22")


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"kind": RequestKind.DISCLOSURE}, "kind: the input says disclosure, the record inquiry"),
        ({"subject_id": "someone-else"}, "subject_id"),
        ({"deadline_policy": DeadlinePolicy()}, "the record's test-22"),
        (
            {"deadline_policy": RECORDED_POLICY.model_copy(update={"max_extensions": 9})},
            "digest differs",
        ),
        ({"privacy_policy_version": "2099-01"}, "privacy policy version"),
    ],
    ids=["kind", "subject", "policy-version", "policy-contents", "privacy-policy"],
)
async def test_a_start_on_other_terms_fails_and_the_right_one_runs(
    rig: Rig, changes: dict[str, Any], named: str
) -> None:
    """N9: a request taken in (under a deadline policy of its own) but not yet started; a
    start whose kind, subject, deadline policy (label or contents) or privacy-policy version
    is not the record's fails at its first activity, naming the field, and records nothing.
    The start on the terms on record then runs, from the beginning."""
    pool = rig.pool
    request_id = f"n9-terms-{rig.unique}"
    await IntakeStore(pool).record_submission(
        parsed("inquiry", request_id, f"s-{rig.unique}"), RECORDED_POLICY
    )
    right = await _ref_on_record(pool, request_id, deadline_policy=RECORDED_POLICY)
    before = await _record(rig, request_id)
    cause = await _forge(rig, workflow_id_for(request_id), right.model_copy(update=changes))
    assert cause.type == "InputDisagreesWithRecord" and named in cause.message, cause.message
    assert await _record(rig, request_id) == before and before.events == []

    await _run_on_the_record(rig.client, rig, request_id, right)


async def _run_on_the_record(client: Client, rig: Rig, request_id: str, right: RequestRef) -> None:
    await client.start_workflow(
        "DataSubjectRequest",
        right,
        id=workflow_id_for(request_id),
        task_queue=rig.task_queue,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
    )
    await at_step(client, rig.pool, request_id, Step.ANSWER)
    assert (await EventStore(rig.pool).events(request_id))[0].type.value == "request.received"
    await end_open_requests(client, rig.pool, "request_id = $1", request_id)
