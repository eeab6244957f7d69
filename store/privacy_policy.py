"""Article 9: the privacy policy's versions, recorded in the `privacy-policy` register
stream and the `privacy_policy_versions` table (domain/privacy_policy.py decides)."""

from __future__ import annotations

from datetime import datetime

import asyncpg

from domain.privacy_policy import PolicyVersion, new_version
from domain.registers import NewRegisterEvent, RegisterEventType
from store.connection import Connection
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


async def post_policy(
    pool: asyncpg.Pool,
    text: bytes,
    *,
    posted_at: datetime,
    effective_at: datetime | None,
    posted_by: str,
) -> PolicyVersion:
    """Record a posted version (PostingRefused says why one cannot be)."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", _POSTING_LOCK)
        version = new_version(text, posted_at, effective_at, await policy_versions(connection))
        await connection.execute(
            """INSERT INTO privacy_policy_versions
                   (version, text_sha256, posted_at, effective_at, posted_by)
               VALUES ($1, $2, $3, $4, $5)""",
            version.version,
            version.text_sha256,
            version.posted_at,
            version.effective_at,
            posted_by,
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
                },
                occurred_at=posted_at,
                actor=posted_by,
                idempotency_key=f"privacy-policy:{version.version}",
            ),
        )
    return version
