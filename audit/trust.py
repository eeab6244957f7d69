"""The signature half of `dsr audit verify`: which checkpoints (from the witness folder and
from exported histories) verify with the keys an auditor trusts. Pure: no store, so an
auditor's `dsr` runs it on its own machine with the public key it pinned, and sends the
service only the checkpoints it trusts (audit/verify.py's `against_store` does the rest).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.histories import HistoryEvidence
from audit.signing import key_id, signature_valid
from audit.witness import WitnessReading
from domain.chain import canonical_timestamp
from domain.event_log import Checkpoint, SignedCheckpoint


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


def trusted(
    audit: LogAudit,
    keys: Sequence[Ed25519PublicKey],
    where: str,
    signed: Iterable[tuple[Any, SignedCheckpoint]],
) -> list[Checkpoint]:
    """The checkpoints signed by one of the keys (several: the key was rotated)."""
    by_id = {key_id(key): key for key in keys}
    kept = []
    for place, checkpoint in signed:
        key = by_id.get(checkpoint.checkpoint.key_id)
        if key is not None and signature_valid(key, checkpoint):
            kept.append(checkpoint.checkpoint)
        else:
            audit.problems.append(
                f"{where} {place}: a checkpoint whose signature does not verify with key "
                + " or ".join(by_id)
            )
    return kept


def signed_checkpoints(
    keys: Sequence[Ed25519PublicKey],
    witness: WitnessReading | None,
    histories: Sequence[HistoryEvidence],
) -> tuple[LogAudit, list[Checkpoint]]:
    """The audit begun (unreadable witness files and bad signatures are its problems) and
    the checkpoints that verify: the witness's first, then the histories'."""
    audit = LogAudit()
    witnessed: list[Checkpoint] = []
    if witness is not None:
        for path, why in witness.unreadable:
            audit.problems.append(f"witness file {path.name} cannot be read: {why}")
        witnessed = trusted(
            audit,
            keys,
            "witness file",
            ((path.name, signed) for path, signed in witness.checkpoints),
        )
    recorded = trusted(
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
    if witness is not None:
        audit.problems += sequence_gaps(witnessed, recorded)
    return audit, witnessed + recorded


def sequence_gaps(witnessed: Sequence[Checkpoint], recorded: Sequence[Checkpoint]) -> list[str]:
    """The checkpoints the witness should hold and does not (N6): the signer numbers its
    checkpoints 1, 2, ... (those signed before numbering have none), so a number missing
    below the highest one, or a number a history holds that the witness lacks, is a
    checkpoint removed from the witness."""
    held = {c.sequence for c in witnessed if c.sequence is not None}
    known = held | {c.sequence for c in recorded if c.sequence is not None}
    if not known:
        return []
    missing = sorted(set(range(1, max(known) + 1)) - held)
    if not missing:
        return []
    shown = ", ".join(map(str, missing[:10])) + (" ..." if len(missing) > 10 else "")
    return [
        f"the witness lacks {len(missing)} signed checkpoint(s) of its sequence (number "
        f"{shown}): removed from the witness folder"
    ]
