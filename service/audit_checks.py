"""What `dsr audit verify` asks of the service: each request's chain and compliance
projection, every register stream's chain, and the event log against trusted checkpoints
and exported histories.

The checkpoints are trusted either with the service's pinned public checkpoint key
(DSR_CHECKPOINT_PUBLIC_KEY; never the private key) and its witness folder, or, when an
auditor pinned a key, by the auditor's `dsr` on its own machine (audit/trust.py): then only
the checkpoints it trusts are sent, and the service never decides which signatures are good.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.histories import HistoryEvidence
from audit.report import kept_compliance_problem
from audit.signing import KeyProblem, load_public_key
from audit.trust import LogAudit, signed_checkpoints
from audit.verify import against_store
from audit.witness import DirectoryWitness
from domain.event_log import Checkpoint
from domain.registers import logged_name
from service.requests import Refused
from store.events import EventStore
from store.log_alarms import open_alarms
from store.registers import streams as register_streams
from store.registers import verify_stream
from store.request_lookups import request_ids as every_request


@dataclass(frozen=True)
class Pinned:
    """Checkpoints an auditor's `dsr` trusted with its own pinned key."""

    checkpoints: Sequence[Checkpoint]
    witnessed: int
    from_histories: int
    witness: str  # the folder it read, for the notes


@dataclass
class StoreAudit:
    requests: list[dict[str, Any]] = field(default_factory=list)
    registers: list[dict[str, Any]] = field(default_factory=list)
    log: LogAudit | None = None  # the whole log (no request named) or the histories
    whole: bool = True

    @property
    def intact(self) -> bool:
        return (
            all(r["intact"] for r in self.requests)
            and all(r["intact"] for r in self.registers)
            and (self.log is None or self.log.intact)
        )


def service_keys(key_file: Path) -> list[Ed25519PublicKey]:
    """The service's pinned public checkpoint key (DSR_CHECKPOINT_PUBLIC_KEY, or the
    `.pub.pem` beside the private key's file): never the private key itself (N6)."""
    if not key_file.exists():
        raise Refused(
            f"no public checkpoint key to verify with: the service's {key_file} does not "
            "exist (DSR_CHECKPOINT_PUBLIC_KEY); give the key you pinned with --public-key FILE"
        )
    try:
        return [load_public_key(key_file)]
    except KeyProblem as error:
        raise Refused(str(error)) from None


async def verify_store(
    pool: asyncpg.Pool,
    request_ids: Sequence[str],
    histories: Sequence[HistoryEvidence],
    *,
    key_file: Path,
    witness: DirectoryWitness,
    pinned: Pinned | None = None,
) -> StoreAudit:
    """With no request named: every request, every register stream, and the log; with
    some, those requests, and the histories given against the store. UnknownRequest for a
    request the store never took in; Refused without the service's key to trust with."""
    whole = not request_ids
    result = StoreAudit(whole=whole)
    keys = service_keys(key_file) if pinned is None and (whole or histories) else []
    events = EventStore(pool)
    for request_id in request_ids or await every_request(pool):
        verdict = await events.verify(request_id)  # UnknownRequest: nothing was checked
        projection = await kept_compliance_problem(pool, request_id) if verdict.intact else None
        result.requests.append(
            asdict(verdict)
            | {"intact": verdict.intact and projection is None, "compliance_projection": projection}
        )
    if whole:
        async with pool.acquire() as connection:
            for stream in await register_streams(connection):
                checked = await verify_stream(connection, stream)
                result.registers.append(
                    asdict(checked) | {"request_id": logged_name(stream), "intact": checked.intact}
                )
    if pinned is not None:
        audit = LogAudit(witnessed=pinned.witnessed, from_histories=pinned.from_histories)
        await against_store(
            pool, audit, pinned.checkpoints, histories, whole=whole, witness_folder=pinned.witness
        )
        result.log = audit
    elif whole or histories:
        audit, checkpoints = signed_checkpoints(keys, witness.read() if whole else None, histories)
        await against_store(
            pool, audit, checkpoints, histories, whole=whole, witness_folder=str(witness.folder)
        )
        result.log = audit
    if whole and result.log is not None:
        # The signer stopped (N6): the log no longer extends what it signed last.
        result.log.problems += [
            f"the checkpoint signer's {alarm.describe()}; it is open, and nothing is signed "
            "until an operator acknowledges it (`dsr-admin audit acknowledge-alarm`)"
            for alarm in await open_alarms(pool)
        ]
    return result
