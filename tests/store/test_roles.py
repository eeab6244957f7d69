"""The two roles: set up as the service sets them up, the runtime role holding exactly its
grants, and a worker without the owner's URL refusing to run on a schema not migrated."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from store.database import create_pool, migration_files
from store.privileges import (
    RUNTIME_GRANTS,
    RolesMisconfigured,
    ensure_roles,
    prepare_store,
    runtime_problems,
    user_of,
    with_user,
)
from tests.support.database import database_with_roles, scratch_database


@pytest.fixture
async def bare(postgres_server: str) -> AsyncIterator[tuple[str, str, str]]:
    """A new database with the two roles and nothing migrated: (superuser, owner, runtime)
    URLs."""
    async with database_with_roles(postgres_server, "dsr_roles", migrated=False) as roles:
        yield roles.superuser_url, roles.owner_url, roles.runtime_url


async def test_a_runtime_role_alone_refuses_an_unmigrated_schema_then_runs_once_set_up(
    bare: tuple[str, str, str],
) -> None:
    _, owner_url, runtime_url = bare
    with pytest.raises(RolesMisconfigured, match="run `dsr setup` with DSR_OWNER_DATABASE_URL"):
        await prepare_store(runtime_url, None)
    applied = await prepare_store(runtime_url, owner_url)  # what `dsr setup` does
    assert applied == [version for version, _ in migration_files()]
    assert await prepare_store(runtime_url, None) == []  # the worker, without the owner
    assert await prepare_store(runtime_url, owner_url) == []  # idempotent


async def test_the_runtime_role_holds_exactly_its_grants(bare: tuple[str, str, str]) -> None:
    superuser_url, owner_url, runtime_url = bare
    await prepare_store(runtime_url, owner_url)
    runtime = user_of(runtime_url)
    admin = await asyncpg.connect(superuser_url)
    try:
        rows = await admin.fetch(
            """SELECT table_name, array_agg(privilege_type::text ORDER BY privilege_type) AS p
                 FROM information_schema.role_table_grants
                WHERE grantee = $1 AND table_schema = 'public' GROUP BY table_name""",
            runtime,
        )
        owners = {
            r["tablename"]: r["tableowner"]
            for r in await admin.fetch(
                "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public'"
            )
        }
    finally:
        await admin.close()
    held = {r["table_name"]: sorted(r["p"]) for r in rows}
    assert held == {table: sorted(privileges) for table, privileges in RUNTIME_GRANTS.items()}
    assert set(owners.values()) == {user_of(owner_url)}
    runtime_pool = await create_pool(runtime_url, max_size=1)
    owner_pool = await create_pool(owner_url, max_size=1)
    try:
        assert await runtime_problems(runtime_pool) == []
        problems = await runtime_problems(owner_pool)
        assert any("owns" in p and "request_events" in p for p in problems)
    finally:
        await runtime_pool.close()
        await owner_pool.close()


async def test_the_same_role_for_both_urls_is_refused(bare: tuple[str, str, str]) -> None:
    _, owner_url, _ = bare
    with pytest.raises(RolesMisconfigured, match="name the same role"):
        await prepare_store(owner_url, owner_url)


async def test_a_database_made_before_the_roles_is_handed_to_the_owner(
    postgres_server: str,
    unique: str,
) -> None:
    """An embedded database from before the split: tables owned by the superuser. The
    next start hands every object to the owner, and the runtime role gets its grants."""
    owner, runtime = f"dsr_owner_h{unique}", f"dsr_runtime_h{unique}"
    try:
        async with scratch_database(postgres_server, "dsr_handover") as url:
            await prepare_store(url, None)  # the old way: the superuser migrates
            await ensure_roles(url, owner=owner, runtime=runtime)
            await prepare_store(with_user(url, runtime), with_user(url, owner))
            admin = await asyncpg.connect(url)
            try:
                others = await admin.fetchval(
                    """SELECT count(*) FROM pg_class c JOIN pg_namespace n
                         ON n.oid = c.relnamespace
                        WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) <> $1""",
                    owner,
                )
                functions = await admin.fetchval(
                    """SELECT count(*) FROM pg_proc p JOIN pg_namespace n
                         ON n.oid = p.pronamespace
                        WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> $1""",
                    owner,
                )
            finally:
                await admin.close()
            assert others == 0 and functions == 0
    finally:
        admin = await asyncpg.connect(postgres_server)
        try:
            for role in (runtime, owner):
                await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await admin.close()


def test_urls_change_only_their_user() -> None:
    url = "postgresql://postgres:@/postgres?host=/tmp/x/postgres"
    assert (
        with_user(url, "dsr_runtime") == "postgresql://dsr_runtime@/postgres?host=/tmp/x/postgres"
    )
    assert user_of(with_user("postgresql://a:b@h:5432/d", "dsr owner")) == "dsr owner"
    assert user_of("postgresql:///d") is None
