"""Appending to the registers' hash-chained streams and checking them (domain/registers.py).

The stream's head row is locked for the append, as a request's row is for its events, so
two appends to one stream cannot both follow the same event; events already stored under
their idempotency key are returned, not appended again."""

from __future__ import annotations

import json
from typing import Any

from domain.chain import ChainVerdict, canonical_encoding, link_hash, verify_chain
from domain.registers import NewRegisterEvent
from store.connection import Connection


async def append_register_event(
    connection: Connection, event: NewRegisterEvent
) -> tuple[int, bool]:
    """Append in the caller's transaction; returns (seq, appended now)."""
    if not connection.is_in_transaction():
        raise RuntimeError("a register event is appended in the transaction of its effect")
    stored = await connection.fetchrow(
        "SELECT stream, seq FROM register_events WHERE idempotency_key = $1", event.idempotency_key
    )
    if stored is not None:
        if stored["stream"] != event.stream:
            raise ValueError(f"idempotency key {event.idempotency_key!r} belongs to another stream")
        return stored["seq"], False
    await connection.execute(
        "INSERT INTO register_streams (stream) VALUES ($1) ON CONFLICT DO NOTHING", event.stream
    )
    head = await connection.fetchrow(
        "SELECT last_seq, last_hash FROM register_streams WHERE stream = $1 FOR UPDATE",
        event.stream,
    )
    assert head is not None  # the stream's row was inserted above if it was missing
    # A JSON round trip gives the payload exactly as jsonb returns it, so the hash made now
    # is the one verification recomputes.
    payload: dict[str, Any] = json.loads(json.dumps(event.payload, ensure_ascii=False))
    seq = head["last_seq"] + 1
    digest = link_hash(
        head["last_hash"],
        canonical_encoding(
            request_id=event.stream,
            seq=seq,
            type=event.type.value,
            payload=payload,
            occurred_at=event.occurred_at,
            actor=event.actor,
            idempotency_key=event.idempotency_key,
        ),
    )
    await connection.execute(
        """INSERT INTO register_events (stream, seq, type, payload, occurred_at, actor,
                                        idempotency_key, prev_hash, hash)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        event.stream,
        seq,
        event.type.value,
        payload,
        event.occurred_at,
        event.actor,
        event.idempotency_key,
        head["last_hash"],
        digest,
    )
    await connection.execute(
        "UPDATE register_streams SET last_seq = $2, last_hash = $3 WHERE stream = $1",
        event.stream,
        seq,
        digest,
    )
    return seq, True


async def verify_stream(connection: Connection, stream: str) -> ChainVerdict:
    rows = await connection.fetch(
        """SELECT stream AS request_id, seq, type, payload, occurred_at, actor,
                  idempotency_key, prev_hash, hash
             FROM register_events WHERE stream = $1 ORDER BY seq""",
        stream,
    )
    verdict = verify_chain(stream, rows)
    if verdict.intact and rows:
        head = await connection.fetchval(
            "SELECT last_hash FROM register_streams WHERE stream = $1", stream
        )
        if head != rows[-1]["hash"]:
            return ChainVerdict(
                stream,
                len(rows),
                rows[-1]["seq"],
                "the stream's head does not match its last event",
            )
    return verdict


async def streams(connection: Connection) -> list[str]:
    return [
        row["stream"]
        for row in await connection.fetch("SELECT stream FROM register_streams ORDER BY stream")
    ]
