from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from starter import main
from tests.support.database import vault_environment
from tests.support.temporal import new_worker


@pytest.fixture
async def running(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> AsyncIterator[tuple[Client, str, Worker]]:
    """A worker with the real activities on a task queue of its own."""
    task_queue = f"dsr-test-{unique}"
    # Its checkpoint key and witness are where `dsr` (tests/workflow/test_audit_trail.py)
    # finds them: DSR_CHECKPOINT_KEY and DSR_WITNESS_DIR under the same tmp_path.
    worker = new_worker(time_skipping_env.client, pool, task_queue, tmp_path)
    async with worker:
        yield time_skipping_env.client, task_queue, worker


@pytest.fixture
def dsr(
    monkeypatch: pytest.MonkeyPatch, database_url: str, time_skipping_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str], tmp_path: Path, keyring_dir: Path,
) -> Any:
    """Run the `dsr` command line against the test database and Temporal server, with the
    checkpoint key and witness of the test's `running` worker and the
    suite's keyring (the records it reads are sealed)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name, value in vault_environment(keyring_dir).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DSR_CHECKPOINT_KEY", str(tmp_path / "keys" / "checkpoint.pem"))
    monkeypatch.setenv("DSR_WITNESS_DIR", str(tmp_path / "witness"))
    monkeypatch.setenv("TEMPORAL_ADDRESS",
                       time_skipping_env.client.service_client.config.target_host)

    async def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await asyncio.to_thread(main, list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
