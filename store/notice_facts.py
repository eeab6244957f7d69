"""Gathering, from the store, what a notice states: the decision on record, the
operator's texts, and what the act actually did (items disclosed and left out, changes
made and not, items suspended and the rest, partners stopped and continued).

The notice is built from the events of what happened, not from what was intended, so it
cannot say more than was done.

The operator's texts, the disclosure's items and the request's details are sealed
(store/sealing.py) and opened here. A text whose key was destroyed reads "[erased]" in the
notice. Structured values (the items, the details) open as None then, and what they would
have named is left out: the outbox composes no notice at all for a request whose own data
was forgotten (its recipient is forgotten with it), so this is a fallback that never
crashes, not what a person is sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from domain.decisions import LEGACY_OUTCOMES, Outcome
from domain.findings import DisclosurePlan, Findings, Placement, disclosure_plan
from domain.identity import ONE_TIME_CODE, identity_method
from domain.messages import QueueNotice
from domain.notices import NoticeFacts, NoticeKind
from domain.recipients import match_recipients
from domain.requests import DataCategory, RequestKind
from domain.withholding import WithheldPart, parse_part, withheld_categories, withheld_items
from store.compiling_disclosures import item_label
from store.connection import Connection
from store.identity_checks import code_verified, registration_matched
from store.provision_notice import not_third_party_facts
from store.sealing import ERASED, vault_of

_CLOSING = {
    NoticeKind.CLOSED_IDENTITY_NOT_VERIFIED: Outcome.IDENTITY_NOT_VERIFIED,
    NoticeKind.CLOSED_FEE_UNPAID: Outcome.FEE_UNPAID,
}
_SUSPENSION_EVENTS = ("use.suspended", "data.erased", "alternative_measure.taken")


async def _latest_payload(connection: Connection, request_id: str, *events: str) -> dict:
    payload = await connection.fetchval(
        "SELECT payload FROM request_events WHERE request_id = $1 AND type = ANY($2::text[])"
        " ORDER BY seq DESC LIMIT 1",
        request_id,
        list(events),
    )
    return payload or {}


async def _note(connection: Connection, note_id: str | None) -> str | None:
    if not note_id:
        return None
    sealed = await connection.fetchval(
        "SELECT body FROM operator_notes WHERE note_id = $1", uuid.UUID(note_id)
    )
    return vault_of(connection).open_optional(sealed)


async def _details(connection: Connection, request_id: str) -> dict:
    """The request's details, opened; empty once they were erased."""
    sealed = await connection.fetchval(
        "SELECT details FROM request_details WHERE request_id = $1", request_id
    )
    return (vault_of(connection).open_json(sealed) if sealed is not None else None) or {}


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part for part in (value or "").split(",") if part)


