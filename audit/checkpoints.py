"""Signing the event log's head and handing the checkpoint to the witness.

Called at every request's close (the close's activity) and every DSR_CHECKPOINT_EVERY
(the `checkpoint-log` schedule). The key stays in the worker's memory; the database sees
neither it nor the signature's making, only the log it reads the head of.
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
from store.event_log import log_head


class CheckpointSigner:
    def __init__(self, key: Ed25519PrivateKey, witness: DirectoryWitness) -> None:
        self._key = key
        self._key_id = key_id(key.public_key())
        self.witness = witness

    async def sign_head(
        self,
        connection: Connection | asyncpg.Pool,
        reason: Literal["interval", "close", "manual"],
        closed_request: RequestMark | None = None,
    ) -> SignedCheckpoint:
        """Sign the log's committed head as it is now, write it to the witness (fsynced)
        and return it."""
        head = await log_head(connection)
        checkpoint = Checkpoint(
            log_size=head["position"] if head else 0,
            log_head=head["log_hash"] if head else LOG_GENESIS,
            signed_at=datetime.now(UTC),
            key_id=self._key_id,
            reason=reason,
            closed_request=closed_request,
        )
        signed = sign(self._key, checkpoint)
        await asyncio.to_thread(self.witness.write, signed)
        return signed
