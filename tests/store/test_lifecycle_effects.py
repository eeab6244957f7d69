"""Effects of the lifecycle activities against the real store: invoices settle once,
erasure reaches earlier copies, retried investigations return what is on record."""

from __future__ import annotations

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError

from activities.event_store import EventStore
from activities.intake_store import IntakeStore
from activities.lifecycle_activities import LifecycleActivities
from domain.decisions import Findings, Outcome
from domain.events import EventType
from domain.messages import CarryOut, Decide, RecordByOperator, RequestStep
from domain.requests import RequestKind, SuspensionAction, SuspensionGround, parse_submission
from tests.store.support import EMAIL, NAME, POLICY, T0


async def _submit(pool: asyncpg.Pool, request_id: str, subject_id: str, kind: str,
                  details: dict) -> None:
    await IntakeStore(pool).record_submission(parse_submission({
        "request_id": request_id, "kind": kind, "subject_id": subject_id,
        "requester": {"name": NAME, "email": EMAIL}, "details": details}), POLICY)


def _step(request_id: str, kind: RequestKind, key: str) -> RequestStep:
    return RequestStep(request_id=request_id, kind=kind, idempotency_key=key, occurred_at=T0)


async def test_an_invoice_settles_once_and_a_second_settlement_is_refused(
    pool: asyncpg.Pool, unique: str
) -> None:
    rid = f"fee-{unique}"
    await _submit(pool, rid, f"s-{unique}", "disclosure", {})
    lifecycle = LifecycleActivities(pool, EventStore(pool))
    invoice = await lifecycle.issue_invoice(_step(rid, RequestKind.DISCLOSURE, f"{rid}:inv"))
    paid = RecordByOperator(
        request_id=rid, event=EventType.PAYMENT_RECORDED,
        payload={"invoice_id": invoice.invoice_id, "amount_yen": 1000, "reference": "r1"},
        operator="cashier", idempotency_key=f"{rid}:paid", occurred_at=T0)
    await lifecycle.settle_invoice(paid)
    await lifecycle.settle_invoice(paid)  # a retry after the effect: nothing more
    lapsed = paid.model_copy(update={"event": EventType.INVOICE_LAPSED,
                                     "idempotency_key": f"{rid}:lapsed"})
    with pytest.raises(ApplicationError, match="no longer open") as refused:
        await lifecycle.settle_invoice(lapsed)
    assert refused.value.non_retryable
    assert await pool.fetchval("SELECT status FROM invoices WHERE request_id=$1", rid) == "paid"
    types = [e.type for e in await EventStore(pool).events(rid)]
    assert types.count(EventType.PAYMENT_RECORDED) == 1
    assert EventType.INVOICE_LAPSED not in types


async def test_erasure_reaches_disclosed_copies_of_the_data(
    pool: asyncpg.Pool, unique: str
) -> None:
    sid, earlier, erasing = f"s-{unique}", f"dis-{unique}", f"era-{unique}"
    await _submit(pool, earlier, sid, "disclosure", {})
    await _submit(pool, erasing, sid, "suspension",
                  {"action": "erase", "grounds": ["obtained_wrongfully"]})
    item = await pool.fetchval(
        "INSERT INTO personal_data (subject_id, category, field, value, lawfully_obtained)"
        " VALUES ($1, 'contact', 'phone', '090-9999-0000', false) RETURNING item_id", sid)
    kept = {"category": "contact", "field": "email", "value": EMAIL}
    await pool.execute(
        "INSERT INTO disclosures (request_id, items, compiled_at) VALUES ($1, $2, $3)",
        earlier, [{"category": "contact", "field": "phone", "value": "090-9999-0000"}, kept],
        T0)
    await pool.execute(
        "INSERT INTO notifications (idempotency_key, request_id, notice, recipient,"
        " subject_line, body, status) VALUES ($1, $2, 'outcome', $3, 's', $4, 'delivered')",
        f"{earlier}:outcome", earlier, EMAIL, f"phone: 090-9999-0000\nemail: {EMAIL}")
    # A notice not yet sent says what it was written to say: erasure leaves it whole.
    await pool.execute(
        "INSERT INTO notifications (idempotency_key, request_id, notice, recipient,"
        " subject_line, body) VALUES ($1, $2, 'answer', $3, 's', 'phone: 090-9999-0000')",
        f"{earlier}:answer", earlier, EMAIL)
    order = CarryOut(
        request_id=erasing, kind=RequestKind.SUSPENSION,
        decision=Decide(outcome=Outcome.ERASED, operator="op-1"),
        findings=Findings(requested_action=SuspensionAction.ERASE,
                          requested_grounds=(SuspensionGround.OBTAINED_WRONGFULLY,),
                          obtained_wrongfully=1, items_in_breach=(item,)),
        idempotency_key=f"{erasing}:act", occurred_at=T0)
    report = await LifecycleActivities(pool, EventStore(pool)).carry_out(order)
    assert (report.event, report.items_affected) == (EventType.DATA_ERASED, 1)
    assert await pool.fetchval("SELECT count(*) FROM personal_data WHERE subject_id=$1",
                               sid) == 0
    # Only the erased item leaves the earlier copies; the rest of what was sent stays.
    assert await pool.fetchval("SELECT items FROM disclosures WHERE request_id=$1",
                               earlier) == [kept]
    sent = await pool.fetchval("SELECT body FROM notifications WHERE request_id=$1"
                               " AND notice='outcome'", earlier)
    assert "090-9999-0000" not in sent and EMAIL in sent and "[erased" in sent
    waiting = await pool.fetchval("SELECT body FROM notifications WHERE request_id=$1"
                                  " AND notice='answer'", earlier)
    assert waiting == "phone: 090-9999-0000"


async def test_a_retried_investigation_returns_the_findings_on_record(
    pool: asyncpg.Pool, unique: str
) -> None:
    sid, rid = f"s-{unique}", f"inv-{unique}"
    await _submit(pool, rid, sid, "suspension",
                  {"action": "suspend_use", "grounds": ["used_beyond_purpose"]})
    await pool.execute(
        "INSERT INTO personal_data (subject_id, category, field, value, purpose)"
        " VALUES ($1, 'transaction', 'purchases', '3 orders', 'resale')", sid)
    lifecycle = LifecycleActivities(pool, EventStore(pool))
    step = _step(rid, RequestKind.SUSPENSION, f"{rid}:investigate")
    first = await lifecycle.investigate(step)
    assert first.findings.used_beyond_purpose == 1
    await pool.execute("UPDATE personal_data SET purpose = 'billing' WHERE subject_id=$1", sid)
    again = await lifecycle.investigate(step)
    assert again == first
    types = [e.type for e in await EventStore(pool).events(rid)]
    assert types.count(EventType.INVESTIGATION_COMPLETED) == 1
