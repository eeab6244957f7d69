"""The Python client API: what backend services and the `dsr` command line call.

`submit()` validates, records and starts a request; the operator functions store any
personal text in Postgres first and send the workflow an update carrying only its id,
withdrawing the text if the workflow refuses the update, so a refusal leaves nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast, overload

import asyncpg
from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from domain.deadlines import DeadlinePolicy
from domain.lifecycle import RequestStatus
from domain.messages import RequestOutcome, RequestRef, StatusView
from domain.requests import (
    SUBMISSION_MODELS,
    SubjectRequest,
    parse_submission,
)
from runtime.cluster import connect, connection_security
from runtime.servers import running_embedded_postgres
from runtime.settings import Settings
from runtime.vault import open_vault
from service.acts import Refused, respond
from store.database import create_pool
from store.events import UnknownRequest
from store.intake import ConflictingSubmission, IntakeStore
from store.keyring import KeyringError
from store.privileges import API_ROLE, with_user
from store.request_lookups import outcome_of
from workflows import search_attributes as sa
from workflows.data_subject_request import DataSubjectRequest

# `run` takes a RawValue and decodes it itself, so that a start by another client fails
# the workflow instead of its every task (see `DataSubjectRequest.__init__`); what a
# request is started with is a RequestRef. This is the one place that says so.
START_REQUEST = cast(
    Callable[[DataSubjectRequest, RequestRef], Awaitable[RequestOutcome]], DataSubjectRequest.run
)

# The client API in one place: submitting here, the operators' acts (answering an
# inquiry among them) in service/acts.py.
__all__ = [
    "Diverged",
    "Refused",
    "Unavailable",
    "connections",
    "respond",
    "status",
    "submit",
]


class Diverged(Exception):
    """An audit found a history that no longer replays or a broken chain. Exit status 3."""


class Unavailable(Exception):
    """The service's servers could not be reached. Exit status 1."""


@dataclass(frozen=True)
class SubmissionResult:
    request_id: str
    workflow_id: str
    kind: str
    created: bool
    workflow_started: bool
    closed: bool = False
    outcome: str | None = None

    @property
    def message(self) -> str:
        if self.closed:
            return (
                f"request {self.request_id} is closed"
                + (f" with outcome {self.outcome}" if self.outcome else "")
                + "; nothing was started (a closed request is not reopened: submit a new "
                "request under a new request id)"
            )
        if self.created:
            return f"submitted {self.kind} request {self.request_id} as workflow {self.workflow_id}"
        if self.workflow_started:
            return (
                f"request {self.request_id} was recorded earlier but had no workflow; "
                f"started {self.workflow_id} now"
            )
        return (
            f"request {self.request_id} was already submitted; workflow {self.workflow_id} "
            "is the existing one"
        )


