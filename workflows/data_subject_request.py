"""`DataSubjectRequest`: one workflow type for every kind of request.

acknowledge → verify identity → investigate → decide → [fee] → act → notify → close,
or, for an inquiry, acknowledge → answer → notify → close. Orchestration only: which
outcomes are allowed and what a notice says is decided in `domain/`; effects happen in
activities; deadlines are kept by `DeadlineKeeper`; operators act through updates.
"""

from __future__ import annotations

from typing import TypeVar

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.deadlines import Step
    from domain.decisions import (
        DecisionProblem,
        Outcome,
        approval_problem,
        fee_due,
        payment_problem,
        validate_decision,
    )
    from domain.events import EventType
    from domain.lifecycle import Progress, RequestStatus, awaiting, next_step, step_done
    from domain.messages import (
        UNREADABLE_REF,
        ActionReport,
        ApproveMeasure,
        AttachAnswer,
        CarryOut,
        CheckIdentity,
        Decide,
        ExtendDeadline,
        IdentityCheck,
        Investigation,
        Invoice,
        RecordPayment,
        RequestOutcome,
        RequestRef,
        RespondToInquiry,
        StatusView,
        VerifyIdentity,
        input_problem,
    )
    from domain.notices import NoticeKind
    from domain.requests import RequestKind
    from workflows import search_attributes as sa
    from workflows.bookkeeping import BOOKKEEPING_WITH_EFFECTS, UnstoredBookkeeping
    from workflows.deadline_keeper import DeadlineKeeper
    from workflows.operator_claim import OperatorClaim
    from workflows.request_effects import CHECKPOINT_AT_CLOSE
    from workflows.request_steps import RequestSteps




T = TypeVar("T")


