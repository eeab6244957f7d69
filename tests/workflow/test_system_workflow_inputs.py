"""Every system workflow started by hand with junk (a raw start through the client, as the
Web UI's "Start Workflow" or `temporal workflow start --input` does) fails at once with a
non-retryable `InvalidWorkflowInput` naming the field at fault: a wrong type, an unknown
field, a missing one, not an object at all, or a field the workflow computes itself. No
workflow task is retried and no activity is scheduled (issue 22; workflows/system_input.py).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from domain.archive import ArchiveCounts
from domain.event_log import CheckpointOrder, CheckpointTaken
from domain.retention import RetentionCounts, RetentionRun
from runtime.schedules import SCHEDULES
from workflows.archive_closed_requests import ArchiveClosedRequests
from workflows.checkpoint_log import CheckpointLog
from workflows.purpose_change import PurposeChange
from workflows.shred_closed_requests import ShredClosedRequests

NO_INPUT = object()

JUNK: list[tuple[str, Any, str]] = [
    # (workflow type, input, what the refusal names)
    ("ShredClosedRequests", {"limit": "lots"}, "limit: input should be a valid integer"),
    ("ShredClosedRequests", {"retention": "1h"}, "retention: extra inputs are not permitted"),
    ("ShredClosedRequests", {"as_of": "2100-01-01T00:00:00Z"}, "as_of: the workflow computes"),
    ("ShredClosedRequests", {"shredded": 5}, "shredded: the workflow computes"),
    ("ShredClosedRequests", "just a string", "input: input should be an object"),
    ("ShredClosedRequests", {"limit": 0}, "limit: input should be greater than or equal to 1"),
    ("ArchiveClosedRequests", {"page": "x"}, "page: input should be a valid integer"),
    ("ArchiveClosedRequests", {"limit": 5000}, "limit: input should be less than or equal to"),
    ("ArchiveClosedRequests", {"nonsense": True}, "nonsense: extra inputs are not permitted"),
    ("ArchiveClosedRequests", [1, 2], "input: input should be an object"),
    ("CheckpointLog", {"reason": "close"}, "reason: input should be 'interval' or 'manual'"),
    ("CheckpointLog", {"even_if_unchanged": True}, "even_if_unchanged: a start may not"),
    ("CheckpointLog", {"reason": "manual"}, "reason: a start may not choose"),
    ("CheckpointLog", {"signer": "mine"}, "signer: extra inputs are not permitted"),
    ("PurposeChange", {}, "proposal: field required"),
    ("PurposeChange", {"proposal": {}}, "authority: field required"),
    ("PurposeChange", {"proposal": 3, "authority": {}}, "proposal: input should be an object"),
    ("PurposeChange", None, "input: input should be an object"),
    ("ShredClosedRequests", None, "input: input should be an object"),
    ("PurposeChange", NO_INPUT, "no input was given"),
]


@pytest.fixture
async def client(time_skipping_env: WorkflowEnvironment) -> Client:
    return time_skipping_env.client


@pytest.mark.parametrize(("workflow_type", "junk", "named"), JUNK)
async def test_junk_input_fails_the_system_workflow_at_once_naming_the_fault(
    client: Client, unique: str, workflow_type: str, junk: Any, named: str
) -> None:
    task_queue = f"system-input-{unique}"
    async with Worker(
        client,
        task_queue=task_queue,
        # No activity: none may be reached.
        workflows=[ShredClosedRequests, ArchiveClosedRequests, CheckpointLog, PurposeChange],
    ):
        workflow_id = f"junk-{workflow_type}-{unique}"
        if junk is NO_INPUT:
            handle = await client.start_workflow(
                workflow_type, id=workflow_id, task_queue=task_queue
            )
        else:
            handle = await client.start_workflow(
                workflow_type, junk, id=workflow_id, task_queue=task_queue
            )
        with pytest.raises(WorkflowFailureError) as failed:
            async with asyncio.timeout(15):
                await handle.result()
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError), cause
    assert cause.non_retryable and cause.type == "InvalidWorkflowInput"
    assert cause.message.startswith(f"{workflow_type}: the workflow input is refused (")
    assert named in cause.message
    kinds = {e.event_type for e in (await handle.fetch_history()).events}
    assert EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED not in kinds
    assert EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED not in kinds


# What each system workflow's activity was handed, by activity name.
_HANDED: dict[str, list[Any]] = {}


@activity.defn(name="shred_closed_requests")
async def _shred(run: RetentionRun) -> RetentionCounts:
    _HANDED.setdefault("shred_closed_requests", []).append(run)
    return RetentionCounts()


@activity.defn(name="archive_closed_requests")
async def _archive(batch: Any) -> ArchiveCounts:
    return ArchiveCounts()


@activity.defn(name="checkpoint_log")
async def _checkpoint(order: CheckpointOrder) -> CheckpointTaken:
    _HANDED.setdefault("checkpoint_log", []).append(order)
    return CheckpointTaken(signed=None, log_size=0)


@pytest.mark.parametrize(
    ("workflow_type", "argument"),
    [
        *[(d.workflow, d.argument) for d in SCHEDULES],
        # The retention schedule's argument as deployments before issue 22 stored it.
        ("ShredClosedRequests", {"limit": 200, "batches_per_run": 20, "as_of": None}),
        ("CheckpointLog", NO_INPUT),
    ],
)
async def test_what_the_schedules_start_them_with_is_taken(
    client: Client, unique: str, workflow_type: Any, argument: Any
) -> None:
    """The schedules' own arguments (and a start with none) run; the retention activity
    is handed the workflow's time, the checkpoint's the schedule's order."""
    task_queue = f"system-input-{unique}"
    _HANDED.clear()
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[ShredClosedRequests, ArchiveClosedRequests, CheckpointLog],
        activities=[_shred, _archive, _checkpoint],
    ):
        args = () if argument is NO_INPUT else (argument,)
        async with asyncio.timeout(15):
            await client.execute_workflow(
                workflow_type, *args, id=f"scheduled-{unique}", task_queue=task_queue
            )
    for run in _HANDED.get("shred_closed_requests", []):
        assert run.as_of is not None and run.shredded == 0
    for order in _HANDED.get("checkpoint_log", []):
        assert order == CheckpointOrder()
