"""A store of a million events, and the reads operators and auditors make on it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import asyncpg

from store.views import RequestFilter, RequestViews

EVENTS_PER_REQUEST = 20


async def seed_events(pool: asyncpg.Pool, total: int) -> None:
    """Requests spread over a year, each with a run of deadline events; hashes are filler
    (these reads do not verify chains), written by set-based SQL to keep seeding quick.
    The insert into request_events fills `deadline_compliance` as any append does (its
    trigger folds each request's events once per statement), so the report reads what a
    real store would hold: per request, steps met within the hour, a repeated start that
    counts once and a last step still open."""
    requests = max(1, total // EVENTS_PER_REQUEST)
    async with pool.acquire() as connection:
        await connection.execute(
            """INSERT INTO subjects (subject_id)
               SELECT 'load-subject-' || g FROM generate_series(1, $1) g
               ON CONFLICT DO NOTHING""",
            requests,
        )
        await connection.execute(
            """INSERT INTO requests (request_id, workflow_id, kind, subject_id, fingerprint,
                   status, step, overdue, deadline_policy_version, submitted_at, last_seq)
               SELECT 'load-' || g, 'dsr-load-' || g,
                      (ARRAY['inquiry','disclosure','correction','suspension',
                             'third_party_stop'])[1 + g % 5],
                      'load-subject-' || g, 'x', CASE WHEN g % 10 = 0 THEN 'in_progress'
                      ELSE 'closed' END, CASE WHEN g % 10 = 0 THEN 'decide' END,
                      g % 40 = 0, '2026-11.1',
                      $2::timestamptz - (g % 365) * interval '1 day', $3
                 FROM generate_series(1, $1) g
               ON CONFLICT DO NOTHING""",
            requests,
            datetime.now(UTC),
            EVENTS_PER_REQUEST,
        )
        await connection.execute(
            """INSERT INTO request_events (request_id, seq, type, payload, occurred_at, actor,
                   idempotency_key, prev_hash, hash)
               SELECT 'load-' || g, s,
                      (ARRAY['deadline.started','deadline.met'])[1 + s % 2],
                      jsonb_build_object('step', (ARRAY['acknowledge','verify_identity',
                          'investigate','decide','act','notify','answer','payment',
                          'notify','notify'])[1 + (s / 2) % 10],
                          'due_at', to_char(r.submitted_at + interval '7 days',
                                            'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
                          'policy_version', '2026-11.1'),
                      r.submitted_at + s * interval '1 hour', 'system',
                      'load-' || g || ':' || s, repeat('0', 64), repeat('1', 64)
                 FROM generate_series(1, $1) g
                 JOIN requests r ON r.request_id = 'load-' || g
                 CROSS JOIN generate_series(1, $2) s
               ON CONFLICT DO NOTHING""",
            requests,
            EVENTS_PER_REQUEST,
        )
        await connection.execute(
            """INSERT INTO deadlines (request_id, step, policy_version, started_at, due_at,
                   status)
               SELECT request_id, 'decide', '2026-11.1', submitted_at,
                      submitted_at + interval '7 days',
                      CASE WHEN overdue THEN 'breached' ELSE 'open' END
                 FROM requests WHERE request_id LIKE 'load-%' AND status = 'in_progress'
               ON CONFLICT DO NOTHING"""
        )
        await connection.execute("ANALYZE")


async def time_store_reads(pool: asyncpg.Pool, total: int) -> dict[str, float]:
    await seed_events(pool, total)
    count = await pool.fetchval("SELECT count(*) FROM request_events")
    from audit.report import build_report  # the auditors' report

    end = datetime.now(UTC)
    started = time.perf_counter()
    await build_report(pool, end - timedelta(days=30), end)
    report_month = time.perf_counter() - started
    started = time.perf_counter()
    await RequestViews(pool).list(RequestFilter(overdue=True, limit=1000))
    list_overdue = time.perf_counter() - started
    return {"events": float(count), "report_month": report_month, "list_overdue": list_overdue}
