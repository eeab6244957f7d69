"""The append-only event chain: sequence, hash links, idempotency, concurrency, the trigger
that refuses changes, and verification that finds tampering."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta, timezone

import asyncpg
import pytest

from domain.chain import GENESIS_HASH, canonical_encoding, link_hash
from domain.events import EventType, RecordedEvent
from domain.requests import workflow_id_for
from store.events import EventStore, UnknownRequest
from tests.support.builders import T0, event, new_request
from tests.support.database import tamper


async def _append_many(store: EventStore, request_id: str, n: int) -> list[RecordedEvent]:
    return [
        await store.append(event(request_id, EventType.NOTICE_QUEUED, minutes=i, index=i))
        for i in range(n)
    ]


async def _row_count(pool: asyncpg.Pool, request_id: str) -> int:
    return await pool.fetchval(
        "SELECT count(*) FROM request_events WHERE request_id = $1", request_id
    )


async def test_appending_to_an_unknown_request_is_refused(pool: asyncpg.Pool, unique: str) -> None:
    store = EventStore(pool)
    missing = f"missing-{unique}"
    with pytest.raises(UnknownRequest) as caught:
        await store.append(event(missing, EventType.RECEIVED))
    assert caught.value.request_id == missing
    assert await _row_count(pool, missing) == 0
    with pytest.raises(UnknownRequest):
        await store.verify(missing)


async def test_events_get_consecutive_seqs_and_link_their_hashes(
    pool: asyncpg.Pool, unique: str
) -> None:
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    appended = await _append_many(store, request_id, 4)

    assert [e.seq for e in appended] == [1, 2, 3, 4]
    assert appended[0].prev_hash == GENESIS_HASH == "0" * 64
    for before, after in itertools.pairwise(appended):
        assert after.prev_hash == before.hash
    for e in appended:
        encoding = canonical_encoding(
            request_id=e.request_id,
            seq=e.seq,
            type=e.type.value,
            payload=e.payload,
            occurred_at=e.occurred_at,
            actor=e.actor,
            idempotency_key=e.idempotency_key,
        )
        assert e.hash == link_hash(e.prev_hash, encoding)
    assert len({e.hash for e in appended}) == 4

    assert await store.events(request_id) == appended
    row = await pool.fetchrow(
        "SELECT last_seq, last_hash FROM requests WHERE request_id = $1", request_id
    )
    assert (row["last_seq"], row["last_hash"]) == (4, appended[-1].hash)


async def test_a_used_idempotency_key_returns_the_existing_event(
    pool: asyncpg.Pool, unique: str
) -> None:
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    key = f"{workflow_id_for(request_id)}:receipt"
    first = await store.append(event(request_id, EventType.RECEIVED, key=key))
    await store.append(event(request_id, EventType.NOTICE_QUEUED))

    # A retry, even one that carries a later time or another payload, appends nothing.
    again = await store.append(
        event(request_id, EventType.RECEIVED, key=key, minutes=30, retried=True)
    )
    assert again == first
    assert await _row_count(pool, request_id) == 2
    row = await pool.fetchrow("SELECT last_seq FROM requests WHERE request_id = $1", request_id)
    assert row["last_seq"] == 2
    assert (await store.verify(request_id)).intact


async def test_twenty_concurrent_appends_get_seqs_one_to_twenty(
    pool: asyncpg.Pool, unique: str
) -> None:
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    results = await asyncio.gather(
        *(
            store.append(event(request_id, EventType.NOTICE_QUEUED, minutes=i, index=i))
            for i in range(20)
        )
    )
    assert sorted(e.seq for e in results) == list(range(1, 21))
    stored = await store.events(request_id)
    assert [e.seq for e in stored] == list(range(1, 21))
    assert sorted(e.payload["index"] for e in stored) == list(range(20))
    verdict = await store.verify(request_id)
    assert verdict.intact and verdict.events == 20


async def test_concurrent_retries_of_one_event_append_it_once(
    pool: asyncpg.Pool, unique: str
) -> None:
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    key = f"{workflow_id_for(request_id)}:received"
    results = await asyncio.gather(
        *(store.append(event(request_id, EventType.RECEIVED, key=key)) for _ in range(5))
    )
    assert all(result == results[0] for result in results) and results[0].seq == 1
    assert await _row_count(pool, request_id) == 1


async def test_an_append_rolled_back_with_its_transaction_leaves_no_trace(
    pool: asyncpg.Pool, unique: str
) -> None:
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    async with pool.acquire() as connection:
        transaction = connection.transaction()
        await transaction.start()
        recorded = await store.append_in(connection, event(request_id, EventType.RECEIVED))
        assert recorded.seq == 1
        await transaction.rollback()
    assert await _row_count(pool, request_id) == 0
    row = await pool.fetchrow(
        "SELECT status, last_seq, last_hash FROM requests WHERE request_id = $1", request_id
    )
    assert tuple(row) == ("submitted", 0, GENESIS_HASH)
    assert (await store.append(event(request_id, EventType.RECEIVED))).seq == 1


async def test_hashes_survive_jsonb_and_time_zones(pool: asyncpg.Pool, unique: str) -> None:
    """jsonb reorders keys and Postgres hands timestamps back in UTC; the chain still verifies."""
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    tokyo = timezone(timedelta(hours=9))
    recorded = await store.append(
        event(request_id, EventType.RECEIVED).model_copy(
            update={
                "occurred_at": T0.astimezone(tokyo) + timedelta(microseconds=123457),
                "payload": {"zeta": "日本語 ✓", "a": 2**40, "mid": True, "b": None, "long_key": ""},
            }
        )
    )
    [stored] = await store.events(request_id)
    assert stored.hash == recorded.hash
    assert stored.occurred_at == T0 + timedelta(microseconds=123457)
    assert (await store.verify(request_id)).intact


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE request_events SET actor = 'mallory' WHERE request_id = $1",
        "UPDATE request_events SET payload = '{}'::jsonb WHERE request_id = $1 AND seq = 1",
        "DELETE FROM request_events WHERE request_id = $1",
        "DELETE FROM request_events WHERE request_id = $1 AND seq = 2",
    ],
)
async def test_update_and_delete_are_refused(
    pool: asyncpg.Pool, superuser_pool: asyncpg.Pool, unique: str, statement: str
) -> None:
    """The runtime role has no such privilege; a superuser meets the trigger, which fires
    whatever the session's replication role."""
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    before = await _append_many(store, request_id, 2)
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
        await pool.execute(statement, request_id)
    async with superuser_pool.acquire() as connection:
        await connection.execute("SET session_replication_role = replica")
        try:
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
                await connection.execute(statement, request_id)
        finally:
            await connection.execute("RESET session_replication_role")
    assert await store.events(request_id) == before


