"""What each operator's act needs of the request as it stands: the update validators of
`DataSubjectRequest` call these, so a refused act changes nothing and says why. The rules
themselves are domain/'s (decisions, payments, approvals); these read the workflow's state
and its deadline keeper to apply them."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.alternative_measures import MEASURE_STEP, confirmation_problem
    from domain.authority import Act
    from domain.deadlines import Step
    from domain.decisions import (
        DecisionProblem,
        Outcome,
        approval_problem,
        payment_problem,
        validate_decision,
    )
    from domain.fulfilment_messages import ConfirmSystem, WaiveSystem
    from domain.messages import (
        ApproveMeasure,
        Decide,
        ExtendDeadline,
        RecordPayment,
        RespondToInquiry,
        VerifyIdentity,
    )
    from domain.payments import PaymentTiming, payment_timing
    from domain.requests import RequestKind
    from workflows.deadline_keeper import DeadlineKeeper
    from workflows.request_progress import RequestProgress

NOT_INQUIRIES = set(RequestKind) - {RequestKind.INQUIRY}


def check_respond(
    progress: RequestProgress, keeper: DeadlineKeeper, answer: RespondToInquiry
) -> None:
    progress.expect(kinds={RequestKind.INQUIRY}, act=Act.RESPOND)
    if progress.answer is not None or Act.RESPOND in progress.busy:
        raise ValueError("this inquiry has already been answered")


def check_verify_identity(
    progress: RequestProgress, keeper: DeadlineKeeper, proof: VerifyIdentity
) -> None:
    progress.expect(kinds=NOT_INQUIRIES, act=Act.VERIFY_IDENTITY)
    if progress.identity is not None or Act.VERIFY_IDENTITY in progress.busy:
        raise ValueError("identity is already verified")
    if keeper.lapsed:
        raise ValueError("the window for identity verification has closed")
    if keeper.step not in (None, Step.ACKNOWLEDGE, Step.VERIFY_IDENTITY):
        raise ValueError("identity verification is over for this request")


def check_record_payment(
    progress: RequestProgress, keeper: DeadlineKeeper, payment: RecordPayment
) -> None:
    progress.expect(kinds={RequestKind.DISCLOSURE}, act=Act.RECORD_PAYMENT)
    invoice = progress.invoice
    if invoice is None:
        raise ValueError(
            "no invoice has been issued for this request: the fee is asked "
            "for once a disclosure is decided"
        )
    problem = payment_problem(
        invoice.invoice_id,
        invoice.amount_yen,
        paid_invoice=payment.invoice_id,
        paid_yen=payment.amount_yen,
    )
    if problem:
        raise ValueError(problem)
    if progress.paid or progress.paid_late or Act.RECORD_PAYMENT in progress.busy:
        raise ValueError("the invoice is already paid")
    payment_is_late(progress, keeper, payment)


def payment_is_late(
    progress: RequestProgress, keeper: DeadlineKeeper, payment: RecordPayment
) -> bool:
    """Whether the payment was made after the person's window (recorded, refunded);
    raises PaymentRefused (a ValueError) when it cannot be taken at all."""
    if keeper.step is not Step.PAYMENT or keeper.due_at is None:
        return False  # the window has not opened yet: a payment now is on time
    policy = progress.ref.deadline_policy
    return (
        payment_timing(
            policy,
            due_at=keeper.due_at,
            paid_on=payment.paid_on,
            now=workflow.now(),
            lapsed=keeper.lapsed,
        )
        is PaymentTiming.AFTER_WINDOW
    )


def check_decide(progress: RequestProgress, keeper: DeadlineKeeper, decision: Decide) -> None:
    step = keeper.step
    progress.expect(kinds=NOT_INQUIRIES, act=Act.DECIDE)
    if progress.decision is not None or Act.DECIDE in progress.busy:
        raise ValueError("a decision is already on record")
    if progress.investigation is None or step is not Step.DECIDE:
        raise ValueError(
            "a decision comes after identity verification and "
            "investigation; this request is at " + (step.value if step else "intake")
        )
    try:
        validate_decision(progress.ref.kind, progress.investigation.findings, decision.choice())
    except DecisionProblem as problem:
        raise ValueError(str(problem)) from None


def check_approve_measure(
    progress: RequestProgress, keeper: DeadlineKeeper, approval: ApproveMeasure
) -> None:
    progress.expect(kinds={RequestKind.SUSPENSION}, act=Act.APPROVE_MEASURE)
    decision = progress.decision
    if decision is None or decision.outcome is not Outcome.ALTERNATIVE_MEASURES:
        raise ValueError("there is no alternative measure awaiting approval")
    if progress.measure_approved or Act.APPROVE_MEASURE in progress.busy:
        raise ValueError("the alternative measure is already approved")
    problem = approval_problem(decision.operator, approval.operator)
    if problem:
        raise ValueError(problem)


def check_extend_deadline(
    progress: RequestProgress, keeper: DeadlineKeeper, extension: ExtendDeadline
) -> None:
    progress.expect(kinds=set(RequestKind), act=Act.EXTEND_DEADLINE)
    if Act.EXTEND_DEADLINE in progress.busy:
        raise ValueError("another extension is being recorded; try again")
    if keeper.lapsed:
        raise ValueError("this window has closed")
    if keeper.step is not extension.step:
        current = keeper.step.value if keeper.step else "none"
        raise ValueError(
            f"only the current step's deadline can be extended; the current step is {current}"
        )
    problem = keeper.extension_problem(extension.until)
    if problem:
        raise ValueError(problem)


def check_waive_system(
    progress: RequestProgress, keeper: DeadlineKeeper, waiver: WaiveSystem
) -> None:
    progress.expect(kinds=NOT_INQUIRIES, act=Act.WAIVE_SYSTEM)
    if waiver.system not in progress.systems:
        raise ValueError(f"system {waiver.system!r} is not one this request searches")
    if waiver.system in progress.waived or Act.WAIVE_SYSTEM in progress.busy:
        raise ValueError(f"system {waiver.system} is already waived")
    waiting = (waiver.system, "collect") in progress.tasks or (
        waiver.system,
        "act",
    ) in progress.tasks
    if not (waiting or waiver.system in progress.acting or waiver.system in progress.failed):
        raise ValueError(
            f"system {waiver.system} is not doing its part now: a system is waived while it "
            "is being searched by its owner, or carrying out the decision"
        )


def check_confirm_system(
    progress: RequestProgress, keeper: DeadlineKeeper, confirmation: ConfirmSystem
) -> None:
    progress.expect(kinds=NOT_INQUIRIES, act=Act.CONFIRM_SYSTEM)
    if confirmation.step == MEASURE_STEP:
        return _check_confirm_measure(progress, confirmation)
    system = progress.systems.get(confirmation.system)
    if system is None:
        raise ValueError(f"system {confirmation.system!r} is not one this request searches")
    if system.owner != confirmation.operator:
        raise ValueError(
            f"system {confirmation.system} is confirmed by its owner ({system.owner}), "
            f"not {confirmation.operator}"
        )
    if (confirmation.system, confirmation.step) not in progress.tasks:
        raise ValueError(
            f"no {confirmation.step} task is open for {confirmation.system} on this request"
        )
    if Act.CONFIRM_SYSTEM in progress.busy:
        raise ValueError("another confirmation is being recorded; try again")


def _check_confirm_measure(progress: RequestProgress, confirmation: ConfirmSystem) -> None:
    """Art 8 ¶4: the account the decision named confirms the measure decided, once the
    decision is being carried out and the request waits for it."""
    decision = progress.decision
    problem = confirmation_problem(
        decision.alternative_measure if decision else None,
        decision.measure_confirmer if decision else None,
        confirmation.operator,
        confirmation.system,
    )
    if problem:
        raise ValueError(problem)
    if progress.measure_task != confirmation.system:
        raise ValueError(
            f"the measure {confirmation.system} is confirmed once the decision is being "
            "carried out, and only once"
        )
    if Act.CONFIRM_SYSTEM in progress.busy:
        raise ValueError("another confirmation is being recorded; try again")
