"""The activities that pin the event log: a request's close with a checkpoint of the log
as it closed, and the periodic checkpoint of the schedule.

The close's checkpoint comes back as the activity's result, so it is kept a second time
outside the database: in the request's workflow history (`dsr audit verify --histories`).
"""

from __future__ import annotations

from typing import Any, Literal

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from audit.checkpoints import CheckpointSigner, LogNotExtended
from domain.event_log import (
    LOG_GENESIS,
    CheckpointOrder,
    CheckpointTaken,
    RequestMark,
    SignedCheckpoint,
)
from domain.messages import Bookkeeping
from store.event_log import log_head
from store.events import EventStore, UnknownRequest, chain_head

log = structlog.get_logger(__name__)


class LogCheckpoints:
    def __init__(self, pool: asyncpg.Pool, events: EventStore, signer: CheckpointSigner) -> None:
        self._pool = pool
        self._events = events
        self._signer = signer
        self._last_signed: tuple[int, str] | None = None

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
            # Refused (N6): the close stays stored; the activity is retried until an
            # operator acknowledges the alarm, and signs then.
            signed = await self._sign(connection, "close", mark, non_retryable=False)
        log.info(
            "request closed; log checkpoint signed",
            log_size=signed.checkpoint.log_size,
            events=[e.type.value for e in entries.events],
        )
        return signed

    @activity.defn(name="checkpoint_log")
    async def checkpoint_log(self, order: CheckpointOrder) -> CheckpointTaken:
        """Sign the head unless this worker already signed this very head. Refused when the
        log does not extend the head signed last (N6): a non-retryable LogNotExtended, the
        schedule's next run tries again."""
        row = await log_head(self._pool)
        now = (row["position"], row["log_hash"]) if row else (0, LOG_GENESIS)
        if now == self._last_signed and not order.even_if_unchanged:
            return CheckpointTaken(signed=None, log_size=now[0])
        signed = await self._sign(self._pool, order.reason, None, non_retryable=True)
        checkpoint = signed.checkpoint
        self._last_signed = (checkpoint.log_size, checkpoint.log_head)
        log.info("log checkpoint signed", log_size=checkpoint.log_size, reason=order.reason)
        return CheckpointTaken(signed=signed, log_size=checkpoint.log_size)

    async def _sign(
        self,
        connection: Any,
        reason: Literal["interval", "close", "manual"],
        mark: RequestMark | None,
        *,
        non_retryable: bool,
    ) -> SignedCheckpoint:
        """The signer's checkpoint, or its refusal as an ApplicationError of type
        LogNotExtended, which `dsr_activity_failures_total` counts (runtime/metrics.py)."""
        try:
            return await self._signer.sign_head(connection, reason, mark)
        except LogNotExtended as refused:
            alarm = refused.alarm
            (log.error if refused.raised_now else log.warning)(
                "event log checkpoint refused: the log does not extend the head signed last",
                alarm_id=alarm.alarm_id,
                signed_size=alarm.signed_size,
                signed_head=alarm.signed_head,
                log_size=alarm.log_size,
                log_head=alarm.log_head,
                head_at_signed_size=alarm.head_at_signed_size,
            )
            raise ApplicationError(
                str(refused), type="LogNotExtended", non_retryable=non_retryable
            ) from None

    def all(self) -> list:
        return [self.close_with_checkpoint, self.checkpoint_log]
