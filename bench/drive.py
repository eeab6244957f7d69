"""Playing operator for the benchmark, through the same client calls the CLI uses."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from domain.deadlines import Step
from runtime import operator_acts as acts
from runtime.client import respond, submit

EMAIL = "bench.subject@example.jp"
DETAILS = {
    "inquiry": {"text": "Which data do you hold about me?"},
    "correction": {"changes": [{"field": "phone", "action": "correct", "new_value": "03-1"}],
                   "statement": "My phone number changed."},
    "suspension": {"action": "suspend_use", "grounds": ["used_beyond_purpose"]},
    "third_party_stop": {"partners": ["adnet-1"]},
    "disclosure": {},
}
DECISION = {"correction": "correction_made", "suspension": "use_suspended",
            "third_party_stop": "provision_stopped", "disclosure": "disclosed_in_full"}


async def seed_subjects(pool: asyncpg.Pool, tag: str, n: int) -> list[str]:
    """Registered subjects with a little data each (a match verifies only a stop request;
    the others are verified by the bench's operator, as they are in production)."""
    subjects = [f"bench-subject-{tag}-{i}" for i in range(n)]
    async with pool.acquire() as connection, connection.transaction():
        await connection.executemany("INSERT INTO subjects (subject_id) VALUES ($1)",
                                     [(s,) for s in subjects])
        await connection.executemany(
            """INSERT INTO personal_data (subject_id, category, field, value, purpose)
               VALUES ($1, $2, $3, $4, $5)""",
            [row for s in subjects for row in (
                (s, "contact", "email", EMAIL, "service_emails"),
                (s, "contact", "phone", "090-0000-0000", "important_notices"),
                (s, "transaction", "purchases", "12 orders", "ad_resale"))])
        await connection.executemany(
            """INSERT INTO third_party_provisions (subject_id, partner_id, relationship,
                   legal_basis) VALUES ($1, 'adnet-1', 'third_party', 'consent')""",
            [(s,) for s in subjects])
    return subjects


async def _at(pool: asyncpg.Pool, request_id: str, step: Step) -> None:
    """Wait for the step in the store's projection: a cheap read, unlike a workflow
    query, which costs the worker a task each time (an operator's screen would poll it)."""
    while await pool.fetchval("SELECT step FROM requests WHERE request_id = $1",
                              request_id) != step.value:
        await asyncio.sleep(0.1)


async def _act(act: Callable[[], Awaitable[object]]) -> None:
    # The projection shows a step a moment before the workflow opens it for updates.
    for _ in range(50):
        try:
            await act()
            return
        except acts.Refused as refusal:
            if "comes after" not in str(refusal) and "no invoice" not in str(refusal):
                raise
            await asyncio.sleep(0.05)
    raise RuntimeError("the workflow never reached the step the store showed")


async def drive_request(client: Client, pool: asyncpg.Pool, queue: str, kind: str,
                        request_id: str, subject_id: str) -> tuple[float, int, int]:
    """Submit and drive one request to its close; returns (seconds from submit to the
    receipt event in Postgres, activities run, history events)."""
    submitted = datetime.now(UTC)
    await submit({"request_id": request_id, "kind": kind, "subject_id": subject_id,
                  "requester": {"name": "Bench Subject", "email": EMAIL},
                  "details": DETAILS[kind]}, client=client, pool=pool, task_queue=queue)
    if kind == "inquiry":
        await respond(request_id, "We hold your contact data.", "bench-op", client=client,
                      pool=pool)
    else:
        if kind != "third_party_stop":
            await _at(pool, request_id, Step.VERIFY_IDENTITY)
            await _act(lambda: acts.verify_identity(request_id, "document_check", "bench-op",
                                                    client=client, pool=pool))
        await _at(pool, request_id, Step.DECIDE)
        await _act(lambda: acts.decide(request_id, DECISION[kind], "bench-op",
                                       client=client, pool=pool))
        if kind == "disclosure":  # the fee follows the decision to disclose
            await _at(pool, request_id, Step.PAYMENT)
            await _act(lambda: acts.record_payment(
                request_id, f"inv-{request_id}", 1000, "bench-pay", "bench-op",
                client=client, pool=pool))
    handle = client.get_workflow_handle(f"dsr-{request_id}")
    await handle.result()
    received = await pool.fetchval(
        "SELECT recorded_at FROM request_events WHERE request_id = $1 AND seq = 1", request_id)
    history = await handle.fetch_history()
    # Activities through the task queue, and local activities (recorded as markers).
    activities = sum(1 for e in history.events
                     if e.event_type in (EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED,
                                         EventType.EVENT_TYPE_MARKER_RECORDED))
    return (received - submitted).total_seconds(), activities, len(history.events)
