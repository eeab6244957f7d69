"""The privacy center's tables: its one-time-code challenges, status links and outbox, and
the request as its status page shows it.

Codes, typed addresses and status tokens arrive here already hashed
(interfaces/privacy_center/challenges.py keys them); forms, recipients and texts are
sealed under the subject's key (store/sealing.py). The functions taking a connection run
inside the caller's transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import asyncpg

from domain.guests import GUEST_PREFIX
from store.connection import Connection
from store.sealing import ERASED, Vault, key_of, subject_lock, vault_of

# --- Challenges ---------------------------------------------------------------------------


async def forget_stale_forms(connection: Connection, now: datetime) -> None:
    """A form whose code was never entered is not kept past the code's life."""
    await connection.execute(
        """UPDATE privacy_center_challenges SET submission = NULL
            WHERE submission IS NOT NULL AND verified_at IS NULL
              AND expires_at < $1""",
        now,
    )


async def on_record(connection: Connection, vault: Vault, email: str) -> tuple[str, str] | None:
    """The subject whose e-mail on record is `email` (trimmed, case-folded) and that
    address as recorded, found by its blind index. An address whose key was destroyed
    reaches nobody, so it counts as not registered."""
    rows = await connection.fetch(
        """SELECT subject_id, value FROM personal_data
            WHERE category = 'contact' AND field = 'email' AND value_index = $1
            ORDER BY subject_id, item_id""",
        vault.blind_index(email),
    )
    for row in rows:
        address = vault.open(row["value"])
        if address != ERASED:
            return row["subject_id"], address
    return None


async def add_guest(connection: Connection) -> str:
    """A new guest subject (domain/guests.py) for a CONTACT form sent from an address not
    on record: the form's personal data is sealed under its key."""
    subject_id = f"{GUEST_PREFIX}{uuid.uuid4().hex}"
    await connection.execute("INSERT INTO subjects (subject_id) VALUES ($1)", subject_id)
    return subject_id


async def forget_abandoned_guests(connection: Connection, now: datetime) -> list[str]:
    """The guests (N8) made for CONTACT forms whose code was never entered: every
    challenge of theirs expired unverified before `now`, and they have no request. Each
    one's data key is marked destroyed, its code messages withdrawn and its challenges no
    longer point at it; what is left is the guest's random id, nothing sealed. Runs in the
    caller's transaction; returns the keys, for the caller to destroy in the keyring once
    committed (the retention run destroys any it missed: store/shredding.py)."""
    guests = [
        row["subject_id"]
        for row in await connection.fetch(
            """SELECT DISTINCT c.subject_id FROM privacy_center_challenges c
                WHERE c.subject_id LIKE $2 || '%'
                  AND NOT EXISTS (SELECT 1 FROM requests r WHERE r.subject_id = c.subject_id)
                  AND NOT EXISTS (SELECT 1 FROM privacy_center_challenges o
                                   WHERE o.subject_id = c.subject_id
                                     AND (o.verified_at IS NOT NULL OR o.expires_at >= $1))""",
            now,
            GUEST_PREFIX,
        )
    ]
    keys: list[str] = []
    for subject_id in guests:
        await connection.execute("SELECT pg_advisory_xact_lock($1)", subject_lock(subject_id))
        # Through the owner's function (migration 0032), which lets a key go without an
        # event only for a guest that never made a request (no chain to record it in).
        for row in await connection.fetch(
            "SELECT key_id FROM subject_keys WHERE subject_id = $1 AND destroyed_at IS NULL",
            subject_id,
        ):
            await connection.execute("SELECT destroy_subject_key($1)", row["key_id"])
            keys.append(row["key_id"])
        await connection.execute(
            "DELETE FROM privacy_center_notices WHERE subject_id = $1", subject_id
        )
        await connection.execute(
            """UPDATE privacy_center_challenges SET subject_id = NULL, submission = NULL
                WHERE subject_id = $1""",
            subject_id,
        )
    return keys


