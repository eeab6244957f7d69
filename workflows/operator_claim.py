"""An operator's act in progress inside the workflow: claimed, waited for, released."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.authority import Act
    from domain.deadlines import Step
    from workflows.deadline_keeper import DeadlineKeeper
    from workflows.request_progress import RequestProgress


class OperatorClaim:
    """An operator act in progress: claimed before the first await so a second update is
    refused by the validator, released if the act fails so the state is as before. An act
    sent early waits for its step, so the record reads in order. `verify`: the worker's
    check of the act's signature and account (workflows/act_authority.py), run once the
    act is claimed; a refusal releases the claim."""

    def __init__(
        self,
        progress: RequestProgress,
        deadline: DeadlineKeeper,
        act: Act,
        step: Step,
        verify: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._progress, self._deadline = progress, deadline
        self._act, self._step = act, step
        self._verify = verify

    async def __aenter__(self) -> None:
        self._progress.busy[self._act] = self._step
        if self._verify is not None:
            try:
                await self._verify()
            except BaseException:
                self._progress.busy.pop(self._act, None)
                raise
        await workflow.wait_condition(
            lambda: self._deadline.step is self._step or self._progress.outcome is not None
        )
        if self._progress.outcome is not None:
            self._progress.busy.pop(self._act, None)
            raise ApplicationError("this request closed before the act could be recorded")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        error: BaseException | None,
        _: TracebackType | None,
    ) -> bool:
        self._progress.busy.pop(self._act, None)
        if isinstance(error, ActivityError):
            cause = error.cause.message if isinstance(error.cause, ApplicationError) else error
            raise ApplicationError(
                f"{self._act.record} not accepted: {cause}", type="ActNotAccepted"
            ) from None
        return False
