"""Articles 7 and 8 on the time-skipping server with the real store: a correction is
made only where it changes something and the notice says which; a suspension or erasure
acts on exactly the items found in breach, says which, and says the rest were not."""

from __future__ import annotations

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.authority import Role
from domain.deadlines import DeadlinePolicy, Step
from domain.messages import StatusView
from service import acts, system_acts
from service.requests import status
from store.accounts import Accounts
from tests.support.cli import Dsr
from tests.support.privacy import HELD_VALUES, MEASURE, REASON, STATEMENT
from tests.support.scenarios import (
    Scenario,
    at_step,
    check_record,
    event_types,
    held_values,
    outcome_notice,
    outcome_of,
    seed_subject,
)
from tests.support.temporal import Rig, actor, eventually


async def review(dsr: Dsr, request_id: str) -> str:
    """`dsr review ID` as the operator runs it, against the served API (its output)."""
    code, out, err = await dsr("review", request_id)
    assert (code, err) == (0, ""), err
    return out


async def test_art7_operators_see_current_and_requested_values_then_only_real_changes(
    rig: Rig, pool: asyncpg.Pool, dsr: Dsr, unique: str
) -> None:
    """Art 7 ¶1-3: a request for information that "is incorrect"; the organisation
    "determines that it is necessary" and notifies "when it has made a correction". The
    operator sees what is held beside what is asked, and the notice names each change
    made and each that would have changed nothing."""
    request = await (
        Scenario(rig, "cor")
        .correction(
            {"field": "phone", "action": "correct", "new_value": "03-5555-0000"},
            {"field": "nickname", "action": "add", "new_value": "Hana"},
            {"field": "address", "action": "correct", "new_value": HELD_VALUES["address"]},
            {"field": "fax", "action": "delete"},
        )
        .verified()
        .at(Step.DECIDE)
    )
    view = request.view
    assert view.proposal is not None and view.proposal.outcome.value == "correction_made"
    shown = await review(dsr, request.id)
    assert STATEMENT in shown and HELD_VALUES["phone"] in shown and "03-5555-0000" in shown
    await acts.decide(request.id, "correction_made", actor("op-1"), client=rig.client, pool=pool)
    assert await outcome_of(rig.client, request.id) == "correction_made"
    held = await held_values(pool, request.subject_id)
    assert held["phone"] == "03-5555-0000" and held["nickname"] == "Hana"
    notice = await outcome_notice(pool, request.id)
    assert (
        "Telephone number: corrected to 03-5555-0000" in notice
        and "Nickname: added as Hana" in notice
    )
    assert "Address (correct): it already has this value" in notice
    assert "fax (delete): we hold no such item" in notice
    await check_record(rig.client, pool, request.id, "correction_made")


async def test_art7_a_correction_that_changes_nothing_cannot_be_called_made(
    rig: Rig, pool: asyncpg.Pool, owner_pool: asyncpg.Pool, unique: str
) -> None:
    request = await (
        Scenario(rig, "cor-noop")
        .correction({"field": "phone", "action": "correct", "new_value": HELD_VALUES["phone"]})
        .verified()
        .at(Step.DECIDE)
    )
    view = request.view
    assert view.proposal is not None and view.proposal.outcome.value == "correction_declined"
    with pytest.raises(acts.Refused, match="none of the changes to be made"):
        await acts.decide(
            request.id, "correction_made", actor("op-1"), client=rig.client, pool=pool
        )
    await acts.decide(
        request.id,
        "correction_declined",
        actor("op-1"),
        client=rig.client,
        pool=pool,
        reason=REASON,
    )
    assert await outcome_of(rig.client, request.id) == "correction_declined"
    notice = await outcome_notice(pool, request.id)
    assert "decided not to make" in notice and REASON in notice
    assert "We have made" not in notice
    await check_record(rig.client, pool, request.id, "correction_declined")


@pytest.mark.parametrize(
    ("action", "outcome"), [("suspend_use", "use_suspended"), ("erase", "erased")]
)
async def test_art8_p3_notice_names_the_items_acted_on_and_the_rest_left_alone(
    rig: Rig, pool: asyncpg.Pool, unique: str, action: str, outcome: str
) -> None:
    """Art 8 ¶3: notify "when it has suspended use, etc. ... or when it has decided not
    to": the items in breach are named, and so is the decision not to touch the rest."""
    request = await (
        Scenario(rig, "sus")
        .suspension(action, "used_beyond_purpose", "obtained_wrongfully")
        .verified()
        .at(Step.DECIDE)
    )
    view = request.view
    assert view.proposal is not None and view.proposal.outcome.value == outcome
    await acts.decide(request.id, outcome, actor("op-1"), client=rig.client, pool=pool)
    assert await outcome_of(rig.client, request.id) == outcome
    rows = {
        r["field"]: r["suspended_at"]
        for r in await pool.fetch(
            "SELECT field, suspended_at FROM personal_data WHERE subject_id=$1", request.subject_id
        )
    }
    if outcome == "erased":
        assert "segment" not in rows and "ad_profile" not in rows and "phone" in rows
    else:
        assert rows["segment"] is not None and rows["ad_profile"] is not None
        assert rows["phone"] is None
    notice = await outcome_notice(pool, request.id)
    assert "Characteristic information / segment" in notice
    assert "Characteristic information / ad_profile" in notice
    assert "the rest of your personal information (7 items)" in notice
    assert "We have erased your personal information." not in notice
    await check_record(rig.client, pool, request.id, f"suspension_{outcome}")


