"""The retention activity's own bounds (activities/retention.py, review N1): it acts at a
time no later than the database's clock whatever time it is handed, a run shreds at most
DSR_SHRED_AT_MOST requests and leaves the rest to the next, and more than
DSR_SHRED_ALERT_ABOVE due at once is an error in the log and a count in the metrics."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import ActivityEnvironment

from activities.retention import ALERTS, PersonalDataRetention
from domain.events import EventType
from domain.retention import RetentionLimits, RetentionRun
from runtime.metrics import prometheus_runtime
from runtime.servers import free_port
from store.events import EventStore
from store.intake import IntakeStore
from tests.support.builders import POLICY, T0, event, parsed
from tests.support.metrics import sample, scrape

# Before any other test's closures (the earliest is 2018's, test_retention_workflow.py),
# which share the session's database: only this module's requests close before the cutoff.
CLOSED_AT = datetime(2016, 4, 1, 9, 0, tzinfo=UTC)
AS_OF = CLOSED_AT + timedelta(days=3)
KEEP_FOR = timedelta(days=1)
# So long that with the database's clock the cutoff falls before every closure in the suite.
AGES = datetime(2000, 1, 1, tzinfo=UTC)


async def _closed(pool: asyncpg.Pool, request_id: str, subject_id: str, at: datetime) -> None:
    await IntakeStore(pool).record_submission(parsed("inquiry", request_id, subject_id), POLICY)
    events = EventStore(pool)
    minutes = int((at - T0).total_seconds() // 60)
    await events.append(event(request_id, EventType.RECEIVED, minutes=minutes - 5))
    await events.append(event(request_id, EventType.CLOSED, minutes=minutes, outcome="answered"))


async def _shredded(pool: asyncpg.Pool, ids: list[str]) -> set[str]:
    rows = await pool.fetch(
        "SELECT request_id FROM requests WHERE request_id = ANY($1::text[])"
        " AND personal_data_shredded_at IS NOT NULL",
        ids,
    )
    return {r["request_id"] for r in rows}


async def test_a_time_ahead_of_the_database_clock_shreds_nothing_early(
    pool: asyncpg.Pool, keyring_dir: Path, unique: str
) -> None:
    """N1: the activity handed the review's time (2100) acts at the database's now: a
    request closed a minute ago is kept, and no event is dated ahead of the clock."""
    now: datetime = await pool.fetchval("SELECT now()")
    recent = f"recent-{unique}"
    await _closed(pool, recent, f"subj-{unique}", now - timedelta(minutes=1))
    retention = PersonalDataRetention(pool, EventStore(pool), now - AGES)

    counts = await retention.shred_closed_requests(
        RetentionRun(as_of=datetime(2100, 1, 1, tzinfo=UTC))
    )

    assert counts.requests == 0  # with 2100 - (now - 2000) = 2073 as cutoff, it would be 1
    assert await _shredded(pool, [recent]) == set()
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM request_events WHERE occurred_at > now()"
            " AND type = 'request.personal_data_shredded'"
        )
        == 0
    )


async def test_a_run_shreds_at_most_its_cap_and_leaves_the_rest_to_the_next(
    pool: asyncpg.Pool, keyring_dir: Path, unique: str
) -> None:
    ids = [f"cap{n}-{unique}" for n in range(3)]
    for n, request_id in enumerate(ids):
        await _closed(pool, request_id, f"subj{n}-{unique}", CLOSED_AT + timedelta(minutes=n))
    retention = PersonalDataRetention(
        pool, EventStore(pool), KEEP_FOR, RetentionLimits(at_most=2, alert_above=100)
    )

    first = await retention.shred_closed_requests(RetentionRun(as_of=AS_OF, limit=10))
    assert (first.requests, first.more, first.capped) == (2, True, True)
    assert await _shredded(pool, ids) == set(ids[:2])
    # The same run, continued: its cap is spent.
    spent = await retention.shred_closed_requests(RetentionRun(as_of=AS_OF, shredded=2))
    assert (spent.requests, spent.capped) == (0, True)
    assert await _shredded(pool, ids) == set(ids[:2])
    # The next run takes the rest.
    following = await retention.shred_closed_requests(RetentionRun(as_of=AS_OF))
    assert (following.requests, following.more, following.capped) == (1, False, False)
    assert await _shredded(pool, ids) == set(ids)


async def test_more_due_at_once_than_the_threshold_is_an_error_and_a_count(
    pool: asyncpg.Pool,
    keyring_dir: Path,
    unique: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO)
    ids = [f"alert{n}-{unique}" for n in range(3)]
    at = CLOSED_AT - timedelta(days=30)  # before the other test's, so only these are due
    for n, request_id in enumerate(ids):
        await _closed(pool, request_id, f"subj{n}-{unique}", at + timedelta(minutes=n))
    address = f"127.0.0.1:{free_port()}"
    runtime = prometheus_runtime(address)  # serves while it is held
    env = ActivityEnvironment()
    env.metric_meter = runtime.metric_meter
    retention = PersonalDataRetention(
        pool, EventStore(pool), KEEP_FOR, RetentionLimits(at_most=100, alert_above=2)
    )

    counts = await env.run(
        retention.shred_closed_requests, RetentionRun(as_of=at + timedelta(days=3))
    )

    assert counts.requests == 3  # an alert, not a refusal: the cap bounds the run
    assert sample(scrape(address), ALERTS) == 1
    output = capfd.readouterr()
    logged = caplog.text + output.out + output.err
    assert "DSR_SHRED_ALERT_ABOVE" in logged and "error" in logged.lower()
