"""What an investigation reads of the subject (domain/investigation.py decides on it): the
items held, without their values except the fields a correction compares, Article 3's
register as recorded, and the provisions to the partners a stop names with their footing in
Article 5's register."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from domain.holdings import HeldItem, ProvisionBasis, Relationship
from domain.investigation import Holdings, ProvisionHeld
from domain.provision_rule import standing_footing
from domain.requests import RequestKind
from store.connection import Connection
from store.provisions import stored_bases
from store.purposes import purposes_as_recorded
from store.sealing import vault_of


def past_uses(recorded: list[dict[str, Any]] | None) -> tuple[tuple[str | None, datetime], ...]:
    """An item's earlier uses as recorded by inventory loads (store/inventory_plan.py)."""
    return tuple(
        (use.get("purpose"), datetime.fromisoformat(use["since"])) for use in recorded or ()
    )


async def load_holdings(
    connection: Connection, kind: RequestKind, subject_id: str, details: Mapping[str, Any]
) -> Holdings:
    rows = await connection.fetch(
        """SELECT item_id, category, field, value, purpose, lawfully_obtained,
                  identifying, suspended_at IS NOT NULL AS suspended,
                  coalesce(used_at, acquired_at) AS used_at, past_uses
             FROM personal_data WHERE subject_id = $1 ORDER BY item_id""",
        subject_id,
    )
    items = [
        HeldItem(
            item_id=r["item_id"],
            category=r["category"],
            field=r["field"],
            purpose=r["purpose"],
            lawfully_obtained=r["lawfully_obtained"],
            suspended=r["suspended"],
            used_at=r["used_at"],
            past_uses=past_uses(r["past_uses"]),
            identifying=r["identifying"],
        )
        for r in rows
    ]
    if kind is RequestKind.CORRECTION:
        vault = vault_of(connection)
        values: dict[str, list[str]] = {}
        for row in rows:
            values.setdefault(row["field"], []).append(vault.open(row["value"]))
        return Holdings(items, values=values)
    if kind is RequestKind.SUSPENSION:
        return Holdings(items, register=await purposes_as_recorded(connection))
    if kind is RequestKind.THIRD_PARTY_STOP:
        # Every provision of the subject's: the person names a recipient by its name or its
        # id, or asks for every third party (domain/recipients.py matches them).
        provisions = await connection.fetch(
            """SELECT p.partner_id, n.name, p.relationship, p.legal_basis,
                      p.stopped_at IS NOT NULL AS stopped
                 FROM third_party_provisions p LEFT JOIN partner_names n USING (partner_id)
                WHERE p.subject_id = $1""",
            subject_id,
        )
        registered = await stored_bases(connection, [p["partner_id"] for p in provisions])
        own = {
            p["partner_id"]: (Relationship(p["relationship"]), ProvisionBasis(p["legal_basis"]))
            for p in provisions
        }
        return Holdings(
            items,
            provisions=[
                ProvisionHeld(p["partner_id"], own[p["partner_id"]], p["stopped"], p["name"])
                for p in provisions
            ],
            # Article 5 ¶2 (N5): a joint use or an entrustment without its particulars on
            # record stands as a third party (domain/provision_rule.py).
            registered={
                partner: standing_footing(
                    footing, stored.basis if (stored := registered.get(partner)) else None
                )
                for partner, footing in own.items()
            },
        )
    return Holdings(items)
