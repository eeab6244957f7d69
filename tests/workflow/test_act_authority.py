"""Acts that cannot be forged (issue 11): an update sent straight to Temporal, without the
API's signature, or with one for something else, is refused by the worker's validator and
changes nothing; an act needs its role; an alternative measure needs a second account that
holds `approver`. (Acts signed by a key the worker does not list, by an account the store
does not know as enabled with the role, or too long ago: test_act_signatures.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio import workflow
from temporalio.client import Client, WorkflowUpdateFailedError

from domain.authority import Act, ActAuthority, ActSigner, Role, argument_digest
from domain.deadlines import Step
from domain.messages import ApproveMeasure, Decide, RespondToInquiry, StatusView
from domain.requests import workflow_id_for
from service import acts
from service.requests import respond, submit
from tests.support.builders import submission
from tests.support.privacy import MEASURE, PERSONAL, REASON
from tests.support.scenarios import (
    Scenario,
    at_step,
    event_types,
    outcome_of,
)
from tests.support.temporal import TEST_ACT_SIGNER, Rig, actor
from workflows.data_subject_request import DataSubjectRequest

ANSWER_ID = "3f0c7a52-58a4-4b53-9d43-1a4b8f3c9a11"


async def _open_inquiry(rig: Rig, pool: asyncpg.Pool, unique: str) -> str:
    rid = f"auth-{unique}"
    await submit(
        submission("inquiry", rid, f"s-{unique}", person=PERSONAL),
        client=rig.client,
        pool=pool,
        task_queue=rig.task_queue,
    )
    await at_step(rig.client, pool, rid, Step.ANSWER)
    return rid


def _signed(
    argument: RespondToInquiry | Decide | ApproveMeasure,
    act: str,
    request_id: str,
    *,
    signer: ActSigner = TEST_ACT_SIGNER,
    account: str = "op-1",
    roles: tuple[Role, ...] = (Role.OPERATOR,),
    digest_of: Any = None,
) -> Any:
    authority = signer.sign(
        ActAuthority(
            account=account,
            roles=roles,
            act=act,
            request_id=request_id,
            act_id="act-test",
            argument_digest=argument_digest((digest_of or argument).model_dump(mode="json")),
            issued_at=datetime.now(UTC),
        ),
    )
    return argument.model_copy(update={"authority": authority})


async def _refused(client: Client, rid: str, update: str, argument: Any, match: str) -> None:
    with pytest.raises(WorkflowUpdateFailedError) as caught:
        authority = getattr(argument, "authority", None)
        await client.get_workflow_handle(workflow_id_for(rid)).execute_update(
            update, argument, result_type=StatusView, id=authority.act_id if authority else None
        )
    assert match in str(caught.value.cause), caught.value.cause


async def test_an_update_sent_straight_to_temporal_without_a_signature_is_refused(
    rig: Rig,
    pool: asyncpg.Pool,
    unique: str,
) -> None:
    rid = await _open_inquiry(rig, pool, unique)
    before = await event_types(pool, rid)
    made_up = RespondToInquiry(answer_id=ANSWER_ID, operator="mallory")
    await _refused(rig.client, rid, "respond", made_up, "needs a signed authority")
    # An authority for another request, for other arguments, another update, or claiming
    # no role that may act: each refused before the workflow takes the update.
    await _refused(
        rig.client,
        rid,
        "respond",
        _signed(made_up, "respond", f"other-{rid}", account="mallory"),
        f"not respond on {rid}",
    )
    await _refused(
        rig.client,
        rid,
        "respond",
        _signed(
            made_up,
            "respond",
            rid,
            account="mallory",
            digest_of=made_up.model_copy(update={"answer_id": "0" * 8 + ANSWER_ID[8:]}),
        ),
        "arguments are not the ones",
    )
    with pytest.raises(WorkflowUpdateFailedError) as other_update:
        await rig.client.get_workflow_handle(workflow_id_for(rid)).execute_update(
            "respond",
            _signed(made_up, "respond", rid, account="mallory"),
            result_type=StatusView,
            id="another-update",
        )
    assert "not for the update another-update" in str(other_update.value.cause)
    await _refused(
        rig.client,
        rid,
        "respond",
        _signed(made_up, "respond", rid, account="mallory", roles=(Role.AUDITOR,)),
        "does not hold the operator role",
    )
    await _refused(
        rig.client,
        rid,
        "respond",
        _signed(made_up, "respond", rid, account="op-1"),
        "names operator 'mallory' but was authorised for account op-1",
    )
    # Nothing changed: no event, no answer taken, the request still waits for one.
    assert await event_types(pool, rid) == before
    view = await rig.client.get_workflow_handle(workflow_id_for(rid)).query(
        "status", result_type=StatusView
    )
    assert view.step is Step.ANSWER and view.outcome is None
    # The signed act of an account with the role is taken.
    await respond(
        rid, PERSONAL["answer"], actor("op-1", Role.OPERATOR), client=rig.client, pool=pool
    )
    assert await outcome_of(rig.client, rid) == "answered"
    events = await pool.fetch(
        "SELECT actor FROM request_events WHERE request_id = $1 AND type = 'answer.recorded'", rid
    )
    assert [e["actor"] for e in events] == ["op-1"]


async def test_an_act_needs_its_role_and_a_refusal_writes_nothing(
    rig: Rig,
    pool: asyncpg.Pool,
    unique: str,
) -> None:
    rid = await _open_inquiry(rig, pool, unique)
    for roles in ((Role.AUDITOR,), (Role.INTAKE,), (Role.CASHIER, Role.APPROVER)):
        with pytest.raises(acts.Forbidden, match="does not hold the operator role"):
            await respond(
                rid, PERSONAL["answer"], actor("someone", *roles), client=rig.client, pool=pool
            )
    assert await pool.fetchval("SELECT count(*) FROM answers WHERE request_id = $1", rid) == 0
    await respond(rid, PERSONAL["answer"], actor("boss", Role.ADMIN), client=rig.client, pool=pool)
    assert await outcome_of(rig.client, rid) == "answered"


async def test_an_alternative_measure_needs_a_second_account_holding_approver(
    rig: Rig,
    pool: asyncpg.Pool,
    unique: str,
) -> None:
    request = await (
        Scenario(rig, "auth-alt")
        .suspension("erase", "obtained_wrongfully")
        .verified()
        .at(Step.DECIDE)
    )
    proposer = actor("op-1", Role.OPERATOR, Role.APPROVER)
    await acts.decide(
        request.id,
        "alternative_measures",
        proposer,
        client=rig.client,
        pool=pool,
        reason=REASON,
        measure=MEASURE,
        alternative_ground="large_expense",
        alternative_measure="stop_provision_to_third_parties",
    )
    with pytest.raises(acts.Refused, match="second operator"):
        await acts.approve_measure(request.id, proposer, client=rig.client, pool=pool)
    with pytest.raises(acts.Forbidden, match="does not hold the approver role"):
        await acts.approve_measure(
            request.id, actor("op-2", Role.OPERATOR), client=rig.client, pool=pool
        )
    # Straight to Temporal, a signature claiming `approver` that the API never issued: the
    # worker does not list its key, and records the refusal.
    await _refused(
        rig.client,
        request.id,
        "approve_measure",
        _signed(
            ApproveMeasure(operator="op-2"),
            "approve_measure",
            request.id,
            signer=ActSigner(Ed25519PrivateKey.generate()),
            account="op-2",
            roles=(Role.APPROVER,),
        ),
        "does not list",
    )
    assert "act.refused" in await event_types(pool, request.id)
    assert "measure.approved" not in await event_types(pool, request.id)
    await acts.approve_measure(
        request.id, actor("ap-1", Role.APPROVER), client=rig.client, pool=pool
    )
    assert await outcome_of(rig.client, request.id) == "alternative_measures"
    approvals = await pool.fetch(
        "SELECT actor FROM request_events WHERE request_id = $1 AND type = 'measure.approved'",
        request.id,
    )
    assert [a["actor"] for a in approvals] == ["ap-1"]


def test_every_act_is_the_update_of_its_name() -> None:
    """The worker checks the authority of an update whose name is an act's: an act whose
    update were named otherwise would go unchecked."""
    updates = workflow._Definition.must_from_class(DataSubjectRequest).updates
    assert set(updates) == {act.value for act in Act}
    assert all(updates[act.value].fn is method for act, method in acts.UPDATES.items())
