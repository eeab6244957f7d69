"""What the deadline-compliance report reads: each step's record as `deadline_compliance`
keeps it (a trigger folds every deadline event appended into it), the kinds of the
requests, and the operators' notes giving the reasons for extensions, opened with the
vault (an erased one shows as erased). And, for `kept_compliance_problem`, a request's
kept rows beside its deadline events, read in one snapshot.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

import asyncpg

from domain.compliance import ExtensionRecord, StepRecord, step_records
from domain.events import RecordedEvent
from store.connection import Connection
from store.sealing import vault_of

# The columns of `deadline_compliance`, in the order of a StepRecord's fields.
_KEPT_COLUMNS = ", ".join(StepRecord._fields)
_KEPT_COLUMNS_OF_K = ", ".join(f"k.{name}" for name in StepRecord._fields)


class StartedSteps(NamedTuple):
    """The steps whose deadline started in a range, with what judging them needs."""

    records: list[StepRecord]
    kinds: dict[str, str]  # request id → kind
    reasons: dict[str, str]  # note id → the note, opened


async def steps_started_in(pool: asyncpg.Pool, start: datetime, end: datetime) -> StartedSteps:
    """The kept records of the steps whose deadline started in [start, end)."""
    async with pool.acquire() as connection:
        rows = await connection.fetch(
            f"""SELECT {_KEPT_COLUMNS_OF_K}, r.kind FROM deadline_compliance k
                  JOIN requests r USING (request_id)
                 WHERE k.started_at >= $1 AND k.started_at < $2""",
            start,
            end,
        )
        records = [_kept(row[:-1]) for row in rows]
        kinds = {row["request_id"]: row["kind"] for row in rows}
        reasons = await _reasons(connection, records)
    return StartedSteps(records, kinds, reasons)


def _kept(row: asyncpg.Record | Sequence[Any]) -> StepRecord:
    """A step's record as `deadline_compliance` keeps it (the row as it is, but for the
    extensions, which it keeps as JSON)."""
    record = StepRecord._make(row)
    if record.extensions is None:
        return record
    kept = cast(list[dict[str, Any]], record.extensions)  # the JSON as stored
    return record._replace(
        extensions=tuple(
            ExtensionRecord(
                at=datetime.fromisoformat(granted["at"]),
                due_at=granted["due_at"],
                previous_due_at=granted["previous_due_at"],
                reason_note_id=granted["reason_note_id"],
                by=granted["by"],
            )
            for granted in kept
        )
    )


async def _reasons(connection: Connection, records: Iterable[StepRecord]) -> dict[str, str]:
    note_ids: set[uuid.UUID] = set()
    for granted in (e for record in records for e in record.extensions or ()):
        if granted.reason_note_id:
            try:
                note_ids.add(uuid.UUID(str(granted.reason_note_id)))
            except ValueError:
                continue  # not a note id the store could hold; the row shows no reason
    if not note_ids:
        return {}
    notes = await connection.fetch(
        "SELECT note_id, body FROM operator_notes WHERE note_id = ANY($1::uuid[])",
        list(note_ids),
    )
    vault = vault_of(connection)  # a note whose key was destroyed shows as erased
    return {str(note["note_id"]): vault.open(note["body"]) for note in notes}


async def kept_and_folded(
    pool: asyncpg.Pool, request_id: str
) -> tuple[dict[str, StepRecord], dict[str, StepRecord]]:
    """A request's steps as `deadline_compliance` keeps them, and as its deadline events
    fold to, each by step, read in one snapshot."""
    async with (
        pool.acquire() as connection,
        connection.transaction(isolation="repeatable_read", readonly=True),
    ):
        kept = await connection.fetch(
            f"SELECT {_KEPT_COLUMNS} FROM deadline_compliance WHERE request_id = $1",
            request_id,
        )
        events = await connection.fetch(
            """SELECT request_id, seq, type, payload, occurred_at, actor, idempotency_key,
                      prev_hash, hash
                 FROM request_events
                WHERE request_id = $1 AND type LIKE 'deadline.%'
                ORDER BY seq""",
            request_id,
        )
    shown = {record.step: record for record in map(_kept, kept)}
    folded = {
        record.step: record
        for record in step_records(
            request_id,
            (
                # As stored, unvalidated: the fold reads only type, payload, time and actor.
                RecordedEvent.model_construct(**dict(row))
                for row in events
            ),
        )
    }
    return shown, folded
