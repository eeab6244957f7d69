"""Crypto-shredding: destroying a subject's data key so what was sealed under it is
unreadable everywhere at once, dumps and backups included.

A subject's key seals all of the subject's data, so destroying it alone would erase more
than was asked (an Article 8 erasure reaches the items in breach, not the rest; retention
reaches one closed request, not the others). Shredding therefore replaces the key: every
value still to be kept is opened with the old key and sealed again under a new one, in the
same transaction; the values to forget are left sealed under the old key; then the old key
is destroyed. Copies of the forgotten values made before (backups, dumps, WAL) were sealed
under the old key too, so they are gone with it; the values kept are readable from what is
written after.

`SEALED` lists every column holding personal data. A table that seals a new column must be
listed here, or shredding would leave it under a destroyed key (tests/store check that
every sealed value in a dump of the database is found through this list)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.redaction import Redaction
from store.connection import Connection
from store.sealing import key_of, open_with, seal_with, subject_lock, vault_of


@dataclass(frozen=True)
class SealedTable:
    """A table's sealed columns and how to find a subject's rows (`row_key`, and the
    `request_id` they belong to, if any) with $1 the subject id."""

    table: str
    key: str
    columns: tuple[str, ...]
    rows_of_subject: str
    keyed_with_subject: bool = False
    """`key` names a row only together with its `subject_id` (a two-column key)."""
    of_requests: bool = False
    """The rows belong to requests (their subject is the request's); else the table has a
    `subject_id` column of its own."""

    def where_row(self, first: int) -> str:
        """The WHERE clause naming one row: the key as ${first}, the subject after it."""
        clause = f"{self.key} = ${first}"
        return clause + (f" AND subject_id = ${first + 1}" if self.keyed_with_subject else "")


def _of_requests(table: str, key: str, columns: tuple[str, ...]) -> SealedTable:
    listed = ", ".join(f"t.{c}" for c in columns)
    return SealedTable(
        table,
        key,
        columns,
        f"SELECT t.{key} AS row_key, t.request_id, {listed} FROM {table} t"
        f" JOIN requests r USING (request_id) WHERE r.subject_id = $1",
        of_requests=True,
    )


SEALED: tuple[SealedTable, ...] = (
    SealedTable(
        "subjects",
        "subject_id",
        ("name",),
        "SELECT subject_id AS row_key, NULL::text AS request_id, name"
        " FROM subjects WHERE subject_id = $1",
    ),
    SealedTable(
        "personal_data",
        "item_id",
        ("value", "locator"),
        "SELECT item_id AS row_key, NULL::text AS request_id, value, locator"
        " FROM personal_data WHERE subject_id = $1",
    ),
    _of_requests("request_details", "request_id", ("requester_name", "requester_email", "details")),
    _of_requests("answers", "answer_id", ("body",)),
    _of_requests("operator_notes", "note_id", ("body",)),
    _of_requests("notifications", "notification_id", ("recipient", "subject_line", "body")),
    _of_requests("disclosures", "request_id", ("items",)),
    # The identities each system was searched with, until its part is confirmed.
    _of_requests("system_searches", "search_id", ("identities",)),
    SealedTable(
        "privacy_center_challenges",
        "challenge_id",
        ("submission",),
        "SELECT challenge_id AS row_key, request_id, submission"
        " FROM privacy_center_challenges WHERE subject_id = $1",
    ),
    # A status link belongs to its request (`pc-status-<request id>`), a one-time code to
    # the request its challenge became or whose disclosure it opens (Article 6), so
    # retention forgets them with the request.
    SealedTable(
        "privacy_center_notices",
        "notice_id",
        ("recipient", "subject_line", "body"),
        "SELECT n.notice_id AS row_key,"
        " coalesce(CASE WHEN n.idempotency_key LIKE 'pc-status-%'"
        " THEN substr(n.idempotency_key, 11) END, c.request_id, c.opens_disclosure)"
        " AS request_id,"
        " n.recipient, n.subject_line, n.body FROM privacy_center_notices n"
        " LEFT JOIN privacy_center_challenges c"
        " ON n.idempotency_key = 'pc-code-' || c.challenge_id::text"
        " WHERE n.subject_id = $1",
    ),
    # Article 4's notices of a changed purpose: the organisation's, kept with the subject.
    SealedTable(
        "purpose_change_notices",
        "change_id",
        ("recipient", "subject_line", "body"),
        "SELECT change_id AS row_key, NULL::text AS request_id, recipient,"
        " subject_line, body FROM purpose_change_notices WHERE subject_id = $1",
        keyed_with_subject=True,
    ),
)


# The texts an erasure's redaction reaches, as (table, column), and which of them hold
# JSON (redacted inside its strings only, so the document stays whole): what a person, an
# operator or a notice wrote about a request, and the forms of the privacy center. Not the
# addresses (a requester's name and e-mail are how the person is reached about those
# requests), nor the subject's own record, nor Article 4's notices, the organisation's text.
REDACTED_COLUMNS = frozenset(
    {
        ("request_details", "details"),
        ("answers", "body"),
        ("operator_notes", "body"),
        ("notifications", "body"),
        ("disclosures", "items"),
        ("privacy_center_challenges", "submission"),
        ("privacy_center_notices", "body"),
    }
)
JSON_COLUMNS = frozenset({"details", "items", "submission"})
# What the erasing request's person wrote: the statement that names what to erase, in its
# details and in the privacy center's form it came from. An erasure forgets these of the
# erasing request (they stay under the key destroyed) rather than redacting them: a
# statement quotes the values in words no redaction can be sure to find.
STATEMENT_COLUMNS = frozenset(
    {("request_details", "details"), ("privacy_center_challenges", "submission")}
)


@dataclass(frozen=True)
class Shredded:
    """What a shredding did: the key destroyed (None: the subject had none), the key the
    kept values are sealed under now, and how many values were kept and forgotten."""

    destroyed_key: str | None
    new_key: str | None = None
    resealed: int = 0
    forgotten: int = 0


async def shred_subject_key(
    connection: Connection,
    subject_id: str,
    *,
    forget_requests: frozenset[str] = frozenset(),
    redaction: Redaction | None = None,
    erasing: str | None = None,
) -> Shredded:
    """Replace the subject's key, keeping every value but those of `forget_requests` and
    the statement of `erasing` (the request whose erasure this is: its STATEMENT_COLUMNS),
    and with `redaction` applied to the texts (REDACTED_COLUMNS) as they are sealed again,
    the erasing request's other texts included.
    Runs in the caller's transaction; the caller records the event and, once committed,
    calls `destroy_shredded_keys` (until then the old key still opens, so a rollback
    loses nothing)."""
    if not connection.is_in_transaction():
        raise RuntimeError("shredding runs inside the transaction that records it")
    vault = vault_of(connection)
    await connection.execute("SELECT pg_advisory_xact_lock($1)", subject_lock(subject_id))
    old = await connection.fetchval(
        "SELECT key_id FROM subject_keys WHERE subject_id = $1 AND destroyed_at IS NULL FOR UPDATE",
        subject_id,
    )
    if old is None:
        return Shredded(destroyed_key=None)
    old_key = vault.keyring.unwrap(old)
    if old_key is None:
        raise RuntimeError(f"the current data key {old} of a subject is missing from the keyring")
    await connection.execute("UPDATE subject_keys SET destroyed_at = now() WHERE key_id = $1", old)
    new: tuple[str, bytes] | None = None
    resealed = forgotten = 0
    for sealed in SEALED:
        for row in await connection.fetch(sealed.rows_of_subject, subject_id):
            changes: dict[str, str] = {}
            for column in sealed.columns:
                value = row[column]
                if value is None or key_of(value) != old:
                    continue
                if row["request_id"] in forget_requests or (
                    erasing is not None
                    and row["request_id"] == erasing
                    and (sealed.table, column) in STATEMENT_COLUMNS
                ):
                    forgotten += 1
                    continue
                if new is None:
                    new = vault.keyring.create()
                    await connection.execute(
                        "INSERT INTO subject_keys (key_id, subject_id) VALUES ($1, $2)",
                        new[0],
                        subject_id,
                    )
                text = open_with(old_key, value)
                if redaction and (sealed.table, column) in REDACTED_COLUMNS:
                    text = (
                        redaction.apply_json(text)
                        if column in JSON_COLUMNS
                        else redaction.apply(text)
                    )
                changes[column] = seal_with(*new, text)
            if changes:
                assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(changes, start=1))
                await connection.execute(
                    f"UPDATE {sealed.table} SET {assignments}"
                    f" WHERE {sealed.where_row(len(changes) + 1)}",
                    *changes.values(),
                    row["row_key"],
                    *([subject_id] if sealed.keyed_with_subject else []),
                )
                resealed += len(changes)
    return Shredded(
        destroyed_key=old, new_key=new[0] if new else None, resealed=resealed, forgotten=forgotten
    )


async def destroy_shredded_keys(connection: Connection) -> int:
    """Destroy in the keyring every key the database records as destroyed: after a
    shredding commits, and again on every retention run, so a crash between the commit
    and the destruction leaves no key behind for long. Returns how many were looked at."""
    vault = vault_of(connection)
    keys = [
        row["key_id"]
        for row in await connection.fetch(
            "SELECT key_id FROM subject_keys WHERE destroyed_at IS NOT NULL"
        )
    ]
    for key_id in keys:
        vault.keyring.destroy(key_id)
    return len(keys)


async def due_for_shredding(
    connection: Connection, cutoff: datetime, limit: int
) -> list[tuple[str, str]]:
    """Up to `limit` requests closed before `cutoff` whose personal data is still held, as
    (request id, subject id), oldest closure first."""
    rows = await connection.fetch(
        """SELECT request_id, subject_id FROM requests
            WHERE closed_at < $1 AND personal_data_shredded_at IS NULL
            ORDER BY closed_at, request_id LIMIT $2""",
        cutoff,
        limit,
    )
    return [(row["request_id"], row["subject_id"]) for row in rows]


async def mark_shredded(connection: Connection, request_ids: list[str], as_of: datetime) -> None:
    """The requests' personal data is shredded: say so on their rows, and forget the blind
    index of the requester's address and the privacy center's keyed hash of it."""
    await connection.execute(
        """UPDATE requests SET personal_data_shredded_at = $2
            WHERE request_id = ANY($1::text[])""",
        request_ids,
        as_of,
    )
    await connection.execute(
        """UPDATE request_details SET requester_email_index = NULL
            WHERE request_id = ANY($1::text[])""",
        request_ids,
    )
    await connection.execute(
        """UPDATE privacy_center_challenges SET address_hash = 'forgotten'
            WHERE request_id = ANY($1::text[]) OR opens_disclosure = ANY($1::text[])""",
        request_ids,
    )
