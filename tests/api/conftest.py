"""The API in-process: the app over httpx's ASGI transport, on the suite's Postgres and
time-skipping Temporal, with a worker on a task queue of the test's own (or none)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.authority import Role
from interfaces.api.services import Services
from runtime.settings import Settings
from store.accounts import Accounts
from tests.support.temporal import TEST_ACT_KEY, end_open_requests, new_worker, time_skipping_server

Token = Callable[..., Awaitable[str]]


def make_app(services: Services) -> FastAPI:
    """The service's app; while the privacy center's routes are not there yet, the API
    alone, assembled as create_app assembles it."""
    try:
        from interfaces.api.app import create_app
    except ImportError:
        from interfaces.api import problems
        from interfaces.api.routes import router

        app = FastAPI(title="Data-subject request service", version="1")
        app.state.services = services
        problems.install(app)
        app.include_router(router, prefix="/api/v1")
        return app
    return create_app(services)


def services_for(client: Client, pool: asyncpg.Pool, task_queue: str) -> Services:
    return Services(client=client, pool=pool, settings=Settings(DSR_TASK_QUEUE=task_queue),
                    act_key=TEST_ACT_KEY)



@pytest.fixture(scope="package")
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """This package's own server (tests.support.time_skipping_server says why)."""
    async with time_skipping_server() as env:
        yield env

@pytest.fixture
async def queue(time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str,
                tmp_path: Path) -> AsyncIterator[str]:
    """A task queue of the test's own with a worker holding the suite's act key."""
    task_queue = f"dsr-api-{unique}"
    async with new_worker(time_skipping_env.client, pool, task_queue, tmp_path):
        yield task_queue
        await end_open_requests(time_skipping_env.client, pool, "request_id LIKE $1",
                                f"%{unique}")


@pytest.fixture
async def api(time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, queue: str
              ) -> AsyncIterator[httpx.AsyncClient]:
    app = make_app(services_for(time_skipping_env.client, pool, queue))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://test", timeout=60) as client:
        yield client


@pytest.fixture
def token(pool: asyncpg.Pool, unique: str) -> Token:
    """Makes an account of the test's own with `roles`; returns its bearer token."""

    async def make(name: str, *roles: Role) -> str:
        return await Accounts(pool).create(f"{name}-{unique}", roles, created_by="tests")

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