async def submit(
    request: SubjectRequest | Mapping[str, Any] | Any,
    *,
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    deadline_policy: DeadlinePolicy | None = None,
) -> SubmissionResult:
    """Validate, record and start one request. Idempotent on its request id: the same
    submission again reports the existing request and workflow; a different submission
    under a used id is refused. A closed request stays closed: submitting it again starts
    nothing, even after Temporal's retention has dropped its workflow (REJECT_DUPLICATE
    alone would then let a second run start). Raises InvalidSubmission or Refused on bad
    input."""
    submission = (
        request
        if isinstance(request, SUBMISSION_MODELS)
        else parse_submission(dict(request) if isinstance(request, Mapping) else request)
    )
    policy = deadline_policy or DeadlinePolicy()
    try:
        recorded = await IntakeStore(pool).record_submission(submission, policy)
    except ConflictingSubmission as error:
        raise Refused(str(error)) from None
    if not recorded.created and recorded.status == RequestStatus.CLOSED.value:
        outcome = await outcome_of(pool, recorded.request_id)
        return SubmissionResult(
            request_id=recorded.request_id,
            workflow_id=recorded.workflow_id,
            kind=recorded.kind,
            created=False,
            workflow_started=False,
            closed=True,
            outcome=outcome,
        )
    ref = RequestRef(
        request_id=submission.request_id,
        subject_id=submission.subject_id,
        kind=submission.kind,
        deadline_policy=policy,
        privacy_policy_version=recorded.privacy_policy_version,
    )
    attributes: list[SearchAttributePair[Any]] = [
        SearchAttributePair(sa.KIND, submission.kind.value),
        SearchAttributePair(sa.STATUS, recorded.status),
        SearchAttributePair(sa.OVERDUE, False),
        SearchAttributePair(sa.DEADLINE_POLICY_VERSION, policy.version),
    ]
    if recorded.privacy_policy_version is not None:
        attributes.append(
            SearchAttributePair(sa.PRIVACY_POLICY_VERSION, recorded.privacy_policy_version)
        )
    try:
        await client.start_workflow(
            START_REQUEST,
            ref,
            id=recorded.workflow_id,
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes(attributes),
            static_summary=f"{submission.kind.value} request {submission.request_id}",
        )
        started = True
    except WorkflowAlreadyStartedError:
        started = False
    return SubmissionResult(
        request_id=recorded.request_id,
        workflow_id=recorded.workflow_id,
        kind=recorded.kind,
        created=recorded.created,
        workflow_started=started,
    )


async def status(request_id: str, *, client: Client, pool: asyncpg.Pool) -> StatusView:
    try:
        summary = await IntakeStore(pool).summary(request_id)
    except UnknownRequest as error:
        raise Refused(str(error)) from None
    handle = client.get_workflow_handle(summary.workflow_id)
    try:
        return await handle.query(DataSubjectRequest.status)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise Refused(
                f"request {request_id} has no workflow; submit it again to start one"
            ) from None
        raise


@overload
def connections(
    settings: Settings, *, temporal: Literal[True] = True
) -> contextlib.AbstractAsyncContextManager[tuple[Client, asyncpg.Pool]]: ...


@overload
def connections(
    settings: Settings, *, temporal: Literal[False]
) -> contextlib.AbstractAsyncContextManager[tuple[None, asyncpg.Pool]]: ...


def connections(
    settings: Settings, *, temporal: bool = True
) -> contextlib.AbstractAsyncContextManager[tuple[Client | None, asyncpg.Pool]]:
    """The client and pool for the configured servers, or those `make run` started; the
    pool alone (and None for the client) with `temporal=False`."""
    return _connections(settings, temporal=temporal)


@contextlib.asynccontextmanager
async def _connections(
    settings: Settings, *, temporal: bool
) -> AsyncIterator[tuple[Client | None, asyncpg.Pool]]:
    dsn = settings.database.url
    if dsn is None:
        embedded = running_embedded_postgres(settings.local.data_dir)
        # As the API's role (what `dsr` goes through), not the embedded server's superuser.
        dsn = with_user(embedded, API_ROLE) if embedded else None
    if dsn is None:
        raise Unavailable(
            f"no database: the embedded PostgreSQL in {settings.local.data_dir} is not running. "
            "Start the service with `make run`, or set DATABASE_URL."
        )
    address = settings.temporal.address or f"127.0.0.1:{settings.local.temporal_port}"
    try:
        vault = open_vault(settings, create=False)
    except KeyringError as error:
        raise Unavailable(str(error)) from None
    try:
        pool = await create_pool(dsn, max_size=2, vault=vault)
    except (OSError, asyncpg.PostgresError) as error:
        raise Unavailable(f"cannot reach the database: {error}") from None
    try:
        try:
            client = (
                await connect(
                    address, settings.temporal.namespace, security=connection_security(settings)
                )
                if temporal
                else None
            )
        except RuntimeError as error:
            raise Unavailable(
                f"cannot reach Temporal at {address}: start the service with `make run`, "
                "or set TEMPORAL_ADDRESS"
            ) from error
        yield client, pool
    finally:
        await pool.close()
