from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.support.cli import Dsr, cli_settings, served_dsr
from tests.support.temporal import Rig, rigged


@pytest.fixture
async def rig(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    owner_pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
) -> AsyncIterator[Rig]:
    """A worker with the real activities on a task queue of its own. Its checkpoint key
    and witness are where `dsr` (the `dsr` fixture) finds them, under the same tmp_path;
    the accounts `actor()` makes are written as the schema's owner."""
    async with rigged(
        time_skipping_env.client, pool, tmp_path, unique, accounts_pool=owner_pool
    ) as rig:
        yield rig


@pytest.fixture
async def dsr(
    rig: Rig, pool: asyncpg.Pool, owner_pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> AsyncIterator[Dsr]:
    """`dsr` as its users run it (tests/support/cli.py): a subprocess holding only DSR_URL
    and DSR_TOKEN (an admin of the test's own), against the API served over the test's
    pool and Temporal, whose requests go to the `rig` worker's task queue and whose files
    (maildrop, checkpoint key, witness) are the rig's, under tmp_path."""
    async with served_dsr(
        rig.client,
        pool,
        cli_settings(tmp_path, rig.task_queue),
        folder=tmp_path / "elsewhere",
        account=f"cli-admin-{unique}",
        accounts_pool=owner_pool,
    ) as running:
        yield running
