"""The counts the worker's store-derived gauges show (runtime/metrics.py): requests by
kind and status, requests past one of the organisation's deadlines, notices by status.
Each is one query; all three are read on one connection."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import asyncpg

_REQUESTS = "SELECT kind, status, count(*) AS n FROM requests GROUP BY kind, status"

_PAST_DUE = """
SELECT r.kind, count(DISTINCT r.request_id) AS n
  FROM requests r
  JOIN deadlines d ON d.request_id = r.request_id
 WHERE r.status <> 'closed'
   AND d.step <> ALL ($1::text[])
   AND (d.status = 'breached' OR (d.status = 'open' AND d.due_at < now()))
 GROUP BY r.kind
"""

_NOTICES = "SELECT status, count(*) AS n FROM notifications GROUP BY status"


@dataclass(frozen=True)
class GaugeRows:
    """The three queries' rows, as (labels..., count) tuples; absent label sets absent."""

    requests: list[tuple[str, str, int]]  # (kind, status, n)
    past_due: list[tuple[str, int]]  # (kind, n)
    notices: list[tuple[str, int]]  # (status, n)


async def gauge_rows(pool: asyncpg.Pool, not_ours: Iterable[str]) -> GaugeRows:
    """Every count, read now. `not_ours`: the steps whose deadlines are the person's
    (identity, payment), which a request being past does not count."""
    async with pool.acquire() as connection:
        requests = await connection.fetch(_REQUESTS)
        past_due = await connection.fetch(_PAST_DUE, sorted(not_ours))
        notices = await connection.fetch(_NOTICES)
    return GaugeRows(
        [(row["kind"], row["status"], row["n"]) for row in requests],
        [(row["kind"], row["n"]) for row in past_due],
        [(row["status"], row["n"]) for row in notices],
    )
