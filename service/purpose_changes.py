"""Starting a purpose change (Article 4) as the API does it: the proposal is signed for
the administrator with the API's signing key, and the `PurposeChange` workflow started
with it. The `dsr purposes change` command and the API route that serves it call this; no
client signs."""

from __future__ import annotations

from datetime import UTC, datetime

from temporalio.client import Client, WorkflowHandle
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from domain.purpose_change_messages import (
    PurposeChangeOrder,
    PurposeChangeResult,
    change_authority,
    workflow_id,
)
from domain.purposes import PurposeChangeProposal
from service.acts import Actor
from workflows.purpose_change import PurposeChange


async def start_purpose_change(
    client: Client, task_queue: str, admin: Actor, proposal: PurposeChangeProposal
) -> tuple[WorkflowHandle, bool]:
    """Start the change signed for `admin` (who must hold admin: the worker checks it, and
    the account in the store); returns its handle and whether it was started now (False:
    a change with this id was started earlier, and the handle is that one's)."""
    order = PurposeChangeOrder(
        proposal=proposal,
        authority=change_authority(
            admin.signer, admin.account, admin.roles, proposal, datetime.now(UTC)
        ),
    )
    try:
        handle = await client.start_workflow(
            PurposeChange.run,
            order,
            id=workflow_id(proposal.change_id),
            task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"change {proposal.change_id} of purpose {proposal.purpose_id} "
            f"({proposal.method.value})",
        )
        return handle, True
    except WorkflowAlreadyStartedError:
        return client.get_workflow_handle(
            workflow_id(proposal.change_id), result_type=PurposeChangeResult
        ), False
