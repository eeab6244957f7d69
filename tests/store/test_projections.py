"""The `requests` and `deadlines` projections, kept in step with each appended event."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from domain.events import EventType
from store.events import EventStore
from tests.support.builders import POLICY, T0, event, new_request

DUE = T0 + timedelta(days=14)


async def _request(pool: asyncpg.Pool, request_id: str) -> asyncpg.Record:
    return await pool.fetchrow(
        """SELECT status, step, overdue, outcome, closed_at, last_seq, last_hash, updated_at
             FROM requests WHERE request_id = $1""",
        request_id,
    )


async def _deadline(pool: asyncpg.Pool, request_id: str, step: str) -> asyncpg.Record:
    return await pool.fetchrow(
        """SELECT policy_version, started_at, due_at, reminded_at, met_at, breached_at,
                  completed_at, extensions, status
             FROM deadlines WHERE request_id = $1 AND step = $2""",
        request_id,
        step,
    )


async def test_a_late_answer_projects_status_step_overdue_and_deadline(
    pool: asyncpg.Pool, unique: str
) -> None:
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    assert (await _request(pool, request_id))["status"] == "submitted"

    await store.append(event(request_id, EventType.RECEIVED, minutes=0))
    row = await _request(pool, request_id)
    assert (row["status"], row["step"], row["overdue"], row["last_seq"]) == (
        "received",
        "acknowledge",
        False,
        1,
    )

    await store.append(
        event(
            request_id,
            EventType.DEADLINE_STARTED,
            minutes=1,
            step="answer",
            due_at=DUE.isoformat(),
            policy_version=POLICY,
        )
    )
    row = await _request(pool, request_id)
    assert (row["status"], row["step"], row["overdue"]) == ("in_progress", "answer", False)
    deadline = await _deadline(pool, request_id, "answer")
    assert deadline["status"] == "open"
    assert deadline["policy_version"] == POLICY
    assert deadline["started_at"] == T0 + timedelta(minutes=1)
    assert deadline["due_at"] == DUE
    assert deadline["breached_at"] is None and deadline["completed_at"] is None

    await store.append(
        event(
            request_id,
            EventType.DEADLINE_BREACHED,
            minutes=14 * 24 * 60 + 1,
            step="answer",
        )
    )
    breached_at = DUE + timedelta(minutes=1)
    row = await _request(pool, request_id)
    assert (row["status"], row["step"], row["overdue"]) == ("in_progress", "answer", True)
    deadline = await _deadline(pool, request_id, "answer")
    assert (deadline["status"], deadline["breached_at"]) == ("breached", breached_at)

    late = T0 + timedelta(days=15)
    await store.append(
        event(
            request_id,
            EventType.DEADLINE_COMPLETED_LATE,
            minutes=15 * 24 * 60,
            step="answer",
        )
    )
    row = await _request(pool, request_id)
    assert row["overdue"] is False
    deadline = await _deadline(pool, request_id, "answer")
    assert deadline["status"] == "completed_late"
    assert deadline["completed_at"] == late
    assert deadline["breached_at"] == breached_at
    assert deadline["met_at"] is None

    closed = await store.append(
        event(
            request_id,
            EventType.CLOSED,
            minutes=15 * 24 * 60 + 5,
            outcome="answered",
        )
    )
    row = await _request(pool, request_id)
    assert row["status"] == "closed"
    assert row["step"] is None
    assert row["overdue"] is False
    assert row["outcome"] == "answered"
    assert row["closed_at"] == late + timedelta(minutes=5)
    assert row["updated_at"] == late + timedelta(minutes=5)
    assert (row["last_seq"], row["last_hash"]) == (5, closed.hash)
    assert (await store.verify(request_id)).intact


async def test_a_breach_still_open_at_close_is_no_longer_overdue(
    pool: asyncpg.Pool, unique: str
) -> None:
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    await store.append(event(request_id, EventType.RECEIVED))
    await store.append(
        event(
            request_id,
            EventType.DEADLINE_STARTED,
            minutes=1,
            step="answer",
            due_at=DUE.isoformat(),
            policy_version=POLICY,
        )
    )
    await store.append(event(request_id, EventType.DEADLINE_BREACHED, minutes=20160, step="answer"))
    assert (await _request(pool, request_id))["overdue"] is True
    await store.append(event(request_id, EventType.CLOSED, minutes=20200, outcome="answered"))
    row = await _request(pool, request_id)
    assert (row["status"], row["overdue"]) == ("closed", False)
    assert (await _deadline(pool, request_id, "answer"))["status"] == "breached"


async def test_reminded_met_and_extended_deadlines(pool: asyncpg.Pool, unique: str) -> None:
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    await store.append(event(request_id, EventType.RECEIVED))
    for step in ("acknowledge", "answer"):
        await store.append(
            event(
                request_id,
                EventType.DEADLINE_STARTED,
                minutes=1,
                step=step,
                due_at=DUE.isoformat(),
                policy_version=POLICY,
            )
        )
    await store.append(event(request_id, EventType.DEADLINE_MET, minutes=2, step="acknowledge"))
    await store.append(event(request_id, EventType.DEADLINE_REMINDED, minutes=3, step="answer"))
    await store.append(event(request_id, EventType.DEADLINE_BREACHED, minutes=4, step="answer"))
    assert (await _request(pool, request_id))["overdue"] is True

    extended_due = DUE + timedelta(days=30)
    await store.append(
        event(
            request_id,
            EventType.DEADLINE_EXTENDED,
            minutes=5,
            step="answer",
            due_at=extended_due.isoformat(),
        )
    )

    met = await _deadline(pool, request_id, "acknowledge")
    assert (met["status"], met["met_at"]) == ("met", T0 + timedelta(minutes=2))
    answer = await _deadline(pool, request_id, "answer")
    assert answer["status"] == "open"
    assert answer["reminded_at"] == T0 + timedelta(minutes=3)
    # The breach stays on record; the extension reopens the step with a new due time.
    assert answer["breached_at"] is not None
    assert answer["due_at"] == extended_due
    assert answer["extensions"] == 1
    assert (await _request(pool, request_id))["overdue"] is False


async def test_an_event_the_projection_cannot_take_is_not_appended(
    pool: asyncpg.Pool, unique: str
) -> None:
    """Event and projection share one transaction: if one fails, neither is written."""
    store = EventStore(pool)
    request_id = await new_request(pool, unique)
    await store.append(event(request_id, EventType.RECEIVED))
    before = await _request(pool, request_id)
    with pytest.raises(KeyError):
        await store.append(
            event(
                request_id,
                EventType.DEADLINE_STARTED,
                step="answer",
                due_at=DUE.isoformat(),
            )
        )
    assert await _request(pool, request_id) == before
    assert [e.seq for e in await store.events(request_id)] == [1]
    assert await _deadline(pool, request_id, "answer") is None
    assert (await store.verify(request_id)).intact
