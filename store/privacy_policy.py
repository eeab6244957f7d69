"""Article 9: the privacy policy's versions, recorded in the `privacy-policy` register
stream and the `privacy_policy_versions` table (domain/privacy_policy.py decides).

Article 9 ¶1 excepts "matters otherwise specified in this Policy" from changes without
notice, and Article 4 specifies how a purpose of use changes: a posted text whose Article 3
lists other purposes than the register is refused (domain/policy_text.py), unless its only
difference is one new purpose at the list's end that the posting declares: that purpose
enters the register with the version, in force from the version's effective time, and
each Article 4 change that takes effect posts the next version itself, its Article 3 written
from the register (`post_for_purpose_change`)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.policy_text import DeclaredPurpose, added_purpose, with_article_3
from domain.privacy_policy import PolicyVersion, PostingRefused, new_version
from domain.purposes import PurposeRegister, PurposeVersion
from domain.registers import NewRegisterEvent, RegisterEventType
from store.connection import Connection
from store.purposes import REGISTER_LOCK, add_posted_purpose, purposes_as_recorded
from store.registers import append_register_event

STREAM = "privacy-policy"
# One posting at a time, so two operators posting at once cannot both follow one version.
_POSTING_LOCK = 0x6473725F706F6C  # "dsr_pol"


def _version(row: asyncpg.Record) -> PolicyVersion:
    return PolicyVersion(row["version"], row["text_sha256"], row["posted_at"], row["effective_at"])


async def policy_versions(connection: Connection | asyncpg.Pool) -> list[PolicyVersion]:
    return [
        _version(row)
        for row in await connection.fetch(
            """SELECT version, text_sha256, posted_at, effective_at FROM privacy_policy_versions
            ORDER BY effective_at, posted_at"""
        )
    ]


async def version_in_force(connection: Connection | asyncpg.Pool, at: datetime) -> str | None:
    """The version in force at `at`, or None when none was posted by then."""
    row = await connection.fetchrow(
        """SELECT version FROM privacy_policy_versions WHERE effective_at <= $1
            ORDER BY effective_at DESC, posted_at DESC LIMIT 1""",
        at,
    )
    return row["version"] if row else None


async def first_posted_at(connection: Connection | asyncpg.Pool) -> datetime | None:
    """When the policy's first recorded version was posted (Article 9 register), or None."""
    return await connection.fetchval("SELECT min(posted_at) FROM privacy_policy_versions")


async def post_policy(
    pool: asyncpg.Pool,
    text: bytes,
    *,
    posted_at: datetime,
    effective_at: datetime | None,
    posted_by: str,
    new_purpose: DeclaredPurpose | None = None,
) -> PolicyVersion:
    """Record a posted version (PostingRefused says why one cannot be: among others, an
    Article 3 that differs from the purposes register otherwise than by `new_purpose`, the
    one purpose the text adds at its list's end, recorded in the register in the same
    transaction)."""
    try:
        readable = text.decode("utf-8")
    except UnicodeDecodeError:
        raise PostingRefused("the policy file is not UTF-8 text") from None
    async with pool.acquire() as connection, connection.transaction():
        # The register's lock first, as an Article 4 change that posts takes them.
        await connection.execute("SELECT pg_advisory_xact_lock($1)", REGISTER_LOCK)
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _POSTING_LOCK)
        register = await purposes_as_recorded(connection)
        added, problem = added_purpose(
            readable,
            register.article_3_list(),
            incidental_in_force(register),
            new_purpose,
            {v.purpose_id for v in register.versions},
        )
        if problem is not None:
            raise PostingRefused(problem)
        version = await _post(connection, text, posted_at, effective_at, posted_by, None)
        if added is not None:
            await add_posted_purpose(
                connection,
                PurposeVersion(
                    added.declared.purpose_id,
                    1,
                    added.text,
                    version.effective_at,
                    text_ja=added.declared.text_ja.strip(),
                    includes_provision=added.declared.includes_provision,
                    posted_in=version.version,
                ),
                occurred_at=posted_at,
                actor=posted_by,
            )
        return version


def incidental_in_force(register: PurposeRegister) -> tuple[str, ...]:
    """The register's established incidental purposes now, as the policy's text lists them
    beneath Article 3's incidental line."""
    return tuple(
        v.text
        for v in register.versions
        if v.superseded_at is None and v.incidental_to is not None and v.established
    )


async def post_for_purpose_change(
    connection: Connection, change_id: str, register: PurposeRegister, at: datetime, actor: str
) -> PolicyVersion | None:
    """The policy's next version for an Article 4 change that takes effect now, in the
    caller's transaction: the latest posted text with its Article 3 written from the
    register. None when no text is on record to start from (none posted, or only before the
    service kept texts) or this change posted its version already."""
    await connection.execute("SELECT pg_advisory_xact_lock($1)", _POSTING_LOCK)
    if await connection.fetchval(
        "SELECT 1 FROM privacy_policy_versions WHERE purpose_change = $1", change_id
    ):
        return None
    latest = await connection.fetchrow(
        """SELECT text FROM privacy_policy_versions ORDER BY effective_at DESC, posted_at DESC
            LIMIT 1"""
    )
    if latest is None or latest["text"] is None:
        return None
    text = with_article_3(latest["text"], register.article_3_list(), incidental_in_force(register))
    try:
        return await _post(connection, text.encode(), at, None, actor, change_id)
    except PostingRefused:
        return None  # the text is the latest version's already


async def _post(
    connection: Connection,
    text: bytes,
    posted_at: datetime,
    effective_at: datetime | None,
    posted_by: str,
    purpose_change: str | None,
) -> PolicyVersion:
    version = new_version(text, posted_at, effective_at, await policy_versions(connection))
    await connection.execute(
        """INSERT INTO privacy_policy_versions
               (version, text_sha256, posted_at, effective_at, posted_by, text, purpose_change)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        version.version,
        version.text_sha256,
        version.posted_at,
        version.effective_at,
        posted_by,
        text.decode("utf-8"),
        purpose_change,
    )
    await append_register_event(
        connection,
        NewRegisterEvent(
            stream=STREAM,
            type=RegisterEventType.PRIVACY_POLICY_POSTED,
            payload={
                "version": version.version,
                "text_sha256": version.text_sha256,
                "effective_at": version.effective_at.isoformat(),
                **({"purpose_change": purpose_change} if purpose_change else {}),
            },
            occurred_at=posted_at,
            actor=posted_by,
            idempotency_key=f"privacy-policy:{version.version}",
        ),
    )
    return version


async def latest_text(connection: Connection | asyncpg.Pool) -> tuple[str, str] | None:
    """The version in force now and its text, for the privacy center's page; None when no
    version with a text is in force."""
    row = await connection.fetchrow(
        """SELECT version, text FROM privacy_policy_versions WHERE effective_at <= now()
            ORDER BY effective_at DESC, posted_at DESC LIMIT 1"""
    )
    return None if row is None or row["text"] is None else (row["version"], row["text"])
