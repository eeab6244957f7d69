"""The API under /api/v1: submission and status (backend services), list and timeline
(operators, auditors), the operators' acts (interfaces/api/acts.py), the audit exports
(interfaces/api/audit.py), accounts (interfaces/api/accounts.py), a request's review
(interfaces/api/review.py), the registers (interfaces/api/registers.py, inventory.py) and
the data map's systems (interfaces/api/datastores.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response
from pydantic import AwareDatetime

from domain.authority import Role
from domain.lifecycle import RequestStatus
from domain.messages import StatusView
from domain.requests import AnySubmission, RequestKind
from interfaces.api import (
    accounts,
    acts,
    audit,
    datastores,
    disclosure_links,
    inventory,
    refunds,
    registers,
    review,
)
from interfaces.api.auth import require
from interfaces.api.deps import RequestId, Svc, known
from interfaces.api.models import Health, Me, RequestRow, SubmissionReply, Timeline
from interfaces.api.problems import CONFLICT, NOT_FOUND, Problem, responses
from service.requests import Refused, status, submit
from store.accounts import Account
from store.events import UnknownRequest
from store.views import RequestFilter, RequestViews

MAX_LIST = 10_000  # as `dsr list`

# The intake contract itself (domain/requests.py), every kind of it, as `dsr submit` takes it.
Submission = Annotated[
    AnySubmission,
    Body(
        discriminator="kind",
        description="One request: the intake contract, its `details` shaped by its `kind`.",
    ),
]
AnyRole = (Role.INTAKE, Role.OPERATOR, Role.APPROVER, Role.CASHIER, Role.AUDITOR)
Readers = (Role.OPERATOR, Role.AUDITOR)

router = APIRouter()


@router.get("/health", tags=["service"], response_model=Health)
async def health() -> Health:
    """Liveness: the API answers. Needs no token."""
    return Health(status="ok")


@router.get("/me", tags=["accounts"], response_model=Me, responses=responses(401))
async def me(account: Annotated[Account, Depends(require())]) -> Me:
    """The account the token signs in, and its roles (`dsr login` checks a token so).
    Any enabled account."""
    return Me(account=account.account, roles=sorted(account.roles))


@router.post(
    "/requests",
    tags=["requests"],
    status_code=201,
    response_model=SubmissionReply,
    responses={
        200: {"model": SubmissionReply, "description": "The same submission was there already"},
        **responses(401, 403, 409, 422),
    },
)
async def submit_request(
    submission: Submission,
    response: Response,
    services: Svc,
    account: Annotated[Account, Depends(require(Role.INTAKE))],
) -> SubmissionReply:
    """Submit a request and start its workflow. Idempotent on `request_id`: 201 with
    `Location` when made now, 200 when the same submission was there already (a closed
    request is not reopened); 409 for a different request under a used id."""
    try:
        result = await submit(
            submission,
            client=services.client,
            pool=services.pool,
            task_queue=services.task_queue,
            deadline_policy=services.deadline_policy,
        )
    except Refused as error:
        raise Problem(
            409, f"{error}. Nothing was written.", type=CONFLICT, title="Conflicting submission"
        ) from None
    if result.created:
        response.headers["Location"] = f"/api/v1/requests/{result.request_id}"
    else:
        response.status_code = 200
    return SubmissionReply(
        request_id=result.request_id,
        workflow_id=result.workflow_id,
        kind=result.kind,
        created=result.created,
        workflow_started=result.workflow_started,
        closed=result.closed,
        outcome=result.outcome,
        message=result.message,
    )


@router.get(
    "/requests/{request_id}",
    tags=["requests"],
    response_model=StatusView,
    responses=responses(401, 403, 404, 409, 422),
)
async def request_status(
    request_id: RequestId,
    services: Svc,
    account: Annotated[Account, Depends(require(*AnyRole))],
) -> StatusView:
    """Where the request stands (the workflow's `status` query): no personal data."""
    await known(services, request_id)
    try:
        return await status(request_id, client=services.client, pool=services.pool)
    except Refused as error:
        raise Problem(409, str(error), type=CONFLICT, title="No workflow") from None


@router.get(
    "/requests",
    tags=["requests"],
    response_model=list[RequestRow],
    responses=responses(401, 403, 422),
)
async def list_requests(
    services: Svc,
    account: Annotated[Account, Depends(require(*Readers))],
    kind: RequestKind | None = None,
    in_status: Annotated[RequestStatus | None, Query(alias="status")] = None,
    overdue: bool | None = None,
    due_before: Annotated[
        AwareDatetime | None,
        Query(description="Only requests whose current step is due before this time"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIST)] = 100,
) -> list[RequestRow]:
    """Requests, filtered as `dsr list`, soonest due first."""
    rows = await RequestViews(services.pool).list(
        RequestFilter(
            kind=kind.value if kind else None,
            status=in_status.value if in_status else None,
            overdue=overdue,
            due_before=due_before,
            limit=limit,
        )
    )
    return [RequestRow(**row) for row in rows]


@router.get(
    "/requests/{request_id}/timeline",
    tags=["requests"],
    response_model=Timeline,
    responses=responses(401, 403, 404, 422),
)
async def request_timeline(
    request_id: RequestId,
    services: Svc,
    account: Annotated[Account, Depends(require(*Readers))],
) -> Timeline:
    """What `dsr show` shows: the request, its deadlines (met, breached, extended) and
    every event in order, with its actor."""
    try:
        timeline = await RequestViews(services.pool).timeline(request_id)
    except UnknownRequest:
        raise Problem(404, f"no request {request_id}", type=NOT_FOUND) from None
    return Timeline(**timeline)


router.include_router(acts.router, tags=["acts"])
router.include_router(audit.router, tags=["audit"])
router.include_router(accounts.router, tags=["accounts"])
router.include_router(disclosure_links.router, tags=["acts"])
router.include_router(refunds.router, tags=["acts"])
router.include_router(review.router)
router.include_router(registers.router)
router.include_router(inventory.router)
router.include_router(datastores.router)
