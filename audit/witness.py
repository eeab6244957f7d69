"""The witness: where signed checkpoints are kept outside the database.

A directory by default (`.dsr/witness`, DSR_WITNESS_DIR): one read-only file per
checkpoint, created exclusively and fsynced, never rewritten. In production point it at
storage the database's administrators cannot write (another host's mount, a WORM bucket
synced from it); anything that keeps files append-only serves.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from domain.chain import canonical_timestamp
from domain.event_log import SignedCheckpoint


@dataclass(frozen=True)
class WitnessReading:
    checkpoints: list[tuple[Path, SignedCheckpoint]]
    unreadable: list[tuple[Path, str]]


@dataclass(frozen=True)
class WitnessTail:
    """What the signer remembers from the witness: the checkpoint signed last (by its
    signing time) and the highest sequence number given so far."""

    last: SignedCheckpoint | None
    sequence: int


class DirectoryWitness:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._seen: dict[str, SignedCheckpoint | None] = {}  # file name -> its checkpoint

    def tail(self) -> WitnessTail:
        """The newest checkpoint and the highest sequence number in the folder; each file is
        read once per process (the files are never rewritten), only new names after that.
        Unreadable files count for nothing here (`dsr audit verify` reports them)."""
        if self.folder.is_dir():
            for path in self.folder.glob("*.json"):
                if path.name not in self._seen:
                    try:
                        self._seen[path.name] = SignedCheckpoint.model_validate_json(
                            path.read_bytes()
                        )
                    except (OSError, ValidationError):
                        self._seen[path.name] = None
        kept = [c for c in self._seen.values() if c is not None]
        last = max(kept, key=lambda c: c.checkpoint.signed_at, default=None)
        sequence = max((c.checkpoint.sequence or 0 for c in kept), default=0)
        return WitnessTail(last, sequence)

    def write(self, signed: SignedCheckpoint) -> Path:
        checkpoint = signed.checkpoint
        stamp = canonical_timestamp(checkpoint.signed_at).replace(":", "").replace("-", "")
        name = (
            f"{checkpoint.log_size:012d}-{stamp[:22]}-"
            f"{signed.signature[:8].replace('/', '_').replace('+', '-')}.json"
        )
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.folder / name
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        except FileExistsError:
            return path  # the very same checkpoint (a retried activity): kept once
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(signed.model_dump_json() + "\n")
            file.flush()
            os.fsync(file.fileno())
        folder = os.open(self.folder, os.O_RDONLY)
        try:
            os.fsync(folder)  # the new name survives a crash, not only the content
        finally:
            os.close(folder)
        return path

    def publish_key(self, pem: bytes, key_id: str) -> Path:
        """The public key beside its checkpoints, `checkpoint-key-<id>.pub.pem`, one file per
        key ever used (a rotated key keeps its file), read-only. A convenience: an auditor
        pins a copy of their own at deployment (`dsr audit verify --public-key`)."""
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = self.folder / f"checkpoint-key-{key_id}.pub.pem"
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
        except FileExistsError:
            return path
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        return path

    def read(self) -> WitnessReading:
        found: list[tuple[Path, SignedCheckpoint]] = []
        unreadable: list[tuple[Path, str]] = []
        if not self.folder.is_dir():
            return WitnessReading(found, unreadable)
        for path in sorted(self.folder.glob("*.json")):
            try:
                found.append((path, SignedCheckpoint.model_validate_json(path.read_bytes())))
            except (OSError, ValidationError) as error:
                unreadable.append((path, str(error).splitlines()[0]))
        return WitnessReading(found, unreadable)
