from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from tests.support import worker_for_test


@pytest.fixture
async def running(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> AsyncIterator[tuple[Client, str, Worker]]:
    """A worker with the real activities on a task queue of its own."""
    task_queue = f"dsr-test-{unique}"
    # Its checkpoint key and witness are where `dsr` (tests/workflow/test_audit_trail.py)
    # finds them: DSR_CHECKPOINT_KEY and DSR_WITNESS_DIR under the same tmp_path.
    worker = worker_for_test(time_skipping_env.client, pool, task_queue, tmp_path)
    async with worker:
        yield time_skipping_env.client, task_queue, worker
