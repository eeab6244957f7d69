"""The effects of a decision, inside the caller's transaction: compile a disclosure,
apply a correction, suspend or erase, take an alternative measure, stop provision.

Personal data is sealed under the subject's key (store/sealing.py): values are opened
here to be compared or copied and sealed again when written. An erasure ends by
crypto-shredding the subject's key (store/shredding.py), so every copy of the erased
values sealed before, backups included, becomes unreadable; the caller records it, and
once its transaction has committed, `destroy_shredded_key` destroys the old key (and
mail/withdrawal.py withdraws the subject's notices still in the maildrop)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog

from domain.decisions import DISCLOSING, Outcome
from domain.events import EventType, PayloadValue
from domain.field_vocabulary import category_of_field
from domain.findings import ChangeCheck, stoppable_partners
from domain.inventory import EMAIL_FIELD
from domain.messages import ActionReport, CarryOut
from domain.redaction import Redaction
from domain.requests import CorrectionAction
from store.compiling_disclosures import compile_disclosure, item_label
from store.connection import Connection
from store.sealing import Vault, vault_of
from store.shredding import Shredded, shred_subject_key
from store.system_outcomes import Untouched, untouched
from store.taking_measures import take_alternative_measure

log = structlog.get_logger(__name__)


class DetailsErased(LookupError):
    """The request's details were shredded, so there is nothing left to act on."""


@dataclass(frozen=True)
class Effect:
    """What carrying a decision out did: the report, its event's payload and, for an
    erasure, the shredding of the subject's key (for the caller to record and finish)."""

    report: ActionReport
    payload: dict[str, PayloadValue]
    shredded: Shredded | None = None


def shredded_event_key(idempotency_key: str) -> str:
    """The idempotency key of the `subject_key.shredded` event of an act's erasure."""
    return f"{idempotency_key}:subject-key-shredded"


def shredded_payload(shredded: Shredded) -> dict[str, PayloadValue]:
    """What the chain records of a shredding: key ids and counts, never a value."""
    return {
        "destroyed_key": shredded.destroyed_key,
        "new_key": shredded.new_key,
        "resealed": shredded.resealed,
        "forgotten": shredded.forgotten,
    }


def email_index(vault: Vault, field: str, value: str) -> str | None:
    """The blind index a row of personal data carries: the e-mail on record's only."""
    return vault.blind_index(value) if field == EMAIL_FIELD else None


async def request_details(connection: Connection, request_id: str) -> tuple[str, dict]:
    """The request's subject and its details, opened."""
    request = await connection.fetchrow(
        """SELECT r.subject_id, d.details FROM requests r
             JOIN request_details d USING (request_id) WHERE r.request_id = $1""",
        request_id,
    )
    if request is None:
        raise LookupError(f"no request with id {request_id!r}")
    details = vault_of(connection).open_json(request["details"])
    if details is None:
        raise DetailsErased(f"the details of request {request_id} were shredded")
    return request["subject_id"], details


async def carry_out_in(connection: Connection, order: CarryOut) -> Effect:
    decision = order.decision
    subject_id, details = await request_details(connection, order.request_id)
    match decision.outcome:
        case outcome if outcome in DISCLOSING:
            count, left_out = await compile_disclosure(connection, order, subject_id)
            return Effect(
                ActionReport(event=EventType.DISCLOSURE_COMPILED, items_affected=count),
                {"outcome": decision.outcome.value, **left_out},
            )
        case Outcome.CORRECTION_MADE:
            made, not_made = await _apply_correction(
                connection,
                subject_id,
                details,
                set(decision.declined_changes),
                await untouched(connection, order.request_id),
            )
            return Effect(
                ActionReport(event=EventType.CORRECTION_APPLIED, items_affected=len(made)),
                {"made": ",".join(made), "not_made": ",".join(not_made)},
            )
        case Outcome.USE_SUSPENDED | Outcome.ERASED | Outcome.ALTERNATIVE_MEASURES:
            return await _suspend_or_erase(connection, order, subject_id)
        case Outcome.PROVISION_STOPPED | Outcome.STOP_REFUSED:
            stopping = list(stoppable_partners(order.findings, decision.continued_partners))
            # The investigation chose the third parties from the register's footing, which
            # wins over a provision row that says otherwise (`footing_differs`).
            result = await connection.execute(
                """UPDATE third_party_provisions SET stopped_at = $3
                    WHERE subject_id = $1 AND partner_id = ANY($2::text[])
                      AND stopped_at IS NULL""",
                subject_id,
                stopping,
                order.occurred_at,
            )
            continued = [
                f"{p}:{order.findings.continuable(p)}" for p in decision.continued_partners
            ]
            return Effect(
                ActionReport(
                    event=EventType.PROVISION_STOPPED, items_affected=int(result.split()[-1])
                ),
                {
                    "partners": ",".join(stopping),
                    "continued": ",".join(continued),
                    "not_third_parties": ",".join(sorted(order.findings.not_third_parties)),
                },
            )
    # Refused, declined, or nothing to stop: nothing changes, but the decision not to act
    # is on record.
    return Effect(
        ActionReport(event=EventType.NOTHING_TO_CARRY_OUT, items_affected=0),
        {"outcome": decision.outcome.value},
    )


