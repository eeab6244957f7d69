"""The worker's check that an operator's act was authorised, in two parts.

Before any validator of the workflow runs, an update that is an act must carry an
`ActAuthority` for this request, this act, these arguments and this update id, claiming
the act's role (`shape_problem`, domain/authority.py): an update without one was never
sent by the API, and is refused unrecorded, as any malformed update is. Validators do not
run when a history is replayed, so this never changes what a replay does.

Then the update's handler, before it claims anything, has an activity verify what needs
keys or the store (`ActVerification`, activities/act_verification.py): the signature
against the public keys the worker lists, the act's age against the window measured with
`workflow.now()`, and the account as the store knows it at the time of the act. A refusal
is recorded as an `act.refused` event on the request's chain and fails the update; the
request's state is as before. Histories recorded before this check replay without it
(the patch `ACTS_CHECKED_AT_THE_WORKER`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from temporalio import workflow
from temporalio.exceptions import ApplicationError
from temporalio.worker import (
    HandleUpdateInput,
    Interceptor,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
)

with workflow.unsafe.imports_passed_through():
    from activities.act_verification import ActVerification
    from domain.act_verdicts import CheckAct
    from domain.authority import ACT_ROLES, Act, ActAuthority, shape_problem
    from domain.events import EventType
    from workflows.request_effects import ACTIVITY_RETRY, ACTIVITY_TIMEOUT, RequestEffects

REQUEST_WORKFLOW_PREFIX = "dsr-"

ACTS_CHECKED_AT_THE_WORKER = "acts-checked-at-the-worker"
"""The patch under which an act's handler checks its signature, age and account in an
activity and records a refusal; acts taken before it replay as they ran."""


def _as_json(argument: Any) -> dict[str, Any]:
    if isinstance(argument, BaseModel):
        return argument.model_dump(mode="json")
    return argument if isinstance(argument, dict) else {}


class ActAuthorityInterceptor(Interceptor):
    """Refuses, in the validator, an act's update that does not carry an authority for
    itself. It holds no key: the signature is checked by `verify_act`."""

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        class ActsAreAuthorised(WorkflowInboundInterceptor):
            def handle_update_validator(self, input: HandleUpdateInput) -> None:
                if input.update in ACT_ROLES:
                    request_id = workflow.info().workflow_id.removeprefix(REQUEST_WORKFLOW_PREFIX)
                    argument = _as_json(input.args[0]) if input.args else {}
                    problem = shape_problem(input.update, request_id, argument, input.id)
                    if problem is not None:
                        raise ValueError(problem)
                super().handle_update_validator(input)

        return ActsAreAuthorised


async def verify_act(effects: RequestEffects, request_id: str, act: Act, argument: Any) -> None:
    """Check the act's signature, age and account at the worker; on a problem record an
    `act.refused` event and fail the update (ApplicationError `ActRefused`)."""
    if not workflow.patched(ACTS_CHECKED_AT_THE_WORKER):
        return
    authority: ActAuthority | None = getattr(argument, "authority", None)
    if authority is None:
        problem: str | None = f"{act.value} needs a signed authority"
    else:
        verdict = await workflow.execute_activity_method(
            ActVerification.check_act,
            CheckAct(
                request_id=request_id, act=act.value, authority=authority, acted_at=workflow.now()
            ),
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            retry_policy=ACTIVITY_RETRY,
            summary=f"check the {act.value} act's signature and account",
        )
        problem = verdict.problem
    if problem is None:
        return
    act_id = authority.act_id[:64] if authority else ""
    await effects.operator_act(
        EventType.ACT_REFUSED,
        f"act-refused:{act.value}:{act_id}",
        {
            "account": authority.account[:64] if authority else None,
            "act": act.value,
            "act_id": act_id,
            "key_id": authority.key_id[:32] if authority else None,
            "reason": problem,
        },
        "system",
    )
    raise ApplicationError(f"{act.record} not accepted: {problem}", type="ActRefused")
