"""The roles: set up as the service sets them up, the worker's and the API's roles holding
exactly their grants, and a worker without the owner's URL refusing to run on a schema not
migrated."""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from store.database import create_pool, migration_files
from store.privileges import (
    API_FUNCTIONS,
    API_GRANTS,
    LEGACY_RUNTIME_ROLE,
    WORKER_GRANTS,
    RolesMisconfigured,
    UnclassifiedTable,
    ensure_roles,
    prepare_store,
    runtime_problems,
    user_of,
    with_user,
)
from tests.support.database import database_with_roles, scratch_database


@pytest.fixture
async def bare(postgres_server: str) -> AsyncIterator[tuple[str, str, str]]:
    """A new database with the roles and nothing migrated: (superuser, owner, worker)
    URLs."""
    async with database_with_roles(postgres_server, "dsr_roles", migrated=False) as roles:
        yield roles.superuser_url, roles.owner_url, roles.worker_url


async def test_a_runtime_role_alone_refuses_an_unmigrated_schema_then_runs_once_set_up(
    bare: tuple[str, str, str],
) -> None:
    _, owner_url, runtime_url = bare
    with pytest.raises(
        RolesMisconfigured, match="run `dsr-admin setup` with DSR_OWNER_DATABASE_URL"
    ):
        await prepare_store(runtime_url, None)
    applied = await prepare_store(runtime_url, owner_url)  # what `dsr-admin setup` does
    assert applied == [version for version, _ in migration_files()]
    assert await prepare_store(runtime_url, None) == []  # the worker, without the owner
    assert await prepare_store(runtime_url, owner_url) == []  # idempotent


async def test_the_worker_and_the_api_hold_exactly_their_grants(postgres_server: str) -> None:
    async with database_with_roles(postgres_server, "dsr_roles") as roles:
        admin = await asyncpg.connect(roles.superuser_url)
        try:
            held = {}
            for role in (roles.worker_role, roles.api_role):
                rows = await admin.fetch(
                    """SELECT table_name, array_agg(privilege_type::text ORDER BY privilege_type)
                                          AS p
                         FROM information_schema.role_table_grants
                        WHERE grantee = $1 AND table_schema = 'public' GROUP BY table_name""",
                    role,
                )
                held[role] = {r["table_name"]: sorted(r["p"]) for r in rows}
            executes = {
                role: [
                    f
                    for f in API_FUNCTIONS
                    if await admin.fetchval(
                        "SELECT has_function_privilege($1, $2, 'EXECUTE')", role, f
                    )
                ]
                for role in (roles.worker_role, roles.api_role)
            }
            owners = {
                r["tableowner"]
                for r in await admin.fetch(
                    "SELECT tableowner FROM pg_tables WHERE schemaname = 'public'"
                )
            }
        finally:
            await admin.close()
        assert held[roles.worker_role] == {t: sorted(p) for t, p in WORKER_GRANTS.items()}
        assert held[roles.api_role] == {t: sorted(p) for t, p in API_GRANTS.items()}
        assert executes == {roles.worker_role: [], roles.api_role: list(API_FUNCTIONS)}
        assert owners == {user_of(roles.owner_url)}
        pools = {
            name: await create_pool(url, max_size=1)
            for name, url in (
                ("worker", roles.worker_url),
                ("api", roles.api_url),
                ("owner", roles.owner_url),
            )
        }
        try:
            assert await runtime_problems(pools["worker"]) == []
            assert await runtime_problems(pools["api"], api=True) == []
            # The worker's role may append events: as the API's it would be a problem.
            assert any(
                "INSERT request_events" in p
                for p in await runtime_problems(pools["worker"], api=True)
            )
            problems = await runtime_problems(pools["owner"])
            assert any("owns" in p and "request_events" in p for p in problems)
        finally:
            for pool in pools.values():
                await pool.close()


