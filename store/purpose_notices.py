"""The notices of an accepted purpose change (Article 4 ¶2), one per affected subject.

A subject is affected when it holds an item whose purpose is the changed one (or is
incidental to it). Subjects are taken in batches in subject id order, after a cursor, so a
fan-out over any number of them keeps a small state: the last subject id done.

Each notice is a row of `purpose_change_notices` (primary key: change and subject) written
before anything is sent, its recipient, subject line and body sealed under the subject's
key. A row is sent while `pending` and marked `delivered` with the sender's handle once the
sender has it for good, so a retried batch sends only what is still pending and nobody is
written to twice for one change. A subject without a usable e-mail address on record (none,
its use suspended, or erased) gets no row and is counted as unreachable; the change is
published on the privacy center for them whatever its method (workflows/purpose_change.py).

A notice has the letterhead of every other notice (domain/purpose_notice.py) and quotes the
purposes in the person's language, the one of their latest request, else the default of
every notice (domain/requests.py DEFAULT_LANGUAGE)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.purpose_change_messages import notices_problem
from domain.purpose_notice import DEFAULT_LANGUAGE, PurposeTexts, notice_of_change
from domain.registers import NewRegisterEvent, RegisterEventType
from domain.requests import Language
from store.connection import Connection
from store.purposes import SYSTEM, affected_purposes, change_stream, incidental_purposes
from store.registers import append_register_event
from store.sealing import ERASED, Vault, key_of, open_with, seal_with, vault_of

# Whom a notice greets when no name is on record (erased, or never given).
NAMELESS = {Language.EN: "user", Language.JA: "ユーザー"}


@dataclass(frozen=True)
class Notice:
    """A notice to hand to the sender, opened: personal data, never in Temporal."""

    subject_id: str
    idempotency_key: str
    recipient: str
    subject_line: str
    body: str


@dataclass(frozen=True)
class ChangeTexts:
    purpose_id: str
    before: PurposeTexts
    after: PurposeTexts


class NoticesRefused(ValueError):
    """The change as recorded sends no notices now (published only, not accepted, or
    complete): nothing was sent or recorded."""


async def check_notices_owed(connection: Connection, change_id: str, *, lock: bool = False) -> None:
    """NoticesRefused unless the recorded change is accepted, not complete, and its method
    notifies (review N4: a forged run notified for a change to be published only, and
    appended after its `completed`). `lock`: the change's row is held to the transaction's
    end, so its completion waits for what is recorded here."""
    row = await connection.fetchrow(
        "SELECT status, method FROM purpose_changes WHERE change_id = $1"
        + (" FOR UPDATE" if lock else ""),
        change_id,
    )
    if row is None:
        raise NoticesRefused(f"no purpose change {change_id!r} is recorded")
    problem = notices_problem(change_id, row["status"], row["method"])
    if problem is not None:
        raise NoticesRefused(problem)


def notice_key(change_id: str, subject_id: str) -> str:
    """The notice's idempotency key: the maildrop file's name or the Message-ID derive
    from it, so a notice sent again replaces its first copy instead of adding one."""
    return f"purpose-change/{change_id}/{subject_id}"


async def change_texts(connection: Connection, change_id: str) -> ChangeTexts:
    row = await connection.fetchrow(
        """SELECT c.purpose_id, c.status, c.proposed_text, c.proposed_text_ja,
                  b.text AS before_text, b.text_ja AS before_text_ja
             FROM purpose_changes c
             JOIN purposes b ON b.purpose_id = c.purpose_id AND b.version = c.from_version
            WHERE c.change_id = $1""",
        change_id,
    )
    if row is None or row["status"] not in ("accepted", "done"):
        raise LookupError(f"purpose change {change_id!r} is not an accepted change")
    return ChangeTexts(
        row["purpose_id"],
        PurposeTexts(row["before_text"], row["before_text_ja"]),
        PurposeTexts(row["proposed_text"], row["proposed_text_ja"]),
    )


async def affected_after(
    connection: Connection, purpose_id: str, after: str | None, limit: int
) -> list[str]:
    """The next `limit` affected subjects after `after`, in subject id order."""
    rows = await connection.fetch(
        """SELECT DISTINCT subject_id FROM personal_data
            WHERE purpose = ANY($1::text[]) AND ($2::text IS NULL OR subject_id > $2)
            ORDER BY subject_id LIMIT $3""",
        affected_purposes(purpose_id, await incidental_purposes(connection, purpose_id)),
        after,
        limit,
    )
    return [r["subject_id"] for r in rows]


class _Keys:
    """Opens sealed values, unwrapping each data key once for the whole batch."""

    def __init__(self, vault: Vault, known: Iterable[tuple[str, bytes]] = ()) -> None:
        self._vault = vault
        self._keys: dict[str, bytes | None] = dict(known)

    def open(self, envelope: str) -> str:
        key_id = key_of(envelope)
        if key_id not in self._keys:
            self._keys[key_id] = self._vault.keyring.unwrap(key_id)
        key = self._keys[key_id]
        return ERASED if key is None else open_with(key, envelope)


async def prepare_notices(
    connection: Connection, change_id: str, texts: ChangeTexts, subjects: list[str]
) -> dict[str, Notice]:
    """Write the pending row of every subject of the batch that has none yet and an e-mail
    address to write to, sealed under the subject's key; returns those written now,
    opened (a retry's earlier rows are read back by `pending_notices`)."""
    vault = vault_of(connection)
    async with connection.transaction():
        present = {
            r["subject_id"]
            for r in await connection.fetch(
                """SELECT subject_id FROM purpose_change_notices
                WHERE change_id = $1 AND subject_id = ANY($2::text[])""",
                change_id,
                subjects,
            )
        }
        missing = [s for s in subjects if s not in present]
        if not missing:
            return {}
        # The subjects' keys first (their locks, shared): an erasure running now finishes
        # before the addresses are read, so an erased address is never sealed again.
        keys = await vault.current_keys(connection, missing)
        opener = _Keys(vault, keys.values())
        addresses = {
            r["subject_id"]: opener.open(r["value"])
            for r in await connection.fetch(
                """SELECT subject_id, value FROM personal_data
                WHERE subject_id = ANY($1::text[]) AND category = 'contact'
                  AND field = 'email' AND suspended_at IS NULL AND system IS NULL""",
                missing,
            )
        }
        languages = {
            r["subject_id"]: r["language"]
            for r in await connection.fetch(
                """SELECT DISTINCT ON (r.subject_id) r.subject_id, d.language
                 FROM requests r JOIN request_details d USING (request_id)
                WHERE r.subject_id = ANY($1::text[])
                ORDER BY r.subject_id, r.submitted_at DESC""",
                missing,
            )
        }
        names = {
            r["subject_id"]: opener.open(r["name"])
            for r in await connection.fetch(
                """SELECT subject_id, name FROM subjects
                WHERE subject_id = ANY($1::text[]) AND name IS NOT NULL""",
                missing,
            )
        }
        made: dict[str, Notice] = {}
        rows: list[tuple[str, str, str, str]] = []
        for subject_id in missing:
            address = addresses.get(subject_id)
            if address is None or address == ERASED or not address.strip():
                continue
            language = Language(languages.get(subject_id, DEFAULT_LANGUAGE))
            name = names.get(subject_id)
            if name is None or name == ERASED or not name.strip():
                name = NAMELESS[language]
            notice = notice_of_change(texts.before, texts.after, language, name)
            subject_line, body = notice.subject, notice.body
            key_id, key = keys[subject_id]
            rows.append(
                (
                    subject_id,
                    seal_with(key_id, key, address),
                    seal_with(key_id, key, subject_line),
                    seal_with(key_id, key, body),
                )
            )
            made[subject_id] = Notice(
                subject_id, notice_key(change_id, subject_id), address, subject_line, body
            )
        if not rows:
            return {}
        columns = [list(column) for column in zip(*rows, strict=True)]
        inserted = {
            r["subject_id"]
            for r in await connection.fetch(
                """INSERT INTO purpose_change_notices
                   (change_id, subject_id, recipient, subject_line, body)
               SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[])
               ON CONFLICT DO NOTHING RETURNING subject_id""",
                change_id,
                *columns,
            )
        }
    return {s: n for s, n in made.items() if s in inserted}


async def pending_notices(
    connection: Connection, change_id: str, subjects: list[str]
) -> tuple[list[Notice], int]:
    """The batch's notices still pending, opened, and how many of them cannot be sent:
    their recipient was erased after they were written."""
    opener = _Keys(vault_of(connection))
    notices, erased = [], 0
    for row in await connection.fetch(
        """SELECT subject_id, recipient, subject_line, body FROM purpose_change_notices
                WHERE change_id = $1 AND subject_id = ANY($2::text[]) AND status = 'pending'
                ORDER BY subject_id""",
        change_id,
        subjects,
    ):
        recipient = opener.open(row["recipient"])
        if recipient == ERASED:
            erased += 1
            continue
        notices.append(
            Notice(
                row["subject_id"],
                notice_key(change_id, row["subject_id"]),
                recipient,
                opener.open(row["subject_line"]),
                opener.open(row["body"]),
            )
        )
    return notices, erased


async def mark_delivered(
    pool: asyncpg.Pool, change_id: str, handed: list[tuple[str, str]], at: datetime
) -> int:
    """Mark these subjects' notices delivered (subject id, the sender's handle) and count
    them into the change's `notified`, in one transaction; returns how many turned
    delivered now (a row delivered before is not counted twice)."""
    if not handed:
        return 0
    subjects, handles = (list(column) for column in zip(*handed, strict=True))
    async with pool.acquire() as connection, connection.transaction():
        turned = await connection.fetch(
            """UPDATE purpose_change_notices n
                  SET status = 'delivered', delivered_at = $3, handed_to = d.handed_to
                 FROM unnest($2::text[], $4::text[]) AS d (subject_id, handed_to)
                WHERE n.change_id = $1 AND n.subject_id = d.subject_id
                  AND n.status = 'pending'
            RETURNING n.subject_id""",
            change_id,
            subjects,
            at,
            handles,
        )
        if turned:
            await connection.execute(
                "UPDATE purpose_changes SET notified = notified + $2 WHERE change_id = $1",
                change_id,
                len(turned),
            )
    return len(turned)


async def record_batch(
    pool: asyncpg.Pool,
    change_id: str,
    *,
    number: int,
    after: str | None,
    subjects: list[str],
    occurred_at: datetime,
) -> tuple[int, int]:
    """The batch's `purpose_change.notices_sent` event (counts and the subject ids that
    bound it, no personal data); returns (delivered, unreachable) of its subjects."""
    async with pool.acquire() as connection, connection.transaction():
        await check_notices_owed(connection, change_id, lock=True)
        delivered = await connection.fetchval(
            """SELECT count(*) FROM purpose_change_notices
                WHERE change_id = $1 AND subject_id = ANY($2::text[])
                  AND status = 'delivered'""",
            change_id,
            subjects,
        )
        unreachable = len(subjects) - delivered
        await append_register_event(
            connection,
            NewRegisterEvent(
                stream=change_stream(change_id),
                type=RegisterEventType.PURPOSE_CHANGE_NOTICES_SENT,
                payload={
                    "change_id": change_id,
                    "batch": number,
                    "after": after,
                    "through": subjects[-1] if subjects else after,
                    "subjects": len(subjects),
                    "delivered": delivered,
                    "unreachable": unreachable,
                },
                occurred_at=occurred_at,
                actor=SYSTEM,
                idempotency_key=f"{change_stream(change_id)}/notices/{number}",
            ),
        )
    return delivered, unreachable
