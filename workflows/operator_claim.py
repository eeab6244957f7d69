"""An operator's act in progress inside the workflow: claimed, waited for, released."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.deadlines import Step

if TYPE_CHECKING:
    from workflows.data_subject_request import DataSubjectRequest


class OperatorClaim:
    """An operator act in progress: claimed before the first await so a second update is
    refused by the validator, released if the act fails so the state is as before. An act
    sent early waits for its step, so the record reads in order."""

    def __init__(self, request: DataSubjectRequest, act: str, step: Step) -> None:
        self._request, self._act, self._step = request, act, step

    async def __aenter__(self) -> None:
        self._request._busy[self._act] = self._step
        await workflow.wait_condition(
            lambda: self._request._deadline.step is self._step
            or self._request._outcome is not None)
        if self._request._outcome is not None:
            self._request._busy.pop(self._act, None)
            raise ApplicationError("this request closed before the act could be recorded")

    async def __aexit__(self, kind: type | None, error: BaseException | None, _: Any) -> bool:
        self._request._busy.pop(self._act, None)
        if isinstance(error, ActivityError):
            cause = error.cause.message if isinstance(error.cause, ApplicationError) else error
            raise ApplicationError(f"{self._act} not accepted: {cause}",
                                   type="ActNotAccepted") from None
        return False

