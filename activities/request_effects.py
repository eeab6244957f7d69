"""The effects of a decision, inside the caller's transaction: compile a disclosure,
apply a correction, suspend or erase, take an alternative measure, stop provision."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.decisions import EXCLUDED_FROM_DISCLOSURE, Outcome
from domain.events import EventType, PayloadValue
from domain.messages import ActionReport, CarryOut
from domain.requests import (
    PURPOSES_OF_USE,
    CorrectionAction,
    SuspensionGround,
    category_of_field,
)


async def carry_out_in(
    connection: asyncpg.Connection, order: CarryOut
) -> tuple[ActionReport, dict[str, PayloadValue]]:
    decision = order.decision
    request = await connection.fetchrow(
        """SELECT r.subject_id, d.details FROM requests r
             JOIN request_details d USING (request_id) WHERE r.request_id = $1""",
        order.request_id,
    )
    subject_id: str = request["subject_id"]
    details: dict[str, Any] = request["details"]
    match decision.outcome:
        case Outcome.DISCLOSED_IN_FULL | Outcome.DISCLOSED_IN_PART | Outcome.DISCLOSURE_REFUSED:
            count = await _compile_disclosure(connection, order, subject_id, details)
            return ActionReport(event=EventType.DISCLOSURE_COMPILED, items_affected=count), {
                "outcome": decision.outcome.value,
                "withheld_categories": ",".join(c.value for c in decision.withheld_categories),
            }
        case Outcome.CORRECTION_MADE:
            count = await _apply_correction(connection, subject_id, details)
            return ActionReport(event=EventType.CORRECTION_APPLIED, items_affected=count), {
                "changes": len(details["changes"]),
            }
        case Outcome.USE_SUSPENDED | Outcome.ERASED:
            scope = await _suspension_scope(connection, order, subject_id)
            if decision.outcome is Outcome.ERASED:
                await connection.execute(
                    "DELETE FROM personal_data WHERE item_id = ANY($1::bigint[])", scope)
                await _erase_copies(connection, subject_id, order.request_id)
                event = EventType.DATA_ERASED
            else:
                await connection.execute(
                    "UPDATE personal_data SET suspended_at = $2"
                    " WHERE item_id = ANY($1::bigint[]) AND suspended_at IS NULL",
                    scope, order.occurred_at)
                event = EventType.USE_SUSPENDED
            return ActionReport(event=event, items_affected=len(scope)), {}
        case Outcome.ALTERNATIVE_MEASURES:
            return ActionReport(event=EventType.ALTERNATIVE_MEASURE_TAKEN, items_affected=0), {
                "ground": decision.alternative_ground.value if decision.alternative_ground
                else None,
                "measure_note_id": decision.measure_note_id,
            }
        case Outcome.PROVISION_STOPPED:
            partners = list(order.findings.third_party_partners)
            result = await connection.execute(
                """UPDATE third_party_provisions SET stopped_at = $3
                    WHERE subject_id = $1 AND partner_id = ANY($2::text[])
                      AND relationship = 'third_party' AND stopped_at IS NULL""",
                subject_id, partners, order.occurred_at,
            )
            return ActionReport(event=EventType.PROVISION_STOPPED,
                                items_affected=int(result.split()[-1])), {
                "partners": ",".join(partners),
                "not_third_parties": ",".join(sorted(order.findings.not_third_parties)),
            }
    # Declined or refused: nothing to change, but the decision not to act is on record.
    return ActionReport(event=EventType.NOTHING_TO_CARRY_OUT, items_affected=0), {
        "outcome": decision.outcome.value,
    }


async def _erase_copies(
    connection: asyncpg.Connection, subject_id: str, erasing_request: str
) -> None:
    """Erasure reaches the copies our earlier answers made: compiled disclosures and the
    notices that carried data. The events hold no values, so the chain is untouched."""
    others = [row["request_id"] for row in await connection.fetch(
        "SELECT request_id FROM requests WHERE subject_id = $1 AND request_id <> $2",
        subject_id, erasing_request)]
    await connection.execute(
        "UPDATE disclosures SET items = '[]'::jsonb WHERE request_id = ANY($1::text[])", others)
    await connection.execute(
        """UPDATE notifications SET body = '[erased at the person''s request]'
            WHERE request_id = ANY($1::text[]) AND notice IN ('outcome', 'answer')""",
        others)


async def _compile_disclosure(
    connection: asyncpg.Connection, order: CarryOut, subject_id: str, details: dict[str, Any]
) -> int:
    decision = order.decision
    items: list[dict[str, str]] = []
    if decision.outcome is not Outcome.DISCLOSURE_REFUSED:
        left_out = {c.value for c in EXCLUDED_FROM_DISCLOSURE | set(decision.withheld_categories)}
        asked = set(details.get("categories") or [])
        rows = await connection.fetch(
            "SELECT category, field, value FROM personal_data WHERE subject_id = $1"
            " ORDER BY category, field", subject_id,
        )
        items = [dict(row) for row in rows
                 if row["category"] not in left_out and (not asked or row["category"] in asked)]
    await connection.execute(
        """INSERT INTO disclosures (request_id, items, compiled_at) VALUES ($1, $2, $3)
           ON CONFLICT (request_id) DO NOTHING""",
        order.request_id, items, order.occurred_at,
    )
    return len(items)


async def _apply_correction(
    connection: asyncpg.Connection, subject_id: str, details: dict[str, Any]
) -> int:
    affected = 0
    for change in details["changes"]:
        action = CorrectionAction(change["action"])
        field = change["field"]
        if action is CorrectionAction.DELETE:
            result = await connection.execute(
                "DELETE FROM personal_data WHERE subject_id = $1 AND field = $2",
                subject_id, field)
        elif action is CorrectionAction.CORRECT:
            result = await connection.execute(
                "UPDATE personal_data SET value = $3 WHERE subject_id = $1 AND field = $2",
                subject_id, field, change["new_value"])
        else:
            result = await connection.execute(
                """INSERT INTO personal_data (subject_id, category, field, value, source)
                   VALUES ($1, $2, $3, $4, 'correction_request')
                   ON CONFLICT (subject_id, category, field) DO UPDATE SET value = $4""",
                subject_id, category_of_field(field).value, field, change["new_value"])
        affected += int(result.split()[-1])
    return affected


async def _suspension_scope(
    connection: asyncpg.Connection, order: CarryOut, subject_id: str
) -> list[int]:
    """The items the investigation found in breach of the grounds; all items when the
    operator decided so without such a finding."""
    grounds = set(order.findings.requested_grounds)
    rows = await connection.fetch(
        "SELECT item_id, purpose, lawfully_obtained FROM personal_data WHERE subject_id = $1",
        subject_id,
    )
    flagged = [
        row["item_id"] for row in rows
        if (SuspensionGround.USED_BEYOND_PURPOSE in grounds and row["purpose"]
            and row["purpose"] not in PURPOSES_OF_USE)
        or (SuspensionGround.OBTAINED_WRONGFULLY in grounds and not row["lawfully_obtained"])
    ]
    return flagged or [row["item_id"] for row in rows]
