"""Our own steps keep their deadlines too: an investigation whose activity keeps failing
(a database outage, say) is reminded and breached on time, then completes late."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import asyncpg
from temporalio import activity
from temporalio.testing import WorkflowEnvironment

from activities.lifecycle_activities import LifecycleActivities
from activities.request_activities import RequestActivities
from domain.deadlines import Step, policy_with
from domain.messages import Investigation, QueueNotice, RequestOutcome, RequestStep
from domain.requests import workflow_id_for
from mail.maildrop import MaildropSender
from service import acts
from service.requests import respond, submit
from store.events import EventStore
from store.outbox import NotificationOutbox
from tests.support.builders import submission
from tests.support.privacy import PERSONAL
from tests.support.scenarios import (
    Scenario,
    at_step,
    check_record,
    event_types,
)
from tests.support.temporal import actor, faulty_rig, faulty_worker


async def test_an_investigation_stuck_in_retries_is_breached_on_time_and_completes_late(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str, tmp_path: Any
) -> None:
    client = time_skipping_env.client
    lifecycle = LifecycleActivities(pool, EventStore(pool))
    outage = {"over": False}

    @activity.defn(name="investigate")
    async def investigate_during_an_outage(step: RequestStep) -> Investigation:
        if not outage["over"]:
            raise RuntimeError("database unavailable")
        return await lifecycle.investigate(step)

    policy = policy_with({Step.INVESTIGATE: timedelta(minutes=2)})
    async with faulty_rig(
        client, pool, tmp_path, unique, "dsr-outage", investigate=investigate_during_an_outage
    ) as rig:
        request = await (
            Scenario(rig, "stuck")
            .correction({"field": "phone", "action": "correct", "new_value": "03-2"})
            .under(policy)
            .verified()
            .at(Step.INVESTIGATE)
        )
        await time_skipping_env.sleep(timedelta(minutes=3))
        view = await at_step(client, pool, request.id, Step.INVESTIGATE)
        assert view.overdue
        types = await event_types(pool, request.id)
        assert "deadline.reminded" in types and "deadline.breached" in types
        assert await pool.fetchval("SELECT overdue FROM requests WHERE request_id=$1", request.id)

        outage["over"] = True
        await at_step(client, pool, request.id, Step.DECIDE)
        await acts.decide(request.id, "correction_made", actor("op-1"), client=client, pool=pool)
        await client.get_workflow_handle(workflow_id_for(request.id)).result()
    status = await pool.fetchval(
        "SELECT status FROM deadlines WHERE request_id=$1 AND step='investigate'", request.id
    )
    assert status == "completed_late"
    await check_record(client, pool, request.id, "investigation_breached_during_outage")


async def test_an_answer_sent_while_the_receipt_is_stuck_does_not_hang_the_request(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str, tmp_path: Any
) -> None:
    """The deadline keeper lets an act of the *current* step finish before it records a
    breach; an act admitted early for a later step (an answer sent while the receipt notice
    is stuck behind a mail relay that is down) must not count, or the keeper waits for it
    while it waits for the keeper: the request would hang for good."""
    client = time_skipping_env.client
    events = EventStore(pool)
    basics = RequestActivities(
        pool, events, NotificationOutbox(pool, events), MaildropSender(tmp_path / "maildrop")
    )
    relay = {"up": False}

    @activity.defn(name="send_notice")
    async def deliver_while_the_relay_is_down(order: QueueNotice) -> None:
        await basics.queue_notice(order)  # queued, then the relay refuses it
        if not relay["up"]:
            raise RuntimeError("mail relay unavailable")
        await basics.send_notice(order)

    queue = f"dsr-relay-{unique}"
    rid = f"inq-relay-{unique}"
    async with faulty_worker(
        client, pool, queue, tmp_path / "maildrop", send_notice=deliver_while_the_relay_is_down
    ):
        # A short acknowledgement window keeps the relay's retries few while time skips.
        policy = policy_with({Step.ACKNOWLEDGE: timedelta(minutes=2)})
        await submit(
            submission("inquiry", rid, f"s-{unique}", person=PERSONAL),
            client=client,
            pool=pool,
            task_queue=queue,
            deadline_policy=policy,
        )
        await at_step(client, pool, rid, Step.ACKNOWLEDGE)
        answering = asyncio.ensure_future(
            respond(rid, PERSONAL["answer"], actor("op-1"), client=client, pool=pool)
        )
        await time_skipping_env.sleep(timedelta(minutes=3))
        assert "deadline.breached" in await event_types(pool, rid)
        relay["up"] = True
        async with asyncio.timeout(60):
            await answering
            result = await client.get_workflow_handle(
                workflow_id_for(rid), result_type=RequestOutcome
            ).result()
    assert result.outcome == "answered"
    types = await event_types(pool, rid)
    assert types.index("deadline.breached") < types.index("answer.recorded")
