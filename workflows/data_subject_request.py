"""`DataSubjectRequest`: one workflow type for every kind of request.

Orchestration only. What the steps are, what is due when and what a notice says is
decided in `domain/`; the effects happen in activities; this file sequences them, keeps
each step's deadline with timers, and takes operators' decisions through updates.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.deadlines import Step
    from domain.events import EventType, NewEvent, PayloadValue
    from domain.lifecycle import Outcome, RequestStatus
    from domain.messages import (
        AttachAnswer,
        DeliverNotice,
        QueuedNotice,
        QueueNotice,
        RequestOutcome,
        RequestRef,
        RespondToInquiry,
        StatusView,
    )
    from domain.notices import NoticeKind
    from domain.requests import RequestKind
    from workflows import search_attributes as sa

# Activities retry with backoff for as long as it takes (a database restart, a network
# blip); only errors marked non-retryable, which name a permanent problem, stop them.
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)
ACTIVITY_TIMEOUT = timedelta(seconds=30)
SYSTEM = "system"


@workflow.defn(name="DataSubjectRequest")
class DataSubjectRequest:
    @workflow.init
    def __init__(self, ref: RequestRef) -> None:
        self._ref = ref
        self._policy = ref.deadline_policy
        self._status = RequestStatus.SUBMITTED
        self._step: Step | None = None
        self._due_at: datetime | None = None
        self._overdue = False
        self._outcome: str | None = None
        self._answer: RespondToInquiry | None = None
        self._answer_pending = False

    @workflow.run
    async def run(self, ref: RequestRef) -> RequestOutcome:
        await self._record(EventType.RECEIVED, "received", {"kind": ref.kind.value,
                           "policy_version": self._policy.version})
        self._status = RequestStatus.RECEIVED
        self._publish()

        await self._open_deadline(Step.ACKNOWLEDGE)
        await self._notify(
            NoticeKind.RECEIPT, due_at=self._policy.due_at(Step.ANSWER, workflow.now())
        )
        await self._close_deadline(Step.ACKNOWLEDGE)

        match ref.kind:
            case RequestKind.INQUIRY:
                await self._open_deadline(Step.ANSWER)
                await self._await_within_deadline(Step.ANSWER, lambda: self._answer is not None)
                await self._close_deadline(Step.ANSWER)
                await self._open_deadline(Step.NOTIFY)
                await self._notify(NoticeKind.ANSWER)
                await self._close_deadline(Step.NOTIFY)
                self._outcome = Outcome.ANSWERED.value
            case _:
                raise ApplicationError(
                    f"the {ref.kind.value} lifecycle is not available yet",
                    type="UnsupportedKind", non_retryable=True,
                )

        closed_at = workflow.now()
        await self._record(EventType.CLOSED, "closed", {"outcome": self._outcome})
        self._status = RequestStatus.CLOSED
        self._step = None
        self._due_at = None
        self._overdue = False
        self._publish()
        return RequestOutcome(
            request_id=ref.request_id, status=self._status, outcome=self._outcome,
            closed_at=closed_at,
        )

    # Operators' interface -------------------------------------------------------------

    @workflow.update(name="respond")
    async def respond(self, answer: RespondToInquiry) -> StatusView:
        # Claimed before the first await, so a second update arriving meanwhile is refused
        # by the validator instead of racing this one.
        self._answer_pending = True
        # An answer sent early waits for the answer step, so the record reads in order:
        # receipt acknowledged, answer step opened, answer recorded.
        await workflow.wait_condition(lambda: self._step is Step.ANSWER)
        try:
            await workflow.execute_activity(
                "attach_answer",
                AttachAnswer(
                    request_id=self._ref.request_id, answer_id=answer.answer_id,
                    operator=answer.operator, idempotency_key=self._key("answer", "recorded"),
                    occurred_at=workflow.now(),
                ),
                start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY,
            )
        except ActivityError as error:
            self._answer_pending = False
            cause = error.cause.message if isinstance(error.cause, ApplicationError) else error
            raise ApplicationError(f"answer not accepted: {cause}", type="AnswerRejected") from None
        self._answer = answer
        return self.status()

    @respond.validator
    def _validate_respond(self, answer: RespondToInquiry) -> None:
        if self._ref.kind is not RequestKind.INQUIRY:
            raise ValueError(
                "only inquiries are answered with respond; "
                f"this request is a {self._ref.kind.value}"
            )
        if self._answer is not None or self._answer_pending:
            raise ValueError("this inquiry has already been answered")
        if self._status is RequestStatus.CLOSED:
            raise ValueError("this request is closed")

    @workflow.query(name="status")
    def status(self) -> StatusView:
        return StatusView(
            request_id=self._ref.request_id, kind=self._ref.kind, status=self._status,
            step=self._step, due_at=self._due_at, overdue=self._overdue, outcome=self._outcome,
            deadline_policy_version=self._policy.version,
        )

    # Deadlines ------------------------------------------------------------------------

    async def _open_deadline(self, step: Step) -> None:
        due_at = self._policy.due_at(step, workflow.now())
        await self._record(
            EventType.DEADLINE_STARTED, f"{step.value}:deadline-started",
            {"step": step.value, "due_at": due_at.isoformat(),
             "policy_version": self._policy.version},
        )
        # The step opens only once its start is on record; an early update waiting for
        # this step then records its effect after it.
        self._step = step
        self._due_at = due_at
        self._status = RequestStatus.IN_PROGRESS
        self._publish()

    async def _await_within_deadline(self, step: Step, done: Callable[[], bool]) -> None:
        """Wait for `done` with a reminder before the due time and an escalation at it."""
        assert self._due_at is not None
        started = self._due_at - self._policy.durations[step]
        if not await self._wait_until(done, self._policy.reminder_at(step, started)):
            await self._record(
                EventType.DEADLINE_REMINDED, f"{step.value}:deadline-reminded",
                {"step": step.value, "due_at": self._due_at.isoformat()},
            )
            workflow.logger.info("deadline reminder", extra={"step": step.value})
        if not await self._wait_until(done, self._due_at):
            await self._record(
                EventType.DEADLINE_BREACHED, f"{step.value}:deadline-breached",
                {"step": step.value, "due_at": self._due_at.isoformat()},
            )
            self._overdue = True
            self._publish()
            workflow.logger.warning("deadline breached", extra={"step": step.value})
            await workflow.wait_condition(done)

    async def _close_deadline(self, step: Step) -> None:
        late = self._overdue
        await self._record(
            EventType.DEADLINE_COMPLETED_LATE if late else EventType.DEADLINE_MET,
            f"{step.value}:deadline-closed", {"step": step.value},
        )
        self._overdue = False
        self._publish()

    @staticmethod
    async def _wait_until(done: Callable[[], bool], moment: datetime) -> bool:
        remaining = moment - workflow.now()
        if remaining <= timedelta(0):
            return done()
        try:
            await workflow.wait_condition(done, timeout=remaining)
        except TimeoutError:
            return False
        return True

    # Effects --------------------------------------------------------------------------

    def _key(self, *parts: str) -> str:
        return ":".join((workflow.info().workflow_id, *parts))

    async def _record(
        self, event_type: EventType, key: str, payload: dict[str, PayloadValue],
        actor: str = SYSTEM,
    ) -> None:
        await workflow.execute_activity(
            "append_event",
            NewEvent(
                request_id=self._ref.request_id, type=event_type, payload=payload,
                occurred_at=workflow.now(), actor=actor, idempotency_key=self._key(key),
            ),
            result_type=int,
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY,
        )

    async def _notify(self, notice: NoticeKind, due_at: datetime | None = None) -> None:
        queued = await workflow.execute_activity(
            "queue_notice",
            QueueNotice(
                request_id=self._ref.request_id, notice=notice,
                idempotency_key=self._key("notice", notice.value), occurred_at=workflow.now(),
                due_at=due_at,
            ),
            result_type=QueuedNotice,
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY,
        )
        await workflow.execute_activity(
            "deliver_notice",
            DeliverNotice(
                request_id=self._ref.request_id, notification_id=queued.notification_id,
                idempotency_key=queued.idempotency_key, occurred_at=workflow.now(),
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=ACTIVITY_RETRY,
        )

    # What operators see ---------------------------------------------------------------

    def _publish(self) -> None:
        """Search attributes and current details: where the request stands, no personal data."""
        workflow.upsert_search_attributes([
            sa.KIND.value_set(self._ref.kind.value),
            sa.STATUS.value_set(self._status.value),
            sa.STEP.value_set(self._step.value) if self._step else sa.STEP.value_unset(),
            sa.DUE_AT.value_set(self._due_at) if self._due_at else sa.DUE_AT.value_unset(),
            sa.OVERDUE.value_set(self._overdue),
            sa.POLICY_VERSION.value_set(self._policy.version),
        ])
        workflow.set_current_details(self._details_markdown())

    def _details_markdown(self) -> str:
        lines = [
            f"**{self._ref.kind.value}** request `{self._ref.request_id}`",
            f"- status: **{self._status.value}**",
        ]
        if self._step is not None:
            waiting = {
                Step.ANSWER: "waiting for an operator's answer (`dsr respond`)",
            }.get(self._step, "working")
            lines.append(f"- step: **{self._step.value}**: {waiting}")
        if self._due_at is not None:
            flag = " **OVERDUE**" if self._overdue else ""
            lines.append(f"- due: {self._due_at.isoformat(timespec='minutes')}{flag}")
        if self._outcome is not None:
            lines.append(f"- outcome: {self._outcome}")
        lines.append(f"- deadline policy: {self._policy.version}")
        return "\n".join(lines)


