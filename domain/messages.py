"""The inputs and outputs that cross Temporal: workflow, activities, updates and queries.

Every field here ends up in workflow history, which is immutable and kept. So these
models carry only opaque ids and non-personal facts; names, e-mail, inquiry text and
answers stay in Postgres and are referred to by id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from domain.deadlines import DeadlinePolicy, Step
from domain.lifecycle import RequestStatus
from domain.notices import NoticeKind
from domain.requests import Identifier, RequestKind

OperatorId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"),
]
"""A staff member's id (never their name)."""


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RequestRef(_Message):
    """Workflow input: which request, of what kind, under which deadline policy."""

    request_id: Identifier
    subject_id: Identifier
    kind: RequestKind
    deadline_policy: DeadlinePolicy = Field(default_factory=DeadlinePolicy)


class RequestOutcome(_Message):
    request_id: str
    status: RequestStatus
    outcome: str | None
    closed_at: datetime


class QueueNotice(_Message):
    request_id: str
    notice: NoticeKind
    idempotency_key: str
    occurred_at: AwareDatetime
    due_at: AwareDatetime | None = None


class QueuedNotice(_Message):
    notification_id: int
    idempotency_key: str


class DeliverNotice(_Message):
    request_id: str
    notification_id: int
    idempotency_key: str
    occurred_at: AwareDatetime


class RespondToInquiry(_Message):
    """Update argument: the answer is already stored in Postgres under `answer_id`."""

    answer_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f-]{36}$")]
    operator: OperatorId


class AttachAnswer(_Message):
    request_id: str
    answer_id: str
    operator: str
    idempotency_key: str
    occurred_at: AwareDatetime


class StatusView(_Message):
    """What the `status` query returns: where the request stands, no personal data."""

    request_id: str
    kind: RequestKind
    status: RequestStatus
    step: Step | None
    due_at: datetime | None
    overdue: bool
    outcome: str | None
    deadline_policy_version: str
