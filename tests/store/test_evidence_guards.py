"""Evidence the database guards too (issue 22; review N3(b), N3(c), N1): the attacks run as
the worker's own role, on a database set up as the service sets up its own, with the
shipped clock tolerance (migration 0032)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain.chain import canonical_encoding, link_hash
from domain.events import EventType, NewEvent
from store.database import create_pool
from store.events import EventStore
from store.sealing import Vault
from tests.support.builders import event, new_request
from tests.support.database import database_with_roles


@dataclass
class Guarded:
    worker: asyncpg.Pool
    owner: asyncpg.Pool
    events: EventStore


@pytest.fixture
async def guarded(postgres_server: str, vault: Vault) -> AsyncIterator[Guarded]:
    async with database_with_roles(postgres_server, "dsr_guard", strict_clock=True) as roles:
        worker = await create_pool(roles.worker_url, max_size=3, vault=vault)
        owner = await create_pool(roles.owner_url, max_size=1, vault=vault)
        try:
            yield Guarded(worker, owner, EventStore(worker))
        finally:
            await worker.close()
            await owner.close()


def _now_event(request_id: str, type: EventType, at: datetime, **payload: object) -> NewEvent:
    built = event(request_id, type, **payload)  # type: ignore[arg-type]
    return built.model_copy(update={"occurred_at": at})


async def _closed_request(store: Guarded, unique: str) -> tuple[str, datetime]:
    """A request received and closed a minute ago, by the worker's role as its workflow
    would; returns it and the close's time."""
    request_id = await new_request(store.worker, unique, "closed")
    closed_at = datetime.now(UTC) - timedelta(minutes=1)
    await store.events.append(
        _now_event(request_id, EventType.RECEIVED, closed_at - timedelta(minutes=5))
    )
    await store.events.append(
        _now_event(request_id, EventType.CLOSED, closed_at, outcome="answered")
    )
    return request_id, closed_at


async def _forge(store: Guarded, request_id: str, type: EventType, at: datetime) -> None:
    """What `forge_append.py` (the review's appendix) did as the runtime role: a correctly
    linked event, inserted directly and the projection's head moved."""
    head = await store.worker.fetchrow(
        "SELECT last_seq, last_hash FROM requests WHERE request_id = $1", request_id
    )
    seq, key = head["last_seq"] + 1, f"forged-{request_id}-{type.value}-{at.timestamp()}"
    digest = link_hash(
        head["last_hash"],
        canonical_encoding(
            request_id=request_id,
            seq=seq,
            type=type.value,
            payload={"step": "answer"},
            occurred_at=at,
            actor="ap1",
            idempotency_key=key,
        ),
    )
    async with store.worker.acquire() as connection, connection.transaction():
        await connection.execute(
            """INSERT INTO request_events (request_id, seq, type, payload, occurred_at, actor,
                                           idempotency_key, prev_hash, hash)
               VALUES ($1, $2, $3, $4, $5, 'ap1', $6, $7, $8)""",
            request_id,
            seq,
            type.value,
            {"step": "answer"},
            at,
            key,
            head["last_hash"],
            digest,
        )
        await connection.execute(
            "UPDATE requests SET last_seq = $2, last_hash = $3 WHERE request_id = $1",
            request_id,
            seq,
            digest,
        )


async def test_a_forged_act_appended_to_a_closed_request_is_refused(
    guarded: Guarded, unique: str
) -> None:
    """N3(c): `deadline.extended` by ap1, dated before the close, appended to the closed
    request as the worker's role: refused, the chain unchanged."""
    request_id, closed_at = await _closed_request(guarded, unique)
    with pytest.raises(asyncpg.CheckViolationError, match="is closed"):
        await _forge(guarded, request_id, EventType.DEADLINE_EXTENDED, closed_at)
    with pytest.raises(asyncpg.CheckViolationError, match="is closed"):
        await guarded.events.append(
            _now_event(request_id, EventType.DEADLINE_EXTENDED, datetime.now(UTC), step="answer")
        )
    assert [e.type for e in await guarded.events.events(request_id)] == [
        EventType.RECEIVED,
        EventType.CLOSED,
    ]
    assert (await guarded.events.verify(request_id)).intact


async def test_what_retention_and_the_api_record_on_a_closed_request_is_accepted(
    guarded: Guarded, unique: str
) -> None:
    request_id, _ = await _closed_request(guarded, unique)
    now = datetime.now(UTC)
    for type in (EventType.NOTICE_DELIVERED, EventType.PERSONAL_DATA_SHREDDED):
        await guarded.events.append(_now_event(request_id, type, now))
    assert len(await guarded.events.events(request_id)) == 4