async def _suspend_or_erase(connection: Connection, order: CarryOut, subject_id: str) -> Effect:
    """Article 8: act on exactly the items the investigation found in breach, never more,
    and record which they were (category and field, never the value) and how many were
    left as they were, so the notice can say both."""
    outcome = order.decision.outcome
    findings = order.findings
    kept = await untouched(connection, order.request_id)
    scope = await connection.fetch(
        """SELECT item_id, category, field, value, system, collection FROM personal_data
            WHERE subject_id = $1 AND item_id = ANY($2::bigint[])
              AND ($3 OR suspended_at IS NULL) AND """
        # What a system keeps, or was waived, stays as it is in the service's copy too.
        + kept.sql(4)
        + " ORDER BY category, field",
        subject_id,
        list(findings.items_in_breach),
        outcome is not Outcome.USE_SUSPENDED,
        *kept.values(),
    )
    ids = [row["item_id"] for row in scope]
    shredded = None
    if outcome is Outcome.ERASED:
        await connection.execute("DELETE FROM personal_data WHERE item_id = ANY($1::bigint[])", ids)
        shredded = await _erase_copies(connection, order.request_id, subject_id, scope)
        event = EventType.DATA_ERASED
    elif outcome is Outcome.USE_SUSPENDED:
        await connection.execute(
            "UPDATE personal_data SET suspended_at = $2 WHERE item_id = ANY($1::bigint[])",
            ids,
            order.occurred_at,
        )
        event = EventType.USE_SUSPENDED
    else:
        event = EventType.ALTERNATIVE_MEASURE_TAKEN
    # "The rest" is what the investigation judged, not what happens to be held now.
    left = findings.items_held - len(findings.items_in_breach) - findings.already_suspended
    payload: dict[str, PayloadValue] = {
        "items": ",".join(f"{row['category']}/{item_label(row)}" for row in scope),
        "items_left": left,
        "already_suspended": order.findings.already_suspended,
        "grounds": ",".join(g.value for g in order.findings.requested_grounds),
    }
    if event is EventType.ALTERNATIVE_MEASURE_TAKEN:
        applied, taken = await take_alternative_measure(connection, order, ids)
        return Effect(ActionReport(event=event, items_affected=applied), payload | taken)
    return Effect(ActionReport(event=event, items_affected=len(ids)), payload, shredded)


async def _erase_copies(
    connection: Connection,
    erasing_request: str,
    subject_id: str,
    erased: list[asyncpg.Record],
) -> Shredded:
    """Erasure reaches the copies our earlier answers made of the erased items, and only of
    them: the items are taken out of compiled disclosures, and their values are replaced
    by a marker wherever the subject's requests' texts quote them, in any case or width
    (notices, answers, notes, details, forms: domain/redaction.py), as the subject's key
    is shredded: every value kept is sealed again under a new key, the old key with every
    copy sealed under it (backups included) goes. The erasing request's own statement
    (its details and its form) is not sealed again at all: it stays under the old key and
    goes with it, since it names what is erased in the person's own words. What the
    request still needs (who to notify and how, its decision, its events) is kept. The
    events hold no values, so the chain is untouched."""
    vault = vault_of(connection)
    values = tuple(vault.open(row["value"]) for row in erased)
    if erased:
        others = [
            row["request_id"]
            for row in await connection.fetch(
                "SELECT request_id FROM requests WHERE subject_id = $1 AND request_id <> $2",
                subject_id,
                erasing_request,
            )
        ]
        gone = {(row["category"], row["field"]) for row in erased}
        for row in await connection.fetch(
            "SELECT request_id, items FROM disclosures WHERE request_id = ANY($1::text[])"
            " FOR UPDATE",
            others,
        ):
            items = vault.open_json(row["items"])
            if items is None:
                continue  # shredded already by retention: nothing of it is left to reach
            kept = [i for i in items if (i["category"], i["field"]) not in gone]
            if len(kept) != len(items):
                await connection.execute(
                    "UPDATE disclosures SET items = $2 WHERE request_id = $1",
                    row["request_id"],
                    await vault.seal_json(connection, subject_id, kept),
                )
    return await shred_subject_key(
        connection, subject_id, redaction=Redaction(values), erasing=erasing_request
    )


