"""A person's own windows on the time-skipping server with the real store (N7): they run to
the end of the local day the notice names; a payment is judged by its value date, accepted
during the grace after the window when made within it, and recorded with a refund due when
made after it."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.deadlines import DeadlinePolicy, Step
from service import acts
from tests.support.scenarios import Scenario, at_step, event_types, outcome_notice, outcome_of
from tests.support.temporal import Rig, actor, eventually, own_time_skipping_env

# Weeks are skipped here, as in test_request_lifecycles.py: a server of its own.
time_skipping_env = own_time_skipping_env("module")
TOKYO = ZoneInfo("Asia/Tokyo")
END_OF_DAY = time(23, 59, 59, 999999)


async def _opened_at(pool: asyncpg.Pool, request_id: str, step: Step) -> datetime:
    """When the step's window opened, once its start is stored (it may ride with the
    next effect)."""

    async def started() -> datetime | None:
        opened: datetime | None = await pool.fetchval(
            """SELECT occurred_at FROM request_events WHERE request_id = $1
                  AND type = 'deadline.started' AND payload->>'step' = $2""",
            request_id,
            step.value,
        )
        return opened

    opened = await eventually(started, lambda at: at is not None)
    assert opened is not None
    return opened


async def _sleep_until(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    assert moment > now
    await env.sleep(moment - now)


async def _at_payment(rig: Rig, label: str) -> tuple[str, datetime]:
    # The seeded items all identify the person, so the disclosure is in full (N3: the old
    # outcome that withheld history and characteristic data can no longer be decided).
    request = await Scenario(rig, label).disclosure().verified().at(Step.DECIDE)
    await acts.decide(
        request.id,
        "disclosed_in_full",
        actor("op-1"),
        client=rig.client,
        pool=rig.pool,
    )
    view = await at_step(rig.client, rig.pool, request.id, Step.PAYMENT)
    assert view.due_at is not None
    return request.id, view.due_at


async def _pay(client: Client, pool: asyncpg.Pool, request_id: str, paid_on: object) -> None:
    await acts.record_payment(
        request_id,
        f"inv-{request_id}",
        1000,
        "bank-ref-9",
        actor("cashier-1"),
        client=client,
        pool=pool,
        paid_on=paid_on,  # type: ignore[arg-type]
    )


async def test_n7_proof_on_the_afternoon_of_the_last_day_is_accepted(
    rig: Rig, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    """N7, the review's (D) probe on a running request: the identity window closed at the
    minute it opened, 14 days later, while the notice named only the day. Proof recorded
    after that minute, on the same day, is now accepted: the window runs to the day's end."""
    request = await Scenario(rig, "n7-proof").disclosure().at(Step.VERIFY_IDENTITY)
    assert request.view is not None and request.view.due_at is not None
    due = request.view.due_at.astimezone(TOKYO)
    assert due.time() == END_OF_DAY
    minute_exact = await _opened_at(pool, request.id, Step.VERIFY_IDENTITY) + timedelta(days=14)
    assert minute_exact.astimezone(TOKYO).date() == due.date()
    asked = await outcome_notice(pool, request.id, "identity_proof_requested")
    assert f"by the end of {due.day} " in asked
    # Later that day than the minute the old window closed at.
    await _sleep_until(time_skipping_env, minute_exact + (due - minute_exact) / 2)
    reply = await acts.verify_identity(
        request.id, "document_check", actor("op-2"), client=rig.client, pool=pool
    )
    assert reply.step_done and reply.next_step is Step.INVESTIGATE
    assert "deadline.lapsed" not in await event_types(pool, request.id)
    await at_step(rig.client, pool, request.id, Step.DECIDE)
    await acts.decide(
        request.id,
        "disclosure_refused",
        actor("op-1"),
        client=rig.client,
        pool=pool,
        reason="Closing the test request.",
        refusal_grounds=("violation_of_other_laws",),
    )
    assert await outcome_of(rig.client, request.id) == "disclosure_refused"


