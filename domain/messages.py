"""The inputs and outputs that cross Temporal: workflow, activities, updates and queries.

Every field here ends up in workflow history, which is immutable and kept. So these
models carry only opaque ids and non-personal facts; names, e-mail, inquiry text and
answers stay in Postgres and are referred to by id.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from domain.authority import ActAuthority
from domain.deadlines import Commitment, DeadlinePolicy, Step
from domain.decisions import (
    AlternativeMeasure,
    AlternativeMeasureGround,
    Choice,
    Outcome,
    RefusalGround,
)
from domain.events import EventType, NewEvent, PayloadValue
from domain.findings import Findings
from domain.lifecycle import RequestStatus
from domain.notices import NoticeKind
from domain.proposals import Proposal
from domain.requests import DataCategory, Identifier, RequestKind
from domain.withholding import WithheldPart

OperatorId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$"),
]
"""A staff member's id (never their name)."""


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Preceding = tuple[NewEvent, ...]
"""Bookkeeping events the workflow recorded before an effect and not yet known to be
stored: the activity appends them, in order, in the transaction of its own effect (a
retry, or another activity that carried them first, makes them no-ops by their keys)."""


class Bookkeeping(_Message):
    """Bookkeeping events to store on their own, when no effect is due to carry them
    (before the workflow waits for a person, or as it closes)."""

    request_id: str
    events: Preceding


class RequestRef(_Message):
    """Workflow input: which request, of what kind, under which deadline policy, received
    while which version of the privacy policy was in force (None: none was posted, or the
    request was started before versions were recorded). A claim: the run's first activity
    checks it against the request on record before any effect (domain/request_terms.py)."""

    request_id: Identifier
    subject_id: Identifier
    kind: RequestKind
    deadline_policy: DeadlinePolicy = Field(default_factory=DeadlinePolicy)
    privacy_policy_version: Identifier | None = None


UNREADABLE_REF = RequestRef(
    request_id="unreadable-input", subject_id="unreadable-input", kind=RequestKind.INQUIRY
)
"""Stands in for a workflow input that did not decode, so the workflow can fail cleanly."""


def input_problem(error: Exception) -> str:
    """Why a workflow input is not a RequestRef, by field and kind of fault only: the
    input's values never go into the message (it is kept in Temporal history)."""
    if isinstance(error, ValidationError):
        faults = [
            f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['type']}"
            for e in error.errors()[:5]
        ]
        return "; ".join(faults)
    return type(error).__name__


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
    due_at: AwareDatetime | None = None  # a date the notice gives the person
    commitment: Commitment | None = None  # the receipt's promise of when we respond
    reference: str | None = None  # the note of the extension an extension notice tells of
    preceding: Preceding = ()


class QueuedNotice(_Message):
    notification_id: int
    idempotency_key: str


class DeliverNotice(_Message):
    request_id: str
    notification_id: int
    idempotency_key: str
    occurred_at: AwareDatetime


class RespondToInquiry(_Message):
    """Update argument: the answer is already stored in Postgres under `answer_id`.

    Every act's argument carries `authority`, signed for the account by the API or `dsr`
    (domain/authority.py); the worker refuses an act without a valid one. It is optional
    in the model only so that acts recorded before it replay."""

    answer_id: Annotated[str, StringConstraints(pattern=r"^[0-9a-f-]{36}$")]
    operator: OperatorId
    authority: ActAuthority | None = None


class AttachAnswer(_Message):
    request_id: str
    answer_id: str
    operator: str
    idempotency_key: str
    occurred_at: AwareDatetime
    preceding: Preceding = ()


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
    privacy_policy_version: str | None = None
    awaiting: str | None = None
    step_done: bool = False  # the act this step waited for is on record; it moves on
    next_step: Step | None = None
    invoice_id: str | None = None
    proposal: Proposal | None = None
    # Systems of the data map the request waits for: a manual system's owner to confirm,
    # or an operator to waive one that failed (workflows/system_parts.py).
    awaiting_systems: tuple[str, ...] = ()


NoteId = Annotated[str, StringConstraints(pattern=r"^[0-9a-f-]{36}$")]


class IdentityMethod(StrEnum):
    REGISTRATION_MATCH = "registration_match"  # automatic: matches the registered contact
    DOCUMENT_CHECK = "document_check"
    IN_PERSON = "in_person"
    CALLBACK = "callback"


