"""N9: the fee request the outbox composes gives the organisation's payment method (the
DSR_PAYMENT_* settings, wired by worker.py), with the invoice id as the reference; N7: the
closing notice after a payment made too late says it is refunded."""

from __future__ import annotations

from datetime import UTC, date, datetime

import asyncpg

from domain.messages import QueueNotice
from domain.notices import NoticeKind
from domain.payments import PaymentMethod
from store.events import EventStore
from store.outbox import NotificationOutbox
from tests.support.builders import T0, new_request
from tests.support.sealing import opened

DUE = datetime(2026, 12, 30, 14, 59, 59, 999999, tzinfo=UTC)  # the end of 30 December in Tokyo
BANK = PaymentMethod(
    bank_transfer_en="Mizuho Bank, Shibuya branch, ordinary 1234567, Sesenergy",
    bank_transfer_ja="みずほ銀行 渋谷支店 普通 1234567 セセナジー",
)


async def _body(pool: asyncpg.Pool, notification_id: int) -> str:
    return await opened(
        pool,
        await pool.fetchval(
            "SELECT body FROM notifications WHERE notification_id = $1", notification_id
        ),
    )


async def _with_invoice(pool: asyncpg.Pool, unique: str, label: str) -> str:
    request_id = await new_request(pool, unique, label)
    await pool.execute(
        "INSERT INTO invoices (invoice_id, request_id, amount_yen, issued_at)"
        " VALUES ($1, $2, 1000, $3)",
        f"inv-{request_id}",
        request_id,
        T0,
    )
    return request_id


async def test_n9_the_fee_request_says_how_to_pay(pool: asyncpg.Pool, unique: str) -> None:
    request_id = await _with_invoice(pool, unique, "fee")
    outbox = NotificationOutbox(pool, EventStore(pool), payment=BANK)
    queued = await outbox.queue(
        QueueNotice(
            request_id=request_id,
            notice=NoticeKind.FEE_REQUEST,
            idempotency_key=f"{request_id}:fee",
            occurred_at=T0,
            due_at=DUE,
        )
    )
    body = await _body(pool, queued)
    assert "by bank transfer to Mizuho Bank, Shibuya branch, ordinary 1234567" in body
    assert f"please enter inv-{request_id} before your name as the remitter" in body
    assert "by the end of 30 December 2026" in body


async def test_n7_the_closing_notice_after_a_late_payment_says_it_is_refunded(
    pool: asyncpg.Pool, unique: str
) -> None:
    request_id = await _with_invoice(pool, unique, "late")
    await pool.execute(
        "UPDATE invoices SET status = 'refund_due', paid_at = $2, value_date = $3"
        " WHERE request_id = $1",
        request_id,
        T0,
        date(2026, 12, 31),
    )
    queued = await NotificationOutbox(pool, EventStore(pool)).queue(
        QueueNotice(
            request_id=request_id,
            notice=NoticeKind.CLOSED_FEE_UNPAID,
            idempotency_key=f"{request_id}:closed",
            occurred_at=T0,
        )
    )
    body = await _body(pool, queued)
    assert f"invoice inv-{request_id} was paid on 31 December 2026" in body
    assert "We will refund the fee you paid in full" in body
