"""The steps of a request as the workflow runs them: each under its deadline, a notice
at the end, a permanent error made visible; and what operators see of it (search
attributes and current details). Mixed into `DataSubjectRequest`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.deadlines import Step
    from domain.decisions import Outcome
    from domain.events import EventType
    from domain.lifecycle import RequestStatus
    from domain.messages import StatusView
    from domain.notices import NoticeKind
    from workflows.deadline_keeper import DeadlineKeeper
    from workflows.operator_view import current_details, search_attribute_updates
    from workflows.request_effects import RequestEffects

T = TypeVar("T")


class RequestSteps(RequestEffects):
    """Needs `_deadline`, `_status`, `_outcome`, `_shown_attributes`, `_versions_apart`
    and `status()`."""

    _deadline: DeadlineKeeper
    _status: RequestStatus
    _outcome: Outcome | None
    _shown_attributes: str
    _versions_apart: bool

    def status(self) -> StatusView:
        raise NotImplementedError

    async def _fail_step(self, error: ActivityError) -> NoReturn:
        """A step met an error that retrying cannot cure: record it (the error's type only,
        never its message, which may quote personal data), show it, fail the workflow."""
        cause = error.cause
        kind = (cause.type if isinstance(cause, ApplicationError) and cause.type
                else type(cause).__name__)
        step = self._deadline.step.value if self._deadline.step else "intake"
        self._status = RequestStatus.FAILED
        with contextlib.suppress(ActivityError):  # the store itself may be what failed
            await self._record(EventType.STEP_FAILED, f"{step}:failed",
                               {"step": step, "error": kind, "activity": error.activity_type})
            await self._settle()
        self._publish(settled=True)
        raise ApplicationError(
            f"step {step} failed: {error.activity_type} raised {kind}, an error retrying "
            "cannot cure; the request stops here for an operator (see the worker's log)",
            type="StepFailed", non_retryable=True) from None

    async def _within(self, step: Step, done: Any) -> None:
        await self._deadline.open(step)
        await self._deadline.wait(done)
        await self._deadline.close()

    async def _working(self, step: Step, work: Callable[[], Awaitable[T]]) -> T:
        """A step of our own work under its deadline: if its activities keep retrying (a
        long outage), the reminder and the breach fire on time, as for a waiting step."""
        await self._deadline.open(step)
        task = asyncio.ensure_future(work())  # on the workflow's deterministic loop
        if self._batched:
            # Let the work start, so its first effect carries the step's opening rather
            # than the keeper storing it on its own before waiting.
            await asyncio.sleep(0)
        await self._deadline.wait(task.done, own_work=True)
        result = await task
        await self._deadline.close()
        return result

    async def _notify_outcome(self, notice: NoticeKind, outcome: Outcome) -> None:
        await self._working(Step.NOTIFY, lambda: self._notify(notice))
        self._outcome = outcome

    # What operators see ---------------------------------------------------------------

    def _publish(self, *, settled: bool = False) -> None:
        """Current details at once; search attributes once the request settles (`settled`:
        it waits for someone, is late, or has ended), no personal data in either.

        Current details cost nothing in history. Each search-attribute upsert is an event
        and a write to the visibility store, so under the patch they follow where a request
        *waits*, not every step it passes through in milliseconds: a step of our own work
        shows there once it is reminded or breached."""
        if self._status is RequestStatus.RECEIVED and self._deadline.step is not None:
            self._status = RequestStatus.IN_PROGRESS
        view = self.status()
        workflow.set_current_details(current_details(view))
        if settled or not self._batched:
            self._show_attributes(view)

    def _show_attributes(self, view: StatusView) -> None:
        updates = search_attribute_updates(view, versions_apart=self._versions_apart)
        # Each upsert is an event in the history; send one only when a value changed.
        shown = repr([(u.key.name, getattr(u, "value", None)) for u in updates])
        if shown != self._shown_attributes:
            self._shown_attributes = shown
            workflow.upsert_search_attributes(updates)

    async def _before_waiting(self) -> None:
        """The request is about to wait: the store and the Web UI show where it stands."""
        if self._batched:
            self._show_attributes(self.status())
        await self._settle()
