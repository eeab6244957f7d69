"""The tamper-evident chain over a request's events.

Each event's hash is sha256 over the previous hash and a canonical encoding of the event,
so changing, removing or reordering any event breaks every link after it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

GENESIS_HASH = "0" * 64


def canonical_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical_encoding(
    *,
    request_id: str,
    seq: int,
    type: str,
    payload: Mapping[str, Any],
    occurred_at: datetime,
    actor: str,
    idempotency_key: str,
) -> bytes:
    document = {
        "actor": actor,
        "idempotency_key": idempotency_key,
        "occurred_at": canonical_timestamp(occurred_at),
        "payload": payload,
        "request_id": request_id,
        "seq": seq,
        "type": type,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def link_hash(prev_hash: str, encoding: bytes) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + encoding).hexdigest()


@dataclass(frozen=True)
class ChainVerdict:
    """The result of checking a request's chain: intact, or where it first breaks."""

    request_id: str
    events: int
    first_broken_seq: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.first_broken_seq is None


class StoredEvent(Protocol):
    """A stored event as verification reads it: its columns by name. A mapping does, and so
    does a database row (asyncpg's Record, which is not a Mapping)."""

    def __getitem__(self, column: str, /) -> Any: ...


def verify_chain(request_id: str, rows: Iterable[StoredEvent]) -> ChainVerdict:
    """Check stored rows (ordered by seq) link up from the genesis hash without a gap."""
    prev = GENESIS_HASH
    count = 0
    for expected_seq, row in enumerate(rows, start=1):
        count += 1
        seq = row["seq"]
        if seq != expected_seq:
            return ChainVerdict(request_id, count, seq, f"expected seq {expected_seq}, found {seq}")
        if row["request_id"] != request_id:
            return ChainVerdict(request_id, count, seq, "event belongs to another request")
        if row["prev_hash"] != prev:
            return ChainVerdict(request_id, count, seq, "prev_hash does not match the event before")
        encoding = canonical_encoding(
            request_id=row["request_id"],
            seq=seq,
            type=row["type"],
            payload=row["payload"],
            occurred_at=row["occurred_at"],
            actor=row["actor"],
            idempotency_key=row["idempotency_key"],
        )
        if link_hash(prev, encoding) != row["hash"]:
            return ChainVerdict(request_id, count, seq, "hash does not match the event's content")
        prev = row["hash"]
    return ChainVerdict(request_id, count)