async def test_art8_p1_p2_nothing_found_allows_only_a_refusal_and_never_widens_scope(
    rig: Rig, pool: asyncpg.Pool, owner_pool: asyncpg.Pool, unique: str
) -> None:
    """Art 8 ¶2: suspension "based on the results of the investigation": with nothing in
    breach, erasing is refused (it once fell back to all the person's data)."""
    rid, sid = f"sus-ref-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    await pool.execute(
        "UPDATE personal_data SET purpose='billing', lawfully_obtained=true WHERE subject_id=$1",
        sid,
    )
    view = (
        await Scenario(rig, "sus-ref")
        .unseeded()
        .suspension("erase", "used_beyond_purpose")
        .verified()
        .at(Step.DECIDE)
    ).view
    assert (
        view is not None
        and view.proposal is not None
        and view.proposal.outcome.value == "suspension_refused"
    )
    with pytest.raises(acts.Refused, match="nothing to suspend or erase"):
        await acts.decide(rid, "erased", actor("op-1"), client=rig.client, pool=pool)
    await acts.decide(
        rid, "suspension_refused", actor("op-1"), client=rig.client, pool=pool, reason=REASON
    )
    assert await outcome_of(rig.client, rid) == "suspension_refused"
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM personal_data WHERE subject_id=$1 AND suspended_at IS NULL", sid
        )
        == 9
    )
    assert "decided not to suspend" in await outcome_notice(pool, rid)
    await check_record(rig.client, pool, rid, "suspension_refused")


async def test_art8_p4_confirmed_grounds_cannot_be_refused_alternative_measures_need_two(
    rig: Rig, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    request = await (
        Scenario(rig, "sus-alt")
        .suspension("erase", "obtained_wrongfully")
        .verified()
        .at(Step.DECIDE)
    )
    with pytest.raises(acts.Refused, match="alternative_measures"):
        await acts.decide(
            request.id,
            "suspension_refused",
            actor("op-1"),
            client=rig.client,
            pool=pool,
            reason=REASON,
        )
    reply = await acts.decide(
        request.id,
        "alternative_measures",
        actor("op-1"),
        client=rig.client,
        pool=pool,
        reason=REASON,
        measure=MEASURE,
        alternative_ground="large_expense",
        alternative_measure="stop_provision_to_third_parties",
    )
    assert "approval" in (reply.awaiting or "") and not reply.step_done
    for same_person in ("op-1", "OP-1"):
        with pytest.raises(acts.Refused, match="second operator"):
            await acts.approve_measure(request.id, actor(same_person), client=rig.client, pool=pool)

    # Without the approval the decision step runs past its due time and escalates.
    await time_skipping_env.sleep(DeadlinePolicy().durations[Step.DECIDE] * 1.1)
    view = await at_step(rig.client, pool, request.id, Step.DECIDE)
    assert view.overdue and "approval" in (view.awaiting or "")
    assert "deadline.breached" in await event_types(pool, request.id)

    await acts.approve_measure(request.id, actor("op-9"), client=rig.client, pool=pool)
    assert await outcome_of(rig.client, request.id) == "alternative_measures"
    notice = await outcome_notice(pool, request.id)
    assert MEASURE in notice and REASON in notice
    assert "Characteristic information / ad_profile" in notice
    # Old item 7: the measure the service applies itself is applied, and told as such.
    assert "stopping the provision of these items to any third party" in notice
    assert "Our request service applied it itself" in notice
    marked = await pool.fetch(
        "SELECT field FROM personal_data WHERE subject_id = $1"
        " AND provision_stopped_at IS NOT NULL",
        request.subject_id,
    )
    assert [row["field"] for row in marked] == ["ad_profile"]
    assert "have not been erased" in notice
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM personal_data WHERE subject_id=$1", request.subject_id
        )
        == 9
    )
    deadline = await pool.fetchval(
        "SELECT status FROM deadlines WHERE request_id=$1 AND step='decide'", request.id
    )
    assert deadline == "completed_late"
    await check_record(rig.client, pool, request.id, "suspension_alternative_measures")


