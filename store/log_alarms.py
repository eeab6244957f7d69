"""The checkpoint signer's alarms (migration 0031): recorded by the worker when the event
log no longer extends the head it signed last, acknowledged by an operator as the schema's
owner (`dsr-admin audit acknowledge-alarm`). Sizes and heads only, never personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

from store.connection import Connection


@dataclass(frozen=True)
class LogAlarm:
    alarm_id: int
    raised_at: datetime
    key_id: str
    signed_size: int
    signed_head: str
    log_size: int
    log_head: str
    head_at_signed_size: str | None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None

    def describe(self) -> str:
        found = (
            f"the log has {self.log_size} entries, fewer than the {self.signed_size} signed"
            if self.log_size < self.signed_size
            else f"the log's head at {self.signed_size} entries is {self.head_at_signed_size}, "
            f"not the {self.signed_head} signed"
        )
        return f"alarm {self.alarm_id} ({self.raised_at.isoformat()}): {found}"


_SELECT = """
SELECT a.alarm_id, a.raised_at, a.key_id, a.signed_size, a.signed_head, a.log_size,
       a.log_head, a.head_at_signed_size, k.acknowledged_at, k.acknowledged_by
  FROM log_alarms a LEFT JOIN log_alarm_acknowledgements k ON k.alarm_id = a.alarm_id
"""


def _alarm(row: asyncpg.Record) -> LogAlarm:
    return LogAlarm(**dict(row))


async def open_alarms(connection: Connection | asyncpg.Pool) -> list[LogAlarm]:
    """The alarms no operator has acknowledged, oldest first."""
    rows = await connection.fetch(_SELECT + " WHERE k.alarm_id IS NULL ORDER BY a.alarm_id")
    return [_alarm(row) for row in rows]


async def alarms(connection: Connection | asyncpg.Pool) -> list[LogAlarm]:
    return [_alarm(row) for row in await connection.fetch(_SELECT + " ORDER BY a.alarm_id")]


async def acknowledged_base(
    connection: Connection | asyncpg.Pool, signed_size: int, signed_head: str
) -> LogAlarm | None:
    """The newest acknowledged alarm raised against this signed (size, head): the log it
    found is the base the signer may extend now."""
    row = await connection.fetchrow(
        _SELECT
        + """ WHERE k.alarm_id IS NOT NULL AND a.signed_size = $1 AND a.signed_head = $2
              ORDER BY a.alarm_id DESC LIMIT 1""",
        signed_size,
        signed_head,
    )
    return None if row is None else _alarm(row)


async def record_alarm(
    connection: Connection | asyncpg.Pool,
    *,
    key_id: str,
    signed: tuple[int, str],
    found: tuple[int, str],
    head_at_signed_size: str | None,
) -> LogAlarm:
    row = await connection.fetchrow(
        """INSERT INTO log_alarms (key_id, signed_size, signed_head, log_size, log_head,
                                   head_at_signed_size)
           VALUES ($1, $2, $3, $4, $5, $6)
           RETURNING alarm_id, raised_at, key_id, signed_size, signed_head, log_size, log_head,
                     head_at_signed_size""",
        key_id,
        signed[0],
        signed[1],
        found[0],
        found[1],
        head_at_signed_size,
    )
    assert row is not None  # INSERT ... RETURNING returns the row
    return _alarm(row)


class NoSuchAlarm(LookupError):
    pass


async def acknowledge(
    connection: Connection | asyncpg.Pool, alarm_id: int, operator: str, reason: str
) -> LogAlarm:
    """As the schema's owner: the operator has looked; the log as the alarm found it is
    the base the signer extends from now. NoSuchAlarm for an unknown or acknowledged one."""
    row = await connection.fetchrow(
        """INSERT INTO log_alarm_acknowledgements (alarm_id, acknowledged_by, reason)
           SELECT alarm_id, $2, $3 FROM log_alarms WHERE alarm_id = $1
           ON CONFLICT (alarm_id) DO NOTHING RETURNING alarm_id""",
        alarm_id,
        operator,
        reason,
    )
    if row is None:
        raise NoSuchAlarm(f"no open alarm {alarm_id} (see `dsr-admin audit alarms`)")
    found = await connection.fetchrow(_SELECT + " WHERE a.alarm_id = $1", alarm_id)
    assert found is not None
    return _alarm(found)


async def log_heads(
    connection: Connection | asyncpg.Pool, at_size: int
) -> tuple[int, str | None, str | None]:
    """In one snapshot: the log's size, its head, and its head at `at_size` (None when the
    log is shorter, or `at_size` is 0 and the log empty: the caller knows the genesis)."""
    row = await connection.fetchrow(
        """SELECT h.position, h.log_hash,
                  (SELECT log_hash FROM event_log WHERE position = $1) AS at_size
             FROM (SELECT 0::bigint AS position, NULL::text AS log_hash
                   UNION ALL
                   (SELECT position, log_hash FROM event_log ORDER BY position DESC LIMIT 1)
                  ) h
            ORDER BY h.position DESC LIMIT 1""",
        at_size,
    )
    assert row is not None
    return int(row["position"]), row["log_hash"], row["at_size"]
