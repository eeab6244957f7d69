"""Personal data as the store keeps it: sealed under its subject's key. A test that writes
a personal column directly seals the value first, and one that reads it opens it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg

from domain.events import EventType, NewEvent
from domain.requests import workflow_id_for
from store.connection import Connection
from store.events import EventStore
from store.sealing import PREFIX, vault_of
from store.shredding import Redaction, Shredded, shred_subject_key


async def sealed(pool: asyncpg.Pool, subject_id: str, *texts: str) -> list[str]:
    """`texts` sealed under the subject's key, as the stores seal them (the subject row is
    made if missing: a key belongs to a subject)."""
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "INSERT INTO subjects (subject_id) VALUES ($1) ON CONFLICT DO NOTHING", subject_id
        )
        return await vault_of(connection).seal_all(connection, subject_id, *texts)


async def register_email(pool: asyncpg.Pool, subject_id: str, email: str) -> None:
    """The subject's e-mail on record, sealed and with its blind index (an identity check
    compares indexes, never addresses)."""
    [value] = await sealed(pool, subject_id, email)
    async with pool.acquire() as connection:
        index = vault_of(connection).blind_index(email)
    await pool.execute(
        "INSERT INTO personal_data (subject_id, category, field, value, value_index)"
        " VALUES ($1, 'contact', 'email', $2, $3)",
        subject_id,
        value,
        index,
    )


async def opened(pool: asyncpg.Pool, envelope: str) -> str:
    """A sealed value as the service reads it (ERASED once its key was destroyed)."""
    async with pool.acquire() as connection:
        return vault_of(connection).open(envelope)


def assert_sealed(envelope: str, *plain: str) -> None:
    """A stored value is an envelope and shows none of `plain`."""
    assert envelope.startswith(f"{PREFIX}."), "a personal value is stored unsealed"
    for value in plain:
        assert value not in envelope, "a personal value shows through its envelope"


async def forget_request(pool: asyncpg.Pool, request_id: str, *, destroy: bool = True) -> None:
    """What retention does to a closed request: its personal data shredded (the subject's
    key replaced, the request's values left under the old one) and the old key destroyed,
    so they open as erased. `destroy=False` stops after the commit, before the keyring
    deletion (a crash there leaves the key until the next retention run)."""
    async with pool.acquire() as connection:
        async with connection.transaction():
            subject_id = await connection.fetchval(
                "SELECT subject_id FROM requests WHERE request_id = $1", request_id
            )
            shredded = await shred_recorded(
                connection, subject_id, forget_requests=frozenset({request_id})
            )
        assert shredded.destroyed_key is not None
        if destroy:
            vault_of(connection).keyring.destroy(shredded.destroyed_key)


async def shred_recorded(
    connection: Connection,
    subject_id: str,
    *,
    forget_requests: frozenset[str] = frozenset(),
    redaction: Redaction | None = None,
) -> Shredded:
    """`shred_subject_key` in the caller's transaction with the event that records the
    key's destruction, as retention and erasure record it (the database refuses the commit
    without one, migration 0032): `request.personal_data_shredded` on each forgotten
    request, else `subject_key.shredded` on the subject's first request."""
    shredded = await shred_subject_key(
        connection, subject_id, forget_requests=forget_requests, redaction=redaction
    )
    if shredded.destroyed_key is None:
        return shredded
    targets = [
        row["request_id"]
        for row in await connection.fetch(
            "SELECT request_id FROM requests WHERE request_id = ANY($1::text[]) ORDER BY 1",
            sorted(forget_requests),
        )
    ]
    kind = EventType.PERSONAL_DATA_SHREDDED if targets else EventType.SUBJECT_KEY_SHREDDED
    if not targets:
        targets = [await _a_request_of(connection, subject_id)]
    for request_id in targets:
        await _append_recorded(connection, request_id, kind, shredded)
    return shredded


async def _a_request_of(connection: Connection, subject_id: str) -> str:
    """The subject's first request, or one made for the test (an erasure's record needs a
    chain to be in)."""
    found = await connection.fetchval(
        "SELECT request_id FROM requests WHERE subject_id = $1 ORDER BY request_id LIMIT 1",
        subject_id,
    )
    if found is not None:
        return str(found)
    request_id = f"erasing-{subject_id}"
    await connection.execute(
        """INSERT INTO requests (request_id, workflow_id, kind, subject_id, fingerprint,
                                 deadline_policy_version)
           VALUES ($1, $2, 'suspension', $3, 'fp', 'test-policy')""",
        request_id,
        workflow_id_for(request_id),
        subject_id,
    )
    return request_id


async def _append_recorded(
    connection: Connection, request_id: str, kind: EventType, shredded: Shredded
) -> None:
    await EventStore(None).append_in(  # type: ignore[arg-type]  # appends on `connection`
        connection,
        NewEvent(
            request_id=request_id,
            type=kind,
            payload={"destroyed_key": shredded.destroyed_key, "new_key": shredded.new_key},
            occurred_at=datetime.now(UTC),
            actor="retention",
            idempotency_key=f"{workflow_id_for(request_id)}:shredded:{uuid.uuid4().hex}",
        ),
    )


async def destroy_key_recorded(connection: Connection, subject_id: str) -> str:
    """The subject's current key marked destroyed as the service may (`destroy_subject_key`,
    migration 0032), with the `subject_key.shredded` event that records it on a request of
    the subject's, in the caller's transaction; nothing is sealed again. Returns the key's
    id."""
    key_id = await connection.fetchval(
        "SELECT key_id FROM subject_keys WHERE subject_id = $1 AND destroyed_at IS NULL",
        subject_id,
    )
    assert key_id is not None, f"subject {subject_id} has no current key"
    await connection.execute("SELECT destroy_subject_key($1)", key_id)
    request_id = await _a_request_of(connection, subject_id)
    await _append_recorded(
        connection, request_id, EventType.SUBJECT_KEY_SHREDDED, Shredded(destroyed_key=key_id)
    )
    return str(key_id)
