"""Sealing what a database migrated from before 0010 still holds in plain.

SQL has no key, so migration 0010 only changes the columns' types; the worker seals what is
left at its next start, before it serves anything: each unsealed value is sealed under its
subject's key and the blind indexes are filled in. Idempotent: a value already sealed is
left alone, so a start interrupted halfway finishes the job at the next one."""

from __future__ import annotations

import asyncpg
import structlog

from store.connection import Connection
from store.sealing import PREFIX, vault_of
from store.shredding import SEALED, SealedTable

log = structlog.get_logger(__name__)

_UNSEALED = f"NOT LIKE '{PREFIX}.%'"
# Sealed under a key not destroyed (a shredded value has no index to fill in).
_OPENABLE = (
    "split_part({column}, '.', 2) IN (SELECT key_id FROM subject_keys WHERE destroyed_at IS NULL)"
)


def _unsealed_rows(sealed: SealedTable) -> str:
    """The rows of a table with a value still in plain, with the subject they belong to."""
    listed = ", ".join(f"t.{c}" for c in sealed.columns)
    plain = " OR ".join(f"t.{c} {_UNSEALED}" for c in sealed.columns)
    if not sealed.of_requests:
        return (
            f"SELECT t.{sealed.key} AS row_key, t.subject_id, {listed}"
            f" FROM {sealed.table} t WHERE t.subject_id IS NOT NULL AND ({plain})"
        )
    return (
        f"SELECT t.{sealed.key} AS row_key, r.subject_id, {listed} FROM {sealed.table} t"
        f" JOIN requests r USING (request_id) WHERE {plain}"
    )


async def seal_plaintext_left(pool: asyncpg.Pool) -> int:
    """Seal every personal value still in plain; returns how many were sealed."""
    count = 0
    async with pool.acquire() as connection:
        vault = vault_of(connection)
        await _name_notice_subjects(connection)
        for sealed in SEALED:
            for row in await connection.fetch(_unsealed_rows(sealed)):
                async with connection.transaction():
                    changes = {
                        c: await vault.seal(connection, row["subject_id"], row[c])
                        for c in sealed.columns
                        if row[c] is not None and not row[c].startswith(f"{PREFIX}.")
                    }
                    assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(changes, start=1))
                    await connection.execute(
                        f"UPDATE {sealed.table} SET {assignments}"
                        f" WHERE {sealed.where_row(len(changes) + 1)}",
                        *changes.values(),
                        row["row_key"],
                        *([row["subject_id"]] if sealed.keyed_with_subject else []),
                    )
                    count += len(changes)
        count += await _index_addresses(connection)
    if count:
        log.info("personal data stored before sealing is sealed now", values=count)
    return count


async def _name_notice_subjects(connection: Connection) -> None:
    """The privacy center's outbox had no subject: its rows are given the subject whose
    registered address they went to; a row no subject's address matches (none should) is
    removed, since it cannot be sealed and its code or link is long expired."""
    for row in await connection.fetch(
        f"SELECT notice_id, recipient FROM privacy_center_notices"
        f" WHERE subject_id IS NULL AND recipient {_UNSEALED}"
    ):
        subject = await connection.fetchval(
            f"""SELECT subject_id FROM personal_data
                 WHERE category = 'contact' AND field = 'email' AND value {_UNSEALED}
                   AND lower(value) = lower($1) LIMIT 1""",
            row["recipient"],
        )
        if subject is None:
            await connection.execute(
                "DELETE FROM privacy_center_notices WHERE notice_id = $1", row["notice_id"]
            )
        else:
            await connection.execute(
                "UPDATE privacy_center_notices SET subject_id = $2 WHERE notice_id = $1",
                row["notice_id"],
                subject,
            )


async def _index_addresses(connection: Connection) -> int:
    """Fill in the blind indexes of e-mail addresses sealed without one."""
    vault = vault_of(connection)
    count = 0
    for row in await connection.fetch(
        f"SELECT item_id, value FROM personal_data WHERE field = 'email'"
        f" AND value_index IS NULL AND {_OPENABLE.format(column='value')}"
    ):
        address = vault.open(row["value"])
        await connection.execute(
            "UPDATE personal_data SET value_index = $2 WHERE item_id = $1",
            row["item_id"],
            vault.blind_index(address),
        )
        count += 1
    for row in await connection.fetch(
        f"SELECT request_id, requester_email FROM request_details"
        f" WHERE requester_email_index IS NULL"
        f" AND {_OPENABLE.format(column='requester_email')}"
    ):
        address = vault.open(row["requester_email"])
        await connection.execute(
            "UPDATE request_details SET requester_email_index = $2 WHERE request_id = $1",
            row["request_id"],
            vault.blind_index(address),
        )
        count += 1
    return count
