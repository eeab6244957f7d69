from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from worker import build_worker


@pytest.fixture
async def running(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> AsyncIterator[tuple[Client, str, Worker]]:
    """A worker with the real activities on a task queue of its own."""
    task_queue = f"dsr-test-{unique}"
    worker = build_worker(
        time_skipping_env.client, pool, task_queue=task_queue, maildrop=tmp_path / "maildrop"
    )
    async with worker:
        yield time_skipping_env.client, task_queue, worker
