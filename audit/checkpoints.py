"""Signing the event log's head and handing the checkpoint to the witness.

Called at every request's close (the close's activity) and every DSR_CHECKPOINT_EVERY
(the `checkpoint-log` schedule). The key stays in the worker's memory; the database sees
neither it nor the signature's making, only the log it reads the head of.

The signer signs only growth (issue 22, review N6): a head is signed when the log extends
the head signed last (remembered in memory and read back from the witness at start): no
fewer entries, and the same head at the old size. Otherwise the signer records an alarm
(store/log_alarms.py), signs nothing, and goes on refusing while any alarm is open, until
an operator acknowledges it (`dsr-admin audit acknowledge-alarm`); the log the alarm
found is then the base it extends.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Literal

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from audit.signing import key_id, sign
from audit.witness import DirectoryWitness
from domain.event_log import LOG_GENESIS, Checkpoint, RequestMark, SignedCheckpoint
from store.connection import Connection
from store.log_alarms import LogAlarm, acknowledged_base, log_heads, open_alarms, record_alarm


class LogNotExtended(Exception):
    """The signer refused: the log does not extend the head it signed last, or an alarm is
    open. Carries the alarm (recorded now, or the open one that blocks)."""

    def __init__(self, alarm: LogAlarm, *, raised_now: bool) -> None:
        super().__init__(
            alarm.describe() + "; nothing is signed until an operator acknowledges it "
            "(`dsr-admin audit acknowledge-alarm`)"
        )
        self.alarm = alarm
        self.raised_now = raised_now


class CheckpointSigner:
    def __init__(self, key: Ed25519PrivateKey, witness: DirectoryWitness) -> None:
        self._key = key
        self._key_id = key_id(key.public_key())
        self.witness = witness
        self._last: Checkpoint | None = None  # the last checkpoint this process signed
        self._sequence = 0
        self._lock = asyncio.Lock()

    async def sign_head(
        self,
        connection: Connection | asyncpg.Pool,
        reason: Literal["interval", "close", "manual"],
        closed_request: RequestMark | None = None,
    ) -> SignedCheckpoint:
        """Sign the log's committed head as it is now, if it extends the head signed last,
        write it to the witness (fsynced) and return it; LogNotExtended (and an alarm
        recorded) if it does not."""
        async with self._lock:
            tail = await asyncio.to_thread(self.witness.tail)
            last = self._last
            if tail.last is not None and (
                last is None or tail.last.checkpoint.signed_at > last.signed_at
            ):
                last = tail.last.checkpoint
            self._sequence = max(self._sequence, tail.sequence)
            blocking = await open_alarms(connection)
            if blocking:
                raise LogNotExtended(blocking[0], raised_now=False)
            size, head = await self._extending(connection, last)
            checkpoint = Checkpoint(
                log_size=size,
                log_head=head,
                signed_at=datetime.now(UTC),
                key_id=self._key_id,
                reason=reason,
                closed_request=closed_request,
                sequence=self._sequence + 1,
            )
            signed = sign(self._key, checkpoint)
            await asyncio.to_thread(self.witness.write, signed)
            self._last, self._sequence = checkpoint, checkpoint.sequence or 0
            return signed

    async def _extending(
        self, connection: Connection | asyncpg.Pool, last: Checkpoint | None
    ) -> tuple[int, str]:
        """The log's (size, head) now, when it extends `last` (or the base an operator
        acknowledged in its place); otherwise an alarm is recorded and LogNotExtended."""
        at = last.log_size if last else 0
        size, head, at_old = await log_heads(connection, at)
        current = (size, head or LOG_GENESIS)
        if last is None or _extends(size, at_old, last.log_size, last.log_head):
            return current
        base = await acknowledged_base(connection, last.log_size, last.log_head)
        if base is not None:
            size, head, at_base = await log_heads(connection, base.log_size)
            if _extends(size, at_base, base.log_size, base.log_head):
                return size, head or LOG_GENESIS
            at_old = at_base  # the log moved again since the acknowledgement
        alarm = await record_alarm(
            connection,
            key_id=self._key_id,
            signed=(last.log_size, last.log_head),
            found=current,
            head_at_signed_size=at_old,
        )
        raise LogNotExtended(alarm, raised_now=True)


def _extends(size: int, head_at_old_size: str | None, old_size: int, old_head: str) -> bool:
    if size < old_size:
        return False
    if old_size == 0:
        return old_head == LOG_GENESIS
    return head_at_old_size == old_head
