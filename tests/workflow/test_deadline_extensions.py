"""Deadlines an operator extends, and deadline policies overridden by settings."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.deadlines import DeadlinePolicy, Step, policy_with
from domain.requests import workflow_id_for
from service import acts
from service.requests import respond, submit
from tests.support.builders import submission
from tests.support.privacy import PERSONAL, REASON
from tests.support.scenarios import (
    Scenario,
    at_step,
    check_record,
    event_types,
    outcome_notice,
)
from tests.support.sealing import opened
from tests.support.temporal import Rig, actor

DECIDE = DeadlinePolicy().durations[Step.DECIDE]


async def test_an_extension_moves_the_due_time_and_prevents_the_breach(
    rig: Rig, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    request = await (
        Scenario(rig, "ext")
        .correction({"field": "phone", "action": "correct", "new_value": "03-1"})
        .verified()
        .at(Step.DECIDE)
    )
    view = request.view
    assert view.due_at is not None
    original_due = view.due_at

    with pytest.raises(acts.Refused, match="only the current step's deadline"):
        await acts.extend_deadline(
            request.id,
            "act",
            original_due + timedelta(days=1),
            REASON,
            actor("op-1"),
            client=rig.client,
            pool=pool,
        )
    with pytest.raises(acts.Refused, match="must be later than the current one"):
        await acts.extend_deadline(
            request.id,
            "decide",
            original_due - timedelta(hours=1),
            REASON,
            actor("op-1"),
            client=rig.client,
            pool=pool,
        )
    assert (
        await pool.fetchval("SELECT count(*) FROM operator_notes WHERE request_id = $1", request.id)
        == 0
    )

    new_due = original_due + timedelta(days=3)
    extended = await acts.extend_deadline(
        request.id, "decide", new_due, REASON, actor("op-1"), client=rig.client, pool=pool
    )
    assert extended.due_at == new_due and not extended.overdue
    await time_skipping_env.sleep(DECIDE + timedelta(days=1))
    view = await at_step(rig.client, pool, request.id, Step.DECIDE)
    assert not view.overdue
    types = await event_types(pool, request.id)
    assert "deadline.extended" in types and "deadline.breached" not in types
    row = await pool.fetchrow(
        "SELECT due_at, extensions, status FROM deadlines WHERE request_id=$1 AND step='decide'",
        request.id,
    )
    assert (row["due_at"], row["extensions"], row["status"]) == (new_due, 1, "open")
    payload = await pool.fetchval(
        "SELECT payload FROM request_events WHERE request_id=$1 AND type='deadline.extended'",
        request.id,
    )
    assert payload["previous_due_at"] == original_due.isoformat()
    assert (
        await opened(
            pool,
            await pool.fetchval(
                "SELECT body FROM operator_notes WHERE note_id::text = $1",
                payload["reason_note_id"],
            ),
        )
        == REASON
    )
    # The person is told of the extension, its new date and its reason.
    told = await outcome_notice(pool, request.id, "deadline_extended")
    assert "more time to decide on your request" in told and REASON in told

    await acts.decide(request.id, "correction_made", actor("op-1"), client=rig.client, pool=pool)
    await rig.client.get_workflow_handle(workflow_id_for(request.id)).result()
    assert (
        await pool.fetchval(
            "SELECT status FROM deadlines WHERE request_id=$1 AND step='decide'", request.id
        )
        == "met"
    )
    await check_record(rig.client, pool, request.id, "deadline_extended")


async def test_an_overdue_step_extended_is_no_longer_overdue_but_its_breach_stays(
    rig: Rig, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    request = await Scenario(rig, "ext-late").third_party_stop("adnet-1").at(Step.DECIDE)
    await time_skipping_env.sleep(DECIDE + timedelta(hours=1))
    view = await at_step(rig.client, pool, request.id, Step.DECIDE)
    assert view.overdue and view.due_at is not None
    extended = await acts.extend_deadline(
        request.id,
        "decide",
        view.due_at + timedelta(days=5),
        REASON,
        actor("op-1"),
        client=rig.client,
        pool=pool,
    )
    assert not extended.overdue
    assert not await pool.fetchval("SELECT overdue FROM requests WHERE request_id=$1", request.id)
    # The extended window runs out too: breached a second time.
    await time_skipping_env.sleep(timedelta(days=5))
    assert (await at_step(rig.client, pool, request.id, Step.DECIDE)).overdue
    assert (await event_types(pool, request.id)).count("deadline.breached") == 2
    await acts.decide(request.id, "provision_stopped", actor("op-1"), client=rig.client, pool=pool)
    await rig.client.get_workflow_handle(workflow_id_for(request.id)).result()
    row = await pool.fetchrow(
        "SELECT status, breached_at FROM deadlines WHERE request_id=$1 AND step='decide'",
        request.id,
    )
    assert row["status"] == "completed_late" and row["breached_at"] is not None
    await check_record(rig.client, pool, request.id, "deadline_extended_after_breach")


async def test_a_policy_overridden_by_settings_is_the_one_the_request_is_judged_by(
    rig: Rig, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    rid = f"pol-{unique}"
    # (a policy overridden by settings keeps the default caps on extensions)
    policy = policy_with({Step.ANSWER: timedelta(hours=2)})
    await submit(
        submission("inquiry", rid, f"s-{unique}", person=PERSONAL),
        client=rig.client,
        pool=pool,
        task_queue=rig.task_queue,
        deadline_policy=policy,
    )
    view = await at_step(rig.client, pool, rid, Step.ANSWER)
    assert view.deadline_policy_version == policy.version != DeadlinePolicy().version
    assert (
        await pool.fetchval("SELECT deadline_policy_version FROM requests WHERE request_id=$1", rid)
        == policy.version
    )
    await time_skipping_env.sleep(timedelta(hours=3))
    assert (await at_step(rig.client, pool, rid, Step.ANSWER)).overdue
    await respond(rid, PERSONAL["answer"], actor("op-1"), client=rig.client, pool=pool)
    await rig.client.get_workflow_handle(workflow_id_for(rid)).result()
    started = await pool.fetchval(
        "SELECT payload FROM request_events WHERE request_id=$1 AND type='deadline.started'"
        " AND payload->>'step' = 'answer'",
        rid,
    )
    assert started["policy_version"] == policy.version


async def test_extensions_are_capped_by_the_deadline_policy_and_each_is_told(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    """ "Without delay" cannot be extended for ever: at most two extensions of a step, and
    no later than one more window past its first due time; each is told to the person."""
    request = await Scenario(rig, "ext-cap").third_party_stop("adnet-1").at(Step.DECIDE)
    view = request.view
    assert view.due_at is not None
    first_due = view.due_at
    with pytest.raises(acts.Refused, match="at the latest"):
        await acts.extend_deadline(
            request.id,
            "decide",
            first_due + DECIDE + timedelta(hours=1),
            REASON,
            actor("op-1"),
            client=rig.client,
            pool=pool,
        )
    for days in (2, 4):
        await acts.extend_deadline(
            request.id,
            "decide",
            first_due + timedelta(days=days),
            REASON,
            actor("op-1"),
            client=rig.client,
            pool=pool,
        )
    with pytest.raises(acts.Refused, match="extended 2 times already"):
        await acts.extend_deadline(
            request.id,
            "decide",
            first_due + timedelta(days=6),
            REASON,
            actor("op-1"),
            client=rig.client,
            pool=pool,
        )
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM notifications WHERE request_id=$1 AND notice='deadline_extended'",
            request.id,
        )
        == 2
    )
    await acts.decide(request.id, "provision_stopped", actor("op-1"), client=rig.client, pool=pool)
    await rig.client.get_workflow_handle(workflow_id_for(request.id)).result()
