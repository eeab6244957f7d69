"""Article 4's changes of purpose after their judgement: the publication on the website and
the completion, which puts the changed purpose in force (only now that it is published or
notified, Article 4 ¶2) and posts the privacy policy's next version (Article 9,
store/privacy_policy.py). The proposal and its judgement are store/purpose_changes.py."""

from __future__ import annotations

import hashlib
from datetime import datetime

import asyncpg

from domain.purpose_notice import PurposeTexts, publication_of_change
from domain.purposes import PurposeChangeProposal
from domain.registers import NewRegisterEvent, RegisterEventType
from store.connection import Connection
from store.privacy_policy import post_for_purpose_change
from store.purpose_changes import apply_change
from store.purposes import REGISTER_LOCK, SYSTEM, change_stream, load_register
from store.registers import append_register_event


def publication_text(change: asyncpg.Record) -> str:
    """What is published on the website (Article 4 ¶2), in Japanese and in English."""
    return publication_of_change(
        PurposeTexts(change["before_text"], change["before_text_ja"]),
        PurposeTexts(change["proposed_text"], change["proposed_text_ja"]),
    )


async def record_publication(pool: asyncpg.Pool, change_id: str, at: datetime) -> datetime:
    """The publication of an accepted change: its text and time on the change's row and a
    `purpose_change.published` event; a retry returns the first publication's time."""
    async with pool.acquire() as connection, connection.transaction():
        change = await _locked_accepted(connection, change_id)
        if change["published_at"] is not None:
            return change["published_at"]
        if change["status"] == "done":  # nothing is appended after `completed` (N4)
            raise LookupError(
                f"purpose change {change_id!r} is complete: no publication is recorded for it "
                "after `purpose_change.completed`"
            )
        text = publication_text(change)
        await connection.execute(
            """UPDATE purpose_changes SET published_at = $2, publication = $3
                WHERE change_id = $1""",
            change_id,
            at,
            text,
        )
        await append_register_event(
            connection,
            NewRegisterEvent(
                stream=change_stream(change_id),
                type=RegisterEventType.PURPOSE_CHANGE_PUBLISHED,
                payload={
                    "change_id": change_id,
                    "published_at": at.isoformat(),
                    "publication": text,
                    "publication_sha256": hashlib.sha256(text.encode()).hexdigest(),
                },
                occurred_at=at,
                actor=SYSTEM,
                idempotency_key=f"{change_stream(change_id)}/published",
            ),
        )
        return at


async def complete_change(
    pool: asyncpg.Pool, change_id: str, at: datetime, *, batches: int, unreachable: int
) -> int:
    """Put the change's version in force (now that it is published or notified: Article 4
    ¶2), post the privacy policy's next version (Article 9), and mark the change done, with
    a `purpose_change.completed` event holding its counts; returns the subjects notified.
    A retry changes nothing."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", REGISTER_LOCK)
        change = await _locked_accepted(connection, change_id)
        await _bring_into_force(connection, change, at)
        await connection.execute(
            """UPDATE purpose_changes SET status = 'done', completed_at = coalesce(completed_at, $2)
                WHERE change_id = $1""",
            change_id,
            at,
        )
        await append_register_event(
            connection,
            NewRegisterEvent(
                stream=change_stream(change_id),
                type=RegisterEventType.PURPOSE_CHANGE_COMPLETED,
                payload={
                    "change_id": change_id,
                    "affected": change["affected"],
                    "notified": change["notified"],
                    "unreachable": unreachable,
                    "batches": batches,
                    "published": change["published_at"] is not None,
                    "in_force_at": (await _in_force_at(connection, change_id)).isoformat(),
                },
                occurred_at=at,
                actor=SYSTEM,
                idempotency_key=f"{change_stream(change_id)}/completed",
            ),
        )
        return change["notified"]


async def _in_force_at(connection: Connection, change_id: str) -> datetime:
    return await connection.fetchval(
        "SELECT effective_from FROM purposes WHERE change_id = $1", change_id
    )


async def _bring_into_force(connection: Connection, change: asyncpg.Record, at: datetime) -> None:
    """The change's version, in force from `at`, and the policy's next version; nothing
    when it is in force already (a retry, or a change accepted before changes waited for
    their publication or notices)."""
    if await connection.fetchval(
        "SELECT 1 FROM purposes WHERE change_id = $1", change["change_id"]
    ):
        return
    register = await load_register(connection)
    current = register.current(change["purpose_id"])
    if current is None or current.version != change["from_version"]:
        raise LookupError(
            f"purpose change {change['change_id']!r} no longer follows the purpose's current "
            "version"
        )
    proposal = PurposeChangeProposal(
        change_id=change["change_id"],
        purpose_id=change["purpose_id"],
        new_text=change["proposed_text"],
        new_text_ja=change["proposed_text_ja"],
        related=change["related"],
        reason=change["reason"],
        decided_by=change["decided_by"],
        method=change["method"],
        proposed_at=change["proposed_at"],
    )
    await apply_change(connection, proposal, current, at)
    await connection.execute(
        "UPDATE purpose_changes SET in_force_at = $2 WHERE change_id = $1", change["change_id"], at
    )
    await post_for_purpose_change(
        connection, change["change_id"], await load_register(connection), at, change["decided_by"]
    )


async def _locked_accepted(connection: Connection, change_id: str) -> asyncpg.Record:
    change = await connection.fetchrow(
        """SELECT c.*, b.text AS before_text, b.text_ja AS before_text_ja
             FROM purpose_changes c
             LEFT JOIN purposes b ON b.purpose_id = c.purpose_id AND b.version = c.from_version
            WHERE c.change_id = $1 FOR UPDATE OF c""",
        change_id,
    )
    if change is None or change["status"] not in ("accepted", "done"):
        raise LookupError(f"purpose change {change_id!r} is not an accepted change")
    return change
