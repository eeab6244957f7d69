"""The global log over every request's events, and the checkpoints that pin it.

Each request's chain (domain/chain.py) shows a request's events were not changed among
themselves; someone who can write the database can still rewrite a request and recompute
its chain, or delete a request outright. The log links every event's hash, in the order
the store appended them, into one chain; a checkpoint states its size and head, signed
with a key the database never holds and kept outside it. Any change to an event before a
checkpoint changes the head at that size, and the log cannot shrink below it.

Pure: the verdict is computed from rows and checkpoints handed in; signatures are
checked by the caller (audit/checkpoints.py), which passes only checkpoints it trusts.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from domain.chain import GENESIS_HASH, canonical_timestamp

LOG_GENESIS = GENESIS_HASH
STATEMENT_TAG = "dsr-log-checkpoint/v1"


def log_link(prev_head: str, event_hash: str) -> str:
    """The head after appending an event with this hash (as the store's trigger does)."""
    return hashlib.sha256((prev_head + event_hash).encode("ascii")).hexdigest()


class RequestMark(BaseModel):
    """Where a request's own chain stood: its last event's seq and hash."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    seq: int
    hash: str


class Checkpoint(BaseModel):
    """What the service signs: the log's size and head at a moment, and at a request's
    close, where that request's chain ended."""

    model_config = ConfigDict(frozen=True)

    log_size: int
    log_head: str
    signed_at: datetime
    key_id: str
    reason: Literal["interval", "close", "manual"]
    closed_request: RequestMark | None = None
    # The checkpoint's number in the witness's sequence (1, 2, ...; issue 22, N6): a number
    # missing from the witness is a checkpoint removed. None: signed before numbering.
    sequence: int | None = None

    def statement(self) -> bytes:
        """The exact bytes signed: canonical JSON under a tag naming the format."""
        document: dict[str, Any] = {
            "format": STATEMENT_TAG,
            "log_size": self.log_size,
            "log_head": self.log_head,
            "signed_at": canonical_timestamp(self.signed_at),
            "key_id": self.key_id,
            "reason": self.reason,
            "closed_request": self.closed_request.model_dump() if self.closed_request else None,
        }
        if self.sequence is not None:  # checkpoints signed before numbering keep their bytes
            document["sequence"] = self.sequence
        return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")

    def describe(self) -> str:
        return (
            f"checkpoint of {canonical_timestamp(self.signed_at)} ({self.reason}, "
            f"{self.log_size} entries)"
        )


class SignedCheckpoint(BaseModel):
    model_config = ConfigDict(frozen=True)

    checkpoint: Checkpoint
    signature: str  # base64 of the Ed25519 signature over checkpoint.statement()


@dataclass(frozen=True)
class LogRow:
    """An entry of the log, beside the hash its event has now (None: the event is gone)."""

    position: int
    request_id: str
    seq: int
    event_hash: str
    log_hash: str
    event_hash_now: str | None


@dataclass(frozen=True)
class LogVerdict:
    size: int
    problems: tuple[str, ...] = ()
    checkpoints_matched: int = 0

    @property
    def intact(self) -> bool:
        return not self.problems


class LogCheck:
    """Walk the log from its start, a row at a time (the log may hold millions): positions
    without a gap, each head linked from the one before, each entry's event still there
    with the hash it was logged with, and the head at each checkpoint's size the one
    signed. Keeps the first divergence of the log (later rows follow from it), every
    checkpoint that fails, and whether the log is shorter than a checkpoint says."""

    def __init__(self, checkpoints: Iterable[Checkpoint]) -> None:
        self._pinned: dict[int, list[Checkpoint]] = defaultdict(list)
        for checkpoint in checkpoints:
            self._pinned[checkpoint.log_size].append(checkpoint)
        self.size = 0
        self.head = LOG_GENESIS
        self.problems: list[str] = []
        self.matched = 0
        self._broken = False
        self._check_pins(self._pinned.pop(0, []))

    def feed(self, row: LogRow) -> None:
        if not self._broken:
            problem = self._entry_problem(row)
            if problem is not None:
                self.problems.append(problem)
                self._broken = True
        self.size = row.position
        self.head = row.log_hash
        self._check_pins(self._pinned.pop(row.position, []))

    def finish(self, unlogged_events: Iterable[tuple[str, int]] = ()) -> LogVerdict:
        for size in sorted(self._pinned):
            for checkpoint in self._pinned[size]:
                self.problems.append(
                    f"the log is truncated: the {checkpoint.describe()} covers {size} "
                    f"entries, the log has {self.size}"
                )
        self._pinned.clear()
        for request_id, seq in unlogged_events:
            self.problems.append(
                f"event {request_id}#{seq} is not in the log (added behind the log's back)"
            )
            break
        return LogVerdict(self.size, tuple(self.problems), self.matched)

    def _entry_problem(self, row: LogRow) -> str | None:
        where = f"log position {row.position} ({row.request_id}#{row.seq})"
        if row.position != self.size + 1:
            return f"log position {self.size + 1} is missing (the next is {row.position})"
        if row.event_hash_now is None:
            return f"{where}: the event is gone from the store (request_events, register_events)"
        if row.event_hash_now != row.event_hash:
            return f"{where}: the event was changed after it was logged"
        if row.log_hash != log_link(self.head, row.event_hash):
            return f"{where}: the head does not follow from the entry before"
        return None

    def _check_pins(self, checkpoints: list[Checkpoint]) -> None:
        for checkpoint in checkpoints:
            if checkpoint.log_head == self.head:
                self.matched += 1
            else:
                self.problems.append(
                    f"the {checkpoint.describe()} signed head {checkpoint.log_head[:16]}..., "
                    f"the log's head at {checkpoint.log_size} entries is {self.head[:16]}...: "
                    "an event before it was changed, removed or reordered"
                )


def verify_log(
    rows: Iterable[LogRow],
    checkpoints: Iterable[Checkpoint],
    unlogged_events: Iterable[tuple[str, int]] = (),
) -> LogVerdict:
    """LogCheck over rows already in memory."""
    check = LogCheck(checkpoints)
    for row in rows:
        check.feed(row)
    return check.finish(unlogged_events)


def mark_problem(mark: RequestMark, hashes: Mapping[int, str], source: str) -> str | None:
    """A checkpoint's closed request against its chain now (seq -> hash)."""
    now = hashes.get(mark.seq)
    if now is None:
        return (
            f"request {mark.request_id}: the {source} says its chain ended at seq "
            f"{mark.seq}; the store has no such event"
        )
    if now != mark.hash:
        return (
            f"request {mark.request_id}: event #{mark.seq} differs from the one the {source} signed"
        )
    return None


class CheckpointOrder(BaseModel):
    """The schedule's input: sign the head now (`checkpoint-log`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reason: Literal["interval", "manual"] = "interval"
    even_if_unchanged: bool = False


class CheckpointTaken(BaseModel):
    """What a periodic checkpoint did: signed one, or found the log as last signed."""

    model_config = ConfigDict(frozen=True)

    signed: SignedCheckpoint | None
    log_size: int