async def notice_facts(connection: Connection, order: QueueNotice) -> NoticeFacts:
    request_id, notice = order.request_id, order.notice
    match notice:
        case NoticeKind.RECEIPT:
            # A requester who entered the code sent to the address on record has proved
            # who they are already: the receipt must not say it will be checked first.
            kind = RequestKind(
                await connection.fetchval(
                    "SELECT kind FROM requests WHERE request_id = $1", request_id
                )
            )
            proven = (
                identity_method(
                    kind,
                    matched=await registration_matched(connection, request_id),
                    code_verified=await code_verified(connection, request_id),
                )
                == ONE_TIME_CODE
            )
            return NoticeFacts(commitment=order.commitment, identity_confirmed=proven)
        case NoticeKind.IDENTITY_PROOF_REQUESTED:
            checked = await _latest_payload(connection, request_id, "identity.registration_checked")
            return NoticeFacts(
                due_at=order.due_at, registration_matched=bool(checked.get("registration_match"))
            )
        case NoticeKind.FEE_REQUEST:
            invoice = await connection.fetchrow(
                "SELECT invoice_id, amount_yen FROM invoices WHERE request_id = $1", request_id
            )
            assert invoice is not None  # a fee is requested only once its invoice is stored
            return NoticeFacts(
                invoice_id=invoice["invoice_id"],
                amount_yen=invoice["amount_yen"],
                due_at=order.due_at,
                **await _decided_disclosure(connection, request_id),
            )
        case NoticeKind.DEADLINE_EXTENDED:
            extension = await connection.fetchval(
                """SELECT payload FROM request_events
                    WHERE request_id = $1 AND type = 'deadline.extended'
                      AND payload->>'reason_note_id' = $2 ORDER BY seq DESC LIMIT 1""",
                request_id,
                order.reference,
            )
            if extension is None:
                raise LookupError(f"no extension with note {order.reference} on {request_id}")
            return NoticeFacts(
                due_at=datetime.fromisoformat(extension["due_at"]),
                extended_step=extension["step"],
                reason=await _note(connection, order.reference),
            )
        case NoticeKind.CLOSED_IDENTITY_NOT_VERIFIED:
            return NoticeFacts(outcome=_CLOSING[notice])
        case NoticeKind.CLOSED_FEE_UNPAID:
            # What was decided is told again: a decision to withhold part stands, paid or not.
            decided = await _decided_disclosure(connection, request_id)
            decided.pop("to_disclose", None)
            late = await connection.fetchrow(  # paid after the window: refund due (N7)
                """SELECT invoice_id, coalesce(value_date, paid_at::date) AS paid_on
                     FROM invoices WHERE request_id = $1 AND status = 'refund_due'""",
                request_id,
            )
            if late is not None:
                decided |= {"invoice_id": late["invoice_id"], "paid_late_on": late["paid_on"]}
            return NoticeFacts(outcome=_CLOSING[notice], **decided)
        case NoticeKind.OUTCOME:
            return await _outcome_facts(connection, request_id)
    return NoticeFacts()


async def _outcome_facts(connection: Connection, request_id: str) -> NoticeFacts:
    decision = await _latest_payload(connection, request_id, "decision.recorded")
    facts: dict = {
        "outcome": Outcome(decision["outcome"]),
        "reason": await _note(connection, decision.get("reason_note_id")),
        "refusal_grounds": _split(decision.get("refusal_grounds")),
        "included": _split(decision.get("included_categories")),
        "inclusion_reason": await _note(connection, decision.get("inclusion_note_id")),
        "alternative_ground": decision.get("alternative_ground"),
        "measure": await _note(connection, decision.get("measure_note_id")),
    }
    disclosure = await connection.fetchrow(
        "SELECT items, excluded, withheld, withheld_parts FROM disclosures WHERE request_id = $1",
        request_id,
    )
    if disclosure is not None:
        items = vault_of(connection).open_json(disclosure["items"]) or []  # [] once erased
        facts |= {
            "disclosed_items": tuple(
                (
                    i["category"],
                    item_label({"system": None, **i}),
                    i["value"],
                    bool(i.get("suspended")),
                )
                for i in items
            ),
            "excluded": dict(disclosure["excluded"]),
            "withheld": dict(disclosure["withheld"]),
            "withheld_parts": tuple(
                (p["category"], p["field"], p["items"], p["ground"])
                for p in disclosure["withheld_parts"]
            ),
        }
        invoice = await connection.fetchrow(
            "SELECT invoice_id, amount_yen, status FROM invoices WHERE request_id = $1", request_id
        )
        if invoice is not None:
            facts |= {
                "invoice_id": invoice["invoice_id"],
                "amount_yen": invoice["amount_yen"],
                "fee_paid": invoice["status"] == "paid",
            }
        else:  # no invoice: a fee waived for what the old reading of ¶2 left out (C7)
            found = await connection.fetchval(
                "SELECT findings FROM investigations WHERE request_id = $1", request_id
            )
            facts["fee_waived_legacy"] = bool(
                found is not None and Findings.model_validate(found).legacy_fee_waived
            )
    if facts["outcome"] is Outcome.NOTHING_TO_DISCLOSE:
        # Nothing was compiled: what the notice says is held apart comes from the findings.
        facts["excluded"] = (await _decided_disclosure(connection, request_id)).get("excluded", {})
    correction = await _latest_payload(connection, request_id, "correction.applied")
    if correction:
        facts |= await _correction_facts(connection, request_id, correction)
    suspension = await _latest_payload(connection, request_id, *_SUSPENSION_EVENTS)
    if suspension:
        facts |= {
            "breaches": _split(suspension.get("grounds")),
            "acted_items": tuple(tuple(i.split("/", 1)) for i in _split(suspension["items"])),
            "items_left": suspension.get("items_left", 0),
            "already_suspended": suspension.get("already_suspended", 0),
            **_measure_facts(suspension),
        }
    elif facts["outcome"] is Outcome.SUSPENSION_REFUSED:
        found = await connection.fetchval(
            "SELECT findings FROM investigations WHERE request_id = $1", request_id
        )
        facts["already_suspended"] = (found or {}).get("already_suspended", 0)
    stopped = await _latest_payload(connection, request_id, "provision.stopped")
    if facts["outcome"] in (
        Outcome.PROVISION_STOPPED,
        Outcome.STOP_REFUSED,
        Outcome.NO_PROVISION_TO_STOP,
    ):
        facts |= await _provision_facts(connection, request_id, stopped)
    facts["systems"] = await _system_facts(connection, request_id)
    return NoticeFacts(**facts)


