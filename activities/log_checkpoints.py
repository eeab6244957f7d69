"""The activities that pin the event log: a request's close with a checkpoint of the log
as it closed, and the periodic checkpoint of the schedule.

The close's checkpoint comes back as the activity's result, so it is kept a second time
outside the database: in the request's workflow history (`dsr audit verify --histories`).
"""

from __future__ import annotations

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from audit.checkpoints import CheckpointSigner
from domain.event_log import CheckpointOrder, CheckpointTaken, RequestMark, SignedCheckpoint
from domain.messages import Bookkeeping
from store.events import EventStore, UnknownRequest, chain_head, log_size

log = structlog.get_logger(__name__)


class LogCheckpoints:
    def __init__(self, pool: asyncpg.Pool, events: EventStore, signer: CheckpointSigner) -> None:
        self._pool = pool
        self._events = events
        self._signer = signer
        self._last_signed_size: int | None = None

    @activity.defn(name="close_with_checkpoint")
    async def close_with_checkpoint(self, entries: Bookkeeping) -> SignedCheckpoint:
        """Store the close (and any bookkeeping before it), then sign the log's head with
        the request's last event in it. A retry stores nothing twice and signs again: two
        checkpoints of one log agree."""
        async with self._pool.acquire() as connection:
            async with connection.transaction():
                try:
                    await self._events.append_all_in(connection, entries.events)
                except UnknownRequest as error:
                    raise ApplicationError(
                        str(error), type="UnknownRequest", non_retryable=True
                    ) from error
            head = await chain_head(connection, entries.request_id)
            assert head is not None  # the closing events were appended just above
            mark = RequestMark(request_id=entries.request_id, seq=head[0], hash=head[1])
            signed = await self._signer.sign_head(connection, "close", mark)
        log.info(
            "request closed; log checkpoint signed",
            log_size=signed.checkpoint.log_size,
            events=[e.type.value for e in entries.events],
        )
        return signed

    @activity.defn(name="checkpoint_log")
    async def checkpoint_log(self, order: CheckpointOrder) -> CheckpointTaken:
        """Sign the head unless this worker already signed a log of the same size."""
        size = await log_size(self._pool)
        if size == self._last_signed_size and not order.even_if_unchanged:
            return CheckpointTaken(signed=None, log_size=size)
        signed = await self._signer.sign_head(self._pool, order.reason)
        self._last_signed_size = signed.checkpoint.log_size
        log.info("log checkpoint signed", log_size=signed.checkpoint.log_size, reason=order.reason)
        return CheckpointTaken(signed=signed, log_size=signed.checkpoint.log_size)

    def all(self) -> list:
        return [self.close_with_checkpoint, self.checkpoint_log]
