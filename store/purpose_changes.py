"""Article 4's changes of purpose, as the store records them: a proposal and its judgement,
and the register changed by it. Each a register event in the change's own stream
(store/registers.py) and Article 3's register's.

An accepted change does not take effect at its acceptance: its new version is put in force
(`apply_change`) when the change completes, after its publication and its notices (Article
4 ¶2; store/purpose_publication.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from domain.purposes import (
    ChangeRefused,
    PurposeChangeProposal,
    PurposeVersion,
    judge,
)
from domain.registers import NewRegisterEvent, RegisterEventType
from store.connection import Connection
from store.purposes import (
    PURPOSES_STREAM,
    REGISTER_LOCK,
    affected_purposes,
    change_stream,
    incidental_purposes,
    load_register,
)
from store.registers import append_register_event


class ChangeIdTaken(ValueError):
    """A change id already names another change; nothing was recorded."""


@dataclass(frozen=True)
class RecordedChange:
    """A change's row in `purpose_changes`: what was proposed and how it was judged."""

    change_id: str
    purpose_id: str
    status: str  # proposed, refused, accepted, done
    refusal: str | None
    from_version: int | None
    to_version: int | None
    affected: int | None
    notified: int
    published_at: datetime | None
    before_text: str | None
    after_text: str


async def apply_change(
    connection: Connection, proposal: PurposeChangeProposal, current: PurposeVersion, at: datetime
) -> PurposeVersion:
    """Supersede the purpose's current version and put the proposal's text in force from
    `at`, with the `purpose.changed` event, in one transaction."""
    following = PurposeVersion(
        current.purpose_id,
        current.version + 1,
        proposal.new_text,
        at,
        incidental_to=current.incidental_to,
        text_ja=proposal.new_text_ja,
        judged_by=current.judged_by,
        change_id=proposal.change_id,
    )
    async with connection.transaction():
        await connection.execute(
            """UPDATE purposes SET superseded_at = $3
                WHERE purpose_id = $1 AND version = $2 AND superseded_at IS NULL""",
            current.purpose_id,
            current.version,
            at,
        )
        await connection.execute(
            """INSERT INTO purposes (purpose_id, version, text, incidental_to, effective_from,
                                     change_id, text_ja, judged_by, judged_at, judgement,
                                     includes_provision)
               SELECT $1, $2, $3, $4, $5, $6, $7, judged_by, judged_at, judgement,
                      includes_provision
                 FROM purposes WHERE purpose_id = $1 AND version = $8""",
            following.purpose_id,
            following.version,
            following.text,
            following.incidental_to,
            at,
            proposal.change_id,
            following.text_ja,
            current.version,
        )
        await append_register_event(
            connection,
            NewRegisterEvent(
                stream=PURPOSES_STREAM,
                type=RegisterEventType.PURPOSE_CHANGED,
                payload={
                    "purpose_id": following.purpose_id,
                    "change_id": proposal.change_id,
                    "from_version": current.version,
                    "to_version": following.version,
                    "text": following.text,
                    "text_ja": following.text_ja,
                    "effective_from": at.isoformat(),
                },
                occurred_at=at,
                actor=proposal.decided_by,
                idempotency_key=f"{change_stream(proposal.change_id)}/changed",
            ),
        )
    return following


def _same_proposal(row: asyncpg.Record, proposal: PurposeChangeProposal) -> bool:
    return (
        row["purpose_id"],
        row["proposed_text"],
        row["related"],
        row["decided_by"],
        row["reason"],
        row["method"],
    ) == (
        proposal.purpose_id,
        proposal.new_text,
        proposal.related,
        proposal.decided_by,
        proposal.reason,
        proposal.method.value,
    )


