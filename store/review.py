"""What an operator needs in front of them to decide a request: the person's statement
and what they ask for, beside what we hold now. Read from Postgres only (personal data
never goes to Temporal); shown by `dsr review`.

What is read is opened (store/sealing.py). Details whose key was destroyed (the request's
personal data shredded) show as ERASED, and what only they said is left out: the review
still shows what we hold."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.findings import ChangeCheck, Findings, disclosure_plan
from domain.holdings import purpose_label
from domain.recipients import match_recipients
from domain.requests import CorrectionAction, DataCategory
from store.events import UnknownRequest
from store.recipients import recipients_by_field
from store.sealing import ERASED, vault_of


async def review_document(pool: asyncpg.Pool, request_id: str) -> dict[str, Any]:
    async with pool.acquire() as connection:
        vault = vault_of(connection)
        request = await connection.fetchrow(
            """SELECT r.request_id, r.kind, r.subject_id, r.status, r.step, d.details,
                      d.language
                 FROM requests r JOIN request_details d USING (request_id)
                WHERE r.request_id = $1""",
            request_id,
        )
        if request is None:
            raise UnknownRequest(request_id)
        held_rows = await connection.fetch(
            """SELECT item_id, category, field, value, purpose, lawfully_obtained,
                      identifying, suspended_at IS NOT NULL AS suspended, system, collection
                 FROM personal_data WHERE subject_id = $1
                ORDER BY category, field, system NULLS FIRST, collection, item_id""",
            request["subject_id"],
        )
        stored = await connection.fetchval(
            "SELECT findings FROM investigations WHERE request_id = $1", request_id
        )
        recipients = await recipients_by_field(connection, request["subject_id"])
        provisions = await connection.fetch(
            """SELECT p.partner_id, n.name, p.relationship, p.legal_basis,
                      p.stopped_at IS NOT NULL AS stopped
                 FROM third_party_provisions p LEFT JOIN partner_names n USING (partner_id)
                WHERE p.subject_id = $1 ORDER BY p.partner_id""",
            request["subject_id"],
        )
    opened = vault.open_json(request["details"])
    details: dict[str, Any] = opened if opened is not None else {}
    held = [{**dict(row), "value": vault.open(row["value"])} for row in held_rows]
    findings = Findings.model_validate(stored) if stored is not None else None
    document: dict[str, Any] = {
        "request_id": request_id,
        "kind": request["kind"],
        "status": request["status"],
        "step": request["step"],
        "subject_id": request["subject_id"],
        # What the staff write (a reason, a measure, an answer) is quoted in the notice as
        # written: they write it in the language of the person's notices.
        "language": request["language"],
        "statement": ERASED if opened is None else details.get("statement") or details.get("text"),
        "investigated": findings is not None,
    }
    values = {row["field"]: row["value"] for row in held}
    match request["kind"]:
        case "correction":
            document["changes"] = [
                _change(change, values) for change in details.get("changes") or ()
            ]
        case "suspension":
            in_breach = set(findings.items_in_breach) if findings else set()
            document["items"] = [_item(row, in_breach) for row in held]
            if opened is not None:
                document |= {"action": details["action"], "grounds": details["grounds"]}
        case "third_party_stop":
            # Named by name or id, or all third parties (domain/recipients.py).
            known = {row["partner_id"]: dict(row) for row in provisions}
            matched = match_recipients(
                details.get("partners") or (),
                {p: row["name"] for p, row in known.items()},
                everyone=bool(details.get("all_third_parties")),
            )
            document["all_third_parties"] = bool(details.get("all_third_parties"))
            document["partners"] = [known[p] for p in matched.partner_ids] + [
                {"partner_id": None, "named": text, "relationship": "unknown"}
                for text in matched.unmatched
            ]
        case "disclosure":
            plan = disclosure_plan(
                findings or Findings(requested_categories=tuple(details.get("categories") or ()))
            )
            document["items"] = [
                {
                    # The investigation's opaque id: what a decision names to withhold
                    # this item alone (Art 6 ¶1, `--withhold-part ID=GROUND`).
                    "item_id": row["item_id"],
                    "category": row["category"],
                    "field": row["field"],
                    "value": row["value"],
                    "system": _where(row),
                    "collection": row["collection"],
                    "identifying": row["identifying"],
                    "placement": plan.place(
                        DataCategory(row["category"]), row["identifying"]
                    ).value,
                    "purpose": purpose_label(row["purpose"]),
                    "recipients": recipients.get(row["field"], []),
                }
                for row in held
            ]
    return document


def _change(change: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    field, action = change["field"], CorrectionAction(change["action"])
    check = ChangeCheck(
        index=0,
        action=action,
        held=field in values,
        same_value=values.get(field) == change.get("new_value"),
    )
    return {
        "field": field,
        "action": action.value,
        "held_value": values.get(field),
        "requested_value": change.get("new_value"),
        "changes_something": check.effective,
        "why_not": check.why_not,
    }


INVENTORY = "inventory"
"""Where an item loaded from an inventory file lives: the service's own records."""


def _where(row: dict[str, Any]) -> str:
    """The system an item lives in (its collection there is beside it)."""
    return row["system"] or INVENTORY


def _item(row: dict[str, Any], in_breach: set[int]) -> dict[str, Any]:
    return {
        "item_id": row["item_id"],
        "category": row["category"],
        "field": row["field"],
        "value": row["value"],
        "system": _where(row),
        "collection": row["collection"],
        "purpose": purpose_label(row["purpose"]),
        "lawfully_obtained": row["lawfully_obtained"],
        "suspended": row["suspended"],
        "in_breach": row["item_id"] in in_breach,
    }
