"""The notification outbox and the sender that delivers from it.

A notice is rendered and written to the outbox in the same transaction as its
`notice.queued` event; delivery is a separate, idempotent step. A retry of either
finds the row by its idempotency key and does nothing twice.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol
from urllib.parse import quote
from zoneinfo import ZoneInfo

import asyncpg

from activities.event_store import EventStore, UnknownRequest
from activities.notice_facts import notice_facts
from domain.events import EventType, NewEvent
from domain.messages import QueueNotice
from domain.notices import NoticeKind, render_notice
from domain.requests import Language, RequestKind


@dataclass(frozen=True)
class OutgoingNotice:
    notification_id: int
    idempotency_key: str
    recipient: str
    subject: str
    body: str


class NoticeSender(Protocol):
    """Delivers a notice. Must be idempotent on the notice's idempotency key."""

    async def send(self, notice: OutgoingNotice) -> None: ...


MAX_NAME = 255  # bytes in a file name on the file systems a maildrop lives on


def maildrop_name(key: str) -> str:
    """The file a notice is written to: its key, percent-encoded (one-to-one, so two keys
    never share a file); a key too long for a file name is cut and ends with a digest of
    the whole key, which keeps it one-to-one and readable."""
    name = f"{quote(key, safe='')}.json"
    if len(name.encode()) <= MAX_NAME:
        return name
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"{name[:MAX_NAME - len(digest) - 7]}-{digest}.json"


class MaildropSender:
    """Writes each notice as one JSON file named by its key into a maildrop folder, from
    which a mail relay (or a person testing) picks it up. Rewriting the same key
    replaces the file atomically, so a retried delivery leaves one message."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, notice: OutgoingNotice) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / maildrop_name(notice.idempotency_key)
        staging = target.with_suffix(".tmp")
        staging.write_text(
            json.dumps(
                # The key is the message's id: a relay that already sent it can tell a
                # retried delivery from a new message.
                {"message_id": notice.idempotency_key, "to": notice.recipient,
                 "subject": notice.subject, "body": notice.body},
                ensure_ascii=False, indent=2,
            ),
            encoding="utf-8",
        )
        os.replace(staging, target)


DEFAULT_ZONE = ZoneInfo("Asia/Tokyo")


class NotificationOutbox:
    def __init__(self, pool: asyncpg.Pool, events: EventStore,
                 zone: ZoneInfo = DEFAULT_ZONE) -> None:
        self._pool = pool
        self._events = events
        self._zone = zone  # the organisation's: dates in notices are written in it

    async def queue(self, order: QueueNotice) -> int:
        request_id, notice, idempotency_key = order.request_id, order.notice, order.idempotency_key
        occurred_at = order.occurred_at
        async with self._pool.acquire() as connection, connection.transaction():
            existing = await connection.fetchval(
                "SELECT notification_id FROM notifications WHERE idempotency_key = $1",
                idempotency_key,
            )
            if existing is not None:
                await self._events.append_all_in(connection, order.preceding)
                return existing
            request = await connection.fetchrow(
                """SELECT r.kind, d.requester_name, d.requester_email, d.language
                     FROM requests r JOIN request_details d USING (request_id)
                    WHERE r.request_id = $1""",
                request_id,
            )
            if request is None:
                raise UnknownRequest(request_id)
            answer_text = None
            if notice is NoticeKind.ANSWER:
                answer_text = await connection.fetchval(
                    """SELECT a.body FROM answers a
                         JOIN request_events e
                           ON e.request_id = a.request_id AND e.type = 'answer.recorded'
                          AND e.payload->>'answer_id' = a.answer_id::text
                        WHERE a.request_id = $1 ORDER BY e.seq DESC LIMIT 1""",
                    request_id,
                )
            rendered = render_notice(
                notice, request_kind=RequestKind(request["kind"]), request_id=request_id,
                requester_name=request["requester_name"],
                language=Language(request["language"]), zone=self._zone,
                answer_text=answer_text, facts=await notice_facts(connection, order),
            )
            notification_id = await connection.fetchval(
                """INSERT INTO notifications
                       (idempotency_key, request_id, notice, recipient, subject_line, body)
                   VALUES ($1, $2, $3, $4, $5, $6) RETURNING notification_id""",
                idempotency_key, request_id, notice.value, request["requester_email"],
                rendered.subject, rendered.body,
            )
            # The bookkeeping the workflow recorded before this notice, then its queueing:
            # one run of appends. (What a notice says never depends on that bookkeeping.)
            await self._events.append_all_in(connection, [
                *order.preceding,
                NewEvent(
                    request_id=request_id, type=EventType.NOTICE_QUEUED,
                    payload={"notice": notice.value, "notification_id": notification_id},
                    occurred_at=occurred_at, actor="system",
                    idempotency_key=f"{idempotency_key}:queued",
                ),
            ])
        return notification_id

    async def pending(self, notification_id: int) -> OutgoingNotice | None:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                """SELECT notification_id, idempotency_key, recipient, subject_line, body
                     FROM notifications WHERE notification_id = $1 AND status = 'pending'""",
                notification_id,
            )
        if row is None:
            return None
        return OutgoingNotice(
            row["notification_id"], row["idempotency_key"], row["recipient"],
            row["subject_line"], row["body"],
        )

    async def mark_delivered(self, *, request_id: str, notification_id: int, occurred_at) -> None:
        async with self._pool.acquire() as connection, connection.transaction():
            key = await connection.fetchval(
                """UPDATE notifications SET status = 'delivered', delivered_at = $2
                    WHERE notification_id = $1 RETURNING idempotency_key""",
                notification_id, occurred_at,
            )
            if key is None:
                raise LookupError(f"no notification with id {notification_id}")
            await self._events.append_in(
                connection,
                NewEvent(
                    request_id=request_id, type=EventType.NOTICE_DELIVERED,
                    payload={"notification_id": notification_id},
                    occurred_at=occurred_at, actor="system",
                    idempotency_key=f"{key}:delivered",
                ),
            )
