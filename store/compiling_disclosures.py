"""Article 6: compiling a disclosure, inside the caller's transaction
(store/decision_effects.py carries the decision out): what is disclosed, with its purpose
and recipients, and what is left out, under which clause, counted; what is withheld under
¶1 is also recorded part by part (a category, or one item by its field), with its ground."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.events import PayloadValue
from domain.field_vocabulary import item_label as _item_label
from domain.findings import Placement
from domain.messages import CarryOut
from domain.requests import DataCategory
from store.connection import Connection
from store.purposes import purposes_as_recorded
from store.recipients import recipients_by_field
from store.sealing import vault_of


def item_label(row: asyncpg.Record | dict) -> str:
    """An item's field, and where it is kept when that is one of the organisation's
    systems rather than the service's own records: no value."""
    system = row["system"]
    return _item_label(str(row["field"]), system, None if system is None else row["collection"])


async def compile_disclosure(
    connection: Connection, order: CarryOut, subject_id: str
) -> tuple[int, dict[str, PayloadValue]]:
    """Article 6: every item asked for and held, less what the decision withheld and what
    ¶2 leaves out (held in a form that does not identify the person), counted by category.
    Each item names its purpose and its recipients (Article 5: a person can only ask to
    stop provision to those they know of)."""
    decision = order.decision
    plan = decision.choice().plan(order.findings)
    vault = vault_of(connection)
    rows = await connection.fetch(
        "SELECT item_id, category, field, value, purpose, suspended_at IS NOT NULL AS suspended,"
        " system, collection, identifying FROM personal_data WHERE subject_id = $1"
        " ORDER BY category, field, system NULLS FIRST, collection, item_id",
        subject_id,
    )
    recipients = await recipients_by_field(connection, subject_id)
    # Each purpose in the words of the register at the time of the disclosure, in both
    # languages: the page shows it in the person's (an id is no answer to "what for").
    register = await purposes_as_recorded(connection)
    items: list[dict[str, Any]] = []
    left_out: dict[Placement, dict[str, int]] = {Placement.EXCLUDED: {}, Placement.WITHHELD: {}}
    alone = {p.item_id: p for p in decision.withheld_parts if p.item_id is not None}
    parts: list[dict[str, Any]] = []
    for row in rows:
        place = plan.place(DataCategory(row["category"]), row["identifying"], row["item_id"])
        if place is Placement.DISCLOSED:
            item = {k: v for k, v in dict(row).items() if k not in ("identifying", "item_id")}
            # A system's copy of a field is provided as the field is.
            version = register.current(row["purpose"]) if row["purpose"] else None
            item |= {
                "value": vault.open(row["value"]),
                "recipients": recipients.get(row["field"], []),
                "purpose_text": None
                if version is None
                else {"en": version.text_in("en"), "ja": version.text_in("ja")},
            }
            items.append(item)
        elif place in left_out:
            counts = left_out[place]
            counts[row["category"]] = counts.get(row["category"], 0) + 1
        if place is Placement.WITHHELD and row["item_id"] in alone:
            # One item withheld alone: its category and field (never the value), its ground.
            part = alone[row["item_id"]]
            parts.append(_part(row["category"], item_label(row), 1, part.ground.value))
    for part in decision.withheld_parts:  # whole categories, each with its own ground
        if part.category is not None:
            n = left_out[Placement.WITHHELD].get(part.category.value, 0)
            if n:
                parts.append(_part(part.category.value, None, n, part.ground.value))
    await connection.execute(
        """INSERT INTO disclosures (request_id, items, compiled_at, excluded, withheld,
                                    withheld_parts)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (request_id) DO NOTHING""",
        order.request_id,
        await vault.seal_json(connection, subject_id, items),
        order.occurred_at,
        left_out[Placement.EXCLUDED],
        left_out[Placement.WITHHELD],
        parts,
    )
    return len(items), {
        "excluded": sum(left_out[Placement.EXCLUDED].values()),
        "withheld": sum(left_out[Placement.WITHHELD].values()),
        "included_categories": ",".join(c.value for c in decision.included_categories),
        **({"withheld_parts": len(parts)} if parts else {}),
    }


def _part(category: str, field: str | None, items: int, ground: str) -> dict[str, Any]:
    return {"category": category, "field": field, "items": items, "ground": ground}
