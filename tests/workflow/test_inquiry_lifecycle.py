"""The Article 10 inquiry, end to end on the time-skipping server with the real store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.deadlines import DeadlinePolicy, Step
from domain.messages import RequestOutcome, RespondToInquiry, StatusView
from domain.requests import workflow_id_for
from starter import Refused, respond, status, submit
from store.events import EventStore
from tests.support.builders import submission
from tests.support.histories import ANSWERED_INQUIRY_EVENTS, keep_history, recorded_histories
from tests.support.privacy import PERSONAL, leaks, readable_history
from tests.support.sealing import opened
from tests.support.temporal import Rig, actor
from workflows import search_attributes
from workflows.archive_closed_requests import ArchiveClosedRequests
from workflows.checkpoint_log import CheckpointLog
from workflows.data_subject_request import DataSubjectRequest
from workflows.purpose_change import PurposeChange
from workflows.shred_closed_requests import ShredClosedRequests


async def _event_types(pool: asyncpg.Pool, request_id: str) -> list[str]:
    return [event.type.value for event in await EventStore(pool).events(request_id)]


async def test_answered_inquiry_closes_with_notices_and_an_intact_chain(
    rig: Rig, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> None:
    request_id = f"inq-{unique}"
    result = await submit(
        submission("inquiry", request_id, f"subj-{unique}", person=PERSONAL),
        client=rig.client,
        pool=pool,
        task_queue=rig.task_queue,
    )
    assert result.created and result.workflow_started
    assert result.workflow_id == workflow_id_for(request_id)

    view = await respond(
        request_id, PERSONAL["answer"], actor("op-7"), client=rig.client, pool=pool
    )
    assert view.request_id == request_id
    outcome = await _handle(rig.client, result.workflow_id).result()
    assert outcome.status == "closed" and outcome.outcome == "answered"

    assert await _event_types(pool, request_id) == ANSWERED_INQUIRY_EVENTS
    assert (await EventStore(pool).verify(request_id)).intact
    row = await pool.fetchrow(
        "SELECT status, outcome, overdue FROM requests WHERE request_id=$1", request_id
    )
    assert dict(row) == {"status": "closed", "outcome": "answered", "overdue": False}
    deadlines = await pool.fetch(
        "SELECT step, status FROM deadlines WHERE request_id = $1 ORDER BY started_at", request_id
    )
    assert [(d["step"], d["status"]) for d in deadlines] == [
        ("acknowledge", "met"),
        ("answer", "met"),
        ("notify", "met"),
    ]
    notices = await pool.fetch(
        "SELECT notice, status, body FROM notifications WHERE request_id = $1 ORDER BY 1 DESC",
        request_id,
    )
    assert [(n["notice"], n["status"]) for n in notices] == [
        ("receipt", "delivered"),
        ("answer", "delivered"),
    ]
    assert PERSONAL["answer"] in await opened(pool, notices[1]["body"])
    delivered = sorted(p.name for p in (tmp_path / "maildrop").iterdir())
    assert delivered == [
        f"{workflow_id_for(request_id)}%3Anotice%3Aanswer.json",
        f"{workflow_id_for(request_id)}%3Anotice%3Areceipt.json",
    ]

    history = await _handle(rig.client, result.workflow_id).fetch_history()
    assert leaks(readable_history(history.to_json())) == []
    await Replayer(
        workflows=[DataSubjectRequest], data_converter=rig.client.data_converter
    ).replay_workflow(history)
    keep_history("inquiry_answered", history.to_json())


async def test_unanswered_inquiry_is_reminded_then_breached_and_closes_late(
    rig: Rig,
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    unique: str,
) -> None:
    request_id = f"late-{unique}"
    await submit(
        submission("inquiry", request_id, f"subj-{unique}", person=PERSONAL),
        client=rig.client,
        pool=pool,
        task_queue=rig.task_queue,
    )
    answer_window = DeadlinePolicy().durations[Step.ANSWER]

    await time_skipping_env.sleep(answer_window * 0.9)
    types = await _event_types(pool, request_id)
    assert "deadline.reminded" in types and "deadline.breached" not in types
    before_due: StatusView = await status(request_id, client=rig.client, pool=pool)
    assert before_due.step is Step.ANSWER and not before_due.overdue

    await time_skipping_env.sleep(answer_window * 0.2)
    overdue = await status(request_id, client=rig.client, pool=pool)
    assert overdue.overdue and overdue.step is Step.ANSWER
    assert await pool.fetchval("SELECT overdue FROM requests WHERE request_id=$1", request_id)
    described = await _handle(rig.client, workflow_id_for(request_id)).describe()
    assert described.typed_search_attributes.get(search_attributes.OVERDUE) is True

    await respond(request_id, PERSONAL["answer"], actor("op-7"), client=rig.client, pool=pool)
    outcome = await _handle(rig.client, workflow_id_for(request_id)).result()
    assert outcome.outcome == "answered"
    deadline = await pool.fetchrow(
        "SELECT status, breached_at, completed_at, reminded_at FROM deadlines"
        " WHERE request_id = $1 AND step = 'answer'",
        request_id,
    )
    assert deadline["status"] == "completed_late"
    assert deadline["reminded_at"] < deadline["breached_at"] < deadline["completed_at"]
    assert (await EventStore(pool).verify(request_id)).intact
    history = await _handle(rig.client, workflow_id_for(request_id)).fetch_history()
    assert leaks(readable_history(history.to_json())) == []
    keep_history("inquiry_breached", history.to_json())


async def test_duplicate_submission_gives_one_row_and_one_workflow(
    rig: Rig,
    pool: asyncpg.Pool,
    unique: str,
) -> None:
    request = submission("inquiry", f"dup-{unique}", f"subj-{unique}", person=PERSONAL)
    first = await submit(request, client=rig.client, pool=pool, task_queue=rig.task_queue)
    second = await submit(request, client=rig.client, pool=pool, task_queue=rig.task_queue)
    assert first.created and first.workflow_started
    assert not second.created and not second.workflow_started
    assert second.workflow_id == first.workflow_id
    assert (
        await pool.fetchval("SELECT count(*) FROM requests WHERE request_id = $1", f"dup-{unique}")
        == 1
    )
    different = {**request, "details": {"text": "another question"}}
    with pytest.raises(Refused, match="already used by a different submission"):
        await submit(different, client=rig.client, pool=pool, task_queue=rig.task_queue)
    await respond(f"dup-{unique}", PERSONAL["answer"], actor("op-1"), client=rig.client, pool=pool)
    await _handle(rig.client, first.workflow_id).result()


async def test_invalid_and_out_of_order_answers_are_refused_and_change_nothing(
    rig: Rig,
    pool: asyncpg.Pool,
    unique: str,
) -> None:
    request_id = f"bad-{unique}"
    await submit(
        submission("inquiry", request_id, f"subj-{unique}", person=PERSONAL),
        client=rig.client,
        pool=pool,
        task_queue=rig.task_queue,
    )
    with pytest.raises(Refused, match="no request with id"):
        await respond(f"missing-{unique}", "text", actor("op-1"), client=rig.client, pool=pool)
    with pytest.raises(Refused, match="operator"):
        await respond(request_id, "text", actor("Jane Operator"), client=rig.client, pool=pool)
    with pytest.raises(Refused, match="answer text"):
        await respond(request_id, "   ", actor("op-1"), client=rig.client, pool=pool)

    # An answer id the store does not hold for this request: the update fails, no event.
    handle = _handle(rig.client, workflow_id_for(request_id))
    forged = RespondToInquiry(answer_id="00000000-0000-4000-8000-000000000000", operator="op-1")
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.execute_update("respond", forged, result_type=StatusView)
    assert "answer.recorded" not in await _event_types(pool, request_id)

    await respond(request_id, PERSONAL["answer"], actor("op-1"), client=rig.client, pool=pool)
    with pytest.raises(Refused):
        await respond(request_id, "a second answer", actor("op-2"), client=rig.client, pool=pool)
    await handle.result()
    answers = await pool.fetch("SELECT body FROM answers WHERE request_id = $1", request_id)
    assert [await opened(pool, a["body"]) for a in answers] == [PERSONAL["answer"]]
    with pytest.raises(Refused):
        await respond(request_id, "after closing", actor("op-2"), client=rig.client, pool=pool)
    assert (
        await pool.fetchval("SELECT count(*) FROM answers WHERE request_id = $1", request_id) == 1
    )


async def test_recorded_histories_replay_against_the_current_code() -> None:
    from temporalio.client import WorkflowHistory
    from temporalio.contrib.pydantic import pydantic_data_converter

    files = recorded_histories()
    assert files, "no recorded histories under tests/histories"
    # Since issue 22 the system workflows' histories are recorded too (their patched guards).
    replayer = Replayer(
        workflows=[
            DataSubjectRequest,
            ShredClosedRequests,
            PurposeChange,
            ArchiveClosedRequests,
            CheckpointLog,
        ],
        data_converter=pydantic_data_converter,
    )
    for path in files:
        history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
        await replayer.replay_workflow(history)


def _handle(client: Client, workflow_id: str) -> WorkflowHandle[Any, RequestOutcome]:
    return client.get_workflow_handle_for(DataSubjectRequest.run, workflow_id)
