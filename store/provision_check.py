"""Article 5's rule over the register in PostgreSQL: the provisions on record with what
the rule needs of the subject's items and of Article 3's register, and `dsr provisions
check`'s findings (domain/provision_rule.py). The `provision_feed` view, which is what
provision to partners reads, applies the same rule in SQL (migration 0016)."""

from __future__ import annotations

import asyncpg

from domain.holdings import ProvisionBasis, Relationship
from domain.provision_register import ProvisionOnRecord
from domain.provision_rule import (
    ProvisionFinding,
    provision_findings,
    purposes_including_provision,
)
from store.connection import Connection
from store.provisions import stored_bases, stored_consents


async def provisions_on_record(connection: Connection | asyncpg.Pool) -> list[ProvisionOnRecord]:
    """Every provision, with the items among its own that the subject's data holds as not
    lawfully obtained (Art 8's flag, which APPI Art 27(2) bars from opt-out)."""
    rows = await connection.fetch(
        """SELECT p.provision_id, p.subject_id, p.partner_id, p.relationship, p.legal_basis,
                  p.data_items, p.stopped_at IS NOT NULL AS stopped,
                  ARRAY(SELECT DISTINCT d.field FROM personal_data d
                         WHERE d.subject_id = p.subject_id AND d.field = ANY (p.data_items)
                           AND NOT d.lawfully_obtained) AS unlawful_items
             FROM third_party_provisions p ORDER BY p.subject_id, p.partner_id"""
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
        )
        for r in rows
    ]


async def purposes_in_force(connection: Connection | asyncpg.Pool) -> list[tuple[str, int]]:
    """Article 3's register now: each purpose in force, with its version (what an opt-out's
    purpose of use is judged against, as the provision_feed view judges it)."""
    rows = await connection.fetch(
        """SELECT purpose_id, version FROM purposes
            WHERE effective_from <= now() AND (superseded_at IS NULL OR now() < superseded_at)"""
    )
    return [(r["purpose_id"], r["version"]) for r in rows]


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
        purposes = await purposes_in_force(connection)
    return provision_findings(
        provisions, bases, consents, provision_purposes=purposes_including_provision(purposes)
    )
