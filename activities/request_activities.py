"""The activities of a data-subject request. Each is idempotent: its effect carries an
idempotency key from the workflow, so a retry or a replay never doubles it."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.events import EventType, NewEvent
from domain.messages import AttachAnswer, Bookkeeping, DeliverNotice, QueuedNotice, QueueNotice
from mail.sender import NoticeSender
from store.connection import Connection
from store.events import EventStore, UnknownRequest
from store.lifecycle import answer_is_stored
from store.outbox import NotificationOutbox, Undeliverable

log = structlog.get_logger(__name__)


def _permanent(error: Exception, kind: str) -> ApplicationError:
    return ApplicationError(str(error), type=kind, non_retryable=True)


class RequestActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        events: EventStore,
        outbox: NotificationOutbox,
        sender: NoticeSender,
    ) -> None:
        self._pool = pool
        self._events = events
        self._outbox = outbox
        self._sender = sender

    async def _append_all(self, connection: Connection, events: tuple[NewEvent, ...]) -> None:
        try:
            await self._events.append_all_in(connection, events)
        except UnknownRequest as exc:
            raise _permanent(exc, "UnknownRequest") from exc

    @activity.defn(name="append_event")
    async def append_event(self, event: NewEvent) -> int:
        try:
            recorded = await self._events.append(event)
        except UnknownRequest as exc:
            raise _permanent(exc, "UnknownRequest") from exc
        log.info("event appended", event_type=event.type.value, seq=recorded.seq)
        return recorded.seq

    @activity.defn(name="queue_notice")
    async def queue_notice(self, order: QueueNotice) -> QueuedNotice:
        try:
            notification_id = await self._outbox.queue(order)
        except UnknownRequest as exc:
            raise _permanent(exc, "UnknownRequest") from exc
        log.info("notice queued", notice=order.notice.value, notification_id=notification_id)
        return QueuedNotice(notification_id=notification_id, idempotency_key=order.idempotency_key)

    @activity.defn(name="deliver_notice")
    async def deliver_notice(self, order: DeliverNotice) -> None:
        await self._deliver(order.request_id, order.notification_id, order.occurred_at)

    async def _deliver(self, request_id: str, notification_id: int, occurred_at: datetime) -> None:
        notice = await self._outbox.pending(notification_id)
        if notice is None:
            log.info("notice already delivered", notification_id=notification_id)
            return
        if isinstance(notice, Undeliverable):
            # Its recipient was erased: there is no one to send it to, and a retry would
            # find no one either, so the delivery ends here, recorded as never sent.
            await self._outbox.mark_undeliverable(
                request_id=request_id, notification_id=notification_id, occurred_at=occurred_at
            )
            log.warning(
                "notice not delivered: its recipient was erased", notification_id=notification_id
            )
            return
        await self._sender.send(notice)
        await self._outbox.mark_delivered(
            request_id=request_id, notification_id=notification_id, occurred_at=occurred_at
        )
        log.info("notice delivered", notification_id=notification_id)

    @activity.defn(name="send_notice")
    async def send_notice(self, order: QueueNotice) -> None:
        """Queue and deliver a notice in one activity: the queueing transaction also stores
        the bookkeeping the workflow recorded before it; a retry finds the notice by its
        key, queued or delivered, and does neither twice."""
        queued = await self.queue_notice(order)
        await self._deliver(order.request_id, queued.notification_id, order.occurred_at)

    @activity.defn(name="record_bookkeeping")
    async def record_bookkeeping(self, entries: Bookkeeping) -> None:
        """Store bookkeeping events no effect was due to carry, in one transaction."""
        async with self._pool.acquire() as connection, connection.transaction():
            await self._append_all(connection, entries.events)
        log.info("bookkeeping recorded", events=[e.type.value for e in entries.events])

    @activity.defn(name="attach_answer")
    async def attach_answer(self, order: AttachAnswer) -> None:
        async with self._pool.acquire() as connection, connection.transaction():
            if not await answer_is_stored(connection, order.answer_id, order.request_id):
                raise ApplicationError(
                    f"answer {order.answer_id} is not stored for request {order.request_id}",
                    type="UnknownAnswer",
                    non_retryable=True,
                )
            await self._append_all(connection, order.preceding)
            await self._events.append_in(
                connection,
                NewEvent(
                    request_id=order.request_id,
                    type=EventType.ANSWER_RECORDED,
                    payload={"answer_id": order.answer_id, "operator": order.operator},
                    occurred_at=order.occurred_at,
                    actor=order.operator,
                    idempotency_key=order.idempotency_key,
                ),
            )
        log.info("answer recorded", answer_id=order.answer_id, operator=order.operator)

    def all(self) -> list:
        return [
            self.append_event,
            self.queue_notice,
            self.deliver_notice,
            self.attach_answer,
            self.send_notice,
            self.record_bookkeeping,
        ]
