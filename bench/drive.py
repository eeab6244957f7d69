"""Playing operator for the benchmark, through the same client calls the CLI uses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from domain.deadlines import Step
from domain.messages import StatusView
from runtime import operator_acts as acts
from runtime.client import respond, status, submit

EMAIL = "bench.subject@example.jp"
DETAILS = {
    "inquiry": {"text": "Which data do you hold about me?"},
    "correction": {"changes": [{"field": "phone", "action": "correct", "new_value": "03-1"}]},
    "suspension": {"action": "suspend_use", "grounds": ["used_beyond_purpose"]},
    "third_party_stop": {"partners": ["adnet-1"]},
    "disclosure": {},
}
DECISION = {"correction": "correction_made", "suspension": "use_suspended",
            "third_party_stop": "provision_stopped", "disclosure": "disclosed_in_full"}


async def seed_subjects(pool: asyncpg.Pool, tag: str, n: int) -> list[str]:
    """Registered subjects (so identity matches automatically) with a little data each."""
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


async def _at(client: Client, pool: asyncpg.Pool, request_id: str, step: Step) -> StatusView:
    while True:
        view = await status(request_id, client=client, pool=pool)
        if view.step is step:
            return view
        await asyncio.sleep(0.05)


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
        if kind == "disclosure":
            view = await _at(client, pool, request_id, Step.PAYMENT)
            await acts.record_payment(request_id, view.invoice_id or "", 1000, "bench-pay",
                                      "bench-op", client=client, pool=pool)
        await _at(client, pool, request_id, Step.DECIDE)
        await acts.decide(request_id, DECISION[kind], "bench-op", client=client, pool=pool)
    handle = client.get_workflow_handle(f"dsr-{request_id}")
    await handle.result()
    received = await pool.fetchval(
        "SELECT recorded_at FROM request_events WHERE request_id = $1 AND seq = 1", request_id)
    history = await handle.fetch_history()
    activities = sum(1 for e in history.events
                     if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
    return (received - submitted).total_seconds(), activities, len(history.events)
