"""Article 3's purposes register and Article 4's changes of it, in PostgreSQL.

The `purposes` table holds every version of every purpose (domain/purposes.py); the
`purposes` register stream records each definition and change, a change's own stream
`purpose-change/<change id>` its proposal, judgement, publication and notices
(domain/registers.py). A change's row in `purpose_changes` is the projection the workflow
and `dsr purposes` read. Every write here is idempotent: its event's idempotency key is
fixed by what it records, so a retry appends nothing and changes nothing.

The notices of a change (one per affected subject) live in store/purpose_notices.py."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

import asyncpg

from domain.holdings import INCIDENTAL_PREFIX
from domain.purposes import (
    PurposeRegister,
    PurposeVersion,
    Relatedness,
    article_3_register,
)
from domain.registers import NewRegisterEvent, RegisterEventType
from store.connection import Connection
from store.registers import append_register_event

PURPOSES_STREAM = "purposes"
SYSTEM = "system"
# One lock for every change of the register: changes are rare, and two changes of one
# purpose judged at once would both supersede the same version.
REGISTER_LOCK = int.from_bytes(
    hashlib.sha256(b"dsr purposes register").digest()[:8], "big", signed=True
)


def change_stream(change_id: str) -> str:
    return f"purpose-change/{change_id}"


def affected_purposes(purpose_id: str, incidental: Iterable[str] = ()) -> list[str]:
    """The purposes an item names when it is used for this one: the purpose itself, a
    purpose incidental to it (Article 3's last item: `incidental:<id>`), or a purpose the
    register defines as incidental to it (`incidental`, from `incidental_purposes`)."""
    return [purpose_id, f"{INCIDENTAL_PREFIX}{purpose_id}", *incidental]


async def incidental_purposes(connection: Connection | asyncpg.Pool, purpose_id: str) -> list[str]:
    """The purposes in force now whose register entry says they are incidental to it."""
    return [
        row["purpose_id"]
        for row in await connection.fetch(
            """SELECT purpose_id FROM purposes
            WHERE incidental_to = $1 AND superseded_at IS NULL""",
            purpose_id,
        )
    ]


async def load_register(connection: Connection | asyncpg.Pool) -> PurposeRegister:
    rows = await connection.fetch(
        """SELECT purpose_id, version, text, effective_from, superseded_at, incidental_to,
                  text_ja, judged_by, change_id, includes_provision, posted_in
             FROM purposes ORDER BY purpose_id, version"""
    )
    return PurposeRegister.of(
        PurposeVersion(
            r["purpose_id"],
            r["version"],
            r["text"],
            r["effective_from"],
            r["superseded_at"],
            r["incidental_to"],
            r["text_ja"],
            r["judged_by"],
            r["change_id"],
            r["includes_provision"],
            r["posted_in"],
        )
        for r in rows
    )


async def purposes_as_recorded(connection: Connection | asyncpg.Pool) -> PurposeRegister:
    """Article 3's register as recorded; a purpose the policy lists that the register has
    not been seeded with yet counts as in force from the policy's start, as the policy
    says (seed_article_3 records them when a worker starts)."""
    recorded = await load_register(connection)
    known = {v.purpose_id for v in recorded.versions}
    return PurposeRegister.of(
        [*recorded.versions, *(v for v in article_3_register() if v.purpose_id not in known)]
    )


async def define_purpose(
    connection: Connection,
    version: PurposeVersion,
    *,
    occurred_at: datetime,
    actor: str = SYSTEM,
    relatedness: Relatedness | None = None,
) -> bool:
    """A purpose's first version and its `purpose.defined` event, in the caller's
    transaction; False when it was defined already (its event's key is the purpose's).
    An incidental purpose carries its relatedness judgement (who, when, why)."""
    made = await connection.fetchval(
        """INSERT INTO purposes (purpose_id, version, text, incidental_to, effective_from,
                                 text_ja, judged_by, judged_at, judgement)
           VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT DO NOTHING RETURNING purpose_id""",
        version.purpose_id,
        version.text,
        version.incidental_to,
        version.effective_from,
        version.text_ja,
        relatedness.judged_by if relatedness else None,
        relatedness.judged_at if relatedness else None,
        relatedness.reason if relatedness else None,
    )
    _, appended = await append_register_event(
        connection,
        NewRegisterEvent(
            stream=PURPOSES_STREAM,
            type=RegisterEventType.PURPOSE_DEFINED,
            payload={
                "purpose_id": version.purpose_id,
                "version": 1,
                "text": version.text,
                "incidental_to": version.incidental_to,
                "effective_from": version.effective_from.isoformat(),
                **(
                    {
                        "text_ja": version.text_ja,
                        "related_judged_by": relatedness.judged_by,
                        "related_judged_at": relatedness.judged_at.isoformat(),
                        "related_because": relatedness.reason,
                    }
                    if relatedness
                    else {}
                ),
            },
            occurred_at=occurred_at,
            actor=actor,
            idempotency_key=f"purposes/defined/{version.purpose_id}",
        ),
    )
    return made is not None or appended


async def add_posted_purpose(
    connection: Connection, version: PurposeVersion, *, occurred_at: datetime, actor: str
) -> None:
    """A purpose a posted version of the policy adds to Article 3's list (`version.posted_in`
    names it), in the posting's transaction, with its `purpose.defined` event (Article 9)."""
    await connection.execute("SELECT pg_advisory_xact_lock($1)", REGISTER_LOCK)
    await connection.execute(
        """INSERT INTO purposes (purpose_id, version, text, effective_from, text_ja,
                                 includes_provision, posted_in)
           VALUES ($1, 1, $2, $3, $4, $5, $6)""",
        version.purpose_id,
        version.text,
        version.effective_from,
        version.text_ja,
        version.includes_provision,
        version.posted_in,
    )
    await append_register_event(
        connection,
        NewRegisterEvent(
            stream=PURPOSES_STREAM,
            type=RegisterEventType.PURPOSE_DEFINED,
            payload={
                "purpose_id": version.purpose_id,
                "version": 1,
                "text": version.text,
                "text_ja": version.text_ja,
                "incidental_to": None,
                "effective_from": version.effective_from.isoformat(),
                "includes_provision": version.includes_provision,
                "posted_in": version.posted_in,
            },
            occurred_at=occurred_at,
            actor=actor,
            idempotency_key=f"purposes/defined/{version.purpose_id}",
        ),
    )


