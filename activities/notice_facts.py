"""Gathering, from the store, what a notice states: the decision on record, the
operator's reason and measure, what was disclosed or stopped, the invoice."""

from __future__ import annotations

import uuid

import asyncpg

from domain.decisions import Outcome
from domain.notices import NoticeKind, OutcomeFacts

_CLOSING = {
    NoticeKind.CLOSED_IDENTITY_NOT_VERIFIED: Outcome.IDENTITY_NOT_VERIFIED,
    NoticeKind.CLOSED_FEE_UNPAID: Outcome.FEE_UNPAID,
}


async def _latest_payload(connection: asyncpg.Connection, request_id: str, event: str) -> dict:
    payload = await connection.fetchval(
        "SELECT payload FROM request_events WHERE request_id = $1 AND type = $2"
        " ORDER BY seq DESC LIMIT 1", request_id, event,
    )
    return payload or {}


async def _note(connection: asyncpg.Connection, note_id: str | None) -> str | None:
    if not note_id:
        return None
    return await connection.fetchval(
        "SELECT body FROM operator_notes WHERE note_id = $1", uuid.UUID(note_id))


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part for part in (value or "").split(",") if part)


async def notice_facts(
    connection: asyncpg.Connection, request_id: str, notice: NoticeKind
) -> OutcomeFacts | None:
    if notice is NoticeKind.FEE_REQUEST:
        invoice = await connection.fetchrow(
            "SELECT invoice_id, amount_yen FROM invoices WHERE request_id = $1", request_id)
        return OutcomeFacts(outcome=Outcome.FEE_UNPAID, invoice_id=invoice["invoice_id"],
                            amount_yen=invoice["amount_yen"])
    if notice in _CLOSING:
        return OutcomeFacts(outcome=_CLOSING[notice])
    if notice is not NoticeKind.OUTCOME:
        return None
    decision = await _latest_payload(connection, request_id, "decision.recorded")
    outcome = Outcome(decision["outcome"])
    disclosed: tuple[tuple[str, str, str], ...] = ()
    items = await connection.fetchval(
        "SELECT items FROM disclosures WHERE request_id = $1", request_id)
    if items:
        disclosed = tuple((i["category"], i["field"], i["value"]) for i in items)
    stopped = await _latest_payload(connection, request_id, "provision.stopped")
    investigation_partners = await connection.fetch(
        """SELECT p.partner_id, p.relationship FROM third_party_provisions p
             JOIN requests r ON r.subject_id = p.subject_id
            WHERE r.request_id = $1 AND p.partner_id = ANY($2::text[])
            ORDER BY p.partner_id""",
        request_id, list(_split(stopped.get("not_third_parties"))),
    )
    return OutcomeFacts(
        outcome=outcome,
        reason=await _note(connection, decision.get("reason_note_id")),
        measure=await _note(connection, decision.get("measure_note_id")),
        refusal_grounds=_split(decision.get("refusal_grounds")),
        provision_exception=decision.get("provision_exception"),
        disclosed_items=disclosed,
        withheld_categories=_split(decision.get("withheld_categories")),
        stopped_partners=_split(stopped.get("partners")),
        not_third_parties=tuple((r["partner_id"], r["relationship"])
                                for r in investigation_partners),
    )
