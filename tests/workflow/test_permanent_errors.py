"""An error that retrying cannot cure (a ValueError, a value out of range) stops the step
at once and shows it: an event, the workflow failed in the Temporal UI, `failed` in the
operator's list; it never loops while the request's deadlines pass."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import pytest
from temporalio import activity
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.messages import Investigation, RequestStep
from domain.requests import workflow_id_for
from mail.maildrop import maildrop_name
from store.events import EventStore
from store.views import RequestFilter, RequestViews
from tests.support.scenarios import Scenario, event_types
from tests.support.temporal import faulty_rig


async def test_a_deterministic_error_fails_the_step_visibly_and_at_once(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str, tmp_path: Any
) -> None:
    client = time_skipping_env.client
    attempts = []

    @activity.defn(name="investigate")
    async def investigate_with_a_bug(step: RequestStep) -> Investigation:
        attempts.append(activity.info().attempt)
        raise ValueError("a bug: this fails the same way every time")

    async with faulty_rig(
        client, pool, tmp_path, unique, "dsr-bug", investigate=investigate_with_a_bug
    ) as rig:
        request = await (
            Scenario(rig, "bug")
            .correction({"field": "phone", "action": "correct", "new_value": "03-9"})
            .verified()
        )
        with pytest.raises(WorkflowFailureError) as failed:
            async with asyncio.timeout(30):
                await client.get_workflow_handle(workflow_id_for(request.id)).result()
    assert attempts == [1]  # never retried
    cause = failed.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == "StepFailed"
    assert "investigate" in cause.message and "ValueError" in cause.message
    assert "a bug" not in cause.message  # the error's own words may quote personal data
    assert "step.failed" in await event_types(pool, request.id)
    payload = await pool.fetchval(
        "SELECT payload FROM request_events WHERE request_id=$1 AND type='step.failed'", request.id
    )
    assert payload == {"step": "investigate", "error": "ValueError", "activity": "investigate"}
    listed = await RequestViews(pool).list(RequestFilter(status="failed", limit=100))
    assert [row["request_id"] for row in listed] == [request.id]
    assert (await EventStore(pool).verify(request.id)).intact


def test_a_notice_key_too_long_for_a_file_name_still_gets_its_own_file() -> None:
    """A request id at its longest, and a notice's key built from it, must not make the
    maildrop's file name too long for the file system (an error that never cures)."""
    longest = "r" * 128
    notice = f"{workflow_id_for(longest)}:notice:deadline_extended-verify_identity"
    keys = [f"{notice}-2026-12-24T17:00:00+09:00", f"{notice}-2026-12-25T17:00:00+09:00"]
    names = [maildrop_name(key) for key in keys]
    assert all(len(name.encode()) <= 255 and name.endswith(".json") for name in names)
    assert names[0] != names[1]
    assert maildrop_name("dsr-r1:notice:receipt") == "dsr-r1%3Anotice%3Areceipt.json"