async def test_truncate_is_refused(
    pool: asyncpg.Pool, superuser_pool: asyncpg.Pool, unique: str
) -> None:
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    before = await _append_many(store, request_id, 2)
    for role, refusal in ((pool, "permission denied"), (superuser_pool, "append-only")):
        async with role.acquire() as connection:
            # In a transaction rolled back whatever happens, so a missing guard could not
            # wipe the events of every other test.
            transaction = connection.transaction()
            await transaction.start()
            try:
                with pytest.raises(asyncpg.InsufficientPrivilegeError, match=refusal):
                    await connection.execute("TRUNCATE request_events CASCADE")
            finally:
                await transaction.rollback()
    assert await store.events(request_id) == before


async def test_an_untouched_chain_verifies(pool: asyncpg.Pool, unique: str) -> None:
    store = EventStore(pool)
    empty = await new_request(pool, unique, "empty")
    verdict = await store.verify(empty)
    assert verdict.intact and verdict.events == 0

    request_id = await new_request(pool, unique)
    await _append_many(store, request_id, 5)
    verdict = await store.verify(request_id)
    assert verdict.intact
    assert (verdict.request_id, verdict.events) == (request_id, 5)
    assert verdict.first_broken_seq is None and verdict.problem is None


async def test_a_changed_payload_breaks_the_chain_at_its_event(
    pool: asyncpg.Pool, superuser_pool: asyncpg.Pool, unique: str
) -> None:
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    await _append_many(store, request_id, 4)
    await tamper(
        superuser_pool,
        """UPDATE request_events SET payload = payload || '{"index": 99}'::jsonb
            WHERE request_id = $1 AND seq = 2""",
        request_id,
    )
    assert [e.payload["index"] for e in await store.events(request_id)] == [0, 99, 2, 3]
    verdict = await store.verify(request_id)
    assert not verdict.intact
    assert verdict.first_broken_seq == 2
    assert "hash" in (verdict.problem or "")


async def test_a_rehashed_forgery_breaks_the_link_after_it(
    pool: asyncpg.Pool, superuser_pool: asyncpg.Pool, unique: str
) -> None:
    """Recomputing the forged event's own hash does not help: the next one no longer links."""
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    events = await _append_many(store, request_id, 3)
    forged = events[1]
    forged_hash = link_hash(
        forged.prev_hash,
        canonical_encoding(
            request_id=request_id,
            seq=2,
            type=forged.type.value,
            payload={"index": 99},
            occurred_at=forged.occurred_at,
            actor=forged.actor,
            idempotency_key=forged.idempotency_key,
        ),
    )
    await tamper(
        superuser_pool,
        """UPDATE request_events SET payload = '{"index": 99}'::jsonb, hash = $2
            WHERE request_id = $1 AND seq = 2""",
        request_id,
        forged_hash,
    )
    verdict = await store.verify(request_id)
    assert verdict.first_broken_seq == 3
    assert "prev_hash" in (verdict.problem or "")


async def test_a_deleted_last_event_is_reported_missing(
    pool: asyncpg.Pool, superuser_pool: asyncpg.Pool, unique: str
) -> None:
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    await _append_many(store, request_id, 3)
    for table in ("event_log", "request_events"):  # the log's entry first: it refers to it
        await tamper(
            superuser_pool, f"DELETE FROM {table} WHERE request_id = $1 AND seq = 3", request_id
        )
    verdict = await store.verify(request_id)
    assert not verdict.intact
    assert verdict.first_broken_seq == 3
    assert "missing" in (verdict.problem or "")


async def test_a_deleted_middle_event_is_a_gap(
    pool: asyncpg.Pool, superuser_pool: asyncpg.Pool, unique: str
) -> None:
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    await _append_many(store, request_id, 4)
    for table in ("event_log", "request_events"):  # the log's entry first: it refers to it
        await tamper(
            superuser_pool, f"DELETE FROM {table} WHERE request_id = $1 AND seq = 2", request_id
        )
    verdict = await store.verify(request_id)
    assert verdict.first_broken_seq == 3
    assert "expected seq 2" in (verdict.problem or "")


async def test_verify_catches_a_projection_that_no_longer_matches_its_events(
    pool: asyncpg.Pool, unique: str
) -> None:
    """Operators read the `requests` projection; an auditor's verify folds the events from
    the start and names a projection someone changed by hand."""
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    await _append_many(store, request_id, 2)
    assert (await store.verify(request_id)).intact
    await pool.execute("UPDATE requests SET outcome = 'erased' WHERE request_id = $1", request_id)
    verdict = await store.verify(request_id)
    assert not verdict.intact
    assert "requests projection" in (verdict.problem or "") and "'erased'" in verdict.problem
