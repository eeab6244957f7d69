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
import json
import os
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from temporalio.client import Client

from domain.authority import Role
from interfaces.api.app import create_app
from interfaces.api.services import Services
from interfaces.api.serving import bind, serving
from interfaces.cli.client import default_transport
from interfaces.cli.main import main
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
        counts too); `env` adds variables (e.g. XDG_CONFIG_HOME for `dsr login`), or with
        an empty value takes one away (`{"DSR_TOKEN": ""}`: no token given)."""
        environment = {
            "DSR_URL": self.url,
            "DSR_TOKEN": token or os.environ.get("DSR_TOKEN") or self.token,
            **(env or {}),
        }
        environment = {name: value for name, value in environment.items() if value}
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
    accounts_pool: asyncpg.Pool | None = None,
) -> AsyncIterator[Dsr]:
    """The API served over `client` and `pool` (the API's role) with `settings`, and
    `dsr` as a new account `account` (admin unless `roles`), made through
    `accounts_pool` (a role that may write accounts; default `pool`), run in `folder`."""
    services = dataclasses.replace(
        services_for(client, pool, settings.temporal.task_queue), settings=settings
    )
    token = await Accounts(accounts_pool or pool).create(account, roles, created_by="tests")
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    async with served(services) as url:
        yield Dsr(url, token, folder)


def last_json(out: str) -> Any:
    return json.loads(out.strip().splitlines()[-1])


STANDING = {  # a reply of an act: where a request stands (domain.messages.StatusView)
    "request_id": "r-1",
    "kind": "disclosure",
    "status": "in_progress",
    "step": None,
    "due_at": None,
    "overdue": False,
    "outcome": None,
    "deadline_policy_version": "test",
}


@dataclass
class Sent:
    """What a `dsr` command sent, with no service: its exit status and each call."""

    code: int
    calls: list[tuple[str, str, Any]]  # (method, path under /api/v1, JSON body or None)

    def body(self, path_end: str) -> Any:
        [found] = [b for m, p, b in self.calls if m == "POST" and p.endswith(path_end)]
        return found


def sent(argv: list[str], reply: Any = None) -> Sent:
    """Runs `dsr` in-process against a stand-in of the API that records each call and
    answers `reply` (default: where a request stands; `/me` answers an operator)."""
    calls: list[tuple[str, str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/v1")
        calls.append(
            (request.method, path, json.loads(request.content) if request.content else None)
        )
        if path == "/me":
            return httpx.Response(200, json={"account": "op-1", "roles": ["operator"]})
        return httpx.Response(200, json=STANDING if reply is None else reply)

    chosen = default_transport.set(httpx.MockTransport(answer))
    try:
        code = main(argv)
    finally:
        default_transport.reset(chosen)
    return Sent(code, calls)
