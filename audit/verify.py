"""`dsr audit verify` beyond each request's chain: the global log against the signed
checkpoints kept outside the database, and the store against exported workflow histories.

Everything is read in one snapshot, so appends landing meanwhile cannot look like damage.
Checkpoints whose signature does not verify with the auditor's key are reported and not
trusted; the rest pin the log (domain/event_log.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.histories import HistoryEvidence, evidence_in
from audit.signing import key_id, signature_valid
from audit.witness import DirectoryWitness
from domain.chain import canonical_timestamp
from domain.event_log import Checkpoint, LogCheck, LogRow, mark_problem
from store import event_log
from store.connection import Connection


@dataclass
class LogAudit:
    """What the log check found: `problems` fail verification, `notes` do not."""

    log_size: int = 0
    witnessed: int = 0
    from_histories: int = 0
    newest: Checkpoint | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if not self.intact:
            return "BROKEN: " + "; ".join(self.problems)
        if self.log_size == 0 and not self.witnessed:
            return f"intact ({self.from_histories} checkpoint(s) from histories agree)"
        pinned = f"{self.witnessed} witnessed checkpoint(s)" + (
            f" and {self.from_histories} from histories" if self.from_histories else ""
        )
        newest = (
            f", the newest signed {canonical_timestamp(self.newest.signed_at)} at "
            f"{self.newest.log_size} entries"
            if self.newest
            else ""
        )
        return f"intact ({self.log_size} entries; {pinned} agree{newest})"


def read_histories(paths: Iterable[Path]) -> list[HistoryEvidence]:
    """History files, or folders of them (an export's `<request>/history.json`)."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.json")) if path.is_dir() else [path]
    evidence = []
    for file in files:
        if file.name == "manifest.json" or file.name == "store.json":
            continue
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{file}: not a workflow history ({error})") from None
        if not (isinstance(document, dict) and isinstance(document.get("events"), list)):
            raise ValueError(f"{file}: not a workflow history (no list of events)")
        evidence.append(evidence_in(str(file), document))
    return evidence


def _trusted(
    audit: LogAudit, keys: Sequence[Ed25519PublicKey], where: str, signed: Iterable
) -> list[Checkpoint]:
    """The checkpoints signed by one of the keys (several: the key was rotated)."""
    by_id = {key_id(key): key for key in keys}
    trusted = []
    for place, checkpoint in signed:
        key = by_id.get(checkpoint.checkpoint.key_id)
        if key is not None and signature_valid(key, checkpoint):
            trusted.append(checkpoint.checkpoint)
        else:
            audit.problems.append(
                f"{where} {place}: a checkpoint whose signature does not verify with key "
                + " or ".join(by_id)
            )
    return trusted


async def audit_log(
    pool: asyncpg.Pool,
    *,
    witness: DirectoryWitness,
    keys: Sequence[Ed25519PublicKey],
    histories: Sequence[HistoryEvidence] = (),
) -> LogAudit:
    audit = LogAudit()
    reading = witness.read()
    for path, why in reading.unreadable:
        audit.problems.append(f"witness file {path.name} cannot be read: {why}")
    witnessed = _trusted(
        audit, keys, "witness file", ((path.name, signed) for path, signed in reading.checkpoints)
    )
    recorded = _trusted(
        audit,
        keys,
        "history",
        (
            (f"{h.source} (event #{index})", signed)
            for h in histories
            for index, signed in h.checkpoints
        ),
    )
    audit.witnessed, audit.from_histories = len(witnessed), len(recorded)
    checkpoints = witnessed + recorded
    audit.newest = max(checkpoints, key=lambda c: (c.log_size, c.signed_at), default=None)
    if not checkpoints:
        audit.notes.append(
            f"no checkpoint in {witness.folder}: nothing pins the log yet "
            "(the service signs one at each close and every "
            "DSR_CHECKPOINT_EVERY)"
        )
    async with event_log.snapshot(pool) as connection:
        check = LogCheck(checkpoints)
        async for row in event_log.log_rows(connection):
            check.feed(LogRow(**row))
        verdict = check.finish(await event_log.unlogged(connection))
        audit.log_size = verdict.size
        audit.problems += verdict.problems
        if audit.newest is not None and audit.newest.log_size < audit.log_size:
            audit.notes.append(
                f"{audit.log_size - audit.newest.log_size} entries appended after the newest "
                f"checkpoint ({canonical_timestamp(audit.newest.signed_at)}) are not pinned "
                "by a signature yet"
            )
        for checkpoint in checkpoints:
            await _check_mark(connection, checkpoint, audit)
        for history in histories:
            audit.problems += await history_problems(connection, history)
    return audit


async def audit_histories(
    pool: asyncpg.Pool, *, keys: Sequence[Ed25519PublicKey], histories: Sequence[HistoryEvidence]
) -> LogAudit:
    """The named requests' histories against the store, without walking the whole log:
    their close checkpoints' signatures and marks, and every event they recorded."""
    audit = LogAudit()
    recorded = _trusted(
        audit,
        keys,
        "history",
        (
            (f"{h.source} (event #{index})", signed)
            for h in histories
            for index, signed in h.checkpoints
        ),
    )
    audit.from_histories = len(recorded)
    async with event_log.snapshot(pool) as connection:
        for checkpoint in recorded:
            await _check_mark(connection, checkpoint, audit)
        for history in histories:
            audit.problems += await history_problems(connection, history)
    return audit


async def _check_mark(connection: Connection, checkpoint: Checkpoint, audit: LogAudit) -> None:
    mark = checkpoint.closed_request
    if mark is None:
        return
    stored = await event_log.event_hash(connection, mark.request_id, mark.seq)
    problem = mark_problem(mark, {mark.seq: stored} if stored else {}, checkpoint.describe())
    if problem:
        audit.problems.append(problem)


async def history_problems(connection: Connection, history: HistoryEvidence) -> list[str]:
    """The events a history recorded, each against the store's event under its key; the
    first that differs is named (the rest of that history would only repeat it)."""
    if history.workflow_id is not None and not await event_log.workflow_has_request(
        connection, history.workflow_id
    ):
        return [
            f"history {history.source}: workflow {history.workflow_id} has no request "
            "in the store (deleted?)"
        ]
    keys = [event.idempotency_key for _, event in history.events]
    stored = await event_log.events_by_key(connection, keys)
    for index, event in history.events:
        row = stored.get(event.idempotency_key)
        where = (
            f"history {history.source}, event #{index}: {event.type.value} "
            f"({event.idempotency_key})"
        )
        if row is None:
            return [f"{where} is not in the store"]
        recorded = json.loads(json.dumps(event.payload, ensure_ascii=False))
        differs = [
            name
            for name, same in (
                ("request", row["request_id"] == event.request_id),
                ("type", row["type"] == event.type.value),
                ("payload", row["payload"] == recorded),
                ("time", row["occurred_at"] == event.occurred_at),
                ("actor", row["actor"] == event.actor),
            )
            if not same
        ]
        if differs:
            return [f"{where} differs in the store: {', '.join(differs)}"]
    return []
