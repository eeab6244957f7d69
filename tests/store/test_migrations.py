"""Migrations: applied in order under an advisory lock, recorded, and a no-op when re-run."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator

import asyncpg
import pytest

from store.database import (
    MIGRATION_LOCK_ID,
    MigrationError,
    apply_migrations,
    create_pool,
    migration_files,
)
from store.shredding import SEALED
from tests.support.database import scratch_database

VERSIONS = [version for version, _ in migration_files()]
TABLES = {
    "subjects",
    "personal_data",
    "requests",
    "request_details",
    "request_events",
    "deadlines",
    "answers",
    "notifications",
    "third_party_provisions",
    "schema_migrations",
    "subject_keys",
}


@pytest.fixture
async def fresh_database(postgres_server: str) -> AsyncIterator[str]:
    """An empty database of this test's own, dropped afterwards."""
    async with scratch_database(postgres_server, "dsr_mig") as url:
        yield url


async def _schema(connection: asyncpg.Connection) -> dict[str, list[tuple]]:
    """What re-running could change: recorded migrations, tables, columns and triggers."""
    return {
        "migrations": [
            tuple(row)
            for row in await connection.fetch(
                "SELECT version, checksum, applied_at FROM schema_migrations ORDER BY version"
            )
        ],
        "columns": [
            tuple(row)
            for row in await connection.fetch(
                """SELECT table_name, column_name, data_type FROM information_schema.columns
                WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"""
            )
        ],
        "triggers": [
            tuple(row)
            for row in await connection.fetch(
                """SELECT tgrelid::regclass::text, tgname FROM pg_trigger
                WHERE NOT tgisinternal ORDER BY 1, 2"""
            )
        ],
        "functions": [
            tuple(row)
            for row in await connection.fetch(
                """SELECT proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' ORDER BY 1"""
            )
        ],
    }


async def _lock_is_free(url: str) -> bool:
    """Whether another session (not one the pools hold, where the lock is re-entrant) can
    take the migration lock, i.e. the next worker to start would not be stuck."""
    connection = await asyncpg.connect(url)
    try:
        taken = await connection.fetchval("SELECT pg_try_advisory_lock($1)", MIGRATION_LOCK_ID)
        if taken:
            await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
        return bool(taken)
    finally:
        await connection.close()


def test_the_foundation_migration_is_shipped() -> None:
    assert VERSIONS, "no migration found in store/migrations"
    assert VERSIONS[0] == "0001_foundation"
    assert VERSIONS == sorted(VERSIONS)


async def test_the_session_database_has_every_migration_recorded(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            "SELECT version, checksum FROM schema_migrations ORDER BY version"
        )
        tables = {
            row["table_name"]
            for row in await connection.fetch(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
            )
        }
    expected = [
        (version, hashlib.sha256(sql.encode("utf-8")).hexdigest())
        for version, sql in migration_files()
    ]
    assert [(row["version"], row["checksum"]) for row in rows] == expected
    assert tables >= TABLES


async def test_rerunning_migrations_applies_nothing_and_changes_nothing(
    owner_pool: asyncpg.Pool,
) -> None:
    pool = owner_pool
    async with pool.acquire() as connection:
        before = await _schema(connection)
    assert await apply_migrations(pool) == []
    assert await apply_migrations(pool) == []
    async with pool.acquire() as connection:
        after = await _schema(connection)
    assert after == before
    assert [row[0] for row in after["migrations"]] == VERSIONS


async def test_a_fresh_database_gets_every_migration_then_none(fresh_database: str) -> None:
    pool = await create_pool(fresh_database, max_size=2)
    try:
        assert await apply_migrations(pool) == VERSIONS
        assert await apply_migrations(pool) == []
        async with pool.acquire() as connection:
            count = await connection.fetchval("SELECT count(*) FROM schema_migrations")
            tables = {
                row["table_name"]
                for row in await connection.fetch(
                    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
                )
            }
    finally:
        await pool.close()
    assert count == len(VERSIONS)
    assert tables >= TABLES


async def test_every_sealed_column_holds_text(owner_pool: asyncpg.Pool) -> None:
    # A sealed value is `dsr1.<key id>.<base64>`: a column still typed jsonb (or anything
    # else) would refuse it, or worse, store it quoted where shredding cannot read it.
    types = {
        (row["table_name"], row["column_name"]): row["data_type"]
        for row in await owner_pool.fetch(
            "SELECT table_name, column_name, data_type FROM information_schema.columns"
            " WHERE table_schema = 'public'"
        )
    }
    for sealed in SEALED:
        for column in sealed.columns:
            assert types[sealed.table, column] == "text", (sealed.table, column)


async def test_two_workers_migrating_at_once_apply_each_migration_exactly_once(
    fresh_database: str,
) -> None:
    first = await create_pool(fresh_database, min_size=1, max_size=1)
    second = await create_pool(fresh_database, min_size=1, max_size=1)
    try:
        results = await asyncio.gather(apply_migrations(first), apply_migrations(second))
        async with first.acquire() as connection:
            recorded = await connection.fetch(
                "SELECT version, count(*) AS n FROM schema_migrations GROUP BY version"
                " ORDER BY version"
            )
            triggers = await connection.fetchval(
                "SELECT count(*) FROM pg_trigger"
                " WHERE tgrelid = 'request_events'::regclass AND NOT tgisinternal"
            )
    finally:
        await first.close()
        await second.close()
    assert sorted(results, key=len) == [[], VERSIONS]
    assert [(row["version"], row["n"]) for row in recorded] == [(v, 1) for v in VERSIONS]
    # two keep it append-only, one keeps deadline_compliance, one extends the event log,
    # one guards each append (migration 0032)
    assert triggers == 5
    assert await _lock_is_free(fresh_database)


async def test_several_concurrent_runs_still_apply_once(fresh_database: str) -> None:
    pools = [await create_pool(fresh_database, min_size=1, max_size=1) for _ in range(4)]
    try:
        results = await asyncio.gather(*(apply_migrations(p) for p in pools))
        async with pools[0].acquire() as connection:
            count = await connection.fetchval("SELECT count(*) FROM schema_migrations")
    finally:
        for p in pools:
            await p.close()
    assert [versions for versions in results if versions] == [VERSIONS]
    assert count == len(VERSIONS)


async def test_a_changed_applied_migration_is_refused(fresh_database: str) -> None:
    pool = await create_pool(fresh_database, max_size=2)
    try:
        await apply_migrations(pool)
        async with pool.acquire() as connection:
            await connection.execute(
                "UPDATE schema_migrations SET checksum = $2 WHERE version = $1",
                VERSIONS[0],
                "0" * 64,
            )
        with pytest.raises(MigrationError, match=VERSIONS[0]):
            await apply_migrations(pool)
        # Refusing released the advisory lock and left the record as it was.
        assert await _lock_is_free(fresh_database)
        async with pool.acquire() as connection:
            assert (
                await connection.fetchval(
                    "SELECT checksum FROM schema_migrations WHERE version = $1", VERSIONS[0]
                )
                == "0" * 64
            )
    finally:
        await pool.close()
