"""The steps of a request as the workflow runs them: each under its deadline, a notice
at the end, a permanent error made visible; and what operators see of it (search
attributes and current details)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import NoReturn, TypeVar

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
    from workflows.request_progress import RequestProgress

T = TypeVar("T")


class RequestSteps:
    """Runs the steps of the request `progress` describes, with `effects`, and keeps its
    `deadline`. `versions_apart`: the patch `POLICY_VERSIONS_APART` is in force."""

    def __init__(
        self, progress: RequestProgress, effects: RequestEffects, *, versions_apart: bool
    ) -> None:
        self._progress = progress
        self._effects = effects
        self._versions_apart = versions_apart
        self._shown_attributes = ""
        # Before a breach or a lapse, the keeper lets an act of the *current* step finish;
        # an act admitted early for a later step waits for that step, so it must not count.
        self.deadline = DeadlineKeeper(
            progress.ref.deadline_policy,
            effects.record,
            self.publish,
            idle=lambda: self.deadline.step not in progress.busy.values(),
            settle=self._before_waiting,
            summaries=effects.batched,
        )

    def view(self) -> StatusView:
        return self._progress.view(self.deadline)

    async def fail(self, error: ActivityError) -> NoReturn:
        """A step met an error that retrying cannot cure: record it (the error's type only,
        never its message, which may quote personal data), show it, fail the workflow."""
        cause = error.cause
        kind = (
            cause.type
            if isinstance(cause, ApplicationError) and cause.type
            else type(cause).__name__
        )
        step = self.deadline.step.value if self.deadline.step else "intake"
        self._progress.status = RequestStatus.FAILED
        with contextlib.suppress(ActivityError):  # the store itself may be what failed
            await self._effects.record(
                EventType.STEP_FAILED,
                f"{step}:failed",
                {"step": step, "error": kind, "activity": error.activity_type},
            )
            await self._effects.settle()
        self.publish(settled=True)
        raise ApplicationError(
            f"step {step} failed: {error.activity_type} raised {kind}, an error retrying "
            "cannot cure; the request stops here for an operator (see the worker's log)",
            type="StepFailed",
            non_retryable=True,
        ) from None

    async def wait_under_deadline(self, step: Step, done: Callable[[], bool]) -> None:
        """A step that waits for someone else (an operator's act) under its deadline."""
        await self.deadline.open(step)
        await self.deadline.wait(done)
        await self.deadline.close()

    async def run_under_deadline(self, step: Step, work: Callable[[], Awaitable[T]]) -> T:
        """A step of our own work under its deadline: if its activities keep retrying (a
        long outage), the reminder and the breach fire on time, as for a waiting step."""
        await self.deadline.open(step)
        task = asyncio.ensure_future(work())  # on the workflow's deterministic loop
        if self._effects.batched:
            # Let the work start, so its first effect carries the step's opening rather
            # than the keeper storing it on its own before waiting.
            await asyncio.sleep(0)
        await self.deadline.wait(task.done, own_work=True)
        result = await task
        await self.deadline.close()
        return result

    async def notify_outcome(self, notice: NoticeKind, outcome: Outcome) -> None:
        await self.run_under_deadline(Step.NOTIFY, lambda: self._effects.notify(notice))
        self._progress.outcome = outcome

    # What operators see ---------------------------------------------------------------

    def publish(self, *, settled: bool = False) -> None:
        """Current details at once; search attributes once the request settles (`settled`:
        it waits for someone, is late, or has ended), no personal data in either.

        Current details cost nothing in history. Each search-attribute upsert is an event
        and a write to the visibility store, so under the patch they follow where a request
        *waits*, not every step it passes through in milliseconds: a step of our own work
        shows there once it is reminded or breached."""
        if self._progress.status is RequestStatus.RECEIVED and self.deadline.step is not None:
            self._progress.status = RequestStatus.IN_PROGRESS
        view = self.view()
        workflow.set_current_details(current_details(view))
        if settled or not self._effects.batched:
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
        if self._effects.batched:
            self._show_attributes(self.view())
        await self._effects.settle()
