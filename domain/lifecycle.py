"""Where a request stands: its status and step, folded from its events.

The store folds each appended event into the `requests` projection with `apply`, and the
same fold rebuilds a request's state from its full history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.deadlines import Step
from domain.events import EventType, RecordedEvent
from domain.requests import RequestKind


class RequestStatus(StrEnum):
    SUBMITTED = "submitted"  # written by intake; the workflow has not recorded receipt yet
    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    FAILED = "failed"  # a step met a permanent error; an operator must look


# The steps each kind passes through, in order; each carries a deadline.
STEPS_BY_KIND: dict[RequestKind, tuple[Step, ...]] = {
    RequestKind.INQUIRY: (Step.ACKNOWLEDGE, Step.ANSWER, Step.NOTIFY),
    # The fee is asked for once a disclosure is decided, and only if something will be
    # disclosed (docs/policy-interpretation.md, "The fee").
    RequestKind.DISCLOSURE: (
        Step.ACKNOWLEDGE,
        Step.VERIFY_IDENTITY,
        Step.INVESTIGATE,
        Step.DECIDE,
        Step.PAYMENT,
        Step.ACT,
        Step.NOTIFY,
    ),
    RequestKind.CORRECTION: (
        Step.ACKNOWLEDGE,
        Step.VERIFY_IDENTITY,
        Step.INVESTIGATE,
        Step.DECIDE,
        Step.ACT,
        Step.NOTIFY,
    ),
    RequestKind.SUSPENSION: (
        Step.ACKNOWLEDGE,
        Step.VERIFY_IDENTITY,
        Step.INVESTIGATE,
        Step.DECIDE,
        Step.ACT,
        Step.NOTIFY,
    ),
    RequestKind.THIRD_PARTY_STOP: (
        Step.ACKNOWLEDGE,
        Step.VERIFY_IDENTITY,
        Step.INVESTIGATE,
        Step.DECIDE,
        Step.ACT,
        Step.NOTIFY,
    ),
}


class RequestState(BaseModel):
    """The projection of one request: what an operator or auditor sees as its current state."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    kind: RequestKind
    status: RequestStatus = RequestStatus.SUBMITTED
    step: Step | None = None
    outcome: str | None = None
    overdue_steps: frozenset[Step] = frozenset()
    last_seq: int = 0
    closed_at: datetime | None = None

    @property
    def overdue(self) -> bool:
        return bool(self.overdue_steps)

    def apply(self, event: RecordedEvent) -> RequestState:
        if event.seq != self.last_seq + 1:
            raise ValueError(f"event {event.seq} does not follow {self.last_seq}")
        changes: dict[str, object] = {"last_seq": event.seq}
        step = event.payload.get("step")
        match event.type:
            case EventType.RECEIVED:
                changes["status"] = RequestStatus.RECEIVED
                changes["step"] = Step.ACKNOWLEDGE
            case EventType.DEADLINE_STARTED:
                changes["status"] = RequestStatus.IN_PROGRESS
                changes["step"] = Step(str(step))
            case EventType.DEADLINE_BREACHED:
                changes["overdue_steps"] = self.overdue_steps | {Step(str(step))}
            case EventType.DEADLINE_MET | EventType.DEADLINE_COMPLETED_LATE:
                changes["overdue_steps"] = self.overdue_steps - {Step(str(step))}
            case EventType.DEADLINE_EXTENDED:
                changes["overdue_steps"] = self.overdue_steps - {Step(str(step))}
            case EventType.STEP_FAILED:
                changes["status"] = RequestStatus.FAILED
            case EventType.CLOSED:
                changes["status"] = RequestStatus.CLOSED
                changes["step"] = None
                changes["outcome"] = event.payload.get("outcome")
                changes["closed_at"] = event.occurred_at
                changes["overdue_steps"] = frozenset()
            case _:
                pass
        return self.model_copy(update=changes)


def fold(request_id: str, kind: RequestKind, events: Iterable[RecordedEvent]) -> RequestState:
    state = RequestState(request_id=request_id, kind=kind)
    for event in events:
        state = state.apply(event)
    return state


@dataclass(frozen=True)
class Progress:
    """What people have done so far on a request: the facts `awaiting` reads."""

    identity_verified: bool = False
    paid: bool = False
    answered: bool = False
    decided: bool = False
    measure_pending: bool = False  # an alternative measure awaits its second operator
    # Art 8 ¶4: a measure taken outside the service awaits its taker's confirmation
    measure_to_confirm: str | None = None


_WAITING_FOR = {
    Step.VERIFY_IDENTITY: "identity verification (`dsr verify-identity`)",
    Step.PAYMENT: "the subject's payment of the fee (`dsr record-payment`)",
    Step.ANSWER: "an operator's answer (`dsr respond`)",
    Step.DECIDE: "an operator's decision (`dsr decide`)",
}


def step_done(step: Step | None, progress: Progress) -> bool:
    """Whether what a waiting step waits for is on record, so the request moves on."""
    match step:
        case Step.VERIFY_IDENTITY:
            return progress.identity_verified
        case Step.PAYMENT:
            return progress.paid
        case Step.ANSWER:
            return progress.answered
        case Step.DECIDE:
            return progress.decided and not progress.measure_pending
    return False


def awaiting(step: Step | None, progress: Progress) -> str | None:
    """What the request waits for from people at `step`, with the command that gives it;
    None when nothing is (the service is working, or the step's act is on record)."""
    if step is Step.DECIDE and progress.decided and progress.measure_pending:
        return "a second operator's approval of the alternative measure (`dsr approve-measure`)"
    if step is Step.ACT and progress.measure_to_confirm:
        return (
            "the confirmation, by the account responsible, that the alternative measure was "
            f"taken (`dsr confirm-system REQUEST --system {progress.measure_to_confirm} "
            "--step measure --rows N`)"
        )
    if step is None or step_done(step, progress):
        return None
    return _WAITING_FOR.get(step)


def next_step(kind: RequestKind, step: Step | None, *, fee_due: bool = True) -> Step | None:
    """The step after `step` in a kind's lifecycle; a disclosure's payment comes only when
    a fee is due (a refusal charges nothing)."""
    steps = tuple(s for s in STEPS_BY_KIND[kind] if fee_due or s is not Step.PAYMENT)
    if step not in steps:
        return None
    later = steps[steps.index(step) + 1 :]
    return later[0] if later else None
