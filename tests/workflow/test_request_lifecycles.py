"""Articles 5-8 on the time-skipping server with the real store: every kind, every
outcome, and the windows that close a request when the subject does not act."""

from __future__ import annotations

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.deadlines import DeadlinePolicy, Step
from domain.decisions import RefusalGround
from runtime import operator_acts as acts
from tests.support import PERSONAL
from tests.workflow.lifecycle_support import (
    HELD_VALUES,
    MEASURE,
    REASON,
    at_step,
    check_record,
    event_types,
    outcome_notice,
    seed_subject,
    start,
)

Running = tuple[Client, str, Worker]


async def _result(client: Client, request_id: str) -> dict:
    outcome = await client.get_workflow_handle(f"dsr-{request_id}").result()
    return outcome if isinstance(outcome, dict) else outcome.model_dump(mode="json")


async def _pay(client: Client, pool: asyncpg.Pool, request_id: str) -> None:
    view = await at_step(client, pool, request_id, Step.PAYMENT)
    assert view.invoice_id == f"inv-{request_id}"
    await acts.record_payment(request_id, view.invoice_id, 1000, "bank-ref-1", "cashier-1",
                              client=client, pool=pool)


async def test_disclosure_in_full_after_automatic_identity_match_and_payment(
    running: Running, pool: asyncpg.Pool, unique: str
) -> None:
    client, queue, _ = running
    rid, sid = f"dis-full-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    await start(client, pool, queue, "disclosure", rid, sid, {})
    await _pay(client, pool, rid)
    view = await at_step(client, pool, rid, Step.DECIDE)
    assert view.proposal is not None and view.proposal.outcome.value == "disclosed_in_full"
    await acts.decide(rid, "disclosed_in_full", "op-1", client=client, pool=pool)
    assert (await _result(client, rid))["outcome"] == "disclosed_in_full"

    types = await event_types(pool, rid)
    assert types.index("identity.verified") < types.index("invoice.issued") < types.index(
        "payment.recorded") < types.index("investigation.completed") < types.index(
        "decision.recorded") < types.index("disclosure.compiled") < types.index("request.closed")
    assert types.count("deadline.paused") == types.count("deadline.resumed") == 2
    invoice = await pool.fetchrow("SELECT status, amount_yen FROM invoices WHERE request_id=$1",
                                  rid)
    assert dict(invoice) == {"status": "paid", "amount_yen": 1000}
    fee_notice = await outcome_notice(pool, rid, "fee_request")
    assert "1,000 yen" in fee_notice and f"inv-{rid}" in fee_notice
    notice = await outcome_notice(pool, rid)
    for shown in ("name", "phone", "address", "bank_account", "purchases"):
        assert HELD_VALUES[shown] in notice
    # Article 6: history and characteristic information are left out in principle.
    assert HELD_VALUES["segment"] not in notice and "login_history" not in notice
    await check_record(client, pool, rid, "disclosure_full")


async def test_partial_disclosure_withholds_a_category_on_an_article_6_ground(
    running: Running, pool: asyncpg.Pool, unique: str
) -> None:
    client, queue, _ = running
    rid, sid = f"dis-part-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    await start(client, pool, queue, "disclosure", rid, sid, {})
    await _pay(client, pool, rid)
    await at_step(client, pool, rid, Step.DECIDE)
    await acts.decide(rid, "disclosed_in_part", "op-1", client=client, pool=pool,
                      reason=REASON, withheld_categories=("financial",),
                      refusal_grounds=("significant_hindrance_to_business",))
    assert (await _result(client, rid))["outcome"] == "disclosed_in_part"
    notice = await outcome_notice(pool, rid)
    assert HELD_VALUES["bank_account"] not in notice and HELD_VALUES["phone"] in notice
    assert REASON in notice and "significant hindrance to business" in notice
    await check_record(client, pool, rid, "disclosure_partial")


@pytest.mark.parametrize("ground", list(RefusalGround))
async def test_disclosure_refused_on_each_ground_is_notified_with_the_reason(
    running: Running, pool: asyncpg.Pool, unique: str, ground: RefusalGround
) -> None:
    client, queue, _ = running
    rid, sid = f"dis-ref-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    await start(client, pool, queue, "disclosure", rid, sid, {})
    await _pay(client, pool, rid)
    await at_step(client, pool, rid, Step.DECIDE)
    await acts.decide(rid, "disclosure_refused", "op-1", client=client, pool=pool,
                      reason=REASON, refusal_grounds=(ground.value,))
    assert (await _result(client, rid))["outcome"] == "disclosure_refused"
    notice = await outcome_notice(pool, rid)
    assert ground.value.replace("_", " ") in notice and REASON in notice
    assert HELD_VALUES["phone"] not in notice
    assert await pool.fetchval("SELECT items FROM disclosures WHERE request_id=$1", rid) == []
    await check_record(client, pool, rid, f"disclosure_refused_{ground.value}")


