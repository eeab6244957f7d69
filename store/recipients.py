"""Who receives a subject's personal data (Article 5), as a disclosure names them (Article
6): per item, each partner a running provision on record names, by id and by name, with
its standing footing (domain/provision_rule.py `standing_footing`: a joint use or an
entrustment without its particulars is a third party). An item the feed withholds from a
partner (the rule's `held_back`, or the item's use suspended) is named too, marked as not
provided with the reason, so the disclosure and the feed say the same thing (review C6)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg

from domain.holdings import Relationship
from domain.provision_rule import held_back, standing_footing
from store.connection import Connection
from store.provision_check import provision_purposes, provisions_on_record
from store.provisions import stored_bases, stored_consents

Recipient = dict[str, Any]
"""`partner_id`, `name` (the id where no name is on record), `relationship`, `basis` (the
standing footing); for an item the feed does not carry to the partner, also `provided`:
False and `held_back`: why (a finding kind of domain/provision_rule.py, `use_suspended`,
or `provision_stopped_by_measure`)."""

USE_SUSPENDED = "use_suspended"
# Article 8 ¶4: an alternative measure stopped the item's provision to third parties
# (store/taking_measures.py; the feed leaves it out, migration 0024).
PROVISION_STOPPED = "provision_stopped_by_measure"


async def recipients_by_field(
    connection: Connection, subject_id: str
) -> dict[str, list[Recipient]]:
    """The partners each of the subject's fields is provided to now, or on record as
    provided to but withheld (a stopped provision is neither), ordered by partner id."""
    rows = await connection.fetch(
        """SELECT field, bool_and(suspended_at IS NOT NULL) AS suspended,
                  bool_and(provision_stopped_at IS NOT NULL) AS provision_stopped
             FROM personal_data WHERE subject_id = $1 GROUP BY field""",
        subject_id,
    )
    suspended = {row["field"] for row in rows if row["suspended"]}
    stopped = {row["field"] for row in rows if row["provision_stopped"]}
    by_field: dict[str, list[Recipient]] = {}
    for recipient, provision, reasons in await _standing(connection, subject_id):
        for field in sorted(provision.data_items):
            reason = reasons.get(field)
            why = reason.value if reason is not None else None
            if why is None and field in suspended:
                why = USE_SUSPENDED
            if why is None and field in stopped:
                why = PROVISION_STOPPED
            shown = recipient if why is None else recipient | {"provided": False, "held_back": why}
            by_field.setdefault(field, []).append(shown)
    return by_field


async def third_party_recipients(connection: Connection, subject_id: str) -> list[Recipient]:
    """The third parties the subject's data is provided to now, by their standing footing:
    what a request to stop provision (Article 5) may name, one by one or all together."""
    return [
        recipient
        for recipient, _, _ in await _standing(connection, subject_id)
        if recipient["relationship"] == Relationship.THIRD_PARTY.value
    ]


async def _standing(connection: Connection, subject_id: str) -> list[tuple[Recipient, Any, Any]]:
    """Each running provision of the subject's, by partner id: the recipient as named, the
    provision on record, and the items the rule withholds with why."""
    provisions = [p for p in await provisions_on_record(connection, subject_id) if not p.stopped]
    bases = await stored_bases(connection, [p.partner_id for p in provisions])
    consents = await stored_consents(connection, [subject_id])
    purposes = await provision_purposes(connection)
    names = {
        row["partner_id"]: row["name"]
        for row in await connection.fetch(
            "SELECT partner_id, name FROM partner_names WHERE partner_id = ANY($1::text[])",
            [p.partner_id for p in provisions],
        )
    }
    standing = []
    for provision in sorted(provisions, key=lambda p: p.partner_id):
        stored = bases.get(provision.partner_id)
        basis = stored.basis if stored else None
        consent = consents.get((subject_id, provision.partner_id))
        relationship, legal_basis = standing_footing(
            (provision.relationship, provision.legal_basis), basis
        )
        recipient: Recipient = {
            "partner_id": provision.partner_id,
            "name": names.get(provision.partner_id) or provision.partner_id,
            "relationship": relationship.value,
            "basis": legal_basis.value,
        }
        reasons = held_back(
            provision,
            basis,
            consent.consent if consent else None,
            provision_purposes=purposes,
        )
        standing.append((recipient, provision, reasons))
    return standing


async def third_parties_named(pool: asyncpg.Pool) -> list[tuple[str, str]]:
    """Every partner Article 5's register holds as a third party, as (id, name; the id
    where no name is recorded), by name: the same for everyone, so the privacy center can
    offer them to choose from before anyone has proved who they are. A joint use or an
    entrustment without its particulars on record stands as a third party too (N5)."""
    rows = await pool.fetch(
        """SELECT b.partner_id, coalesce(n.name, b.partner_id) AS name
             FROM provision_bases b LEFT JOIN partner_names n USING (partner_id)
            ORDER BY 2, 1"""
    )
    bases = await stored_bases(pool, [row["partner_id"] for row in rows])
    named = []
    for row in rows:
        if (stored := bases.get(row["partner_id"])) is None:
            continue  # recorded since the first read: the next page shows it
        footing = (stored.basis.relationship, stored.basis.legal_basis)
        if standing_footing(footing, stored.basis)[0] is Relationship.THIRD_PARTY:
            named.append((row["partner_id"], row["name"]))
    return named


async def record_partner_names(connection: Connection, names: Iterable[tuple[str, str]]) -> int:
    """The names partners are known by, as an inventory file gives them; returns how many
    were new or changed."""
    changed = 0
    for partner_id, name in names:
        status = await connection.execute(
            """INSERT INTO partner_names (partner_id, name) VALUES ($1, $2)
               ON CONFLICT (partner_id) DO UPDATE SET name = EXCLUDED.name, recorded_at = now()
                WHERE partner_names.name IS DISTINCT FROM EXCLUDED.name""",
            partner_id,
            name,
        )
        changed += int(status.split()[-1])
    return changed