async def add_challenge(
    connection: Connection,
    *,
    challenge_id: uuid.UUID,
    address_hash: str,
    subject_id: str | None,
    kind: str,
    language: str,
    submission: Any,
    code_hash: str,
    created_at: datetime,
    expires_at: datetime,
    opens_disclosure: str | None = None,
) -> None:
    """`opens_disclosure`: the request whose disclosure the code opens (no form then)."""
    await connection.execute(
        """INSERT INTO privacy_center_challenges
               (challenge_id, address_hash, subject_id, kind, language, submission,
                code_hash, created_at, expires_at, opens_disclosure)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)""",
        challenge_id,
        address_hash,
        subject_id,
        kind,
        language,
        submission,
        code_hash,
        created_at,
        expires_at,
        opens_disclosure,
    )


async def address_challenge(
    connection: Connection, challenge_id: uuid.UUID, subject_id: str, submission: Any
) -> None:
    """The challenge's address is on record (or a guest's): its subject and sealed form."""
    await connection.execute(
        """UPDATE privacy_center_challenges SET subject_id = $2, submission = $3
            WHERE challenge_id = $1 AND verified_at IS NULL""",
        challenge_id,
        subject_id,
        submission,
    )


async def address_of(connection: Connection, challenge_id: uuid.UUID) -> str | None:
    """The keyed hash of the challenge's address."""
    return await connection.fetchval(
        "SELECT address_hash FROM privacy_center_challenges WHERE challenge_id = $1",
        challenge_id,
    )


async def challenge_for_update(
    connection: Connection, challenge_id: uuid.UUID
) -> asyncpg.Record | None:
    """The challenge, locked until the transaction ends."""
    return await connection.fetchrow(
        """SELECT * FROM privacy_center_challenges WHERE challenge_id = $1
           FOR UPDATE""",
        challenge_id,
    )


async def count_wrong_code(
    connection: Connection,
    challenge_id: uuid.UUID,
    failed_attempts: int,
    locked_until: datetime | None,
) -> None:
    await connection.execute(
        """UPDATE privacy_center_challenges
              SET failed_attempts = $2, locked_until = $3 WHERE challenge_id = $1""",
        challenge_id,
        failed_attempts,
        locked_until,
    )


async def mark_verified(
    connection: Connection, challenge_id: uuid.UUID, verified_at: datetime, request_id: str | None
) -> None:
    await connection.execute(
        """UPDATE privacy_center_challenges SET verified_at = $2, request_id = $3
            WHERE challenge_id = $1""",
        challenge_id,
        verified_at,
        request_id,
    )


async def challenge_state(
    pool: asyncpg.Pool | Connection, challenge_id: uuid.UUID
) -> asyncpg.Record | None:
    """Whether the challenge is `locked` now and whether its code was `used`."""
    return await pool.fetchrow(
        """SELECT locked_until > now() AS locked, verified_at IS NOT NULL AS used
             FROM privacy_center_challenges WHERE challenge_id = $1""",
        challenge_id,
    )


async def forget_form(connection: Connection, challenge_id: uuid.UUID) -> None:
    await connection.execute(
        """UPDATE privacy_center_challenges SET submission = NULL
            WHERE challenge_id = $1""",
        challenge_id,
    )


# --- Status links -------------------------------------------------------------------------


async def requester_of(connection: Connection, request_id: str) -> asyncpg.Record | None:
    """The request's `subject_id` and sealed `requester_email`."""
    return await connection.fetchrow(
        """SELECT r.subject_id, d.requester_email
             FROM request_details d JOIN requests r USING (request_id)
            WHERE d.request_id = $1""",
        request_id,
    )


async def add_status_link(connection: Connection, token_hash: str, request_id: str) -> bool:
    """Whether the link was made now: a request has one link, made once."""
    made = await connection.fetchval(
        """INSERT INTO privacy_center_status_links (token_hash, request_id)
           VALUES ($1, $2) ON CONFLICT (request_id) DO NOTHING RETURNING request_id""",
        token_hash,
        request_id,
    )
    return made is not None


async def request_of_link(pool: asyncpg.Pool | Connection, token_hash: str) -> str | None:
    return await pool.fetchval(
        "SELECT request_id FROM privacy_center_status_links WHERE token_hash = $1", token_hash
    )