async def test_unpaid_fee_closes_the_request_when_the_window_lapses(
    running: Running, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    client, queue, _ = running
    rid, sid = f"dis-unpaid-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    await start(client, pool, queue, "disclosure", rid, sid, {})
    await at_step(client, pool, rid, Step.PAYMENT)
    await time_skipping_env.sleep(DeadlinePolicy().durations[Step.PAYMENT] * 1.1)
    assert (await _result(client, rid))["outcome"] == "fee_unpaid"
    types = await event_types(pool, rid)
    assert "deadline.lapsed" in types and "deadline.breached" not in types
    assert types[types.index("deadline.lapsed") + 1:].count("deadline.resumed") == 1
    assert await pool.fetchval("SELECT status FROM invoices WHERE request_id=$1", rid) == "lapsed"
    assert await pool.fetchval(
        "SELECT status FROM deadlines WHERE request_id=$1 AND step='payment'", rid) == "lapsed"
    assert "fee was not paid" in await outcome_notice(pool, rid, "closed_fee_unpaid")
    # The organisation's clock stood still while the subject had the invoice.
    paused = await pool.fetchval(
        "SELECT count(*) FROM request_events WHERE request_id=$1 AND type='deadline.paused'"
        " AND payload->>'step' = 'payment'", rid)
    assert paused == 1
    await check_record(client, pool, rid, "disclosure_fee_unpaid")


async def test_identity_never_verified_closes_with_a_notice_saying_why(
    running: Running, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    client, queue, _ = running
    rid, sid = f"cor-unver-{unique}", f"s-{unique}"
    await seed_subject(pool, sid, registered=False)
    await start(client, pool, queue, "correction", rid, sid,
                {"changes": [{"field": "phone", "action": "correct", "new_value": "03-1111"}]})
    view = await at_step(client, pool, rid, Step.VERIFY_IDENTITY)
    assert "identity verification" in (view.awaiting or "")
    await time_skipping_env.sleep(DeadlinePolicy().durations[Step.VERIFY_IDENTITY] * 1.1)
    assert (await _result(client, rid))["outcome"] == "identity_not_verified"
    assert "could not verify your identity" in await outcome_notice(
        pool, rid, "closed_identity_not_verified")
    assert "investigation.completed" not in await event_types(pool, rid)
    await check_record(client, pool, rid, "identity_not_verified")


@pytest.mark.parametrize("outcome", ["correction_made", "correction_declined"])
async def test_correction_is_made_or_declined_after_operator_verification(
    running: Running, pool: asyncpg.Pool, unique: str, outcome: str
) -> None:
    client, queue, _ = running
    rid, sid = f"cor-{unique}", f"s-{unique}"
    await seed_subject(pool, sid, registered=False)
    await start(client, pool, queue, "correction", rid, sid, {"changes": [
        {"field": "phone", "action": "correct", "new_value": "03-5555-0000"},
        {"field": "nickname", "action": "add", "new_value": "Hana"},
        {"field": "bank_account", "action": "delete"}]})
    await at_step(client, pool, rid, Step.VERIFY_IDENTITY)
    await acts.verify_identity(rid, "document_check", "op-2", client=client, pool=pool)
    await at_step(client, pool, rid, Step.DECIDE)
    reason = REASON if outcome == "correction_declined" else None
    await acts.decide(rid, outcome, "op-1", client=client, pool=pool, reason=reason)
    assert (await _result(client, rid))["outcome"] == outcome
    held = {r["field"]: r["value"] for r in await pool.fetch(
        "SELECT field, value FROM personal_data WHERE subject_id=$1", sid)}
    if outcome == "correction_made":
        assert held["phone"] == "03-5555-0000" and held["nickname"] == "Hana"
        assert "bank_account" not in held
    else:
        assert held["phone"] == HELD_VALUES["phone"] and "nickname" not in held
        assert REASON in await outcome_notice(pool, rid)
    await check_record(client, pool, rid, outcome)


@pytest.mark.parametrize(("action", "outcome"), [("suspend_use", "use_suspended"),
                                                 ("erase", "erased")])
async def test_suspension_done_acts_on_the_items_found_in_breach(
    running: Running, pool: asyncpg.Pool, unique: str, action: str, outcome: str
) -> None:
    client, queue, _ = running
    rid, sid = f"sus-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    await start(client, pool, queue, "suspension", rid, sid,
                {"action": action, "grounds": ["used_beyond_purpose", "obtained_wrongfully"]})
    view = await at_step(client, pool, rid, Step.DECIDE)
    assert view.proposal is not None and view.proposal.outcome.value == outcome
    await acts.decide(rid, outcome, "op-1", client=client, pool=pool)
    assert (await _result(client, rid))["outcome"] == outcome
    rows = {r["field"]: r["suspended_at"] for r in await pool.fetch(
        "SELECT field, suspended_at FROM personal_data WHERE subject_id=$1", sid)}
    if outcome == "erased":
        assert "segment" not in rows and "ad_profile" not in rows and "phone" in rows
    else:
        assert rows["segment"] is not None and rows["ad_profile"] is not None
        assert rows["phone"] is None
    await check_record(client, pool, rid, f"suspension_{outcome}")


async def test_suspension_refused_when_grounds_are_not_found(
    running: Running, pool: asyncpg.Pool, unique: str
) -> None:
    client, queue, _ = running
    rid, sid = f"sus-ref-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    await pool.execute("UPDATE personal_data SET purpose='billing', lawfully_obtained=true"
                       " WHERE subject_id=$1", sid)
    await start(client, pool, queue, "suspension", rid, sid,
                {"action": "erase", "grounds": ["used_beyond_purpose"]})
    view = await at_step(client, pool, rid, Step.DECIDE)
    assert view.proposal is not None and view.proposal.outcome.value == "suspension_refused"
    await acts.decide(rid, "suspension_refused", "op-1", client=client, pool=pool, reason=REASON)
    assert (await _result(client, rid))["outcome"] == "suspension_refused"
    assert await pool.fetchval("SELECT count(*) FROM personal_data WHERE subject_id=$1"
                               " AND suspended_at IS NULL", sid) == 9
    await check_record(client, pool, rid, "suspension_refused")


