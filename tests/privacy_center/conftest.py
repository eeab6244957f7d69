"""The privacy center against the session's store and the time-skipping Temporal server,
with a worker running the real activities, through httpx's ASGI transport."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.testing import WorkflowEnvironment

from interfaces.api.services import Services
from interfaces.privacy_center.routes import router
from runtime.settings import Settings
from tests.support.privacy_center import Center
from tests.support.temporal import (
    TEST_ACT_SIGNER,
    end_open_requests,
    new_worker,
    own_time_skipping_env,
)

# This package's own server (tests.support.temporal.time_skipping_server says why).
time_skipping_env = own_time_skipping_env("package")


@pytest.fixture
async def center(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    api_pool: asyncpg.Pool,
    owner_pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
) -> AsyncIterator[Center]:
    """The privacy center on the API's database role alone (issue 21); its worker, and the
    test's own look-ups, on the suite's pool."""
    task_queue = f"dsr-pc-{unique}"
    worker = new_worker(
        time_skipping_env.client, pool, task_queue, tmp_path, accounts_pool=owner_pool
    )
    settings = Settings(DSR_DATA_DIR=str(tmp_path), DSR_TASK_QUEUE=task_queue)
    app = FastAPI()
    app.state.services = Services(time_skipping_env.client, api_pool, settings, TEST_ACT_SIGNER)
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    began = await pool.fetchval("SELECT now()")
    async with worker, httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield Center(http, tmp_path / "maildrop", pool, unique, client=time_skipping_env.client)
        await end_open_requests(
            time_skipping_env.client, pool, "request_id LIKE 'pc-%' AND submitted_at >= $1", began
        )