async def seed_article_3(pool: asyncpg.Pool, *, at: datetime | None = None) -> list[str]:
    """The purposes the policy lists in Article 3, as version 1 each, unless they are in
    the register already; returns those defined now. Every worker runs it at start."""
    defined = []
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", REGISTER_LOCK)
        for version in article_3_register():
            if await define_purpose(connection, version, occurred_at=at or datetime.now(UTC)):
                defined.append(version.purpose_id)
            # The Japanese text of a version seeded before the register kept one.
            await connection.execute(
                """UPDATE purposes SET text_ja = $3
                    WHERE purpose_id = $1 AND version = 1 AND text = $2 AND text_ja IS NULL""",
                version.purpose_id,
                version.text,
                version.text_ja,
            )
    return defined


async def purpose_listing(pool: asyncpg.Pool) -> list[dict[str, object]]:
    """Every version of every purpose, oldest first, for `dsr purposes list`."""
    rows = await pool.fetch(
        """SELECT purpose_id, version, text, text_ja, incidental_to, judged_by, judged_at,
                  judgement, effective_from, superseded_at, change_id, posted_in,
                  includes_provision
             FROM purposes ORDER BY purpose_id, version"""
    )
    return [dict(r) for r in rows]


async def published_changes(connection: Connection | asyncpg.Pool) -> list[asyncpg.Record]:
    """Every published change of a purpose, newest first, with its texts before and after
    and when it took effect (NULL: not yet), for the privacy center's purposes page."""
    return await connection.fetch(
        """SELECT c.change_id, c.purpose_id, c.published_at, c.proposed_text,
                  c.proposed_text_ja, b.text AS before_text, b.text_ja AS before_text_ja,
                  a.effective_from AS in_force_at
             FROM purpose_changes c
             JOIN purposes b ON b.purpose_id = c.purpose_id AND b.version = c.from_version
             LEFT JOIN purposes a ON a.change_id = c.change_id
            WHERE c.published_at IS NOT NULL
            ORDER BY c.published_at DESC, c.change_id"""
    )


async def establish_purpose(
    connection: Connection,
    current: PurposeVersion,
    following: PurposeVersion,
    relatedness: Relatedness,
    *,
    actor: str,
) -> None:
    """A purpose recorded without a relatedness judgement (by a load before issue 24)
    becomes one of Article 3's incidental purposes from `following.effective_from`: its
    current version is superseded and the judged one follows, with a `purpose.changed`
    event saying so. Items used for it before stay judged against the unjudged version,
    beyond purpose (domain.purposes.PurposeVersion.established)."""
    at = following.effective_from
    await connection.execute(
        """UPDATE purposes SET superseded_at = $3
            WHERE purpose_id = $1 AND version = $2 AND superseded_at IS NULL""",
        current.purpose_id,
        current.version,
        at,
    )
    await connection.execute(
        """INSERT INTO purposes (purpose_id, version, text, incidental_to, effective_from,
                                 text_ja, judged_by, judged_at, judgement)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        following.purpose_id,
        current.version + 1,
        following.text,
        following.incidental_to,
        at,
        following.text_ja,
        relatedness.judged_by,
        relatedness.judged_at,
        relatedness.reason,
    )
    await append_register_event(
        connection,
        NewRegisterEvent(
            stream=PURPOSES_STREAM,
            type=RegisterEventType.PURPOSE_CHANGED,
            payload={
                "purpose_id": following.purpose_id,
                "from_version": current.version,
                "to_version": current.version + 1,
                "text": following.text,
                "text_ja": following.text_ja,
                "incidental_to": following.incidental_to,
                "effective_from": at.isoformat(),
                "established": True,
                "related_judged_by": relatedness.judged_by,
                "related_judged_at": relatedness.judged_at.isoformat(),
                "related_because": relatedness.reason,
            },
            occurred_at=at,
            actor=actor,
            idempotency_key=f"purposes/established/{following.purpose_id}/{current.version + 1}",
        ),
    )