class VerifyIdentity(_Message):
    method: IdentityMethod
    operator: OperatorId
    authority: ActAuthority | None = None


class RecordPayment(_Message):
    invoice_id: Identifier
    amount_yen: int = Field(gt=0)
    reference: Identifier
    # The payment's own (value) date; None: paid on the day it is recorded. A payment made
    # within the window is accepted during the grace after it (domain/payments.py).
    paid_on: date | None = None
    operator: OperatorId
    authority: ActAuthority | None = None


class Decide(_Message):
    outcome: Outcome
    refusal_grounds: tuple[RefusalGround, ...] = ()
    alternative_ground: AlternativeMeasureGround | None = None
    withheld_categories: tuple[DataCategory, ...] = ()
    # Art 6 ¶1 part by part: a category or a single item (by its opaque id), each with its
    # own ground
    withheld_parts: tuple[WithheldPart, ...] = Field(default=(), max_length=500)
    # Art 8 ¶4: the measure taken, and the account that confirms one taken outside the
    # service (domain/alternative_measures.py)
    alternative_measure: AlternativeMeasure | None = None
    measure_confirmer: OperatorId | None = None
    # Art 6 ¶2's "in principle": what is held in a form that does not identify the person,
    # of these categories, disclosed after all
    included_categories: tuple[DataCategory, ...] = ()
    # Art 5: third-party provisions continued on their recorded exception
    continued_partners: tuple[Identifier, ...] = Field(default=(), max_length=100)
    # Art 7 ¶2: the requested changes (by place, from 0) judged not necessary
    declined_changes: tuple[Annotated[int, Field(ge=0, lt=100)], ...] = Field(
        default=(), max_length=100
    )
    reason_note_id: NoteId | None = None
    measure_note_id: NoteId | None = None
    inclusion_note_id: NoteId | None = None
    operator: OperatorId
    authority: ActAuthority | None = None

    def choice(self) -> Choice:
        return Choice(
            outcome=self.outcome,
            refusal_grounds=self.refusal_grounds,
            alternative_ground=self.alternative_ground,
            withheld_categories=self.withheld_categories,
            included_categories=self.included_categories,
            continued_partners=self.continued_partners,
            declined_changes=self.declined_changes,
            has_reason=self.reason_note_id is not None,
            has_measure=self.measure_note_id is not None,
            has_inclusion_reason=self.inclusion_note_id is not None,
            withheld_parts=self.withheld_parts,
            alternative_measure=self.alternative_measure,
            measure_confirmer=self.measure_confirmer,
        )

    @property
    def note_ids(self) -> tuple[str, ...]:
        return tuple(
            n for n in (self.reason_note_id, self.measure_note_id, self.inclusion_note_id) if n
        )


class ApproveMeasure(_Message):
    operator: OperatorId
    authority: ActAuthority | None = None


class ExtendDeadline(_Message):
    step: Step
    until: AwareDatetime
    reason_note_id: NoteId
    operator: OperatorId
    authority: ActAuthority | None = None


class RecordByOperator(_Message):
    """Activity input for an operator's act: the request, the act, and its key."""

    request_id: str
    event: EventType
    payload: dict[str, PayloadValue]
    operator: str
    idempotency_key: str
    occurred_at: AwareDatetime
    notes: tuple[str, ...] = ()
    preceding: Preceding = ()


class RequestStep(_Message):
    """Activity input for a system step of a request."""

    request_id: str
    kind: RequestKind
    idempotency_key: str
    occurred_at: AwareDatetime
    preceding: Preceding = ()


class CheckIdentity(_Message):
    """Match the requester against the registration and, if that does not verify them,
    send `proof_request` asking them to prove who they are: one activity."""

    request_id: str
    kind: RequestKind
    idempotency_key: str
    occurred_at: AwareDatetime
    proof_request: QueueNotice
    preceding: Preceding = ()


class IdentityCheck(_Message):
    """The registration match: whether the e-mail matched, and whether that suffices."""

    matched: bool
    verified: bool


class Invoice(_Message):
    invoice_id: str
    amount_yen: int


class Investigation(_Message):
    findings: Findings
    proposal: Proposal


class CarryOut(_Message):
    request_id: str
    kind: RequestKind
    decision: Decide
    findings: Findings
    idempotency_key: str
    occurred_at: AwareDatetime
    preceding: Preceding = ()


class ActionReport(_Message):
    event: EventType
    items_affected: int
