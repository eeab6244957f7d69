"""The one FastAPI app: the API under /api/v1 (bearer tokens, roles, problem details) and
the privacy center's pages at / (people, no account). `make run` serves it beside the
worker on DSR_API_HOST:DSR_API_PORT; `python -m interfaces.api` serves it alone."""

from __future__ import annotations

from fastapi import FastAPI

from interfaces.api import problems
from interfaces.api.routes import router as api_router
from interfaces.api.services import Services
from interfaces.privacy_center.routes import router as privacy_center_router


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="Data-subject request service",
        summary="Requests under the privacy policy (Articles 5-10) as durable workflows.",
        version="1",
    )
    app.state.services = services
    problems.install(app)
    app.include_router(api_router, prefix="/api/v1")
    app.include_router(privacy_center_router)
    return app
