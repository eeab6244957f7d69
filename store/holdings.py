"""What an investigation reads of the subject (domain/investigation.py decides on it): the
items held, without their values except the fields a correction compares, Article 3's
register as recorded, and the provisions to the partners a stop names with their footing in
Article 5's register."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.holdings import HeldItem, ProvisionBasis, Relationship
from domain.investigation import Holdings, ProvisionHeld
from domain.provision_rule import standing_footing
from domain.requests import RequestKind
from store.connection import Connection
from store.inventory import purposes_as_recorded
from store.provisions import stored_bases
from store.sealing import vault_of


async def load_holdings(
    connection: Connection, kind: RequestKind, subject_id: str, details: Mapping[str, Any]
) -> Holdings:
    rows = await connection.fetch(
        """SELECT item_id, category, field, value, purpose, lawfully_obtained,
                  suspended_at IS NOT NULL AS suspended,
                  coalesce(used_at, acquired_at) AS used_at
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
        provisions = await connection.fetch(
            """SELECT partner_id, relationship, legal_basis, stopped_at IS NOT NULL AS stopped
                 FROM third_party_provisions
                WHERE subject_id = $1 AND partner_id = ANY($2::text[])""",
            subject_id,
            list(dict.fromkeys(details["partners"])),
        )
        registered = await stored_bases(connection, [p["partner_id"] for p in provisions])
        own = {
            p["partner_id"]: (Relationship(p["relationship"]), ProvisionBasis(p["legal_basis"]))
            for p in provisions
        }
        return Holdings(
            items,
            provisions=[
                ProvisionHeld(p["partner_id"], own[p["partner_id"]], p["stopped"])
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