async def test_an_event_dated_in_the_future_or_before_the_last_is_refused(
    guarded: Guarded, unique: str
) -> None:
    """N1: events dated 2100 were written into the chain and signed. Now an event dated
    after the database's clock (beyond 5 minutes) or before the request's last event is
    refused, whoever appends it."""
    request_id = await new_request(guarded.worker, unique, "dated")
    now = datetime.now(UTC)
    await guarded.events.append(_now_event(request_id, EventType.RECEIVED, now))
    future = datetime(2100, 1, 1, tzinfo=UTC)
    with pytest.raises(asyncpg.CheckViolationError, match="after the database's clock"):
        await guarded.events.append(
            _now_event(request_id, EventType.DEADLINE_REMINDED, future, step="answer")
        )
    with pytest.raises(asyncpg.CheckViolationError, match="before the request's last event"):
        await guarded.events.append(
            _now_event(
                request_id, EventType.DEADLINE_REMINDED, now - timedelta(hours=1), step="answer"
            )
        )
    # A worker's clock a little ahead is tolerated; the time recorded is the database's.
    await guarded.events.append(
        _now_event(
            request_id, EventType.DEADLINE_REMINDED, now + timedelta(minutes=2), step="answer"
        )
    )
    rows = await guarded.worker.fetch(
        "SELECT occurred_at, recorded_at, now() AS db_now FROM request_events"
        " WHERE request_id = $1 ORDER BY seq",
        request_id,
    )
    assert len(rows) == 2
    assert all(abs(row["recorded_at"] - row["db_now"]) < timedelta(minutes=1) for row in rows)


async def test_an_event_that_does_not_continue_the_chain_is_refused(
    guarded: Guarded, unique: str
) -> None:
    request_id = await new_request(guarded.worker, unique, "chain")
    await guarded.events.append(_now_event(request_id, EventType.RECEIVED, datetime.now(UTC)))
    for seq, prev in ((3, None), (2, "0" * 64)):  # a gap; a stale previous hash
        with pytest.raises(asyncpg.CheckViolationError, match="does not continue the chain"):
            await guarded.worker.execute(
                """INSERT INTO request_events (request_id, seq, type, payload, occurred_at,
                          actor, idempotency_key, prev_hash, hash)
                   SELECT $1, $2, 'deadline.reminded', '{}', now(), 'x', $4,
                          coalesce($3, hash), repeat('a', 64)
                     FROM request_events WHERE request_id = $1 AND seq = 1""",
                request_id,
                seq,
                prev,
                f"gap-{request_id}-{seq}",
            )


async def test_the_worker_cannot_mark_a_key_destroyed_without_its_event(
    guarded: Guarded, vault: Vault, unique: str
) -> None:
    """N3(b): `update subject_keys set destroyed_at=now()` as the runtime role shredded a
    subject who asked for nothing. The worker's role has no UPDATE on the table, and its
    function commits a destruction only with the event that records it."""
    request_id = await new_request(guarded.worker, unique, "keyed")
    subject = await guarded.worker.fetchval(
        "SELECT subject_id FROM requests WHERE request_id = $1", request_id
    )
    async with guarded.worker.acquire() as connection, connection.transaction():
        await vault.seal(connection, subject, "a value")
    key = await guarded.worker.fetchval(
        "SELECT key_id FROM subject_keys WHERE subject_id = $1 AND destroyed_at IS NULL", subject
    )
    assert key is not None
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
        await guarded.worker.execute(
            "UPDATE subject_keys SET destroyed_at = now() WHERE subject_id = $1", subject
        )
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="no event recording it"):
        await guarded.worker.execute("SELECT destroy_subject_key($1)", key)
    assert await guarded.worker.fetchval(
        "SELECT destroyed_at IS NULL FROM subject_keys WHERE key_id = $1", key
    )
    # With its event, in the same transaction, as the erasure does: committed.
    async with guarded.worker.acquire() as connection, connection.transaction():
        await connection.execute("SELECT destroy_subject_key($1)", key)
        await guarded.events.append_in(
            connection,
            _now_event(
                request_id,
                EventType.SUBJECT_KEY_SHREDDED,
                datetime.now(UTC),
                destroyed_key=key,
                new_key=None,
            ),
        )
    assert await guarded.worker.fetchval(
        "SELECT destroyed_at IS NOT NULL FROM subject_keys WHERE key_id = $1", key
    )
    with pytest.raises(asyncpg.PostgresError):  # never undone, by nobody's role
        await guarded.owner.execute(
            "UPDATE subject_keys SET destroyed_at = NULL WHERE key_id = $1", key
        )