_STATUS = """
SELECT r.request_id, r.kind, r.status, r.step, r.overdue, r.outcome, r.submitted_at,
       r.personal_data_shredded_at, d.due_at, x.language, x.requester_email
  FROM requests r
  JOIN request_details x ON x.request_id = r.request_id
  LEFT JOIN deadlines d ON d.request_id = r.request_id AND d.step = r.step
                       AND d.status IN ('open', 'breached')
 WHERE r.request_id = $1
"""


async def status_row(pool: asyncpg.Pool, request_id: str) -> dict[str, Any] | None:
    """The request as its status page shows it, with `erased`: whether its personal data
    is gone (shredded by retention, or its key destroyed by an erasure). The page shows
    no personal value, but says so, rather than let the person think we still hold what
    they sent."""
    async with pool.acquire() as connection:
        row = await connection.fetchrow(_STATUS, request_id)
        if row is None:
            return None
        sealed = row["requester_email"]
        erased = row["personal_data_shredded_at"] is not None or (
            sealed is not None
            and (
                vault_of(connection).is_erased(sealed)
                or bool(
                    # Shredded, its key not yet deleted from the keyring (that follows the
                    # commit): forgotten all the same.
                    await connection.fetchval(
                        "SELECT destroyed_at IS NOT NULL FROM subject_keys WHERE key_id = $1",
                        key_of(sealed),
                    )
                )
            )
        )
    return {**dict(row), "erased": erased}


# --- The outbox ---------------------------------------------------------------------------


async def queue_notice(
    connection: Connection,
    key: str,
    purpose: str,
    subject_id: str,
    recipient: str,
    subject_line: str,
    body: str,
) -> int:
    """Queue a message to `recipient`, sealed under `subject_id`'s key (inside the
    caller's transaction), once per `key`; its notice id."""
    sealed = await vault_of(connection).seal_all(
        connection, subject_id, recipient, subject_line, body
    )
    notice_id = await connection.fetchval(
        """INSERT INTO privacy_center_notices
               (idempotency_key, purpose, subject_id, recipient, subject_line, body)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (idempotency_key) DO NOTHING
           RETURNING notice_id""",
        key,
        purpose,
        subject_id,
        *sealed,
    )
    if notice_id is None:
        notice_id = await connection.fetchval(
            "SELECT notice_id FROM privacy_center_notices WHERE idempotency_key = $1", key
        )
    return notice_id


async def pending_notices(connection: Connection, notice_ids: list[int]) -> list[asyncpg.Record]:
    """Pending messages, sealed: those named and any older than a minute (up to 50)."""
    return await connection.fetch(
        """SELECT notice_id, idempotency_key, recipient, subject_line, body
             FROM privacy_center_notices
            WHERE status = 'pending' AND (notice_id = ANY($1::bigint[]) OR
                  created_at < now() - interval '1 minute')
            ORDER BY notice_id LIMIT 50""",
        notice_ids,
    )


async def destroyed_keys(connection: Connection, key_ids: list[str]) -> set[str]:
    """Those of the keys marked destroyed (a shredding marks the key destroyed at its
    commit and deletes it from the keyring after: in between the key still opens what
    was forgotten)."""
    return {
        row["key_id"]
        for row in await connection.fetch(
            """SELECT key_id FROM subject_keys
            WHERE destroyed_at IS NOT NULL AND key_id = ANY($1::text[])""",
            key_ids,
        )
    }


async def mark_delivered(pool: asyncpg.Pool | Connection, notice_id: int) -> None:
    await pool.execute(
        """UPDATE privacy_center_notices SET status = 'delivered', delivered_at = now()
            WHERE notice_id = $1""",
        notice_id,
    )


async def withdraw_notice(pool: asyncpg.Pool | Connection, notice_id: int) -> None:
    """Remove a message still pending."""
    await pool.execute(
        "DELETE FROM privacy_center_notices WHERE notice_id = $1 AND status = 'pending'", notice_id
    )