async def record_proposal(
    pool: asyncpg.Pool, proposal: PurposeChangeProposal, at: datetime
) -> RecordedChange:
    """Record the proposal and its judgement (domain.purposes.judge) in one transaction:
    the change's row and events, and for an accepted change the register's new version.
    A retry returns what was recorded; a change id used for another change is refused."""
    stream = change_stream(proposal.change_id)
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock($1)", REGISTER_LOCK)
        row = await connection.fetchrow(
            "SELECT * FROM purpose_changes WHERE change_id = $1", proposal.change_id
        )
        if row is not None:
            if not _same_proposal(row, proposal):
                raise ChangeIdTaken(
                    f"change id {proposal.change_id!r} already names another "
                    "change; choose a new one"
                )
            return await _recorded(connection, proposal.change_id)
        register = await load_register(connection)
        under_way = await connection.fetchval(
            """SELECT change_id FROM purpose_changes c
                WHERE purpose_id = $1 AND status = 'accepted'
                  AND NOT EXISTS (SELECT 1 FROM purposes p WHERE p.change_id = c.change_id)""",
            proposal.purpose_id,
        )
        current: PurposeVersion | None  # None: a refused change of a purpose not registered
        try:
            current = judge(proposal, register, under_way=under_way)
            refusal = None
        except ChangeRefused as refused:
            current, refusal = register.current(proposal.purpose_id), str(refused)
        affected = (
            None
            if refusal
            else await connection.fetchval(
                """SELECT count(DISTINCT subject_id) FROM personal_data
                WHERE purpose = ANY($1::text[])""",
                affected_purposes(
                    proposal.purpose_id, await incidental_purposes(connection, proposal.purpose_id)
                ),
            )
        )
        await connection.execute(
            """INSERT INTO purpose_changes
                   (change_id, purpose_id, from_version, proposed_text, related, decided_by,
                    reason, method, status, proposed_at, accepted_at, affected,
                    proposed_text_ja)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)""",
            proposal.change_id,
            proposal.purpose_id,
            current.version if current else None,
            proposal.new_text,
            proposal.related,
            proposal.decided_by,
            proposal.reason,
            proposal.method.value,
            "refused" if refusal else "accepted",
            proposal.proposed_at,
            None if refusal else at,
            affected,
            proposal.new_text_ja,
        )
        await append_register_event(
            connection,
            NewRegisterEvent(
                stream=stream,
                type=RegisterEventType.PURPOSE_CHANGE_PROPOSED,
                payload={
                    "change_id": proposal.change_id,
                    "purpose_id": proposal.purpose_id,
                    "from_version": current.version if current else None,
                    "proposed_text": proposal.new_text,
                    "proposed_text_ja": proposal.new_text_ja,
                    "related": proposal.related,
                    "reason": proposal.reason,
                    "method": proposal.method.value,
                    "proposed_at": proposal.proposed_at.isoformat(),
                },
                occurred_at=proposal.proposed_at,
                actor=proposal.decided_by,
                idempotency_key=f"{stream}/proposed",
            ),
        )
        if refusal is not None:
            await append_register_event(
                connection,
                NewRegisterEvent(
                    stream=stream,
                    type=RegisterEventType.PURPOSE_CHANGE_REFUSED,
                    payload={
                        "change_id": proposal.change_id,
                        "purpose_id": proposal.purpose_id,
                        "refusal": refusal,
                    },
                    occurred_at=at,
                    actor=proposal.decided_by,
                    idempotency_key=f"{stream}/judged",
                ),
            )
        else:
            assert current is not None  # judge returned it
            # In force once published or notified: at completion
            # (store/purpose_publication.py complete_change).
            await append_register_event(
                connection,
                NewRegisterEvent(
                    stream=stream,
                    type=RegisterEventType.PURPOSE_CHANGE_ACCEPTED,
                    payload={
                        "change_id": proposal.change_id,
                        "purpose_id": proposal.purpose_id,
                        "from_version": current.version,
                        "to_version": current.version + 1,
                        "related": True,
                        "reason": proposal.reason,
                        "method": proposal.method.value,
                        "affected": affected,
                    },
                    occurred_at=at,
                    actor=proposal.decided_by,
                    idempotency_key=f"{stream}/judged",
                ),
            )
        return await _recorded(connection, proposal.change_id)


async def _recorded(connection: Connection, change_id: str) -> RecordedChange:
    row = await connection.fetchrow(
        """SELECT c.*, b.text AS before_text,
                  coalesce(a.version, CASE WHEN c.status IN ('accepted', 'done')
                                           THEN c.from_version + 1 END) AS to_version,
                  (SELECT payload->>'refusal' FROM register_events
                    WHERE idempotency_key = 'purpose-change/' || c.change_id || '/judged'
                      AND type = 'purpose_change.refused') AS refusal
             FROM purpose_changes c
             LEFT JOIN purposes b ON b.purpose_id = c.purpose_id AND b.version = c.from_version
             LEFT JOIN purposes a ON a.purpose_id = c.purpose_id AND a.change_id = c.change_id
            WHERE c.change_id = $1""",
        change_id,
    )
    if row is None:
        raise LookupError(f"no purpose change {change_id!r} is recorded")
    return RecordedChange(
        change_id=row["change_id"],
        purpose_id=row["purpose_id"],
        status=row["status"],
        refusal=row["refusal"],
        from_version=row["from_version"],
        to_version=row["to_version"],
        affected=row["affected"],
        notified=row["notified"],
        published_at=row["published_at"],
        before_text=row["before_text"],
        after_text=row["proposed_text"],
    )


async def change_on_record(
    pool: asyncpg.Pool, proposal: PurposeChangeProposal
) -> tuple[RecordedChange, datetime] | None:
    """The change recorded under the proposal's id, with the time it was judged (its
    `judged` event's); None when none is. ChangeIdTaken when the id names another change."""
    async with pool.acquire() as connection:
        row = await connection.fetchrow(
            "SELECT * FROM purpose_changes WHERE change_id = $1", proposal.change_id
        )
        if row is None:
            return None
        if not _same_proposal(row, proposal):
            raise ChangeIdTaken(
                f"change id {proposal.change_id!r} names another change than the one this "
                "run carries"
            )
        judged_at = await connection.fetchval(
            "SELECT occurred_at FROM register_events WHERE idempotency_key = $1",
            f"{change_stream(proposal.change_id)}/judged",
        )
        return await _recorded(connection, proposal.change_id), judged_at


async def recorded_change(pool: asyncpg.Pool, change_id: str) -> RecordedChange:
    async with pool.acquire() as connection:
        return await _recorded(connection, change_id)
