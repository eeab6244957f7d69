"""Where a request stands: its status and step, folded from its events.

The store folds each appended event into the `requests` projection with `apply`, and the
same fold rebuilds a request's state from its full history.
"""

from __future__ import annotations

from collections.abc import Iterable
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


# The steps each kind passes through, in order; each carries a deadline.
STEPS_BY_KIND: dict[RequestKind, tuple[Step, ...]] = {
    RequestKind.INQUIRY: (Step.ACKNOWLEDGE, Step.ANSWER, Step.NOTIFY),
    RequestKind.DISCLOSURE: (
        Step.ACKNOWLEDGE, Step.VERIFY_IDENTITY, Step.PAYMENT, Step.INVESTIGATE,
        Step.DECIDE, Step.ACT, Step.NOTIFY,
    ),
    RequestKind.CORRECTION: (
        Step.ACKNOWLEDGE, Step.VERIFY_IDENTITY, Step.INVESTIGATE, Step.DECIDE, Step.ACT,
        Step.NOTIFY,
    ),
    RequestKind.SUSPENSION: (
        Step.ACKNOWLEDGE, Step.VERIFY_IDENTITY, Step.INVESTIGATE, Step.DECIDE, Step.ACT,
        Step.NOTIFY,
    ),
    RequestKind.THIRD_PARTY_STOP: (
        Step.ACKNOWLEDGE, Step.VERIFY_IDENTITY, Step.INVESTIGATE, Step.DECIDE, Step.ACT,
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


# The kinds whose whole lifecycle is built; intake refuses the others rather than start
# a workflow that could not finish them.
AVAILABLE_KINDS: frozenset[RequestKind] = frozenset(RequestKind)