async def test_alternative_measures_wait_for_a_second_operator(
    running: Running, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    client, queue, _ = running
    rid, sid = f"sus-alt-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    await start(client, pool, queue, "suspension", rid, sid,
                {"action": "erase", "grounds": ["obtained_wrongfully"]})
    await at_step(client, pool, rid, Step.DECIDE)
    await acts.decide(rid, "alternative_measures", "op-1", client=client, pool=pool,
                      reason=REASON, measure=MEASURE, alternative_ground="large_expense")
    with pytest.raises(acts.Refused, match="second operator"):
        await acts.approve_measure(rid, "op-1", client=client, pool=pool)

    # Without the approval the decision step runs past its due time and escalates.
    await time_skipping_env.sleep(DeadlinePolicy().durations[Step.DECIDE] * 1.1)
    view = await at_step(client, pool, rid, Step.DECIDE)
    assert view.overdue and "approval" in (view.awaiting or "")
    assert "deadline.breached" in await event_types(pool, rid)

    await acts.approve_measure(rid, "op-9", client=client, pool=pool)
    assert (await _result(client, rid))["outcome"] == "alternative_measures"
    notice = await outcome_notice(pool, rid)
    assert MEASURE in notice and REASON in notice
    assert await pool.fetchval("SELECT count(*) FROM personal_data WHERE subject_id=$1",
                               sid) == 9
    deadline = await pool.fetchval(
        "SELECT status FROM deadlines WHERE request_id=$1 AND step='decide'", rid)
    assert deadline == "completed_late"
    await check_record(client, pool, rid, "suspension_alternative_measures")


async def test_third_party_stop_stops_third_parties_and_reports_joint_use(
    running: Running, pool: asyncpg.Pool, unique: str
) -> None:
    client, queue, _ = running
    rid, sid = f"tps-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    await start(client, pool, queue, "third_party_stop", rid, sid,
                {"partners": ["adnet-1", "group-co", "call-centre"]})
    await at_step(client, pool, rid, Step.DECIDE)
    await acts.decide(rid, "provision_stopped", "op-1", client=client, pool=pool)
    assert (await _result(client, rid))["outcome"] == "provision_stopped"
    stopped = {r["partner_id"]: r["stopped_at"] is not None for r in await pool.fetch(
        "SELECT partner_id, stopped_at FROM third_party_provisions WHERE subject_id=$1", sid)}
    assert stopped == {"adnet-1": True, "broker-2": False, "group-co": False,
                       "call-centre": False}
    notice = await outcome_notice(pool, rid)
    assert "adnet-1" in notice and "group-co (joint use)" in notice
    assert "call-centre (entrustment)" in notice and "not third parties" in notice
    await check_record(client, pool, rid, "third_party_stop")