@workflow.defn(name="DataSubjectRequest")
class DataSubjectRequest(RequestSteps):
    @workflow.init
    def __init__(self, raw: RawValue) -> None:
        # Decoded here, not by the SDK: input that does not decode (a start by another
        # client) would otherwise fail every workflow task for ever instead of the workflow.
        try:
            ref = workflow.payload_converter().from_payload(raw.payload, RequestRef)
            self._input_problem: str | None = None
        except Exception as error:
            ref, self._input_problem = UNREADABLE_REF, input_problem(error)
        self._ref = ref
        # Requests started before bookkeeping rode with effects replay as they ran.
        self._batched = workflow.patched(BOOKKEEPING_WITH_EFFECTS)
        # Requests started before the two policies' versions were named apart keep the
        # attribute they were started with.
        self._versions_apart = workflow.patched(sa.POLICY_VERSIONS_APART)
        self._unstored = UnstoredBookkeeping()
        self._policy = ref.deadline_policy
        self._status = RequestStatus.SUBMITTED
        self._outcome: Outcome | None = None
        # Before a breach or a lapse, the keeper lets an act of the *current* step finish;
        # an act admitted early for a later step waits for that step, so it must not count.
        self._deadline = DeadlineKeeper(
            self._policy, self._record, self._publish,
            idle=lambda: self._deadline.step not in self._busy.values(),
            settle=self._before_waiting, summaries=self._batched)
        self._busy: dict[str, Step] = {}  # operator acts being recorded, and their steps
        self._answer: RespondToInquiry | None = None
        self._identity_checked = False
        self._identity: str | None = None
        self._invoice: Invoice | None = None
        self._paid = False
        self._investigation: Investigation | None = None
        self._decision: Decide | None = None
        self._measure_approved = False
        self._shown_attributes = ""

    @workflow.run
    async def run(self, raw: RawValue) -> RequestOutcome:
        if self._input_problem is not None:
            raise ApplicationError(
                f"the workflow input is not a request reference ({self._input_problem}); "
                "requests are started by `dsr submit` or starter.submit()",
                type="InvalidWorkflowInput", non_retryable=True)
        ref = self._ref
        try:
            await self._record(EventType.RECEIVED, "received",
                               {"kind": ref.kind.value, "policy_version": self._policy.version})
            self._status = RequestStatus.RECEIVED
            self._publish()
            commitment = self._policy.commitment(
                ref.kind is RequestKind.INQUIRY, ref.kind is RequestKind.DISCLOSURE,
                workflow.now())
            await self._working(Step.ACKNOWLEDGE, lambda: self._notify(
                NoticeKind.RECEIPT, commitment=commitment))
            if ref.kind is RequestKind.INQUIRY:
                await self._answer_inquiry()
            else:
                await self._handle_request()
        except ActivityError as error:
            if isinstance(error.cause, ApplicationError) and error.cause.type == "UnknownRequest":
                # The first record of a request (`received`) found no request to add to.
                raise ApplicationError(
                    f"request {ref.request_id} was never taken in; requests are started by "
                    "`dsr submit` or starter.submit(), which record them first",
                    type="UnknownRequest", non_retryable=True) from None
            # Only permanent errors get here (the rest retry): the step fails, visibly.
            await self._fail_step(error)

        assert self._outcome is not None
        # An act admitted before the request settled finishes before it closes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        closed_at = workflow.now()
        await self._record(EventType.CLOSED, "closed", {"outcome": self._outcome.value})
        if workflow.patched(CHECKPOINT_AT_CLOSE):
            await self._close_with_checkpoint()
        else:
            await self._settle()
        self._status = RequestStatus.CLOSED
        self._deadline.step = self._deadline.due_at = None
        self._publish(settled=True)
        return RequestOutcome(request_id=ref.request_id, status=self._status,
                              outcome=self._outcome.value, closed_at=closed_at)

    async def _answer_inquiry(self) -> None:
        await self._within(Step.ANSWER, lambda: self._answer is not None)
        await self._notify_outcome(NoticeKind.ANSWER, Outcome.ANSWERED)

    async def _handle_request(self) -> None:
        await self._deadline.open(Step.VERIFY_IDENTITY)
        # A match alone does not verify a request that discloses or changes data; a person
        # who is not verified by it is told how to prove who they are.
        if self._batched:  # one activity: the match, and the request for proof if needed
            step = self._step_input("verify:registration-match")
            check = await self._activity("check_identity", CheckIdentity(
                request_id=step.request_id, kind=step.kind,
                idempotency_key=step.idempotency_key, occurred_at=step.occurred_at,
                proof_request=self._notice_order(NoticeKind.IDENTITY_PROOF_REQUESTED,
                                                 due_at=self._deadline.due_at)),
                IdentityCheck, summary="verify identity: match the registration, or ask "
                                       "for proof")
        else:
            check = await self._activity(
                "match_registration", self._step_input("verify:registration-match"),
                IdentityCheck)
            if not check.verified:
                await self._notify(NoticeKind.IDENTITY_PROOF_REQUESTED,
                                   due_at=self._deadline.due_at)
        self._identity = "registration_match" if check.verified else None
        self._identity_checked = True
        if not await self._deadline.wait(lambda: self._identity is not None):
            return await self._notify_outcome(NoticeKind.CLOSED_IDENTITY_NOT_VERIFIED,
                                              Outcome.IDENTITY_NOT_VERIFIED)
        await self._deadline.close()

        self._investigation = await self._working(Step.INVESTIGATE, lambda: self._activity(
            "investigate", self._step_input("investigate"), Investigation,
            summary="investigate the data held"))

        await self._within(Step.DECIDE, self._decided)
        decision = self._decision
        assert decision is not None and self._investigation is not None
        findings = self._investigation.findings
        if fee_due(findings, decision.choice()) and not await self._fee_paid():
            return await self._notify_outcome(NoticeKind.CLOSED_FEE_UNPAID, Outcome.FEE_UNPAID)
        await self._working(Step.ACT, lambda: self._activity("carry_out", CarryOut(
            request_id=self._ref.request_id, kind=self._ref.kind, decision=decision,
            findings=findings, idempotency_key=self._key("act"),
            occurred_at=workflow.now()), ActionReport,
            summary=f"carry out the decision: {decision.outcome.value}"))
        await self._notify_outcome(NoticeKind.OUTCOME, decision.outcome)

    async def _fee_paid(self) -> bool:
        """Article 6's fee, asked for once a disclosure is decided: the disclosure follows
        payment; a fee unpaid when the window closes lapses, and nothing is disclosed."""
        self._invoice = await self._activity(
            "issue_invoice", self._step_input("payment:invoice"), Invoice,
            summary="issue the fee invoice")
        # The subject's window opens once the fee request is sent, so a payment is
        # recorded after the notice that asked for it.
        await self._notify(NoticeKind.FEE_REQUEST,
                           due_at=self._policy.due_at(Step.PAYMENT, workflow.now()))
        await self._deadline.open(Step.PAYMENT)
        if not await self._deadline.wait(lambda: self._paid):
            await self._operator_act("settle_invoice", EventType.INVOICE_LAPSED,
                                     "payment:invoice-lapsed",
                                     {"invoice_id": self._invoice.invoice_id}, "system")
            return False
        await self._deadline.close()
        return True

    def _decided(self) -> bool:
        if self._decision is None:
            return False
        return self._decision.outcome is not Outcome.ALTERNATIVE_MEASURES or \
            self._measure_approved

    # Operators' interface -------------------------------------------------------------

    @workflow.update(name="respond")
    async def respond(self, answer: RespondToInquiry) -> StatusView:
        async with self._claim("answer", Step.ANSWER):
            await self._activity("attach_answer", AttachAnswer(
                request_id=self._ref.request_id, answer_id=answer.answer_id,
                operator=answer.operator, idempotency_key=self._key("answer", "recorded"),
                occurred_at=workflow.now()), None, summary="record answer.recorded (operator)")
            self._answer = answer
        return self.status()

    @respond.validator
    def _validate_respond(self, answer: RespondToInquiry) -> None:
        self._expect(kinds={RequestKind.INQUIRY}, act="respond")
        if self._answer is not None or "answer" in self._busy:
            raise ValueError("this inquiry has already been answered")

    @workflow.update(name="verify_identity")
    async def verify_identity(self, proof: VerifyIdentity) -> StatusView:
        async with self._claim("identity", Step.VERIFY_IDENTITY):
            await workflow.wait_condition(lambda: self._identity_checked)
            if self._identity is not None:
                raise ApplicationError("identity was already verified by registration match")
            await self._operator_act("record_operator_act", EventType.IDENTITY_VERIFIED,
                                     "verify:operator", {"method": proof.method.value},
                                     proof.operator)
            self._identity = proof.method.value
        return self.status()

    @verify_identity.validator
    def _validate_verify_identity(self, proof: VerifyIdentity) -> None:
        self._expect(kinds=set(RequestKind) - {RequestKind.INQUIRY}, act="verify_identity")
        if self._identity is not None or "identity" in self._busy:
            raise ValueError("identity is already verified")
        if self._deadline.lapsed:
            raise ValueError("the window for identity verification has closed")
        if self._deadline.step not in (None, Step.ACKNOWLEDGE, Step.VERIFY_IDENTITY):
            raise ValueError("identity verification is over for this request")

    @workflow.update(name="record_payment")
    async def record_payment(self, payment: RecordPayment) -> StatusView:
        async with self._claim("payment", Step.PAYMENT):
            await self._operator_act(
                "settle_invoice", EventType.PAYMENT_RECORDED, "payment:recorded",
                {"invoice_id": payment.invoice_id, "amount_yen": payment.amount_yen,
                 "reference": payment.reference}, payment.operator)
            self._paid = True
        return self.status()

    @record_payment.validator
    def _validate_record_payment(self, payment: RecordPayment) -> None:
        self._expect(kinds={RequestKind.DISCLOSURE}, act="record_payment")
        if self._invoice is None:
            raise ValueError("no invoice has been issued for this request: the fee is asked "
                             "for once a disclosure is decided")
        problem = payment_problem(self._invoice.invoice_id, self._invoice.amount_yen,
                                  paid_invoice=payment.invoice_id, paid_yen=payment.amount_yen)
        if problem:
            raise ValueError(problem)
        if self._paid or "payment" in self._busy:
            raise ValueError("the invoice is already paid")
        if self._deadline.lapsed:
            raise ValueError("the payment window has closed; the invoice has lapsed")

    @workflow.update(name="decide")
    async def decide(self, decision: Decide) -> StatusView:
        async with self._claim("decision", Step.DECIDE):
            await self._operator_act(
                "record_operator_act", EventType.DECISION_RECORDED, "decide:recorded",
                {"outcome": decision.outcome.value,
                 "refusal_grounds": ",".join(g.value for g in decision.refusal_grounds),
                 "alternative_ground": decision.alternative_ground.value
                 if decision.alternative_ground else None,
                 "withheld_categories": ",".join(c.value for c in decision.withheld_categories),
                 "included_categories": ",".join(c.value for c in decision.included_categories),
                 "continued_partners": ",".join(decision.continued_partners),
                 "declined_changes": ",".join(str(i) for i in decision.declined_changes),
                 "reason_note_id": decision.reason_note_id,
                 "measure_note_id": decision.measure_note_id,
                 "inclusion_note_id": decision.inclusion_note_id},
                decision.operator, notes=decision.note_ids)
            self._decision = decision
        return self.status()

    @decide.validator
    def _validate_decide(self, decision: Decide) -> None:
        self._expect(kinds=set(RequestKind) - {RequestKind.INQUIRY}, act="decide")
        if self._decision is not None or "decision" in self._busy:
            raise ValueError("a decision is already on record")
        if self._investigation is None or self._deadline.step is not Step.DECIDE:
            raise ValueError("a decision comes after identity verification and "
                             "investigation; this request is at "
                             + (self._deadline.step.value if self._deadline.step else "intake"))
        try:
            validate_decision(self._ref.kind, self._investigation.findings, decision.choice())
        except DecisionProblem as problem:
            raise ValueError(str(problem)) from None

    @workflow.update(name="approve_measure")
    async def approve_measure(self, approval: ApproveMeasure) -> StatusView:
        async with self._claim("approval", Step.DECIDE):
            await self._operator_act("record_operator_act", EventType.MEASURE_APPROVED,
                                     "decide:measure-approved", {}, approval.operator)
            self._measure_approved = True
        return self.status()

    @approve_measure.validator
    def _validate_approve_measure(self, approval: ApproveMeasure) -> None:
        self._expect(kinds={RequestKind.SUSPENSION}, act="approve_measure")
        if self._decision is None or self._decision.outcome is not Outcome.ALTERNATIVE_MEASURES:
            raise ValueError("there is no alternative measure awaiting approval")
        if self._measure_approved or "approval" in self._busy:
            raise ValueError("the alternative measure is already approved")
        problem = approval_problem(self._decision.operator, approval.operator)
        if problem:
            raise ValueError(problem)

    @workflow.update(name="extend_deadline")
    async def extend_deadline(self, extension: ExtendDeadline) -> StatusView:
        async with self._claim("extension", extension.step):
            previous = self._deadline.due_at
            await self._operator_act(
                "record_operator_act", EventType.DEADLINE_EXTENDED,
                f"{extension.step.value}:extended-{extension.until.isoformat()}",
                {"step": extension.step.value, "due_at": extension.until.isoformat(),
                 "previous_due_at": previous.isoformat() if previous else None,
                 "reason_note_id": extension.reason_note_id},
                extension.operator, notes=(extension.reason_note_id,))
            if self._deadline.step is extension.step:
                self._deadline.extended(extension.until)
            # The person is told of every extension, with its reason.
            await self._notify(NoticeKind.DEADLINE_EXTENDED, reference=extension.reason_note_id,
                               key=f"{extension.step.value}-{extension.until.isoformat()}")
        return self.status()

    @extend_deadline.validator
    def _validate_extend_deadline(self, extension: ExtendDeadline) -> None:
        self._expect(kinds=set(RequestKind), act="extend_deadline")
        if "extension" in self._busy:
            raise ValueError("another extension is being recorded; try again")
        if self._deadline.lapsed:
            raise ValueError("this window has closed")
        if self._deadline.step is not extension.step:
            current = self._deadline.step.value if self._deadline.step else "none"
            raise ValueError(f"only the current step's deadline can be extended; "
                             f"the current step is {current}")
        problem = self._deadline.extension_problem(extension.until)
        if problem:
            raise ValueError(problem)

    @workflow.query(name="status")
    def status(self) -> StatusView:
        """Where the request stands now: after an act, the act is on record, so the view
        says what it completed and what comes next, not what it waited for."""
        progress = Progress(
            identity_verified=self._identity is not None, paid=self._paid,
            answered=self._answer is not None, decided=self._decision is not None,
            measure_pending=self._decision is not None
            and self._decision.outcome is Outcome.ALTERNATIVE_MEASURES
            and not self._measure_approved)
        done = step_done(self._deadline.step, progress)
        return StatusView(
            request_id=self._ref.request_id, kind=self._ref.kind, status=self._status,
            step=self._deadline.step, due_at=self._deadline.due_at,
            overdue=self._deadline.overdue,
            outcome=self._outcome.value if self._outcome else None,
            deadline_policy_version=self._policy.version,
            privacy_policy_version=self._ref.privacy_policy_version,
            awaiting=awaiting(self._deadline.step, progress),
            step_done=done,
            next_step=next_step(self._ref.kind, self._deadline.step,
                                fee_due=self._fee_due()) if done else None,
            invoice_id=self._invoice.invoice_id if self._invoice else None,
            proposal=self._investigation.proposal if self._investigation else None,
        )

    def _fee_due(self) -> bool:
        if self._decision is None or self._investigation is None:
            return self._ref.kind is RequestKind.DISCLOSURE
        return fee_due(self._investigation.findings, self._decision.choice())

    def _expect(self, *, kinds: set[RequestKind], act: str) -> None:
        if self._ref.kind not in kinds:
            raise ValueError(f"{act} does not apply to a {self._ref.kind.value} request")
        if self._status is RequestStatus.CLOSED or self._outcome is not None:
            raise ValueError("this request is closed")

    def _claim(self, act: str, step: Step) -> OperatorClaim:
        return OperatorClaim(self, act, step)
