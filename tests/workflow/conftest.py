from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from starter import main
from tests.support.database import vault_environment
from tests.support.temporal import Rig, rigged


@pytest.fixture
async def rig(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> AsyncIterator[Rig]:
    """A worker with the real activities on a task queue of its own. Its checkpoint key
    and witness are where `dsr` (the `dsr` fixture) finds them, under the same tmp_path."""
    async with rigged(time_skipping_env.client, pool, tmp_path, unique) as rig:
        yield rig


@pytest.fixture
def dsr(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    time_skipping_env: WorkflowEnvironment,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    keyring_dir: Path,
) -> Any:
    """Run the `dsr` command line against the test database and Temporal server, with the
    checkpoint key and witness of the test's `rig` worker and the
    suite's keyring (the records it reads are sealed)."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    for name, value in vault_environment(keyring_dir).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DSR_CHECKPOINT_KEY", str(tmp_path / "keys" / "checkpoint.pem"))
    monkeypatch.setenv("DSR_WITNESS_DIR", str(tmp_path / "witness"))
    monkeypatch.setenv(
        "TEMPORAL_ADDRESS", time_skipping_env.client.service_client.config.target_host
    )

    async def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = await asyncio.to_thread(main, list(argv))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