async def test_old7_art8_p4_a_measure_taken_outside_waits_for_its_takers_confirmation(
    rig: Rig, pool: asyncpg.Pool, owner_pool: asyncpg.Pool, unique: str
) -> None:
    """Old item 7 (Art 8 ¶4): "this alternative measure shall be taken", and nothing checked
    it was. A measure the service cannot apply names the account responsible for taking it;
    once approved, the request waits at the act for that account's signed confirmation (the
    manual systems' confirm act, step `measure`), refuses anyone else's or another
    measure's, and only then records the measure taken and tells it, naming who confirmed."""
    request = await (
        Scenario(rig, "sus-conf")
        .suspension("erase", "obtained_wrongfully")
        .verified()
        .at(Step.DECIDE)
    )
    decide = {
        "client": rig.client,
        "pool": pool,
        "reason": REASON,
        "measure": MEASURE,
        "alternative_ground": "otherwise_difficult",
        "alternative_measure": "restrict_access",
    }
    with pytest.raises(acts.Refused, match="--confirmed-by"):
        await acts.decide(request.id, "alternative_measures", actor("op-1"), **decide)
    taker = f"it-{unique}"
    # An account that could never confirm would leave the request waiting for ever.
    with pytest.raises(acts.Refused, match="not an enabled account holding the system_owner"):
        await acts.decide(
            request.id, "alternative_measures", actor("op-1"), measure_confirmer=taker, **decide
        )
    await Accounts(owner_pool).create(taker, (Role.SYSTEM_OWNER,), "test")
    await acts.decide(
        request.id, "alternative_measures", actor("op-1"), measure_confirmer=taker, **decide
    )
    await acts.approve_measure(request.id, actor("op-9"), client=rig.client, pool=pool)

    async def probe() -> StatusView:
        return await status(request.id, client=rig.client, pool=pool)

    view = await eventually(probe, lambda v: "restrict_access" in v.awaiting_systems)
    assert view.step is Step.ACT and "--step measure" in (view.awaiting or "")
    owner = actor(taker, Role.SYSTEM_OWNER)
    confirm = {"client": rig.client, "pool": pool}
    with pytest.raises(acts.Refused, match=rf"responsible for taking it \({taker}\), not op-2"):
        await system_acts.confirm_system(
            request.id, "restrict_access", "measure", 2, actor("op-2"), **confirm
        )
    with pytest.raises(acts.Refused, match="not stop_provision_to_third_parties"):
        await system_acts.confirm_system(
            request.id, "stop_provision_to_third_parties", "measure", 2, owner, **confirm
        )
    assert "alternative_measure.taken" not in await event_types(pool, request.id)
    await system_acts.confirm_system(
        request.id, "restrict_access", "measure", 2, owner, note="Fraud team only.", **confirm
    )
    assert await outcome_of(rig.client, request.id) == "alternative_measures"
    types = await event_types(pool, request.id)
    assert types.index("measure.confirmed") < types.index("alternative_measure.taken")
    notice = await outcome_notice(pool, request.id)
    assert "restricting access to these items to the staff who need it" in notice
    assert f"{taker}, the member of staff responsible for it, confirmed on" in notice
    await check_record(rig.client, pool, request.id, "suspension_measure_confirmed")


async def test_art7_p2_one_change_declined_with_its_reason_the_others_made(
    rig: Rig, pool: asyncpg.Pool, dsr: Dsr, unique: str
) -> None:
    """Art 7 ¶2-3: the organisation judges each change; the notice names the change made
    and the one declined, with the reason."""
    request = await (
        Scenario(rig, "cor-part")
        .correction(
            {"field": "phone", "action": "correct", "new_value": "03-5555-0000"},
            {"field": "bank_account", "action": "delete"},
        )
        .verified()
        .at(Step.DECIDE)
    )
    assert "2. bank_account delete" in await review(dsr, request.id)
    await acts.decide(
        request.id,
        "correction_made",
        actor("op-1"),
        client=rig.client,
        pool=pool,
        reason=REASON,
        declined_changes=(1,),
    )
    assert await outcome_of(rig.client, request.id) == "correction_made"
    held = await held_values(pool, request.subject_id)
    assert held["phone"] == "03-5555-0000" and held["bank_account"] == HELD_VALUES["bank_account"]
    notice = await outcome_notice(pool, request.id)
    assert "Telephone number: corrected to 03-5555-0000" in notice
    assert (
        "Bank account number (delete): we decided it is not necessary" in notice
        and REASON in notice
    )
