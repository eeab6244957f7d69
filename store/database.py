"""Connecting to Postgres and applying the schema's migrations, in order, exactly once."""

from __future__ import annotations

import hashlib
import json
from importlib import resources

import asyncpg
import structlog

from store.sealing import Vault

log = structlog.get_logger(__name__)

# Any constant will do, as long as every worker uses the same one: it serialises
# migration runs so two workers starting at once cannot race.
MIGRATION_LOCK_ID = 0x6473725F6D6967  # "dsr_mig"


class MigrationError(RuntimeError):
    pass


class VaultConnection(asyncpg.Connection):
    """A connection that carries the vault personal data is sealed and opened with
    (store/sealing.py `vault_of`), so every store reaches it through the connection it
    already holds."""

    dsr_vault: Vault | None = None


async def _init_connection(connection: asyncpg.Connection) -> None:
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name,
            encoder=lambda value: json.dumps(value, ensure_ascii=False),
            decoder=json.loads,
            schema="pg_catalog",
        )


async def create_pool(
    dsn: str, *, min_size: int = 1, max_size: int = 10, vault: Vault | None = None
) -> asyncpg.Pool:
    """A pool whose connections carry `vault`; without one they read and write no
    personal data (store/sealing.py says so when they try)."""

    async def init(connection: asyncpg.Connection) -> None:
        await _init_connection(connection)
        # Made by connection_class below; the stubs type init's argument as the base class.
        assert isinstance(connection, VaultConnection)
        connection.dsr_vault = vault

    return await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=init,
        connection_class=VaultConnection,
    )


def migration_files() -> list[tuple[str, str]]:
    """(version, sql) for every migration shipped with the package, in order."""
    folder = resources.files("store") / "migrations"
    files = sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".sql")
    )
    return [(name.removesuffix(".sql"), sql) for name, sql in files]


async def apply_migrations(pool: asyncpg.Pool) -> list[str]:
    """Apply the migrations not yet recorded; returns the versions applied now."""
    applied_now: list[str] = []
    async with pool.acquire() as connection:
        await connection.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
        try:
            await connection.execute(
                """CREATE TABLE IF NOT EXISTS schema_migrations (
                       version    text PRIMARY KEY,
                       checksum   text NOT NULL,
                       applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            recorded = {
                row["version"]: row["checksum"]
                for row in await connection.fetch("SELECT version, checksum FROM schema_migrations")
            }
            for version, sql in migration_files():
                checksum = hashlib.sha256(sql.encode("utf-8")).hexdigest()
                if version in recorded:
                    if recorded[version] != checksum:
                        raise MigrationError(
                            f"migration {version} was changed after it was applied; "
                            "add a new migration instead of editing an applied one"
                        )
                    continue
                async with connection.transaction():
                    await connection.execute(sql)
                    await connection.execute(
                        "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                        version,
                        checksum,
                    )
                applied_now.append(version)
                log.info("migration applied", version=version)
        finally:
            await connection.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
    return applied_now
