"""`dsr` as its users run it: the API app served on a free loopback port in the test's
own event loop (over the test's pool and Temporal, as tests/api builds it), and the
command run as a subprocess from another folder, its environment holding only DSR_URL
and DSR_TOKEN: no database, Temporal, data folder or key.

    async with served_dsr(services, token=admin, folder=tmp_path / "cli") as dsr:
        code, out, err = await dsr("--output", "json", "status", request_id)
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.client import Client

from domain.authority import Role
from interfaces.api.app import create_app
from interfaces.api.services import Services
from interfaces.api.serving import bind, serving
from runtime.settings import Settings
from store.accounts import Accounts
from tests.support.api import services_for

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120.0


@dataclass
class Dsr:
    """Runs `dsr` against the served API; returns (exit status, stdout, stderr)."""

    url: str
    token: str
    folder: Path  # where it runs: not the repository

    async def __call__(
        self,
        *argv: str,
        token: str | None = None,
        stdin: str | None = None,
        env: Mapping[str, str] | None = None,
    ) -> tuple[int, str, str]:
        """As the fixture's account, or `token`'s (a test's DSR_TOKEN set with monkeypatch
        counts too); `env` adds variables (e.g. XDG_CONFIG_HOME for `dsr login`)."""
        environment = {
            "DSR_URL": self.url,
            "DSR_TOKEN": token or os.environ.get("DSR_TOKEN") or self.token,
            **(env or {}),
        }
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "starter.py"),
            *argv,
            cwd=self.folder,
            env=environment,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(
                process.communicate(stdin.encode() if stdin is not None else b""), TIMEOUT
            )
        except TimeoutError:
            process.kill()
            await process.wait()
            raise
        assert process.returncode is not None
        if err:  # shown with a failing test's captured output
            sys.stderr.write(f"dsr {' '.join(argv)} -> {process.returncode}: {err.decode()}")
        return process.returncode, out.decode(), err.decode()


def cli_settings(folder: Path, task_queue: str, **more: Any) -> Settings:
    """The API's settings for a test: the worker's files under `folder` (its maildrop,
    checkpoint key and witness, as tests.support.temporal.new_worker puts them)."""
    return Settings(
        DSR_TASK_QUEUE=task_queue,
        DSR_DATA_DIR=str(folder),
        DSR_CHECKPOINT_KEY=str(folder / "keys" / "checkpoint.pem"),
        DSR_WITNESS_DIR=str(folder / "witness"),
        **more,
    )


@contextlib.asynccontextmanager
async def served(services: Services) -> AsyncIterator[str]:
    """The service's app on a free loopback port; yields its URL."""
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    async with serving(create_app(services), sock):
        yield f"http://127.0.0.1:{port}"


@contextlib.asynccontextmanager
async def served_dsr(
    client: Client,
    pool: asyncpg.Pool,
    settings: Settings,
    *,
    folder: Path,
    account: str,
    roles: tuple[Role, ...] = (Role.ADMIN,),
) -> AsyncIterator[Dsr]:
    """The API served over `client` and `pool` with `settings`, and `dsr` as a new
    account `account` (admin unless `roles`), run in `folder`."""
    services = dataclasses.replace(
        services_for(client, pool, settings.temporal.task_queue), settings=settings
    )
    token = await Accounts(pool).create(account, roles, created_by="tests")
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    async with served(services) as url:
        yield Dsr(url, token, folder)


def last_json(out: str) -> Any:
    import json

    return json.loads(out.strip().splitlines()[-1])
