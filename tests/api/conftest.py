"""The API in-process: the app over httpx's ASGI transport, on the suite's Postgres and
time-skipping Temporal, with a worker on a task queue of the test's own (or none)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.authority import Role
from store.accounts import Accounts
from tests.support.api import Token, make_app, services_for
from tests.support.temporal import end_open_requests, new_worker, own_time_skipping_env

# This package's own server (tests.support.temporal.time_skipping_server says why).
time_skipping_env = own_time_skipping_env("package")


@pytest.fixture
async def queue(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    owner_pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
) -> AsyncIterator[str]:
    """A task queue of the test's own with a worker holding the suite's act public key."""
    task_queue = f"dsr-api-{unique}"
    async with new_worker(
        time_skipping_env.client, pool, task_queue, tmp_path, accounts_pool=owner_pool
    ):
        yield task_queue
        await end_open_requests(time_skipping_env.client, pool, "request_id LIKE $1", f"%{unique}")


@pytest.fixture
async def api(
    time_skipping_env: WorkflowEnvironment, api_pool: asyncpg.Pool, queue: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The API on the API's database role alone; its worker (`queue`) on the suite's pool."""
    app = make_app(services_for(time_skipping_env.client, api_pool, queue))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", timeout=60
    ) as client:
        yield client


@pytest.fixture
def token(owner_pool: asyncpg.Pool, unique: str) -> Token:
    """Makes an account of the test's own with `roles` (as the schema's owner: no role of
    the service writes accounts); returns its bearer token."""

    async def make(name: str, *roles: Role) -> str:
        return await Accounts(owner_pool).create(f"{name}-{unique}", roles, created_by="tests")

    return make
