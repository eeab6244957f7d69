"""Article 6's fee paid after the payment window, refunded (N7): the cashier's record of
the refund, in one transaction: the invoice `refund_due` → `refunded` (with the day and the
reference, sealed), the notice to the person rendered, sealed and queued in `notifications`,
and `payment.refunded` and `notice.queued` appended to the request's events. Refused
(domain/refunds.py) before anything is written. Delivery is the outbox's own step
(NotificationOutbox.pending / mark_delivered). A subject erased meanwhile has the refund
recorded and no notice (there is no address left to send it to)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import asyncpg

from domain.events import EventType, NewEvent
from domain.refunds import NOTICE, REFUNDED, refund_problem, render_refund_notice
from domain.requests import Language
from store.disclosure_links import erased
from store.events import EventStore
from store.outbox import queue_to_requester
from store.sealing import subject_lock, vault_of


class RefundRefused(Exception):
    """Why the refund cannot be recorded; nothing was written."""


@dataclass(frozen=True)
class Refunded:
    request_id: str
    invoice_id: str
    amount_yen: int
    refunded_on: date
    notification_id: int | None  # None: the subject was erased, no notice was made


async def record_refund(
    pool: asyncpg.Pool,
    request_id: str,
    *,
    invoice_id: str,
    refunded_on: date,
    reference: str,
    account: str,
    recorded_at: datetime,
    zone: ZoneInfo,
) -> Refunded:
    """Record that the refund of the request's late fee was paid, and queue its notice;
    RefundRefused when the invoice is not this request's, not refund_due, or already
    refunded, the request is not closed, or the date is wrong."""
    events = EventStore(pool)
    async with pool.acquire() as connection, connection.transaction():
        request = await connection.fetchrow(
            """SELECT r.status, r.subject_id, r.personal_data_shredded_at IS NOT NULL AS shredded,
                      d.requester_name, d.requester_email, d.language
                 FROM requests r LEFT JOIN request_details d USING (request_id)
                WHERE r.request_id = $1""",
            request_id,
        )
        if request is not None:
            # As the outbox does: a shredding running now finishes first.
            await connection.execute(
                "SELECT pg_advisory_xact_lock_shared($1)", subject_lock(request["subject_id"])
            )
        invoice = await connection.fetchrow(
            """SELECT request_id, status, amount_yen, coalesce(value_date, paid_at::date) AS paid_on
                 FROM invoices WHERE invoice_id = $1 FOR UPDATE""",
            invoice_id,
        )
        problem = refund_problem(
            request_id,
            invoice_id,
            request_closed=None if request is None else request["status"] == "closed",
            invoice_request=None if invoice is None else invoice["request_id"],
            invoice_status=None if invoice is None else invoice["status"],
            paid_on=None if invoice is None else invoice["paid_on"],
            refunded_on=refunded_on,
            today=recorded_at.astimezone(zone).date(),
        )
        if problem is not None:
            raise RefundRefused(problem)
        assert request is not None and invoice is not None
        vault = vault_of(connection)
        subject_id = request["subject_id"]
        await connection.execute(
            """UPDATE invoices SET status = $2, refunded_on = $3, refund_reference = $4
                WHERE invoice_id = $1""",
            invoice_id,
            REFUNDED,
            refunded_on,
            await vault.seal(connection, subject_id, reference),
        )
        key = f"{NOTICE}:{request_id}:{invoice_id}"
        recorded = [
            NewEvent(
                request_id=request_id,
                type=EventType.PAYMENT_REFUNDED,
                payload={
                    "invoice_id": invoice_id,
                    "amount_yen": invoice["amount_yen"],
                    "refunded_on": refunded_on.isoformat(),
                },
                occurred_at=recorded_at,
                actor=account,
                idempotency_key=f"{key}:refunded",
            )
        ]
        gone = (
            request["requester_email"] is None
            or request["shredded"]
            or await erased(connection, request["requester_email"])
        )
        notification_id = None
        if not gone:
            rendered = render_refund_notice(
                request_id=request_id,
                requester_name=vault.open(request["requester_name"]),
                language=Language(request["language"]),
                zone=zone,
                invoice_id=invoice_id,
                amount_yen=invoice["amount_yen"],
                refunded_on=refunded_on,
            )
            notification_id = await queue_to_requester(
                connection,
                key,
                request_id,
                NOTICE,
                subject_id=subject_id,
                requester_email=request["requester_email"],
                rendered=rendered,
            )
            recorded.append(
                NewEvent(
                    request_id=request_id,
                    type=EventType.NOTICE_QUEUED,
                    payload={"notice": NOTICE, "notification_id": notification_id},
                    occurred_at=recorded_at,
                    actor="system",
                    idempotency_key=f"{key}:queued",
                )
            )
        await events.append_all_in(connection, recorded)
    return Refunded(request_id, invoice_id, invoice["amount_yen"], refunded_on, notification_id)


async def unsent_notice(pool: asyncpg.Pool, request_id: str, invoice_id: str) -> Refunded | None:
    """The refund recorded for the request's invoice whose notice is still pending (its
    sending failed): the act run again sends it instead of being refused."""
    row = await pool.fetchrow(
        """SELECT i.amount_yen, i.refunded_on, n.notification_id
             FROM invoices i JOIN notifications n ON n.idempotency_key = $3
            WHERE i.invoice_id = $2 AND i.request_id = $1 AND i.status = $4
              AND n.status = 'pending'""",
        request_id,
        invoice_id,
        f"{NOTICE}:{request_id}:{invoice_id}",
        REFUNDED,
    )
    if row is None:
        return None
    return Refunded(
        request_id, invoice_id, row["amount_yen"], row["refunded_on"], row["notification_id"]
    )
