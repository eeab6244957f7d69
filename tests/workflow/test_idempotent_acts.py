"""An operator's act is identified by what was sent (or by --act-id): the same command
sent again, after a timeout say, is the same act: one note, one event, the same reply.
(An act sent while no worker runs: tests/e2e/test_faults.py.)"""

from __future__ import annotations

import asyncpg
import pytest

from domain.deadlines import Step
from domain.requests import workflow_id_for
from service import acts
from service.requests import respond, submit
from tests.support.builders import submission
from tests.support.privacy import PERSONAL, REASON
from tests.support.scenarios import Scenario
from tests.support.temporal import Rig, actor


async def _count(pool: asyncpg.Pool, sql: str, request_id: str) -> int:
    return await pool.fetchval(sql, request_id)


async def test_the_same_decision_sent_twice_is_one_act_with_one_note_and_one_event(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    request = await Scenario(rig, "idem").disclosure().verified().at(Step.DECIDE)
    send = dict(
        outcome="disclosure_refused",
        operator=actor("op-1"),
        client=rig.client,
        pool=pool,
        reason=REASON,
        refusal_grounds=("violation_of_other_laws",),
    )
    first = await acts.decide(request.id, **send)
    again = await acts.decide(request.id, **send)
    assert again == first
    assert (
        await _count(
            pool,
            "SELECT count(*) FROM request_events WHERE request_id=$1 AND type='decision.recorded'",
            request.id,
        )
        == 1
    )
    assert (
        await _count(pool, "SELECT count(*) FROM operator_notes WHERE request_id=$1", request.id)
        == 1
    )
    # A different act (another reason) is refused as a second decision, and leaves nothing.
    with pytest.raises(acts.Refused, match="already on record"):
        await acts.decide(request.id, **{**send, "reason": "Another reason."})
    assert (
        await _count(pool, "SELECT count(*) FROM operator_notes WHERE request_id=$1", request.id)
        == 1
    )
    await rig.client.get_workflow_handle(workflow_id_for(request.id)).result()


async def test_an_answer_sent_twice_with_one_act_id_is_recorded_once(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    rid = f"idem-inq-{unique}"
    await submit(
        submission("inquiry", rid, f"s-{unique}", person=PERSONAL),
        client=rig.client,
        pool=pool,
        task_queue=rig.task_queue,
    )
    first = await respond(
        rid, PERSONAL["answer"], actor("op-1"), client=rig.client, pool=pool, act_id="ticket-4711"
    )
    again = await respond(
        rid, PERSONAL["answer"], actor("op-1"), client=rig.client, pool=pool, act_id="ticket-4711"
    )
    assert again == first
    assert await _count(pool, "SELECT count(*) FROM answers WHERE request_id=$1", rid) == 1
    assert (
        await _count(
            pool,
            "SELECT count(*) FROM request_events WHERE request_id=$1 AND type='answer.recorded'",
            rid,
        )
        == 1
    )
    await rig.client.get_workflow_handle(workflow_id_for(rid)).result()
