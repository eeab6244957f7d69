"""The worker's check that an operator's act was authorised: before any validator of the
workflow runs, an update that is an act must carry an `ActAuthority` signed with the act
key, for this request, this act and these arguments, by an account holding the act's role
(domain/authority.py). Whoever sends an update straight to Temporal, bypassing the API and
`dsr`, has no key and cannot act.

An interceptor rather than a line in each validator: the key is the worker's, given at
start-up, and must not enter workflow state or history. Validators do not run when a
history is replayed, so the check never changes what a replay does.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

from domain.authority import ACT_ROLES, authority_problem

REQUEST_WORKFLOW_PREFIX = "dsr-"


def _as_json(argument: Any) -> dict[str, Any]:
    if isinstance(argument, BaseModel):
        return argument.model_dump(mode="json")
    return argument if isinstance(argument, dict) else {}


class ActAuthorityInterceptor(Interceptor):
    def __init__(self, act_key: bytes) -> None:
        self._act_key = act_key

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        act_key = self._act_key

        class ActsAreAuthorised(WorkflowInboundInterceptor):
            def handle_update_validator(self, input: HandleUpdateInput) -> None:
                if input.update in ACT_ROLES:
                    request_id = workflow.info().workflow_id.removeprefix(REQUEST_WORKFLOW_PREFIX)
                    argument = _as_json(input.args[0]) if input.args else {}
                    problem = authority_problem(act_key, input.update, request_id, argument)
                    if problem is not None:
                        raise ValueError(problem)
                super().handle_update_validator(input)

        return ActsAreAuthorised
