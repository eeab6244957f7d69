"""The append-only event chain of each request, with its projections kept in step.

Appending locks the request's row, so sequence numbers and hashes are assigned one at a
time per request; the projection (`requests`, `deadlines`) is updated in the same
transaction, so it never disagrees with the events.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import asyncpg

from domain.chain import ChainVerdict, canonical_encoding, link_hash, verify_chain
from domain.events import EventType, NewEvent, RecordedEvent
from domain.lifecycle import RequestState, RequestStatus, fold
from domain.requests import RequestKind
from store.connection import Connection
from store.event_door import append_through_door, appends_directly


class UnknownRequest(LookupError):
    def __init__(self, request_id: str) -> None:
        super().__init__(f"no request with id {request_id!r}")
        self.request_id = request_id


def _recorded(row: asyncpg.Record) -> RecordedEvent:
    return RecordedEvent(
        request_id=row["request_id"],
        seq=row["seq"],
        type=EventType(row["type"]),
        payload=row["payload"],
        occurred_at=row["occurred_at"],
        actor=row["actor"],
        idempotency_key=row["idempotency_key"],
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )


_EVENT_COLUMNS = (
    "request_id, seq, type, payload, occurred_at, actor, idempotency_key, prev_hash, hash"
)


class EventStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def append(self, event: NewEvent) -> RecordedEvent:
        async with self._pool.acquire() as connection, connection.transaction():
            return await self.append_in(connection, event)

    async def append_in(self, connection: Connection, event: NewEvent) -> RecordedEvent:
        """Append within the caller's transaction. An idempotency key already used is a
        no-op that returns the event recorded under it."""
        return (await self._append_run(connection, [event]))[0]

    async def append_all_in(self, connection: Connection, events: Iterable[NewEvent]) -> None:
        """Append bookkeeping events the workflow recorded before an effect, in order,
        within the effect's transaction; those already stored are skipped by their keys.
        One lock, one look-up and one projection update for the lot."""
        run = list(events)
        if run:
            await self._append_run(connection, run)

    async def _append_run(
        self, connection: Connection, events: list[NewEvent]
    ) -> list[RecordedEvent]:
        request_id = events[0].request_id
        if any(e.request_id != request_id for e in events):
            raise ValueError("events appended together must belong to one request")
        # The API's role may not lock the row (that needs UPDATE): its door (migration
        # 0028) locks it and refuses a head that moved meanwhile.
        direct = await appends_directly(connection)
        request = await connection.fetchrow(
            """SELECT request_id, kind, status, step, outcome, overdue, closed_at,
                      last_seq, last_hash
                 FROM requests WHERE request_id = $1"""
            + (" FOR UPDATE" if direct else ""),
            request_id,
        )
        if request is None:
            raise UnknownRequest(request_id)
        rows = await connection.fetch(
            f"SELECT {_EVENT_COLUMNS} FROM request_events WHERE idempotency_key = ANY($1)",
            [e.idempotency_key for e in events],
        )
        stored = {row["idempotency_key"]: row for row in rows}
        seq, prev_hash = request["last_seq"], request["last_hash"]
        fresh: list[RecordedEvent] = []
        result: list[RecordedEvent] = []
        for event in events:
            existing = stored.get(event.idempotency_key)
            if existing is not None:
                if existing["request_id"] != request_id:
                    raise ValueError(
                        f"idempotency key {event.idempotency_key!r} belongs to another request"
                    )
                result.append(_recorded(existing))
                continue
            earlier = next((f for f in fresh if f.idempotency_key == event.idempotency_key), None)
            if earlier is not None:  # the same event twice in one run: stored once
                result.append(earlier)
                continue
            # A JSON round trip gives the payload exactly as jsonb will return it, so the
            # hash computed now is the one verification recomputes from the stored row.
            payload: dict[str, Any] = json.loads(json.dumps(event.payload, ensure_ascii=False))
            seq += 1
            digest = link_hash(
                prev_hash,
                canonical_encoding(
                    request_id=request_id,
                    seq=seq,
                    type=event.type.value,
                    payload=payload,
                    occurred_at=event.occurred_at,
                    actor=event.actor,
                    idempotency_key=event.idempotency_key,
                ),
            )
            recorded = RecordedEvent(
                request_id=request_id,
                seq=seq,
                type=event.type,
                payload=payload,
                occurred_at=event.occurred_at,
                actor=event.actor,
                idempotency_key=event.idempotency_key,
                prev_hash=prev_hash,
                hash=digest,
            )
            fresh.append(recorded)
            result.append(recorded)
            prev_hash = digest
        if fresh and not direct:
            # The API's role (issue 21): the few kinds it records, through the database's
            # door; they move no projection but the chain's head, which the door moves.
            await append_through_door(connection, fresh)
        elif fresh:
            await connection.executemany(
                """INSERT INTO request_events
                        (request_id, seq, type, payload, occurred_at, actor, idempotency_key,
                         prev_hash, hash)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
                [
                    (
                        e.request_id,
                        e.seq,
                        e.type.value,
                        e.payload,
                        e.occurred_at,
                        e.actor,
                        e.idempotency_key,
                        e.prev_hash,
                        e.hash,
                    )
                    for e in fresh
                ],
            )
            await self._project(connection, request, fresh)
        return result

    async def _project(
        self,
        connection: Connection,
        request: asyncpg.Record,
        events: list[RecordedEvent],
    ) -> None:
        overdue_steps = await connection.fetch(
            "SELECT step FROM deadlines WHERE request_id = $1 AND status = 'breached'",
            request["request_id"],
        )
        state = RequestState(
            request_id=request["request_id"],
            kind=RequestKind(request["kind"]),
            status=RequestStatus(request["status"]),
            step=request["step"],
            outcome=request["outcome"],
            overdue_steps=frozenset(row["step"] for row in overdue_steps),
            last_seq=request["last_seq"],
            closed_at=request["closed_at"],
        )
        for event in events:
            state = state.apply(event)
            await self._project_deadline(connection, event)
        last = events[-1]
        await connection.execute(
            """UPDATE requests SET status = $2, step = $3, outcome = $4, overdue = $5,
                      closed_at = $6, last_seq = $7, last_hash = $8, updated_at = $9
                WHERE request_id = $1""",
            last.request_id,
            state.status.value,
            state.step,
            state.outcome,
            state.overdue,
            state.closed_at,
            last.seq,
            last.hash,
            last.occurred_at,
        )

    async def _project_deadline(self, connection: Connection, event: RecordedEvent) -> None:
        at = event.occurred_at
        match event.type:
            case EventType.DEADLINE_STARTED:
                await connection.execute(
                    """INSERT INTO deadlines (request_id, step, policy_version, started_at, due_at)
                       VALUES ($1, $2, $3, $4, $5)""",
                    event.request_id,
                    event.payload["step"],
                    event.payload["policy_version"],
                    at,
                    _timestamp(event.payload["due_at"]),
                )
            case EventType.DEADLINE_REMINDED:
                await self._set_deadline(connection, event, "reminded_at = $3", at)
            case EventType.DEADLINE_MET:
                await self._set_deadline(connection, event, "met_at = $3, status = 'met'", at)
            case EventType.DEADLINE_BREACHED:
                await self._set_deadline(
                    connection, event, "breached_at = $3, status = 'breached'", at
                )
            case EventType.DEADLINE_COMPLETED_LATE:
                await self._set_deadline(
                    connection, event, "completed_at = $3, status = 'completed_late'", at
                )
            case EventType.DEADLINE_EXTENDED:
                # Only a breached step reopens; a step already met or closed late stays so.
                await self._set_deadline(
                    connection,
                    event,
                    "due_at = $3, extensions = extensions + 1,"
                    " status = CASE WHEN status = 'breached' THEN 'open' ELSE status END",
                    _timestamp(event.payload["due_at"]),
                )
            case EventType.DEADLINE_LAPSED:
                await self._set_deadline(connection, event, "lapsed_at = $3, status = 'lapsed'", at)
            case _:
                pass

    @staticmethod
    async def _set_deadline(
        connection: Connection, event: RecordedEvent, assignments: str, value: Any
    ) -> None:
        await connection.execute(
            f"UPDATE deadlines SET {assignments} WHERE request_id = $1 AND step = $2",
            event.request_id,
            event.payload["step"],
            value,
        )

    async def events(self, request_id: str) -> list[RecordedEvent]:
        async with self._pool.acquire() as connection:
            rows = await connection.fetch(
                f"SELECT {_EVENT_COLUMNS} FROM request_events WHERE request_id = $1 ORDER BY seq",
                request_id,
            )
        return [_recorded(row) for row in rows]

    async def verify(self, request_id: str) -> ChainVerdict:
        # One snapshot for the events and the projection's last hash, so an append landing
        # between the two reads cannot look like events gone missing.
        async with (
            self._pool.acquire() as connection,
            connection.transaction(isolation="repeatable_read", readonly=True),
        ):
            projected = await connection.fetchrow(
                """SELECT kind, status, step, outcome, overdue, last_hash FROM requests
                    WHERE request_id = $1""",
                request_id,
            )
            if projected is None:
                raise UnknownRequest(request_id)
            rows = await connection.fetch(
                f"SELECT {_EVENT_COLUMNS} FROM request_events WHERE request_id = $1 ORDER BY seq",
                request_id,
            )
        verdict = verify_chain(request_id, rows)
        if not verdict.intact or not rows:
            return verdict
        if rows[-1]["hash"] != projected["last_hash"]:
            # The newest events were removed: the chain that remains is whole, but it no
            # longer ends where the projection says it ended.
            return ChainVerdict(
                request_id,
                verdict.events,
                rows[-1]["seq"] + 1,
                "events after this one are missing",
            )
        # The projection operators read must be what the events say, folded from the start.
        state = fold(request_id, RequestKind(projected["kind"]), map(_recorded, rows))
        folded = (state.status.value, state.step, state.outcome, state.overdue)
        shown = (projected["status"], projected["step"], projected["outcome"], projected["overdue"])
        if folded != shown:
            return ChainVerdict(
                request_id,
                verdict.events,
                rows[-1]["seq"],
                f"the requests projection shows status/step/outcome/overdue {shown}, "
                f"the events fold to {folded}",
            )
        return verdict


def _timestamp(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


async def chain_head(connection: Connection, request_id: str) -> tuple[int, str] | None:
    """The sequence number and hash of the request's last event, read from the events
    themselves (not the projection the runtime role may update)."""
    row = await connection.fetchrow(
        """SELECT seq, hash FROM request_events WHERE request_id = $1
            ORDER BY seq DESC LIMIT 1""",
        request_id,
    )
    return None if row is None else (row["seq"], row["hash"])


async def log_size(connection: Connection | asyncpg.Pool) -> int:
    """How many entries the global event log holds."""
    return int(await connection.fetchval("SELECT coalesce(max(position), 0) FROM event_log"))