async def test_stop_refused_names_its_article_5_exception(
    running: Running, pool: asyncpg.Pool, unique: str
) -> None:
    client, queue, _ = running
    rid, sid = f"tps-ref-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    await start(client, pool, queue, "third_party_stop", rid, sid, {"partners": ["broker-2"]})
    await at_step(client, pool, rid, Step.DECIDE)
    await acts.decide(rid, "stop_refused", "op-1", client=client, pool=pool, reason=REASON,
                      provision_exception="cooperation_with_authorities")
    assert (await _result(client, rid))["outcome"] == "stop_refused"
    assert "cooperation with authorities" in await outcome_notice(pool, rid)
    await check_record(client, pool, rid, "third_party_stop_refused")


async def test_invalid_and_out_of_order_acts_are_refused_and_change_nothing(
    running: Running, pool: asyncpg.Pool, unique: str
) -> None:
    client, queue, _ = running
    rid, sid = f"bad-{unique}", f"s-{unique}"
    await seed_subject(pool, sid, registered=False)
    await start(client, pool, queue, "disclosure", rid, sid, {})
    await at_step(client, pool, rid, Step.VERIFY_IDENTITY)
    with pytest.raises(acts.Refused, match="a decision comes after identity verification"):
        await acts.decide(rid, "disclosed_in_full", "op-1", client=client, pool=pool)
    with pytest.raises(acts.Refused, match="no invoice has been issued"):
        await acts.record_payment(rid, f"inv-{rid}", 1000, "ref-1", "op-1",
                                  client=client, pool=pool)
    with pytest.raises(acts.Refused, match="does not apply to a disclosure"):
        await acts.approve_measure(rid, "op-2", client=client, pool=pool)
    with pytest.raises(acts.Refused, match="operator"):
        await acts.verify_identity(rid, "document_check", "Jane Doe", client=client, pool=pool)
    await acts.verify_identity(rid, "document_check", "op-2", client=client, pool=pool)
    with pytest.raises(acts.Refused, match="already verified"):
        await acts.verify_identity(rid, "in_person", "op-3", client=client, pool=pool)
    await at_step(client, pool, rid, Step.PAYMENT)
    with pytest.raises(acts.Refused, match="does not exist for this request"):
        await acts.record_payment(rid, "inv-forged", 1000, "ref-1", "op-1",
                                  client=client, pool=pool)
    with pytest.raises(acts.Refused, match="the fee is 1000 yen"):
        await acts.record_payment(rid, f"inv-{rid}", 500, "ref-1", "op-1",
                                  client=client, pool=pool)
    await acts.record_payment(rid, f"inv-{rid}", 1000, "ref-1", "op-1",
                              client=client, pool=pool)
    await at_step(client, pool, rid, Step.DECIDE)
    refusals = [
        (dict(outcome="erased"), "not an outcome of a disclosure request"),
        (dict(outcome="disclosure_refused", reason=REASON), "needs at least one Article 6"),
        (dict(outcome="disclosure_refused", refusal_grounds=("violation_of_other_laws",)),
         "needs a reason"),
        (dict(outcome="disclosed_in_full", refusal_grounds=("violation_of_other_laws",)),
         "refusal grounds apply only"),
        (dict(outcome="disclosed_in_part", reason=REASON,
              refusal_grounds=("violation_of_other_laws",)), "must name the withheld"),
    ]
    for fields, message in refusals:
        with pytest.raises(acts.Refused, match=message):
            await acts.decide(rid, operator="op-1", client=client, pool=pool, **fields)
    assert await pool.fetchval("SELECT count(*) FROM operator_notes WHERE request_id=$1", rid) == 0
    assert "decision.recorded" not in await event_types(pool, rid)
    await acts.decide(rid, "disclosed_in_full", "op-1", client=client, pool=pool)
    with pytest.raises(acts.Refused):
        await acts.decide(rid, "disclosed_in_full", "op-1", client=client, pool=pool)
    assert (await _result(client, rid))["outcome"] == "disclosed_in_full"
    assert PERSONAL["email"] not in str(await event_types(pool, rid))
