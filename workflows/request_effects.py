"""The effects a request's workflow asks for: activities with their idempotency keys.

Each key is the workflow id and the step, so a retried or replayed call names the same
effect and the activity does it once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from pydantic import BaseModel

    from activities.lifecycle_activities import LifecycleActivities
    from activities.log_checkpoints import LogCheckpoints
    from activities.request_activities import RequestActivities
    from activities.start_checks import StartChecks
    from domain.deadlines import Commitment
    from domain.event_log import SignedCheckpoint
    from domain.events import EventType, NewEvent, PayloadValue
    from domain.messages import (
        Bookkeeping,
        Decide,
        DeliverNotice,
        QueueNotice,
        RecordByOperator,
        RequestRef,
        RequestStep,
    )
    from domain.notices import NoticeKind
    from domain.withholding import withheld_parts_text
    from workflows.bookkeeping import UnstoredBookkeeping

# Activities retry with backoff for as long as it takes (a database restart, a network
# blip); only errors marked non-retryable, which name a permanent problem, stop them.
# Each activity is one short database transaction: a worker that dies mid-activity is
# noticed within the timeout, and a database back from an outage within the interval.
# Errors that come out the same however often they are retried (a programming or data
# fault, not an outage) stop at once and fail the step visibly, instead of looping while
# the request's deadlines pass.
DETERMINISTIC_ERRORS = (
    "ValueError",
    "TypeError",
    "KeyError",
    "IndexError",
    "AttributeError",
    "OverflowError",
    "UnicodeError",
    "ValidationError",
    "AssertionError",
    "DataError",
    "NotNullViolationError",
    "CheckViolationError",
    "StringDataRightTruncationError",
    "NumericValueOutOfRangeError",
)
ACTIVITY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=10),
    non_retryable_error_types=list(DETERMINISTIC_ERRORS),
)
ACTIVITY_TIMEOUT = timedelta(seconds=10)

CHECKPOINT_AT_CLOSE = "checkpoint-at-close"
"""The patch that closes a request with a signed checkpoint of the event log (kept in the
witness and, as the activity's result, in this history); requests that closed before it
replay their close as it ran."""

INPUT_CHECKED_AT_START = "input-checked-against-the-record"
"""The patch under which a request's run begins with `check_start` (issue 22): its input
is checked against the request on record before any effect. Runs started before it replay
without the check."""

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R")
Activity = Callable[[Any, M], Awaitable[R]]  # an activity method of an activities class


class RequestEffects:
    """The effects of one request, as typed activity calls. `batched`: the patch
    `BOOKKEEPING_WITH_EFFECTS` is in force."""

    def __init__(self, ref: RequestRef, *, batched: bool) -> None:
        self._ref = ref
        self.batched = batched
        self._unstored = UnstoredBookkeeping()

    def key(self, *parts: str) -> str:
        return ":".join((workflow.info().workflow_id, *parts))

    def step_input(self, key: str) -> RequestStep:
        return RequestStep(
            request_id=self._ref.request_id,
            kind=self._ref.kind,
            idempotency_key=self.key(key),
            occurred_at=workflow.now(),
        )

    async def run(
        self,
        activity: Activity[M, R],
        argument: M,
        summary: str | None = None,
        *,
        start_to_close: timedelta = ACTIVITY_TIMEOUT,
    ) -> R:
        """Run an effect. Under the patch, an effect whose input has `preceding` carries
        the bookkeeping recorded before it, stored in the same transaction."""
        if not (self.batched and "preceding" in type(argument).model_fields):
            return await self._execute(activity, argument, summary, start_to_close)
        with self._unstored.carried() as preceding:
            return await self._execute(
                activity,
                argument.model_copy(update={"preceding": preceding}),
                summary,
                start_to_close,
            )

    async def _execute(
        self,
        activity: Activity[M, R],
        argument: M,
        summary: str | None,
        start_to_close: timedelta = ACTIVITY_TIMEOUT,
    ) -> R:
        return await workflow.execute_activity_method(
            activity,
            argument,
            start_to_close_timeout=start_to_close,
            retry_policy=ACTIVITY_RETRY,
            summary=summary if self.batched else None,
        )

    async def check_start(self) -> None:
        """The run's first activity: the input (this request's reference) checked against
        the request on record (activities/start_checks.py). A refusal fails the workflow at
        once, non-retryably, under the refusal's own type, with nothing recorded."""
        try:
            await workflow.execute_activity_method(
                StartChecks.check_start,
                self._ref,
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
                summary="check the input against the request on record",
            )
        except ActivityError as error:
            cause = error.cause
            if not isinstance(cause, ApplicationError):
                raise
            raise ApplicationError(
                f"the run does not start: {cause.message}",
                type=cause.type,
                non_retryable=True,
            ) from None

    async def record(
        self, event_type: EventType, key: str, payload: dict[str, PayloadValue]
    ) -> None:
        event = NewEvent(
            request_id=self._ref.request_id,
            type=event_type,
            payload=payload,
            occurred_at=workflow.now(),
            actor="system",
            idempotency_key=self.key(key),
        )
        if self.batched:
            self._unstored.add(event)  # stored by the next effect, or by `settle`
            return
        # A regular activity, not a local one: local activities were faster, but the SDK's
        # Core panicked on them once workflow time ran ahead of the worker's clock (seen on
        # the time-skipping server; a server clock ahead of the worker's could do the same).
        await self.run(RequestActivities.append_event, event)

    async def settle(self) -> None:
        """Store the bookkeeping no effect in flight carries, before the workflow waits
        for someone else or closes, so the store shows where the request stands."""
        if not (self.batched and self._unstored.uncarried):
            return
        summary = f"record {self._unstored.describe()}"
        with self._unstored.carried() as events:
            await self._execute(
                RequestActivities.record_bookkeeping,
                Bookkeeping(request_id=self._ref.request_id, events=events),
                summary[:200],
            )

    async def close_with_checkpoint(self) -> SignedCheckpoint:
        """Store the close and what bookkeeping is left, and sign the log's head with this
        request's last event in it, in the activity that closes the request."""
        with self._unstored.carried() as events:
            return await workflow.execute_activity_method(
                LogCheckpoints.close_with_checkpoint,
                Bookkeeping(request_id=self._ref.request_id, events=events),
                start_to_close_timeout=ACTIVITY_TIMEOUT,
                retry_policy=ACTIVITY_RETRY,
                summary="record the close; sign the event log's head",
            )

    async def operator_act(
        self,
        event: EventType,
        key: str,
        payload: dict[str, PayloadValue],
        operator: str,
        notes: tuple[str, ...] = (),
        *,
        activity: Activity[RecordByOperator, None] = LifecycleActivities.record_operator_act,
    ) -> None:
        await self.run(
            activity,
            RecordByOperator(
                request_id=self._ref.request_id,
                event=event,
                payload=payload,
                operator=operator,
                idempotency_key=self.key(key),
                occurred_at=workflow.now(),
                notes=notes,
            ),
            summary=f"record {event.value}" + ("" if operator == "system" else " (operator)"),
        )

    async def notify(
        self,
        notice: NoticeKind,
        *,
        due_at: datetime | None = None,
        commitment: Commitment | None = None,
        reference: str | None = None,
        key: str | None = None,
    ) -> None:
        """Queue a notice and deliver it; `key` tells apart notices of one kind that a
        request sends more than once (one per extension)."""
        order = self.notice_order(
            notice, due_at=due_at, commitment=commitment, reference=reference, key=key
        )
        if self.batched:
            await self.run(
                RequestActivities.send_notice,
                order,
                summary=f"send the {notice.value.replace('_', ' ')} notice",
            )
            return
        queued = await self.run(RequestActivities.queue_notice, order)
        await self.run(
            RequestActivities.deliver_notice,
            DeliverNotice(
                request_id=self._ref.request_id,
                notification_id=queued.notification_id,
                idempotency_key=queued.idempotency_key,
                occurred_at=workflow.now(),
            ),
        )

    def notice_order(
        self,
        notice: NoticeKind,
        *,
        due_at: datetime | None = None,
        commitment: Commitment | None = None,
        reference: str | None = None,
        key: str | None = None,
    ) -> QueueNotice:
        return QueueNotice(
            request_id=self._ref.request_id,
            notice=notice,
            idempotency_key=self.key("notice", notice.value, *((key,) if key else ())),
            occurred_at=workflow.now(),
            due_at=due_at,
            commitment=commitment,
            reference=reference,
        )


def decision_payload(decision: Decide) -> dict[str, PayloadValue]:
    """What the `decision.recorded` event says of a decision: ids and categories only."""
    return {
        "outcome": decision.outcome.value,
        "refusal_grounds": ",".join(g.value for g in decision.refusal_grounds),
        "alternative_ground": decision.alternative_ground.value
        if decision.alternative_ground
        else None,
        "withheld_categories": ",".join(c.value for c in decision.withheld_categories),
        "included_categories": ",".join(c.value for c in decision.included_categories),
        "continued_partners": ",".join(decision.continued_partners),
        "declined_changes": ",".join(str(i) for i in decision.declined_changes),
        "reason_note_id": decision.reason_note_id,
        "measure_note_id": decision.measure_note_id,
        "inclusion_note_id": decision.inclusion_note_id,
        # Issue 24: said only when decided, so a decision of the older kind reads as before.
        **(
            {"withheld_parts": withheld_parts_text(decision.withheld_parts)}
            if decision.withheld_parts
            else {}
        ),
        **(
            {
                "alternative_measure": decision.alternative_measure.value,
                "measure_confirmer": decision.measure_confirmer,
            }
            if decision.alternative_measure
            else {}
        ),
    }
