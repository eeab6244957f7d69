"""What the organisation's systems hold on a subject, as the store keeps it.

A collection from a system (connectors/) replaces that system's snapshot of the subject in
`personal_data`: one item per mapped field of each row found, sealed like every item,
with the system, the collection and the row's key (sealed too) beside it. The identities a
request searched a system with are kept sealed in `system_searches` until that system's
part of the act is confirmed, so a retry after a partial failure searches with the same.
Nothing here decides: domain/fulfilment.py plans what a decision does to these items.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from domain.datamap import Identity, System
from domain.fulfilment import SystemItem
from store.connection import Connection
from store.decision_effects import request_details
from store.sealing import ERASED, vault_of

# The fields of the service's own records that are identities a system may know.
IDENTITY_FIELDS = {
    "email": Identity.EMAIL,
    "phone": Identity.PHONE,
    "customer_number": Identity.CUSTOMER_NUMBER,
}


async def identities_of(
    connection: Connection, subject_id: str, *emails: str
) -> dict[Identity, list[str]]:
    """The identities a subject is known by: the subject id, the `emails` given (a
    request's sender's), and the e-mail, phone and customer number on the service's own
    record (the inventory's items)."""
    vault = vault_of(connection)
    identities: dict[Identity, list[str]] = {Identity.SUBJECT_ID: [subject_id]}
    rows = await connection.fetch(
        """SELECT field, value FROM personal_data
            WHERE subject_id = $1 AND system IS NULL AND field = ANY($2::text[])
            ORDER BY item_id""",
        subject_id,
        list(IDENTITY_FIELDS),
    )
    found = [(IDENTITY_FIELDS[row["field"]], vault.open(row["value"])) for row in rows]
    found += [(Identity.EMAIL, email) for email in emails]
    for identity, value in found:
        known = identities.setdefault(identity, [])
        if value and value != ERASED and value not in known:
            known.append(value)
    return identities


async def kept_search(
    connection: Connection, request_id: str, system: str, at: datetime
) -> tuple[str, dict[Identity, list[str]]]:
    """The request's subject, and the identities it searches `system` with: those kept
    from its first search, or, on the first (or once they were forgotten after a
    confirmed part), those known now: the subject's on record and the e-mail the request
    came from, kept now."""
    subject_id, _ = await request_details(connection, request_id)
    vault = vault_of(connection)
    row = await connection.fetchrow(
        "SELECT identities FROM system_searches WHERE request_id = $1 AND system = $2",
        request_id,
        system,
    )
    kept = vault.open_json(row["identities"]) if row and row["identities"] else None
    if kept is not None:
        return subject_id, {Identity(i): list(v) for i, v in kept.items()}
    requester = await connection.fetchval(
        "SELECT requester_email FROM request_details WHERE request_id = $1", request_id
    )
    emails = [vault.open(requester)] if requester is not None else []
    identities = await identities_of(connection, subject_id, *emails)
    if row is None:
        await connection.execute(
            """INSERT INTO system_searches (request_id, system, identities, searched_at)
               VALUES ($1, $2, $3, $4) ON CONFLICT (request_id, system) DO NOTHING""",
            request_id,
            system,
            await vault.seal_json(
                connection, subject_id, {i.value: v for i, v in identities.items()}
            ),
            at,
        )
    return subject_id, identities


async def forget_search(connection: Connection, request_id: str, system: str, at: datetime) -> None:
    """The system's part is confirmed: its identities are no longer needed."""
    await connection.execute(
        """UPDATE system_searches SET identities = NULL, confirmed_at = $3
            WHERE request_id = $1 AND system = $2""",
        request_id,
        system,
        at,
    )


async def replace_collected(
    connection: Connection,
    subject_id: str,
    name: str,
    system: System,
    rows: Iterable[tuple[str, str, Mapping[str, str | None], bool]],
    at: datetime,
) -> int:
    """The system's snapshot of the subject becomes `rows` ((collection, key, values by
    the map's field, restricted) each); returns the items it holds now."""
    vault = vault_of(connection)
    await connection.execute(
        "DELETE FROM personal_data WHERE subject_id = $1 AND system = $2", subject_id, name
    )
    records = []
    for collection, key, values, restricted in rows:
        fields = system.collections[collection].fields
        locator = await vault.seal(connection, subject_id, key)
        for field, value in values.items():
            if value is None:
                continue
            rule = fields[field]
            records.append(
                (
                    subject_id,
                    rule.category.value,
                    rule.as_field or field,
                    await vault.seal(connection, subject_id, value),
                    rule.purposes[0],
                    f"{name}.{collection}",
                    rule.lawfully_obtained,
                    at if restricted else None,
                    name,
                    collection,
                    locator,
                    field,
                    rule.identifying,
                )
            )
    await connection.executemany(
        """INSERT INTO personal_data (subject_id, category, field, value, purpose, source,
                                      lawfully_obtained, suspended_at, system, collection,
                                      locator, system_field, identifying)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
        records,
    )
    return len(records)


async def system_items(connection: Connection, subject_id: str, name: str) -> list[SystemItem]:
    """The subject's items the last collection found in the system, with their rows' keys."""
    vault = vault_of(connection)
    return [
        SystemItem(
            item_id=row["item_id"],
            collection=row["collection"],
            key=vault.open(row["locator"]),
            system_field=row["system_field"],
            field=row["field"],
            suspended=row["suspended"],
        )
        for row in await connection.fetch(
            """SELECT item_id, collection, locator, system_field, field,
                      suspended_at IS NOT NULL AS suspended
                 FROM personal_data WHERE subject_id = $1 AND system = $2 ORDER BY item_id""",
            subject_id,
            name,
        )
    ]