async def _system_facts(
    connection: Connection, request_id: str
) -> tuple[tuple[str, str, str], ...]:
    """What each system of the data map did for the request, from its events, in order."""
    lines: list[tuple[str, str, str]] = []
    for row in await connection.fetch(
        """SELECT type, payload FROM request_events
            WHERE request_id = $1 AND type = ANY($2::text[]) ORDER BY seq""",
        request_id,
        [
            "system.unreachable",
            "system.carried_out",
            "system.waived",
            "system.confirmed",
        ],
    ):
        payload, system = row["payload"], row["payload"]["system"]
        match row["type"]:
            case "system.unreachable":
                lines.append((system, "not_reached", ""))
            case "system.carried_out":
                rows = int(payload["rows"])
                if rows:
                    lines.append((system, "done", str(rows)))
                elif not payload.get("refused"):
                    lines.append((system, "nothing", ""))
                if payload.get("refused"):
                    lines.append((system, "kept", str(payload["refused"])))
            case "system.waived":
                reason = await _note(connection, payload.get("reason_note_id")) or ""
                lines.append((system, "waived", reason))
            case "system.confirmed" if payload.get("step") == "act":
                lines.append((system, "owner", str(payload["rows"])))
            case "system.confirmed":
                # What the owner found is on paper or in a system without an API: the
                # notice says it was found, and that it is not part of this notice.
                lines.append((system, "owner_found", str(payload["rows"])))
    return tuple(lines)


async def _decided_disclosure(connection: Connection, request_id: str) -> dict:
    """Article 6: what the decision on record will disclose and leave out, by category and
    count, from the investigation's findings: what the fee request tells the person."""
    decision = await _latest_payload(connection, request_id, "decision.recorded")
    found = await connection.fetchval(
        "SELECT findings FROM investigations WHERE request_id = $1", request_id
    )
    if not decision or found is None:
        return {}
    findings = Findings.model_validate(found)
    parts = [parse_part(p) for p in _split(decision.get("withheld_parts"))]
    plan = disclosure_plan(
        findings,
        (
            *(DataCategory(c) for c in _split(decision.get("withheld_categories"))),
            *withheld_categories(parts),
        ),
        (DataCategory(c) for c in _split(decision.get("included_categories"))),
        legacy=decision.get("outcome") in LEGACY_OUTCOMES,
        withheld_items=withheld_items(parts),
    )
    return {
        "to_disclose": {c.value: n for c, n in plan.counts(findings, Placement.DISCLOSED).items()},
        "withheld": {c.value: n for c, n in plan.counts(findings, Placement.WITHHELD).items()},
        "excluded": {c.value: n for c, n in plan.counts(findings, Placement.EXCLUDED).items()},
        "withheld_parts": _decided_parts(findings, plan, parts),
        "refusal_grounds": _split(decision.get("refusal_grounds")),
        "reason": await _note(connection, decision.get("reason_note_id")),
        "legacy_exclusion": plan.legacy,
    }