async def test_n7_a_payment_made_on_the_last_day_and_recorded_later_is_accepted(
    rig: Rig, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    """N7: a bank transfer made on the last day, reconciled three days later (after a
    holiday), is the fee paid: the disclosure follows."""
    request_id, due = await _at_payment(rig, "n7-paid")
    last_day = due.astimezone(TOKYO).date()
    assert due.astimezone(TOKYO).time() == END_OF_DAY
    fee_request = await outcome_notice(pool, request_id, "fee_request")
    assert "counts even if it reaches us a few days later" in fee_request
    await _sleep_until(time_skipping_env, due + timedelta(days=3))
    await _pay(rig.client, pool, request_id, last_day)
    assert await outcome_of(rig.client, request_id) == "disclosed_in_full"
    invoice = await pool.fetchrow(
        "SELECT status, value_date FROM invoices WHERE request_id = $1", request_id
    )
    assert (invoice["status"], invoice["value_date"]) == ("paid", last_day)
    types = await event_types(pool, request_id)
    assert "payment.recorded" in types and "disclosure.compiled" in types
    assert "deadline.lapsed" not in types


async def test_n7_a_payment_made_after_the_window_is_recorded_and_refunded(
    rig: Rig, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    """N7: a payment made the day after the window is not lost and not silently kept: it
    is recorded, nothing is disclosed, and the closing notice says a refund is due (it said
    "nothing is charged" after the person had paid)."""
    request_id, due = await _at_payment(rig, "n7-late")
    day_after = due.astimezone(TOKYO).date() + timedelta(days=1)
    await _sleep_until(time_skipping_env, due + timedelta(days=2))
    with pytest.raises(acts.Refused, match="is in the future"):
        await _pay(rig.client, pool, request_id, day_after + timedelta(days=5))
    await _pay(rig.client, pool, request_id, day_after)
    assert await outcome_of(rig.client, request_id) == "fee_unpaid"
    invoice = await pool.fetchrow(
        "SELECT status, value_date FROM invoices WHERE request_id = $1", request_id
    )
    assert (invoice["status"], invoice["value_date"]) == ("refund_due", day_after)
    types = await event_types(pool, request_id)
    assert "payment.received_late" in types and "disclosure.compiled" not in types
    assert "invoice.lapsed" not in types
    closing = await outcome_notice(pool, request_id, "closed_fee_unpaid")
    assert f"inv-{request_id} was paid on" in closing
    assert "We will refund the fee you paid in full" in closing
    assert "nothing is charged" not in closing


async def test_n7_after_the_grace_the_request_is_closed_and_a_payment_is_refused(
    rig: Rig, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    """N7: once the grace is over the request closes as unpaid, and its notice tells a
    person who paid after all how to get the payment refunded."""
    request_id, due = await _at_payment(rig, "n7-grace")
    policy = DeadlinePolicy()
    await _sleep_until(time_skipping_env, due + policy.payment_grace + timedelta(hours=1))
    assert await outcome_of(rig.client, request_id) == "fee_unpaid"
    with pytest.raises(acts.Refused, match="is no longer open"):
        await _pay(rig.client, pool, request_id, due.astimezone(TOKYO).date())
    closing = await outcome_notice(pool, request_id, "closed_fee_unpaid")
    assert "If you paid after the deadline" in closing and "refund the payment" in closing
    status = await pool.fetchval("SELECT status FROM invoices WHERE request_id = $1", request_id)
    assert status == "lapsed"


async def test_n7_an_extended_persons_window_runs_to_the_end_of_its_new_day(
    rig: Rig, time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str
) -> None:
    """N7: an extension of the person's window names a day ("You now have until …"), so it
    too runs to that day's end, whatever time of day the operator typed."""
    request = await Scenario(rig, "n7-ext").disclosure().at(Step.VERIFY_IDENTITY)
    assert request.view is not None and request.view.due_at is not None
    typed = (request.view.due_at + timedelta(days=3)).astimezone(TOKYO).replace(hour=9, minute=0)
    reply = await acts.extend_deadline(
        request.id,
        "verify_identity",
        typed,
        "We wrote to the wrong address first.",
        actor("op-1"),
        client=rig.client,
        pool=pool,
    )
    assert reply.due_at is not None
    assert reply.due_at.astimezone(TOKYO) == datetime.combine(typed.date(), END_OF_DAY, TOKYO)
    extended = await outcome_notice(pool, request.id, "deadline_extended")
    assert f"You now have until {typed.day} " in extended
    # The same day again is no extension.
    with pytest.raises(acts.Refused, match="must be later than the current one"):
        await acts.extend_deadline(
            request.id,
            "verify_identity",
            typed.replace(hour=18),
            "Again.",
            actor("op-1"),
            client=rig.client,
            pool=pool,
        )
    await acts.verify_identity(
        request.id, "document_check", actor("op-2"), client=rig.client, pool=pool
    )
    await at_step(rig.client, pool, request.id, Step.DECIDE)
    await acts.decide(
        request.id,
        "disclosure_refused",
        actor("op-1"),
        client=rig.client,
        pool=pool,
        reason="Closing the test request.",
        refusal_grounds=("violation_of_other_laws",),
    )
    assert await outcome_of(rig.client, request.id) == "disclosure_refused"
