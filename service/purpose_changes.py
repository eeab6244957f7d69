"""Article 4's change of a purpose, as an administrator proposes it through the API
(`POST /api/v1/purposes/changes`, `dsr purposes change`): the proposal is signed for the
account here, in the API's process alone (`signed_order`), and runs as the `PurposeChange`
workflow, which records the judgement, refuses an unrelated change and otherwise
publishes it and/or notifies every affected person. The call waits a while for the
result; a fan-out to many people takes longer, and then it says how far it got."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import asyncpg
from pydantic import ValidationError
from temporalio.client import (
    Client,
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from domain.purpose_change_messages import (
    PurposeChangeOrder,
    PurposeChangeResult,
    change_authority,
    workflow_id,
)
from domain.purposes import NoticeMethod, PurposeChangeProposal
from service.acts import Actor
from service.requests import Refused
from store.purposes import load_register
from workflows.purpose_change import PurposeChange

State = Literal["done", "refused", "running", "failed"]


class NotInRegister(Refused):
    """The purpose to change is not in the register; nothing was started."""

    field = "purpose_id"


@dataclass(frozen=True)
class ChangeOutcome:
    change_id: str
    workflow_id: str
    started: bool
    state: State
    result: dict[str, Any] | None = None
    progress: dict[str, Any] | None = None
    failure: str | None = None


def proposal_of(
    actor: Actor,
    *,
    change_id: str,
    purpose_id: str,
    new_text: str,
    new_text_ja: str,
    related: bool,
    reason: str,
    method: NoticeMethod,
) -> PurposeChangeProposal:
    """The proposal as `actor` decides it now (Refused naming the field that does not fit)."""
    try:
        return PurposeChangeProposal(
            change_id=change_id,
            purpose_id=purpose_id,
            new_text=new_text,
            new_text_ja=new_text_ja,
            related=related,
            reason=reason,
            decided_by=actor.account,
            method=method,
            proposed_at=datetime.now(UTC),
        )
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "input"
        raise Refused(f"{field}: {first['msg'].lower()}") from None


def signed_order(actor: Actor, proposal: PurposeChangeProposal) -> PurposeChangeOrder:
    """The workflow's input: the proposal with its authority, signed for `actor` with the
    API's act key. The one place a purpose change is signed."""
    return PurposeChangeOrder(
        proposal=proposal,
        authority=change_authority(
            actor.signer, actor.account, actor.roles, proposal, datetime.now(UTC)
        ),
    )


async def propose_change(
    proposal: PurposeChangeProposal,
    actor: Actor,
    *,
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    wait: float,
) -> ChangeOutcome:
    """Starts the change (or finds the one started under its id) and waits up to `wait`
    seconds for its result. Refused: the purpose is not in the register."""
    if (await load_register(pool)).current(proposal.purpose_id) is None:
        raise NotInRegister(
            f"{proposal.purpose_id} is not in the register "
            "(`dsr purposes list` shows the purposes); Article 4 changes a "
            "purpose, it does not add one"
        )
    try:
        handle: WorkflowHandle[Any, PurposeChangeResult] = await client.start_workflow(
            PurposeChange.run,
            signed_order(actor, proposal),
            id=workflow_id(proposal.change_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"change {proposal.change_id} of purpose {proposal.purpose_id} "
            f"({proposal.method.value})",
        )
        started = True
    except WorkflowAlreadyStartedError:
        handle = client.get_workflow_handle(
            workflow_id(proposal.change_id), result_type=PurposeChangeResult
        )
        started = False
    return await outcome(handle, proposal.change_id, started, wait)


async def outcome(
    handle: WorkflowHandle[Any, PurposeChangeResult], change_id: str, started: bool, wait: float
) -> ChangeOutcome:
    """Where the change stands after waiting up to `wait` seconds for its result."""
    base: dict[str, Any] = {"change_id": change_id, "workflow_id": handle.id, "started": started}
    try:
        try:
            result = await asyncio.wait_for(handle.result(), wait)
        except TimeoutError:
            progress = await _progress(handle)
            if progress is None or progress["phase"] not in ("done", "refused"):
                return ChangeOutcome(**base, state="running", progress=progress)
            result = await handle.result()  # it ended while it was asked
    except WorkflowFailureError as failure:
        cause: BaseException | None = failure.cause
        while (deeper := getattr(cause, "cause", None)) is not None:
            cause = deeper
        return ChangeOutcome(**base, state="failed", failure=str(cause))
    state: State = "refused" if result.status == "refused" else "done"
    return ChangeOutcome(**base, state=state, result=result.model_dump(mode="json"))


async def _progress(handle: WorkflowHandle[Any, PurposeChangeResult]) -> dict[str, Any] | None:
    """The change's progress query, or None while no worker has taken it."""
    try:
        # No workflow task completed yet (started, task scheduled): no worker has taken it,
        # so a query would only wait for one (and, on a test server, stay pending).
        described = await handle.describe()
        if described.raw_description.workflow_execution_info.history_length < 4:
            return None
        progress = await asyncio.wait_for(handle.query(PurposeChange.progress), 5)
    except (RPCError, WorkflowQueryFailedError, TimeoutError):
        return None
    return progress.model_dump(mode="json")