async def destroy_shredded_key(connection: Connection, order: CarryOut) -> None:
    """After an erasure committed, and again on every retry of it (so a crash in between
    leaves nothing behind): destroy the old key its `subject_key.shredded` event names."""
    destroyed = await connection.fetchval(
        "SELECT payload->>'destroyed_key' FROM request_events WHERE idempotency_key = $1",
        shredded_event_key(order.idempotency_key),
    )
    if destroyed is not None:
        vault_of(connection).keyring.destroy(destroyed)


async def _apply_correction(
    connection: Connection,
    subject_id: str,
    details: dict[str, Any],
    declined: set[int],
    left: Untouched,
) -> tuple[list[str], list[str]]:
    """Article 7 ¶2: make each requested change judged necessary that changes what is
    held; the others are named with why: declined, or it would change nothing. Returns
    `field:action` made and `field:action:why` not made."""
    vault = vault_of(connection)
    made: list[str] = []
    not_made: list[str] = []
    for index, change in enumerate(details["changes"]):
        action = CorrectionAction(change["action"])
        field = change["field"]
        if index in declined:
            not_made.append(f"{field}:{action.value}:declined")
            continue
        held = True
        if action is CorrectionAction.DELETE:
            # A system's copy goes only where the system made the change.
            result = await connection.execute(
                "DELETE FROM personal_data WHERE subject_id = $1 AND field = $2 AND " + left.sql(3),
                subject_id,
                field,
                *left.values(),
            )
            changed = int(result.split()[-1])
        elif action is CorrectionAction.CORRECT:
            changed, held = await _correct(
                connection, vault, subject_id, field, change["new_value"], left
            )
        else:
            value = change["new_value"]
            result = await connection.execute(
                """INSERT INTO personal_data (subject_id, category, field, value, source,
                                              purpose, value_index)
                   SELECT $1, $2, $3, $4, 'correction_request', 'account_self_service', $5
                    WHERE NOT EXISTS (SELECT 1 FROM personal_data
                                       WHERE subject_id = $1 AND field = $3)""",
                subject_id,
                category_of_field(field).value,
                field,
                await vault.seal(connection, subject_id, value),
                email_index(vault, field, value),
            )
            changed = int(result.split()[-1])
        if changed > 0:
            made.append(f"{field}:{action.value}")
        else:
            # Nothing changed: for a correction, either the field is not held or the value
            # is already right (`held` says which).
            check = ChangeCheck(
                index=0,
                action=action,
                held=action is not CorrectionAction.DELETE and held,
                same_value=action is CorrectionAction.CORRECT and held,
            )
            not_made.append(f"{field}:{action.value}:{check.why_not}")
    return made, not_made


async def _correct(
    connection: Connection,
    vault: Vault,
    subject_id: str,
    field: str,
    new_value: str,
    left: Untouched,
) -> tuple[int, bool]:
    """Give every item of the field the new value where it differs; the values are sealed,
    so they are compared after opening. Returns how many changed and whether any is held."""
    rows = await connection.fetch(
        "SELECT item_id, value FROM personal_data WHERE subject_id = $1 AND field = $2 AND "
        + left.sql(3)
        + " FOR UPDATE",
        subject_id,
        field,
        *left.values(),
    )
    differing = [row["item_id"] for row in rows if vault.open(row["value"]) != new_value]
    if differing:
        await connection.execute(
            "UPDATE personal_data SET value = $2, value_index = $3"
            " WHERE item_id = ANY($1::bigint[])",
            differing,
            await vault.seal(connection, subject_id, new_value),
            email_index(vault, field, new_value),
        )
    return len(differing), bool(rows)