async def test_the_same_role_for_both_urls_is_refused(bare: tuple[str, str, str]) -> None:
    _, owner_url, _ = bare
    with pytest.raises(RolesMisconfigured, match="must be a role of its own"):
        await prepare_store(owner_url, owner_url)


async def test_a_database_made_before_the_roles_is_handed_to_the_owner(
    postgres_server: str,
    unique: str,
) -> None:
    """An embedded database from before the split: tables owned by the superuser. The
    next start hands every object to the owner, and the runtime role gets its grants."""
    owner, worker, api = f"dsr_owner_h{unique}", f"dsr_worker_h{unique}", f"dsr_api_h{unique}"
    try:
        async with scratch_database(postgres_server, "dsr_handover") as url:
            await prepare_store(url, None)  # the old way: the superuser migrates
            await ensure_roles(url, owner=owner, worker=worker, api=api, retire=None)
            await prepare_store(with_user(url, worker), with_user(url, owner), api=api)
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
            for role in (worker, api, owner):
                await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await admin.close()


def test_urls_change_only_their_user() -> None:
    url = "postgresql://postgres:@/postgres?host=/tmp/x/postgres"
    assert with_user(url, "dsr_worker") == "postgresql://dsr_worker@/postgres?host=/tmp/x/postgres"
    assert user_of(with_user("postgresql://a:b@h:5432/d", "dsr owner")) == "dsr owner"
    assert user_of("postgresql:///d") is None


async def test_the_runtime_role_of_before_is_the_worker_or_nothing(postgres_server: str) -> None:
    """An upgrade: `dsr_runtime` held the one runtime share, accounts included. Named by
    DATABASE_URL it gets the worker's share (no account written any more); once the worker
    has its own role, setup takes every grant from it."""
    async with database_with_roles(postgres_server, "dsr_upgrade") as roles:
        admin = await asyncpg.connect(roles.superuser_url)
        try:
            await admin.execute(f'CREATE ROLE "{LEGACY_RUNTIME_ROLE}" LOGIN')
            legacy = with_user(roles.superuser_url, LEGACY_RUNTIME_ROLE)
            owner = await asyncpg.connect(roles.owner_url)
            try:
                await owner.execute(
                    "GRANT SELECT, INSERT, UPDATE ON accounts, subject_keys "
                    f'TO "{LEGACY_RUNTIME_ROLE}"'
                )
                await owner.execute(f'GRANT USAGE ON SCHEMA public TO "{LEGACY_RUNTIME_ROLE}"')
            finally:
                await owner.close()

            async def held() -> dict[str, list[str]]:
                rows = await admin.fetch(
                    """SELECT table_name, array_agg(privilege_type::text ORDER BY privilege_type)
                                          AS p
                         FROM information_schema.role_table_grants
                        WHERE grantee = $1 AND table_schema = 'public' GROUP BY table_name""",
                    LEGACY_RUNTIME_ROLE,
                )
                return {r["table_name"]: sorted(r["p"]) for r in rows}

            await prepare_store(legacy, roles.owner_url, api=roles.api_role)
            assert await held() == {t: sorted(p) for t, p in WORKER_GRANTS.items()}
            assert (await held())["accounts"] == ["SELECT"]
            await prepare_store(roles.worker_url, roles.owner_url, api=roles.api_role)
            assert await held() == {}
        finally:
            await admin.execute(f'DROP OWNED BY "{LEGACY_RUNTIME_ROLE}"')
            await admin.execute(f'DROP ROLE IF EXISTS "{LEGACY_RUNTIME_ROLE}"')
            await admin.close()


async def test_a_table_the_map_does_not_name_stops_the_grants(postgres_server: str) -> None:
    async with database_with_roles(postgres_server, "dsr_unnamed") as roles:
        owner = await asyncpg.connect(roles.owner_url)
        try:
            await owner.execute("CREATE TABLE stray (id int)")
        finally:
            await owner.close()
        with pytest.raises(UnclassifiedTable, match="may do with stray"):
            await prepare_store(roles.worker_url, roles.owner_url, api=roles.api_role)
