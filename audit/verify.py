"""`dsr audit verify` beyond each request's chain: the global log against the signed
checkpoints kept outside the database, and the store against exported workflow histories.

Everything is read in one snapshot, so appends landing meanwhile cannot look like damage.
Checkpoints whose signature does not verify with the auditor's key are reported and not
trusted (audit/trust.py, which an auditor's `dsr` runs on its own machine with the key
it pinned); the rest pin the log (domain/event_log.py).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.histories import HistoryEvidence, read_histories
from audit.trust import LogAudit, signed_checkpoints
from audit.witness import DirectoryWitness
from domain.chain import canonical_timestamp
from domain.event_log import Checkpoint, LogCheck, LogRow, mark_problem
from store import event_log
from store.connection import Connection

__all__ = ["LogAudit", "against_store", "audit_histories", "audit_log", "read_histories"]


async def audit_log(
    pool: asyncpg.Pool,
    *,
    witness: DirectoryWitness,
    keys: Sequence[Ed25519PublicKey],
    histories: Sequence[HistoryEvidence] = (),
) -> LogAudit:
    """The whole log against the witness's and the histories' checkpoints that verify with
    `keys`, and the store against the histories."""
    audit, checkpoints = signed_checkpoints(keys, witness.read(), histories)
    await against_store(
        pool, audit, checkpoints, histories, whole=True, witness_folder=str(witness.folder)
    )
    return audit


async def audit_histories(
    pool: asyncpg.Pool, *, keys: Sequence[Ed25519PublicKey], histories: Sequence[HistoryEvidence]
) -> LogAudit:
    """The named requests' histories against the store, without walking the whole log:
    their close checkpoints' signatures and marks, and every event they recorded."""
    audit, checkpoints = signed_checkpoints(keys, None, histories)
    await against_store(pool, audit, checkpoints, histories, whole=False)
    return audit


async def against_store(
    pool: asyncpg.Pool,
    audit: LogAudit,
    checkpoints: Sequence[Checkpoint],
    histories: Sequence[HistoryEvidence],
    *,
    whole: bool,
    witness_folder: str = "the witness",
) -> None:
    """The store's half of the audit, with checkpoints already trusted (their signatures
    checked by `signed_checkpoints`, here or on an auditor's own machine): with `whole`,
    the whole log pinned by them; then each close mark, and the histories' events."""
    async with event_log.snapshot(pool) as connection:
        if whole:
            audit.newest = max(checkpoints, key=lambda c: (c.log_size, c.signed_at), default=None)
            if not checkpoints:
                audit.notes.append(
                    f"no checkpoint in {witness_folder}: nothing pins the log yet "
                    "(the service signs one at each close and every "
                    "DSR_CHECKPOINT_EVERY)"
                )
            check = LogCheck(list(checkpoints))
            async for row in event_log.log_rows(connection):
                check.feed(LogRow(**row))
            verdict = check.finish(await event_log.unlogged(connection))
            audit.log_size = verdict.size
            audit.problems += verdict.problems
            if audit.newest is not None and audit.newest.log_size < audit.log_size:
                audit.notes.append(
                    f"{audit.log_size - audit.newest.log_size} entries appended after the "
                    f"newest checkpoint ({canonical_timestamp(audit.newest.signed_at)}) are "
                    "not pinned by a signature yet"
                )
        for checkpoint in checkpoints:
            await _check_mark(connection, checkpoint, audit)
        for history in histories:
            audit.problems += await history_problems(connection, history)


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
