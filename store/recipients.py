"""Who receives a subject's personal data (Article 5), as a disclosure names them (Article
6): per item, each partner a provision on record names, by id and by name, with its
relationship and footing. Article 5's register's footing wins over a provision row that
says otherwise, as in an investigation (domain/investigation.py)."""

from __future__ import annotations

from collections.abc import Iterable

import asyncpg

from store.connection import Connection

Recipient = dict[str, str]
"""`partner_id`, `name` (the id where no name is on record), `relationship`, `basis`."""


async def recipients_by_field(
    connection: Connection, subject_id: str
) -> dict[str, list[Recipient]]:
    """The partners each of the subject's fields is provided to now (a stopped provision
    no longer is), ordered by partner id."""
    by_field: dict[str, list[Recipient]] = {}
    for row in await _provisions(connection, subject_id):
        recipient = {key: row[key] for key in ("partner_id", "name", "relationship", "basis")}
        for field in row["data_items"]:
            by_field.setdefault(field, []).append(recipient)
    return by_field


async def third_party_recipients(connection: Connection, subject_id: str) -> list[Recipient]:
    """The third parties the subject's data is provided to now: what a request to stop
    provision (Article 5) may name, one by one or all together."""
    return [
        {key: row[key] for key in ("partner_id", "name", "relationship", "basis")}
        for row in await _provisions(connection, subject_id)
        if row["relationship"] == "third_party"
    ]


async def _provisions(connection: Connection, subject_id: str) -> list:
    return list(
        await connection.fetch(
            """SELECT p.partner_id, coalesce(n.name, p.partner_id) AS name,
                      coalesce(b.relationship, p.relationship) AS relationship,
                      coalesce(b.legal_basis, p.legal_basis) AS basis, p.data_items
                 FROM third_party_provisions p
                 LEFT JOIN provision_bases b USING (partner_id)
                 LEFT JOIN partner_names n USING (partner_id)
                WHERE p.subject_id = $1 AND p.stopped_at IS NULL
                ORDER BY p.partner_id""",
            subject_id,
        )
    )


async def third_parties_named(pool: asyncpg.Pool) -> list[tuple[str, str]]:
    """Every partner Article 5's register holds as a third party, as (id, name; the id
    where no name is recorded), by name: the same for everyone, so the privacy center can
    offer them to choose from before anyone has proved who they are."""
    rows = await pool.fetch(
        """SELECT b.partner_id, coalesce(n.name, b.partner_id) AS name
             FROM provision_bases b LEFT JOIN partner_names n USING (partner_id)
            WHERE b.relationship = 'third_party' ORDER BY 2, 1"""
    )
    return [(row["partner_id"], row["name"]) for row in rows]


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
