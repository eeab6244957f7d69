"""What the routes share: the services, the request id in a path, a request's existence."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Path, Request

from interfaces.api.problems import NOT_FOUND, Problem
from interfaces.api.services import Services
from store.events import UnknownRequest
from store.intake import IntakeStore


def services_of(request: Request) -> Services:
    return request.app.state.services


Svc = Annotated[Services, Depends(services_of)]
RequestId = Annotated[
    str,
    Path(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$",
        description="The request's id, as it was submitted.",
    ),
]


async def known(services: Services, request_id: str) -> None:
    """404 for a request the store has never taken in."""
    try:
        await IntakeStore(services.pool).summary(request_id)
    except UnknownRequest:
        raise Problem(404, f"no request {request_id}", type=NOT_FOUND) from None
