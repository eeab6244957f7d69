"""The lifecycle activities' reads and writes (activities/lifecycle_activities.py): the
request's row lock, an effect already on record, the notes an act cites, the invoice, the
investigation's findings. Each inside the caller's transaction."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg

from store.connection import Connection


async def recorded_event(connection: Connection, key: str) -> asyncpg.Record | None:
    """The type and payload of the event recorded under this idempotency key, if any."""
    return await connection.fetchrow(
        "SELECT type, payload FROM request_events WHERE idempotency_key = $1", key
    )


async def lock_request(connection: Connection, request_id: str) -> bool:
    """Lock the request's row until the transaction ends; False when there is none."""
    return (
        await connection.fetchval(
            "SELECT 1 FROM requests WHERE request_id = $1 FOR UPDATE", request_id
        )
        is not None
    )


async def subject_of(connection: Connection, request_id: str) -> str | None:
    return await connection.fetchval(
        "SELECT subject_id FROM requests WHERE request_id = $1", request_id
    )


async def note_is_stored(connection: Connection, note_id: str, request_id: str) -> bool:
    """Whether an operator's note is stored for this request."""
    return (
        await connection.fetchval(
            "SELECT 1 FROM operator_notes WHERE note_id = $1 AND request_id = $2",
            uuid.UUID(note_id),
            request_id,
        )
        is not None
    )


async def record_invoice(
    connection: Connection, invoice_id: str, request_id: str, amount_yen: int, at: datetime
) -> None:
    """The invoice, once: a retry finds it there."""
    await connection.execute(
        """INSERT INTO invoices (invoice_id, request_id, amount_yen, issued_at)
           VALUES ($1, $2, $3, $4) ON CONFLICT (invoice_id) DO NOTHING""",
        invoice_id,
        request_id,
        amount_yen,
        at,
    )


async def close_invoice(
    connection: Connection,
    invoice_id: str,
    *,
    paid: bool,
    at: datetime,
    reference: str | None,
    value_date: date | None = None,
    refund_due: bool = False,
) -> bool:
    """Mark an open invoice paid (at `at`, with the payment's reference and value date),
    paid after its window (refund due), or lapsed; False when it is no longer open."""
    status = "refund_due" if refund_due else "paid" if paid else "lapsed"
    changed = await connection.execute(
        """UPDATE invoices SET status = $2, paid_at = $3, payment_reference = $4,
                  value_date = $5
            WHERE invoice_id = $1 AND status = 'open'""",
        invoice_id,
        status,
        at if paid or refund_due else None,
        reference,
        value_date,
    )
    return not changed.endswith(" 0")


async def recorded_investigation(connection: Connection, request_id: str) -> tuple[Any, Any] | None:
    """The findings and proposal on record for the request (as stored JSON), if any."""
    row = await connection.fetchrow(
        "SELECT findings, proposal FROM investigations WHERE request_id = $1", request_id
    )
    return None if row is None else (row["findings"], row["proposal"])


async def record_investigation(
    connection: Connection, request_id: str, findings: object, proposal: object, at: datetime
) -> None:
    await connection.execute(
        "INSERT INTO investigations (request_id, findings, proposal, recorded_at)"
        " VALUES ($1, $2, $3, $4)",
        request_id,
        findings,
        proposal,
        at,
    )


async def answer_is_stored(connection: Connection, answer_id: str, request_id: str) -> bool:
    """Whether an answer to an inquiry is stored for this request."""
    return (
        await connection.fetchval(
            "SELECT 1 FROM answers WHERE answer_id = $1 AND request_id = $2",
            uuid.UUID(answer_id),
            request_id,
        )
        is not None
    )
