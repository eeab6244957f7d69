"""Article 5's rule over the register in PostgreSQL: the provisions on record with what
the rule needs of the subject's items and of Article 3's register, and `dsr provisions
check`'s findings (domain/provision_rule.py). The `provision_feed` view, which is what
provision to partners reads, applies the same rule in SQL (migration 0023)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

from domain.holdings import ProvisionBasis, Relationship
from domain.provision_register import ItemUses, ProvisionOnRecord
from domain.provision_rule import (
    ProvisionFinding,
    ProvisionPurposes,
    provision_findings,
    purposes_including_provision,
)
from store.connection import Connection
from store.holdings import past_uses
from store.provisions import stored_bases, stored_consents
from store.purposes import purposes_as_recorded


async def provisions_on_record(
    connection: Connection | asyncpg.Pool, subject_id: str | None = None
) -> list[ProvisionOnRecord]:
    """Every provision (the subject's only, when given), with the items among its own that
    the subject's data holds as not lawfully obtained (Art 8's flag, which APPI Art 27(2)
    bars from opt-out), and each of those items' uses (an opt-out carries only items held
    for its purpose, C2)."""
    rows = await connection.fetch(
        """SELECT p.provision_id, p.subject_id, p.partner_id, p.relationship, p.legal_basis,
                  p.data_items, p.stopped_at IS NOT NULL AS stopped,
                  ARRAY(SELECT DISTINCT d.field FROM personal_data d
                         WHERE d.subject_id = p.subject_id AND d.field = ANY (p.data_items)
                           AND NOT d.lawfully_obtained) AS unlawful_items,
                  (SELECT coalesce(jsonb_agg(jsonb_build_object(
                              'field', d.field, 'purpose', d.purpose,
                              'since', coalesce(d.used_at, d.acquired_at),
                              'past_uses', d.past_uses) ORDER BY d.item_id), '[]'::jsonb)
                     FROM personal_data d
                    WHERE d.subject_id = p.subject_id AND d.field = ANY (p.data_items)) AS held
             FROM third_party_provisions p
            WHERE $1::text IS NULL OR p.subject_id = $1
            ORDER BY p.subject_id, p.partner_id""",
        subject_id,
    )
    return [
        ProvisionOnRecord(
            r["provision_id"],
            r["subject_id"],
            r["partner_id"],
            Relationship(r["relationship"]),
            ProvisionBasis(r["legal_basis"]),
            frozenset(r["data_items"]),
            r["stopped"],
            frozenset(r["unlawful_items"]),
            tuple(_uses(item) for item in r["held"]),
        )
        for r in rows
    ]


def _uses(item: dict[str, Any]) -> ItemUses:
    current = (item["purpose"], datetime.fromisoformat(item["since"]))
    return ItemUses(item["field"], (*past_uses(item["past_uses"]), current))


async def provision_purposes(connection: Connection | asyncpg.Pool) -> ProvisionPurposes:
    """Article 3's register as recorded, read at the database's now: what an opt-out's
    purpose and its items are judged against, as the provision_feed view judges them."""
    register = await purposes_as_recorded(connection)
    return purposes_including_provision(register, await connection.fetchval("SELECT now()"))


async def check_provisions(pool: asyncpg.Pool) -> list[ProvisionFinding]:
    """Every running provision with no valid basis on record (`dsr provisions check`),
    read in one snapshot."""
    async with (
        pool.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        provisions = await provisions_on_record(connection)
        bases = [s.basis for s in (await stored_bases(connection)).values()]
        consents = [s.consent for s in (await stored_consents(connection)).values()]
        purposes = await provision_purposes(connection)
    return provision_findings(provisions, bases, consents, provision_purposes=purposes)
