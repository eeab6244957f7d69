"""Personal data as the store keeps it: sealed under its subject's key. A test that writes
a personal column directly seals the value first, and one that reads it opens it."""

from __future__ import annotations

import asyncpg

from store.sealing import PREFIX, vault_of
from store.shredding import shred_subject_key


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
            shredded = await shred_subject_key(
                connection, subject_id, forget_requests=frozenset({request_id})
            )
        assert shredded.destroyed_key is not None
        if destroy:
            vault_of(connection).keyring.destroy(shredded.destroyed_key)
