"""The effects of a decision, inside the caller's transaction: compile a disclosure,
apply a correction, suspend or erase, take an alternative measure, stop provision."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.decisions import DISCLOSING, Outcome
from domain.events import EventType, PayloadValue
from domain.findings import ChangeCheck, Placement, disclosure_plan, stoppable_partners
from domain.messages import ActionReport, CarryOut
from domain.requests import CorrectionAction, DataCategory, category_of_field


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
        case outcome if outcome in DISCLOSING:
            count, left_out = await _compile_disclosure(connection, order, subject_id)
            return ActionReport(event=EventType.DISCLOSURE_COMPILED, items_affected=count), {
                "outcome": decision.outcome.value, **left_out,
            }
        case Outcome.CORRECTION_MADE:
            made, not_made = await _apply_correction(
                connection, subject_id, details, set(decision.declined_changes))
            return ActionReport(event=EventType.CORRECTION_APPLIED, items_affected=len(made)), {
                "made": ",".join(made), "not_made": ",".join(not_made),
            }
        case Outcome.USE_SUSPENDED | Outcome.ERASED | Outcome.ALTERNATIVE_MEASURES:
            return await _suspend_or_erase(connection, order, subject_id)
        case Outcome.PROVISION_STOPPED | Outcome.STOP_REFUSED:
            stopping = list(stoppable_partners(order.findings, decision.continued_partners))
            result = await connection.execute(
                """UPDATE third_party_provisions SET stopped_at = $3
                    WHERE subject_id = $1 AND partner_id = ANY($2::text[])
                      AND relationship = 'third_party' AND stopped_at IS NULL""",
                subject_id, stopping, order.occurred_at,
            )
            continued = [f"{p}:{order.findings.continuable(p)}"
                         for p in decision.continued_partners]
            return ActionReport(event=EventType.PROVISION_STOPPED,
                                items_affected=int(result.split()[-1])), {
                "partners": ",".join(stopping),
                "continued": ",".join(continued),
                "not_third_parties": ",".join(sorted(order.findings.not_third_parties)),
            }
    # Refused, declined, or nothing to stop: nothing changes, but the decision not to act
    # is on record.
    return ActionReport(event=EventType.NOTHING_TO_CARRY_OUT, items_affected=0), {
        "outcome": decision.outcome.value,
    }


async def _suspend_or_erase(
    connection: asyncpg.Connection, order: CarryOut, subject_id: str
) -> tuple[ActionReport, dict[str, PayloadValue]]:
    """Article 8: act on exactly the items the investigation found in breach, never more,
    and record which they were (category and field, never the value) and how many were
    left as they were, so the notice can say both."""
    outcome = order.decision.outcome
    findings = order.findings
    scope = await connection.fetch(
        """SELECT item_id, category, field, value FROM personal_data
            WHERE subject_id = $1 AND item_id = ANY($2::bigint[])
              AND ($3 OR suspended_at IS NULL)
            ORDER BY category, field""",
        subject_id, list(findings.items_in_breach), outcome is not Outcome.USE_SUSPENDED,
    )
    ids = [row["item_id"] for row in scope]
    if outcome is Outcome.ERASED:
        await connection.execute(
            "DELETE FROM personal_data WHERE item_id = ANY($1::bigint[])", ids)
        await _erase_copies(connection, order.request_id, subject_id, scope)
        event = EventType.DATA_ERASED
    elif outcome is Outcome.USE_SUSPENDED:
        await connection.execute(
            "UPDATE personal_data SET suspended_at = $2 WHERE item_id = ANY($1::bigint[])",
            ids, order.occurred_at)
        event = EventType.USE_SUSPENDED
    else:
        event = EventType.ALTERNATIVE_MEASURE_TAKEN
    # "The rest" is what the investigation judged, not what happens to be held now.
    left = findings.items_held - len(findings.items_in_breach) - findings.already_suspended
    payload: dict[str, PayloadValue] = {
        "items": ",".join(f"{row['category']}/{row['field']}" for row in scope),
        "items_left": left,
        "already_suspended": order.findings.already_suspended,
        "grounds": ",".join(g.value for g in order.findings.requested_grounds),
    }
    if event is EventType.ALTERNATIVE_MEASURE_TAKEN:
        decision = order.decision
        payload |= {"ground": decision.alternative_ground.value
                    if decision.alternative_ground else None,
                    "measure_note_id": decision.measure_note_id}
        return ActionReport(event=event, items_affected=0), payload
    return ActionReport(event=event, items_affected=len(ids)), payload


async def _erase_copies(
    connection: asyncpg.Connection, erasing_request: str, subject_id: str,
    erased: list[asyncpg.Record],
) -> None:
    """Erasure reaches the copies our earlier answers made of the erased items, and only of
    them: the items in compiled disclosures, and their values in notices already sent. A
    notice still waiting in the outbox is left whole, so it says what it was written to
    say. The events hold no values, so the chain is untouched."""
    if not erased:
        return
    others = [row["request_id"] for row in await connection.fetch(
        "SELECT request_id FROM requests WHERE subject_id = $1 AND request_id <> $2",
        subject_id, erasing_request)]
    gone = {(row["category"], row["field"]) for row in erased}
    for row in await connection.fetch(
            "SELECT request_id, items FROM disclosures WHERE request_id = ANY($1::text[])"
            " FOR UPDATE", others):
        kept = [i for i in row["items"] if (i["category"], i["field"]) not in gone]
        if len(kept) != len(row["items"]):
            await connection.execute("UPDATE disclosures SET items = $2 WHERE request_id = $1",
                                     row["request_id"], kept)
    for row in erased:
        await connection.execute(
            """UPDATE notifications
                  SET body = replace(body, $2, '[erased at the person''s request]')
                WHERE request_id = ANY($1::text[]) AND status = 'delivered'
                  AND strpos(body, $2) > 0""",
            others, row["value"])


async def _compile_disclosure(
    connection: asyncpg.Connection, order: CarryOut, subject_id: str
) -> tuple[int, dict[str, PayloadValue]]:
    """Article 6: every item asked for and held, less what the decision withheld and what
    Article 6 ¶2 leaves out; what was left out is counted by category, not dropped."""
    decision = order.decision
    plan = disclosure_plan(order.findings, decision.withheld_categories,
                           decision.included_categories)
    rows = await connection.fetch(
        "SELECT category, field, value, suspended_at IS NOT NULL AS suspended"
        " FROM personal_data WHERE subject_id = $1 ORDER BY category, field", subject_id,
    )
    items: list[dict[str, Any]] = []
    left_out: dict[Placement, dict[str, int]] = {Placement.EXCLUDED: {},
                                                 Placement.WITHHELD: {}}
    for row in rows:
        place = plan.place(DataCategory(row["category"]))
        if place is Placement.DISCLOSED:
            items.append(dict(row))
        elif place in left_out:
            counts = left_out[place]
            counts[row["category"]] = counts.get(row["category"], 0) + 1
    await connection.execute(
        """INSERT INTO disclosures (request_id, items, compiled_at, excluded, withheld)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT (request_id) DO NOTHING""",
        order.request_id, items, order.occurred_at, left_out[Placement.EXCLUDED],
        left_out[Placement.WITHHELD],
    )
    return len(items), {
        "excluded": sum(left_out[Placement.EXCLUDED].values()),
        "withheld": sum(left_out[Placement.WITHHELD].values()),
        "included_categories": ",".join(c.value for c in decision.included_categories),
    }


async def _apply_correction(
    connection: asyncpg.Connection, subject_id: str, details: dict[str, Any],
    declined: set[int],
) -> tuple[list[str], list[str]]:
    """Article 7 ¶2: make each requested change judged necessary that changes what is
    held; the others are named with why: declined, or it would change nothing. Returns
    `field:action` made and `field:action:why` not made."""
    made: list[str] = []
    not_made: list[str] = []
    for index, change in enumerate(details["changes"]):
        action = CorrectionAction(change["action"])
        field = change["field"]
        if index in declined:
            not_made.append(f"{field}:{action.value}:declined")
            continue
        if action is CorrectionAction.DELETE:
            result = await connection.execute(
                "DELETE FROM personal_data WHERE subject_id = $1 AND field = $2",
                subject_id, field)
        elif action is CorrectionAction.CORRECT:
            result = await connection.execute(
                "UPDATE personal_data SET value = $3"
                " WHERE subject_id = $1 AND field = $2 AND value <> $3",
                subject_id, field, change["new_value"])
        else:
            result = await connection.execute(
                """INSERT INTO personal_data (subject_id, category, field, value, source,
                                              purpose)
                   SELECT $1, $2, $3, $4, 'correction_request', 'account_self_service'
                    WHERE NOT EXISTS (SELECT 1 FROM personal_data
                                       WHERE subject_id = $1 AND field = $3)""",
                subject_id, category_of_field(field).value, field, change["new_value"])
        if int(result.split()[-1]) > 0:
            made.append(f"{field}:{action.value}")
        else:
            check = ChangeCheck(index=0, action=action,
                                held=action is not CorrectionAction.DELETE,
                                same_value=action is CorrectionAction.CORRECT)
            # Nothing changed: for a correction, either the field is not held or the value
            # is already right; look which.
            if action is CorrectionAction.CORRECT:
                held = await connection.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM personal_data"
                    " WHERE subject_id = $1 AND field = $2)", subject_id, field)
                check = check.model_copy(update={"held": held, "same_value": held})
            not_made.append(f"{field}:{action.value}:{check.why_not}")
    return made, not_made
