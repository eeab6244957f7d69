"""`GET /requests/{id}/review`: what a request asks beside what we hold, for the operator
about to decide it (`dsr review ID`). It carries personal data, read from PostgreSQL (it
never passes through Temporal): operator or approver.

- 200: the review document. 404: no such request.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response

from domain.authority import Role
from interfaces.api.auth import require
from interfaces.api.deps import RequestId, Svc
from interfaces.api.problems import NOT_FOUND, Problem, responses
from store.accounts import Account
from store.events import UnknownRequest
from store.review import review_document

router = APIRouter()
Reviewer = Annotated[Account, Depends(require(Role.OPERATOR, Role.APPROVER))]


@router.get(
    "/requests/{request_id}/review",
    tags=["requests"],
    response_model=dict[str, Any],
    responses=responses(401, 403, 404, 422),
)
async def review_request(
    request_id: RequestId, response: Response, services: Svc, account: Reviewer
) -> Any:
    """The request (its kind, status, step, the person's statement and language) beside
    the personal data we hold, its purposes, recipients and provisions, and what an
    investigation found. Role: operator or approver."""
    response.headers["Cache-Control"] = "no-store"  # personal data
    try:
        return await review_document(services.pool, request_id)
    except UnknownRequest:
        raise Problem(404, f"no request {request_id}", type=NOT_FOUND) from None
