"""What a request's workflow knows of its request, in one object: its steps and updates
change it, its query and validators read it. Nothing here reaches Temporal's history by
itself; it is rebuilt by replaying the workflow."""

from __future__ import annotations

from dataclasses import dataclass, field

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.authority import Act
    from domain.deadlines import Step
    from domain.decisions import Outcome, fee_due
    from domain.fulfilment_messages import MappedSystem
    from domain.lifecycle import Progress, RequestStatus, awaiting, next_step, step_done
    from domain.messages import (
        Decide,
        Investigation,
        Invoice,
        RequestRef,
        RespondToInquiry,
        StatusView,
    )
    from domain.requests import RequestKind
    from workflows.deadline_keeper import DeadlineKeeper


@dataclass
class RequestProgress:
    ref: RequestRef
    status: RequestStatus = RequestStatus.SUBMITTED
    outcome: Outcome | None = None
    answer: RespondToInquiry | None = None
    identity_checked: bool = False  # the registration match has run
    identity: str | None = None  # how the person was verified, once they are
    investigation: Investigation | None = None
    decision: Decide | None = None
    measure_approved: bool = False
    invoice: Invoice | None = None
    paid: bool = False
    paid_late: bool = False  # a payment made after the window: recorded, refund due
    busy: dict[Act, Step] = field(default_factory=dict)  # acts being recorded, their steps
    # The data map's systems (workflows/system_parts.py), by name, in the map's order; the
    # sets are only asked whether they hold a name, never iterated (their order is not
    # deterministic across workers).
    systems: dict[str, MappedSystem] = field(default_factory=dict)
    unreachable: set[str] = field(default_factory=set)  # not searched: not acted in
    acting: set[str] = field(default_factory=set)  # their part of the act is under way
    failed: set[str] = field(default_factory=set)  # refused for good: an operator waives
    waived: set[str] = field(default_factory=set)  # an operator recorded why not
    tasks: set[tuple[str, str]] = field(default_factory=set)  # (manual system, step) open
    # Art 8 ¶4: the measure taken outside the service whose confirmation is awaited
    measure_task: str | None = None

    def awaiting_systems(self) -> tuple[str, ...]:
        """The systems the request waits for, in the map's order: a manual system's owner
        to confirm, or an operator to waive one that failed."""
        return tuple(
            name
            for name in self.systems
            if name not in self.waived
            and (name in self.failed or any((name, s) in self.tasks for s in ("collect", "act")))
        ) + ((self.measure_task,) if self.measure_task else ())

    def decided(self) -> bool:
        """A decision is on record, and an alternative measure is approved too."""
        if self.decision is None:
            return False
        return self.decision.outcome is not Outcome.ALTERNATIVE_MEASURES or self.measure_approved

    def measure_pending(self) -> bool:
        return (
            self.decision is not None
            and self.decision.outcome is Outcome.ALTERNATIVE_MEASURES
            and not self.measure_approved
        )

    def fee_due(self) -> bool:
        if self.decision is None or self.investigation is None:
            return self.ref.kind is RequestKind.DISCLOSURE
        return fee_due(self.investigation.findings, self.decision.choice())

    def expect(self, *, kinds: set[RequestKind], act: Act) -> None:
        """Refuse `act` (raise ValueError) on a request of another kind, or a closed one."""
        if self.ref.kind not in kinds:
            raise ValueError(f"{act.value} does not apply to a {self.ref.kind.value} request")
        if self.status is RequestStatus.CLOSED or self.outcome is not None:
            raise ValueError("this request is closed")

    def view(self, deadline: DeadlineKeeper) -> StatusView:
        """Where the request stands now: after an act, the act is on record, so the view
        says what it completed and what comes next, not what it waited for."""
        progress = Progress(
            identity_verified=self.identity is not None,
            paid=self.paid,
            answered=self.answer is not None,
            decided=self.decision is not None,
            measure_pending=self.measure_pending(),
            measure_to_confirm=self.measure_task,
        )
        done = step_done(deadline.step, progress)
        return StatusView(
            request_id=self.ref.request_id,
            kind=self.ref.kind,
            status=self.status,
            step=deadline.step,
            due_at=deadline.due_at,
            overdue=deadline.overdue,
            outcome=self.outcome.value if self.outcome else None,
            deadline_policy_version=self.ref.deadline_policy.version,
            privacy_policy_version=self.ref.privacy_policy_version,
            awaiting=awaiting(deadline.step, progress),
            step_done=done,
            next_step=next_step(self.ref.kind, deadline.step, fee_due=self.fee_due())
            if done
            else None,
            invoice_id=self.invoice.invoice_id if self.invoice else None,
            proposal=self.investigation.proposal if self.investigation else None,
            awaiting_systems=self.awaiting_systems(),
        )
