from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from audit.checkpoints import CheckpointSigner
from audit.signing import load_private_key
from audit.witness import DirectoryWitness
from tests.support import TEST_ACT_KEY
from worker import build_worker


@pytest.fixture
async def running(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> AsyncIterator[tuple[Client, str, Worker]]:
    """A worker with the real activities on a task queue of its own."""
    task_queue = f"dsr-test-{unique}"
    # The checkpoint key and witness where `dsr` (tests/workflow/test_audit_trail.py) finds
    # them: DSR_CHECKPOINT_KEY and DSR_WITNESS_DIR under the same tmp_path.
    signer = CheckpointSigner(load_private_key(tmp_path / "keys" / "checkpoint.pem", create=True),
                              DirectoryWitness(tmp_path / "witness"))
    worker = build_worker(
        time_skipping_env.client, pool, task_queue=task_queue, maildrop=tmp_path / "maildrop",
        signer=signer, act_key=TEST_ACT_KEY,
    )
    async with worker:
        yield time_skipping_env.client, task_queue, worker
