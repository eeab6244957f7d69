"""`DataSubjectRequest`: one workflow type for every kind of request.

acknowledge → verify identity → investigate → decide → [fee] → act → notify → close,
or, for an inquiry, acknowledge → answer → notify → close. Orchestration only: which
outcomes are allowed and what a notice says is decided in `domain/`; effects happen in
activities; deadlines are kept by `DeadlineKeeper`; operators act through updates.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.lifecycle_activities import LifecycleActivities
    from activities.request_activities import RequestActivities
    from domain.authority import Act
    from domain.deadlines import Step
    from domain.decisions import (
        Outcome,
        fee_due,
    )
    from domain.events import RECEIVED_DEADLINE_POLICY, EventType
    from domain.fulfilment_messages import ConfirmSystem, WaiveSystem
    from domain.lifecycle import RequestStatus
    from domain.messages import (
        UNREADABLE_REF,
        ActionReport,
        ApproveMeasure,
        AttachAnswer,
        CarryOut,
        CheckIdentity,
        Decide,
        ExtendDeadline,
        Investigation,
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
    from workflows.act_authority import verify_act
    from workflows.act_checks import (
        check_approve_measure,
        check_confirm_system,
        check_decide,
        check_extend_deadline,
        check_record_payment,
        check_respond,
        check_verify_identity,
        check_waive_system,
        payment_is_late,
    )
    from workflows.bookkeeping import BOOKKEEPING_WITH_EFFECTS
    from workflows.deadline_keeper import SUBJECT_DAY_WINDOWS
    from workflows.operator_claim import OperatorClaim
    from workflows.request_effects import (
        CHECKPOINT_AT_CLOSE,
        INPUT_CHECKED_AT_START,
        RequestEffects,
        decision_payload,
    )
    from workflows.request_progress import RequestProgress
    from workflows.request_steps import RequestSteps
    from workflows.system_parts import SYSTEMS_OF_THE_DATA_MAP, SystemParts


@workflow.defn(name="DataSubjectRequest")
class DataSubjectRequest:
    @workflow.init
    def __init__(self, raw: RawValue) -> None:
        # Decoded here, not by the SDK: input that does not decode (a start by another
        # client) would otherwise fail every workflow task for ever instead of the workflow.
        try:
            ref = workflow.payload_converter().from_payload(raw.payload, RequestRef)
            self._input_problem: str | None = None
        except Exception as error:
            ref, self._input_problem = UNREADABLE_REF, input_problem(error)
        self._progress = RequestProgress(ref)
        # Requests started before bookkeeping rode with effects replay as they ran.
        self._effects = RequestEffects(ref, batched=workflow.patched(BOOKKEEPING_WITH_EFFECTS))
        # Requests started before the two policies' versions were named apart keep the
        # attribute they were started with.
        self._steps = RequestSteps(
            self._progress, self._effects, versions_apart=workflow.patched(sa.POLICY_VERSIONS_APART)
        )
        self._deadline = self._steps.deadline
        self._systems = SystemParts(self._progress, self._effects)

    @workflow.run
    async def run(self, raw: RawValue) -> RequestOutcome:
        if self._input_problem is not None:
            raise ApplicationError(
                f"the workflow input is not a request reference ({self._input_problem}); "
                "requests are started by `dsr submit` or starter.submit()",
                type="InvalidWorkflowInput",
                non_retryable=True,
            )
        progress, effects, steps = self._progress, self._effects, self._steps
        ref, policy = progress.ref, progress.ref.deadline_policy
        # The input is a claim: checked against the record before any effect (issue 22).
        if workflow.patched(INPUT_CHECKED_AT_START):
            await effects.check_start()
        try:
            await effects.record(
                EventType.RECEIVED,
                "received",
                {"kind": ref.kind.value, RECEIVED_DEADLINE_POLICY: policy.version},
            )
            progress.status = RequestStatus.RECEIVED
            steps.publish()
            commitment = policy.commitment(
                ref.kind is RequestKind.INQUIRY, ref.kind is RequestKind.DISCLOSURE, workflow.now()
            )
            await steps.run_under_deadline(
                Step.ACKNOWLEDGE, lambda: effects.notify(NoticeKind.RECEIPT, commitment=commitment)
            )
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
                    type="UnknownRequest",
                    non_retryable=True,
                ) from None
            # Only permanent errors get here (the rest retry): the step fails, visibly.
            await steps.fail(error)

        outcome = progress.outcome
        assert outcome is not None
        # An act admitted before the request settled finishes before it closes.
        await workflow.wait_condition(workflow.all_handlers_finished)
        closed_at = workflow.now()
        await effects.record(EventType.CLOSED, "closed", {"outcome": outcome.value})
        if workflow.patched(CHECKPOINT_AT_CLOSE):
            await effects.close_with_checkpoint()
        else:
            await effects.settle()
        progress.status = RequestStatus.CLOSED
        self._deadline.step = self._deadline.due_at = None
        steps.publish(settled=True)
        return RequestOutcome(
            request_id=ref.request_id,
            status=progress.status,
            outcome=outcome.value,
            closed_at=closed_at,
        )

    async def _answer_inquiry(self) -> None:
        await self._steps.wait_under_deadline(
            Step.ANSWER, lambda: self._progress.answer is not None
        )
        await self._steps.notify_outcome(NoticeKind.ANSWER, Outcome.ANSWERED)

    async def _handle_request(self) -> None:
        progress, effects, steps, deadline = (
            self._progress,
            self._effects,
            self._steps,
            self._deadline,
        )
        ref = progress.ref
        deadline.day_windows = workflow.patched(SUBJECT_DAY_WINDOWS)
        await deadline.open(Step.VERIFY_IDENTITY)
        # A match alone does not verify a request that discloses or changes data; a person
        # who is not verified by it is told how to prove who they are.
        step = effects.step_input("verify:registration-match")
        if effects.batched:  # one activity: the match, and the request for proof if needed
            check = await effects.run(
                LifecycleActivities.check_identity,
                CheckIdentity(
                    request_id=step.request_id,
                    kind=step.kind,
                    idempotency_key=step.idempotency_key,
                    occurred_at=step.occurred_at,
                    proof_request=effects.notice_order(
                        NoticeKind.IDENTITY_PROOF_REQUESTED, due_at=deadline.due_at
                    ),
                ),
                summary="verify identity: match the registration, or ask for proof",
            )
        else:
            check = await effects.run(LifecycleActivities.match_registration, step)
            if not check.verified:
                await effects.notify(NoticeKind.IDENTITY_PROOF_REQUESTED, due_at=deadline.due_at)
        progress.identity = "registration_match" if check.verified else None
        progress.identity_checked = True
        if not await deadline.wait(lambda: progress.identity is not None):
            return await steps.notify_outcome(
                NoticeKind.CLOSED_IDENTITY_NOT_VERIFIED, Outcome.IDENTITY_NOT_VERIFIED
            )
        await deadline.close()

        # Requests started before the data map's systems were searched replay without.
        in_systems = workflow.patched(SYSTEMS_OF_THE_DATA_MAP)

        async def investigate() -> Investigation:
            if in_systems:
                await self._systems.collect()
            return await effects.run(
                LifecycleActivities.investigate,
                effects.step_input("investigate"),
                summary="investigate the data held",
            )

        investigation = await steps.run_under_deadline(Step.INVESTIGATE, investigate)
        progress.investigation = investigation

        await steps.wait_under_deadline(Step.DECIDE, progress.decided)
        decision = progress.decision
        assert decision is not None
        findings = investigation.findings
        if fee_due(findings, decision.choice()) and not await self._fee_paid():
            return await steps.notify_outcome(NoticeKind.CLOSED_FEE_UNPAID, Outcome.FEE_UNPAID)

        async def act() -> ActionReport:
            # Each system's part first, then the service's own records: an erasure ends
            # by shredding the subject's key, after every system has found its rows.
            if in_systems:
                await self._systems.act(decision, findings)
            await self._systems.confirm_measure(decision)  # Art 8 ¶4, taken outside
            return await effects.run(
                LifecycleActivities.carry_out,
                CarryOut(
                    request_id=ref.request_id,
                    kind=ref.kind,
                    decision=decision,
                    findings=findings,
                    idempotency_key=effects.key("act"),
                    occurred_at=workflow.now(),
                ),
                summary=f"carry out the decision: {decision.outcome.value}",
            )

        await steps.run_under_deadline(Step.ACT, act)
        await steps.notify_outcome(NoticeKind.OUTCOME, decision.outcome)

    async def _fee_paid(self) -> bool:
        """Article 6's fee, asked for once a disclosure is decided: the disclosure follows
        payment; a fee unpaid when the window closes lapses, and nothing is disclosed."""
        progress, effects, deadline = self._progress, self._effects, self._deadline
        invoice = await effects.run(
            LifecycleActivities.issue_invoice,
            effects.step_input("payment:invoice"),
            summary="issue the fee invoice",
        )
        progress.invoice = invoice
        # The subject's window opens once the fee request is sent, so a payment is
        # recorded after the notice that asked for it.
        # The notice names the day the window closes, and the window runs to its end.
        due_at = deadline.due_for(Step.PAYMENT)
        await effects.notify(NoticeKind.FEE_REQUEST, due_at=due_at)
        await deadline.open(Step.PAYMENT, due_at if deadline.day_windows else None)
        if not await deadline.wait(lambda: progress.paid or progress.paid_late):
            await effects.operator_act(
                EventType.INVOICE_LAPSED,
                "payment:invoice-lapsed",
                {"invoice_id": invoice.invoice_id},
                "system",
                activity=LifecycleActivities.settle_invoice,
            )
            return False
        await deadline.close()
        # A payment made after the window is on record, refund due: nothing is disclosed.
        return not progress.paid_late

    # Operators' interface -------------------------------------------------------------

    @workflow.update(name="respond")
    async def respond(self, answer: RespondToInquiry) -> StatusView:
        async with self._claim(Act.RESPOND, Step.ANSWER, answer):
            await self._effects.run(
                RequestActivities.attach_answer,
                AttachAnswer(
                    request_id=self._progress.ref.request_id,
                    answer_id=answer.answer_id,
                    operator=answer.operator,
                    idempotency_key=self._effects.key("answer", "recorded"),
                    occurred_at=workflow.now(),
                ),
                summary="record answer.recorded (operator)",
            )
            self._progress.answer = answer
        return self.status()

    @respond.validator
    def _validate_respond(self, answer: RespondToInquiry) -> None:
        check_respond(self._progress, self._deadline, answer)

    @workflow.update(name="verify_identity")
    async def verify_identity(self, proof: VerifyIdentity) -> StatusView:
        async with self._claim(Act.VERIFY_IDENTITY, Step.VERIFY_IDENTITY, proof):
            await workflow.wait_condition(lambda: self._progress.identity_checked)
            if self._progress.identity is not None:
                raise ApplicationError("identity was already verified by registration match")
            await self._effects.operator_act(
                EventType.IDENTITY_VERIFIED,
                "verify:operator",
                {"method": proof.method.value},
                proof.operator,
            )
            self._progress.identity = proof.method.value
        return self.status()

    @verify_identity.validator
    def _validate_verify_identity(self, proof: VerifyIdentity) -> None:
        check_verify_identity(self._progress, self._deadline, proof)

    @workflow.update(name="record_payment")
    async def record_payment(self, payment: RecordPayment) -> StatusView:
        async with self._claim(Act.RECORD_PAYMENT, Step.PAYMENT, payment):
            late = payment_is_late(self._progress, self._deadline, payment)
            paid_on = payment.paid_on or self._progress.ref.deadline_policy.last_day(workflow.now())
            await self._effects.operator_act(
                EventType.PAYMENT_RECEIVED_LATE if late else EventType.PAYMENT_RECORDED,
                "payment:received-late" if late else "payment:recorded",
                {
                    "invoice_id": payment.invoice_id,
                    "amount_yen": payment.amount_yen,
                    "reference": payment.reference,
                    "paid_on": paid_on.isoformat(),
                    **({"refund_due": True} if late else {}),
                },
                payment.operator,
                activity=LifecycleActivities.settle_invoice,
            )
            if late:
                self._progress.paid_late = True
            else:
                self._progress.paid = True
        return self.status()

    @record_payment.validator
    def _validate_record_payment(self, payment: RecordPayment) -> None:
        check_record_payment(self._progress, self._deadline, payment)

    @workflow.update(name="decide")
    async def decide(self, decision: Decide) -> StatusView:
        async with self._claim(Act.DECIDE, Step.DECIDE, decision):
            await self._effects.operator_act(
                EventType.DECISION_RECORDED,
                "decide:recorded",
                decision_payload(decision),
                decision.operator,
                notes=decision.note_ids,
            )
            self._progress.decision = decision
        return self.status()

    @decide.validator
    def _validate_decide(self, decision: Decide) -> None:
        check_decide(self._progress, self._deadline, decision)

    @workflow.update(name="approve_measure")
    async def approve_measure(self, approval: ApproveMeasure) -> StatusView:
        async with self._claim(Act.APPROVE_MEASURE, Step.DECIDE, approval):
            await self._effects.operator_act(
                EventType.MEASURE_APPROVED, "decide:measure-approved", {}, approval.operator
            )
            self._progress.measure_approved = True
        return self.status()

    @approve_measure.validator
    def _validate_approve_measure(self, approval: ApproveMeasure) -> None:
        check_approve_measure(self._progress, self._deadline, approval)

    @workflow.update(name="extend_deadline")
    async def extend_deadline(self, extension: ExtendDeadline) -> StatusView:
        step = extension.step
        async with self._claim(Act.EXTEND_DEADLINE, step, extension):
            until = self._deadline.extended_to(extension.until)  # N7: a person's, to day's end
            previous = self._deadline.due_at
            await self._effects.operator_act(
                EventType.DEADLINE_EXTENDED,
                f"{step.value}:extended-{until.isoformat()}",
                {
                    "step": step.value,
                    "due_at": until.isoformat(),
                    "previous_due_at": previous.isoformat() if previous else None,
                    "reason_note_id": extension.reason_note_id,
                },
                extension.operator,
                notes=(extension.reason_note_id,),
            )
            if self._deadline.step is step:
                self._deadline.extended(until)
            # The person is told of every extension, with its reason.
            await self._effects.notify(
                NoticeKind.DEADLINE_EXTENDED,
                reference=extension.reason_note_id,
                key=f"{step.value}-{until.isoformat()}",
            )
        return self.status()

    @extend_deadline.validator
    def _validate_extend_deadline(self, extension: ExtendDeadline) -> None:
        check_extend_deadline(self._progress, self._deadline, extension)

    @workflow.update(name="waive_system")
    async def waive_system(self, waiver: WaiveSystem) -> StatusView:
        async with self._claim(Act.WAIVE_SYSTEM, self._deadline.step or Step.ACT, waiver):
            await self._effects.operator_act(
                EventType.SYSTEM_WAIVED,
                f"{waiver.system}:waived",
                {"system": waiver.system, "reason_note_id": waiver.reason_note_id},
                waiver.operator,
                notes=(waiver.reason_note_id,),
            )
            self._progress.waived.add(waiver.system)
        return self.status()

    @waive_system.validator
    def _validate_waive_system(self, waiver: WaiveSystem) -> None:
        check_waive_system(self._progress, self._deadline, waiver)

    @workflow.update(name="confirm_system")
    async def confirm_system(self, confirmation: ConfirmSystem) -> StatusView:
        step = Step.INVESTIGATE if confirmation.step == "collect" else Step.ACT
        async with self._claim(Act.CONFIRM_SYSTEM, step, confirmation):
            await self._systems.confirmed(confirmation)
        return self.status()

    @confirm_system.validator
    def _validate_confirm_system(self, confirmation: ConfirmSystem) -> None:
        check_confirm_system(self._progress, self._deadline, confirmation)

    @workflow.query(name="status")
    def status(self) -> StatusView:
        """Where the request stands now: after an act, the act is on record, so the view
        says what it completed and what comes next, not what it waited for."""
        return self._steps.view()

    def _claim(self, act: Act, step: Step, argument: object) -> OperatorClaim:
        """The act claimed, once the worker has checked its signature and account."""
        request_id = self._progress.ref.request_id
        return OperatorClaim(
            self._progress,
            self._deadline,
            act,
            step,
            lambda: verify_act(self._effects, request_id, act, argument),
        )
