"""The HTTP API in-process, as the API suite and the API's fuzzing build it: the app over
the test's services, and bearer tokens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import asyncpg
from fastapi import FastAPI
from temporalio.client import Client

from interfaces.api.services import Services
from runtime.settings import Settings
from tests.support.temporal import TEST_ACT_SIGNER

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
    return Services(
        client=client,
        pool=pool,
        settings=Settings(DSR_TASK_QUEUE=task_queue),
        act_signer=TEST_ACT_SIGNER,
    )


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
