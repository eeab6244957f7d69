"""Workflows started by another client (a backend in another language, the Web UI's
"Start Workflow") with input that does not decode, or for a request never taken in, end
at once as failed with a clear, non-retryable error: never a workflow-task retry loop."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError

from domain.messages import RequestRef
from domain.requests import RequestKind, workflow_id_for
from tests.support.temporal import Rig


async def _failure(client: Client, workflow_id: str) -> ApplicationError:
    handle = client.get_workflow_handle(workflow_id)
    with pytest.raises(WorkflowFailureError) as failed:
        async with asyncio.timeout(15):
            await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    history = await handle.fetch_history()
    task_failures = [
        e for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    ]
    assert task_failures == []
    return cause


@pytest.mark.parametrize(
    "payload",
    [
        {"request_id": "x"},  # fields missing
        {"nonsense": True},  # not a request at all
        "just a string",  # not an object
    ],
)
async def test_input_that_does_not_decode_fails_the_workflow_at_once(
    rig: Rig, unique: str, payload: object
) -> None:
    workflow_id = f"dsr-foreign-{unique}"
    await rig.client.start_workflow(
        "DataSubjectRequest", payload, id=workflow_id, task_queue=rig.task_queue
    )
    cause = await _failure(rig.client, workflow_id)
    assert cause.non_retryable and cause.type == "InvalidWorkflowInput"
    assert "is not a request reference" in cause.message


async def test_a_request_never_taken_in_fails_the_workflow_at_once(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    ref = RequestRef(
        request_id=f"never-{unique}", subject_id=f"s-{unique}", kind=RequestKind.INQUIRY
    )
    workflow_id = workflow_id_for(f"never-{unique}")
    await rig.client.start_workflow(
        "DataSubjectRequest", ref, id=workflow_id, task_queue=rig.task_queue
    )
    cause = await _failure(rig.client, workflow_id)
    assert cause.non_retryable and cause.type == "UnknownRequest"
    assert f"never-{unique}" in cause.message and "dsr submit" in cause.message
    assert (
        await pool.fetchval("SELECT count(*) FROM requests WHERE request_id=$1", f"never-{unique}")
        == 0
    )
