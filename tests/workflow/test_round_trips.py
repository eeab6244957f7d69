"""A request costs few round trips: bookkeeping rides with the effects, every activity and
timer says in the Web UI what it is for, and the record in the store is complete."""

from __future__ import annotations

import json

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.converter import DataConverter

from audit.histories import evidence_in
from domain.deadlines import Step
from domain.event_log import RequestMark
from domain.requests import workflow_id_for
from service import acts
from service.requests import respond
from tests.support.histories import ANSWERED_INQUIRY_EVENTS
from tests.support.privacy import PERSONAL
from tests.support.scenarios import (
    Scenario,
    at_step,
    event_types,
    outcome_of,
)
from tests.support.temporal import Rig, actor

# Before the patch `bookkeeping-rides-with-effects`, each of these was a round trip of its
# own (the frozen histories of 2026-11-25: 15 activities for an inquiry, 32 for a
# disclosure with its fee).
RETIRED = {"append_event", "queue_notice", "deliver_notice", "match_registration"}


def _scheduled(history: WorkflowHistory) -> list[tuple[str, str]]:
    """(activity type, summary) of every activity the workflow scheduled."""
    converter = DataConverter.default.payload_converter
    found = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            summary = event.user_metadata.summary
            found.append(
                (
                    event.activity_task_scheduled_event_attributes.activity_type.name,
                    converter.from_payload(summary, str) if summary.data else "",
                )
            )
    return found


def _timer_summaries(history: WorkflowHistory) -> list[str]:
    converter = DataConverter.default.payload_converter
    return [
        converter.from_payload(e.user_metadata.summary, str)
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_TIMER_STARTED
    ]


async def test_an_inquiry_runs_in_seven_activities_each_named_in_the_web_ui(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    request = await Scenario(rig, "rt-inq").inquiry().unseeded().at(Step.ANSWER)
    await respond(request.id, PERSONAL["answer"], actor("op-1"), client=rig.client, pool=pool)
    assert await outcome_of(rig.client, request.id) == "answered"

    history = await rig.client.get_workflow_handle(workflow_id_for(request.id)).fetch_history()
    scheduled = _scheduled(history)
    assert [name for name, _ in scheduled] == [
        "check_start",  # the input against the request on record, before any effect
        "send_notice",  # the receipt, carrying `received` and the step's start
        "record_bookkeeping",  # before waiting for the answer: the store shows the step
        "check_act",  # the answer's signature, age and account, checked at the worker
        "attach_answer",
        "send_notice",  # the answer, carrying the step's meeting
        "close_with_checkpoint",  # the close, and a signed checkpoint of the event log
    ]
    assert all(summary for _, summary in scheduled), scheduled
    assert scheduled[0][1] == "check the input against the request on record"
    assert scheduled[1][1] == "send the receipt notice"
    assert scheduled[2][1] == "record deadline.met (acknowledge), deadline.started (answer)"
    assert "answer: reminder" in _timer_summaries(history)
    # The close's checkpoint stays in the history, outside the store, beside the witness's.
    evidence = evidence_in("inquiry", json.loads(history.to_json()))
    [(_, signed)] = evidence.checkpoints
    assert signed.checkpoint.closed_request == RequestMark(
        request_id=request.id,
        seq=13,
        hash=await pool.fetchval(
            "SELECT hash FROM request_events WHERE request_id = $1 AND seq = 13", request.id
        ),
    )
    assert signed.checkpoint.log_size >= 13 and signed.checkpoint.reason == "close"
    assert [e.type.value for _, e in evidence.events][-1] == "request.closed"
    # The record in the store is what it always was, in order.
    assert await event_types(pool, request.id) == ANSWERED_INQUIRY_EVENTS


async def test_a_disclosure_with_its_fee_runs_in_a_third_of_the_round_trips(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    request = await Scenario(rig, "rt-dis").disclosure().verified().at(Step.DECIDE)
    await acts.decide(
        request.id,
        "disclosed_in_full",
        actor("op-1"),
        client=rig.client,
        pool=pool,
    )
    view = await at_step(rig.client, pool, request.id, Step.PAYMENT)
    assert view.invoice_id is not None
    await acts.record_payment(
        request.id,
        view.invoice_id,
        1000,
        "bank-ref-1",
        actor("cashier-1"),
        client=rig.client,
        pool=pool,
    )
    assert await outcome_of(rig.client, request.id) == "disclosed_in_full"

    history = await rig.client.get_workflow_handle(workflow_id_for(request.id)).fetch_history()
    names = [name for name, _ in _scheduled(history)]
    assert not RETIRED & set(names), names
    # 32 before; 13 before the look-up of the data map's systems (workflows/system_parts.py),
    # one check at the worker for each of the three acts (issue 21), and the input's check
    # against the record at the start (issue 22)
    assert len(names) <= 18, names
    assert names[0] == "check_start", names
    assert names.count("check_act") == 3, names
    types = await event_types(pool, request.id)
    assert types[0] == "request.received" and types[-1] == "request.closed"
    # Every step's deadline is on record, started and met, once each.
    for step in (
        "acknowledge",
        "verify_identity",
        "investigate",
        "decide",
        "payment",
        "act",
        "notify",
    ):
        rows = await pool.fetch(
            """SELECT type FROM request_events WHERE request_id = $1
                  AND type IN ('deadline.started', 'deadline.met') AND payload->>'step' = $2
                ORDER BY seq""",
            request.id,
            step,
        )
        assert [r["type"] for r in rows] == ["deadline.started", "deadline.met"], step