def _decided_parts(
    findings: Findings, plan: DisclosurePlan, parts: list[WithheldPart]
) -> tuple[tuple[str, str | None, int, str], ...]:
    """Each part the decision withholds with its own ground, as the findings count it:
    items by their category and ground (the findings hold ids, never fields)."""
    withheld = plan.counts(findings, Placement.WITHHELD)
    told: dict[tuple[str, str], int] = {}
    for part in parts:
        if part.category is not None and withheld.get(part.category):
            told[(part.category.value, part.ground.value)] = withheld[part.category]
        elif part.item_id is not None and part.item_id in findings.personal_items:
            key = (findings.personal_items[part.item_id].value, part.ground.value)
            told[key] = told.get(key, 0) + 1
    return tuple((category, None, n, ground) for (category, ground), n in told.items())


def _measure_facts(taken: dict) -> dict:
    """Art 8 ¶4: the measure the act recorded, and who applied or confirmed it."""
    confirmed_at = taken.get("confirmed_at")
    return {
        "alternative_measure": taken.get("measure"),
        "measure_applied": taken.get("applied_by") == "service",
        "measure_confirmed_by": taken.get("confirmed_by"),
        "measure_confirmed_at": datetime.fromisoformat(confirmed_at) if confirmed_at else None,
    }


async def _correction_facts(connection: Connection, request_id: str, applied: dict) -> dict:
    details = await _details(connection, request_id)
    new_values = {(c["field"], c["action"]): c.get("new_value") for c in details.get("changes", ())}
    made = []
    for entry in _split(applied.get("made")):
        field, action = entry.split(":", 1)
        # What was made comes from the event; only the new value was sealed: erased, the
        # notice says so in its place.
        made.append((field, action, new_values.get((field, action), None if details else ERASED)))
    not_made = [tuple(entry.split(":", 2)) for entry in _split(applied.get("not_made"))]
    return {"changes_made": tuple(made), "changes_not_made": tuple(not_made)}


async def _provision_facts(connection: Connection, request_id: str, stopped: dict) -> dict:
    subject_id = await connection.fetchval(
        "SELECT subject_id FROM requests WHERE request_id = $1", request_id
    )
    # The recipients the person named, by name or id (none once the details were erased:
    # then the notice says what was stopped and continued, from the event, and names no
    # other partner); what matched no recipient on record is told back as such.
    details = await _details(connection, request_id)
    known = await connection.fetch(
        """SELECT p.partner_id, n.name, p.relationship FROM third_party_provisions p
             LEFT JOIN partner_names n USING (partner_id)
            WHERE p.subject_id = $1 ORDER BY p.partner_id""",
        subject_id,
    )
    matched = match_recipients(
        details.get("partners", ()), {row["partner_id"]: row["name"] for row in known}
    )
    relation = {
        row["partner_id"]: row["relationship"]
        for row in known
        if row["partner_id"] in matched.partner_ids
    }
    found = await connection.fetchval(
        "SELECT findings FROM investigations WHERE request_id = $1", request_id
    )
    # Each recipient by the name the disclosure gives it, with its id.
    names = {row["partner_id"]: row["name"] for row in known}

    def label(partner: str) -> str:
        return f"{names[partner]} ({partner})" if names.get(partner) else partner

    continued = (c.split(":", 1) for c in _split(stopped.get("continued")))
    standing = await not_third_party_facts(connection, relation, found)
    return {
        "already_stopped": tuple(map(label, (found or {}).get("already_stopped", ()))),
        "stopped_partners": tuple(map(label, _split(stopped.get("partners")))),
        "continued_partners": tuple((label(p), e) for p, e in continued),
        "unknown_partners": matched.unmatched,
        "consents_kept": tuple(map(label, _split(stopped.get("consents_kept")))),  # N13
        # Article 5 ¶2 as judged, with the particulars on record (N5).
        "not_third_parties": tuple((label(p), r) for p, r in standing["not_third_parties"]),
        "particulars": tuple((label(p), r, t) for p, r, t in standing["particulars"]),
    }
