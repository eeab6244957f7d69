"""The notification outbox: notices rendered, sealed and queued, then marked delivered.

A notice is rendered and written to the outbox in the same transaction as its
`notice.queued` event; delivery is a separate, idempotent step. A retry of either
finds the row by its idempotency key and does nothing twice.

A notice's recipient, subject line and body are sealed under the key of the request's
subject (store/sealing.py) and opened only to be handed to the sender. A notice whose
recipient was erased (the subject's key was shredded) is never sent: there is no one to
send it to, and "[erased]" is no address. Queued after the erasure, its row holds the
erased address only and its `notice.queued` event says `recipient_erased`; erased after
it was queued, its delivery sends nothing and leaves it pending (`Undeliverable`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg
import structlog

from domain.events import EventType, NewEvent, PayloadValue
from domain.guests import answer_is_general
from domain.messages import QueueNotice
from domain.notice_texts import TEXTS
from domain.notices import NoticeKind, RenderedNotice, render_notice
from domain.payments import PaymentMethod
from domain.requests import Language, RequestKind
from store.connection import Connection
from store.disclosure_links import LinkSettings, issue_for_notice
from store.events import EventStore, UnknownRequest
from store.identity_checks import registration_matched
from store.notice_facts import notice_facts
from store.sealing import ERASED, key_of, subject_lock, vault_of

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class OutgoingNotice:
    notification_id: int
    idempotency_key: str
    recipient: str
    subject: str
    body: str


@dataclass(frozen=True)
class Undeliverable:
    """A pending notice that cannot be sent: its recipient was erased after it was queued
    (or before: then it was queued without content). It stays pending; nothing names the
    person."""

    notification_id: int
    idempotency_key: str


DEFAULT_ZONE = ZoneInfo("Asia/Tokyo")


async def _erased(connection: Connection, envelope: str) -> bool:
    """Whether a value is erased: its key gone from the keyring, or marked destroyed by a
    shredding whose keyring deletion has not run yet (store/shredding.py destroys the key
    after the commit). The key still opens the value then, but it was forgotten: it must
    be neither sent nor sealed again under the subject's new key."""
    if vault_of(connection).is_erased(envelope):
        return True
    return bool(
        await connection.fetchval(
            "SELECT destroyed_at IS NOT NULL FROM subject_keys WHERE key_id = $1", key_of(envelope)
        )
    )


async def _recorded_answer(connection: Connection, request_id: str) -> str | None:
    """The text of the answer last recorded for the request, opened (ERASED when its key
    was destroyed: the notice then says it was erased)."""
    sealed = await connection.fetchval(
        """SELECT a.body FROM answers a
             JOIN request_events e
               ON e.request_id = a.request_id AND e.type = 'answer.recorded'
              AND e.payload->>'answer_id' = a.answer_id::text
            WHERE a.request_id = $1 ORDER BY e.seq DESC LIMIT 1""",
        request_id,
    )
    return vault_of(connection).open_optional(sealed)


async def _answer_text(
    connection: Connection, request_id: str, subject_id: str, language: Language
) -> str | None:
    """The recorded answer; to a requester not shown to be the subject (a guest of the
    CONTACT form, or an address not on record: N8, old item 33) it is a general answer,
    and the notice says it carries no personal information about them, and how to get it."""
    answer = await _recorded_answer(connection, request_id)
    if answer is None or answer == ERASED:
        return answer
    if not answer_is_general(subject_id, await registration_matched(connection, request_id)):
        return answer
    return answer + "\n\n" + TEXTS[language]["answer.unverified"].format(request_id=request_id)


async def put_in_outbox(
    connection: Connection,
    idempotency_key: str,
    request_id: str,
    notice: str,
    recipient: str,
    subject_line: str,
    body: str,
) -> int:
    """A sealed notice into `notifications`, to be delivered; its id."""
    notification_id: int = await connection.fetchval(
        """INSERT INTO notifications
               (idempotency_key, request_id, notice, recipient, subject_line, body)
           VALUES ($1, $2, $3, $4, $5, $6) RETURNING notification_id""",
        idempotency_key,
        request_id,
        notice,
        recipient,
        subject_line,
        body,
    )
    return notification_id


async def queue_to_requester(
    connection: Connection,
    idempotency_key: str,
    request_id: str,
    notice: str,
    *,
    subject_id: str,
    requester_email: str,
    rendered: RenderedNotice,
) -> int:
    """A notice rendered outside a request's workflow (an operator's act on a closed
    request), sealed to the requester under the subject's key and put in the outbox."""
    vault = vault_of(connection)
    recipient, subject_line, body = await vault.seal_all(
        connection, subject_id, vault.open(requester_email), rendered.subject, rendered.body
    )
    return await put_in_outbox(
        connection, idempotency_key, request_id, notice, recipient, subject_line, body
    )


class NotificationOutbox:
    def __init__(
        self,
        pool: asyncpg.Pool,
        events: EventStore,
        zone: ZoneInfo = DEFAULT_ZONE,
        *,
        handed_to: Callable[[str], str] | None = None,
        disclosure_links: LinkSettings | None = None,
        payment: PaymentMethod | None = None,
    ) -> None:
        self._pool = pool
        # Article 6: where a disclosure's items are delivered, and for how long.
        self._links = disclosure_links or LinkSettings()
        self._events = events
        self._zone = zone  # the organisation's: dates in notices are written in it
        # The sender's handle of a notice by its key (MaildropSender.handle,
        # SmtpSender.handle), named in `notice.delivered` when the caller gives none.
        self._handed_to = handed_to
        self._payment = payment  # how the fee is paid: told in the fee request (N9)

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
            subject_id = await connection.fetchval(
                "SELECT subject_id FROM requests WHERE request_id = $1", request_id
            )
            if subject_id is None:
                raise UnknownRequest(request_id)
            # The subject's key lock before anything sealed is read: a shredding running
            # now finishes first, so what this notice copies is read as it left it (a
            # value it forgot is never sealed again here under the new key).
            await connection.execute(
                "SELECT pg_advisory_xact_lock_shared($1)", subject_lock(subject_id)
            )
            request = await connection.fetchrow(
                """SELECT r.kind, d.requester_name, d.requester_email, d.language
                     FROM requests r JOIN request_details d USING (request_id)
                    WHERE r.request_id = $1""",
                request_id,
            )
            if request is None:
                raise UnknownRequest(request_id)
            vault = vault_of(connection)
            recipient_erased = await _erased(connection, request["requester_email"])
            if recipient_erased:
                # No one to write to: nothing is composed (its facts may be erased too, and
                # a body for no reader is personal data kept for nothing). The row holds the
                # erased address in each column, so it opens as erased everywhere.
                recipient = subject_line = body = request["requester_email"]
            else:
                facts = await notice_facts(connection, order)
                if notice is NoticeKind.OUTCOME and facts.disclosed_items:
                    # Queued once per key (above): one link per notice, its token written
                    # only into this sealed body, its hash into the links.
                    issued = await issue_for_notice(
                        connection, request_id, occurred_at, self._links, self._zone
                    )
                    if issued is not None:
                        facts = replace(
                            facts, disclosure_link=issued[0], disclosure_link_expires_at=issued[1]
                        )
                rendered = render_notice(
                    notice,
                    request_kind=RequestKind(request["kind"]),
                    request_id=request_id,
                    requester_name=vault.open(request["requester_name"]),
                    language=Language(request["language"]),
                    zone=self._zone,
                    answer_text=await _answer_text(
                        connection, request_id, subject_id, Language(request["language"])
                    )
                    if notice is NoticeKind.ANSWER
                    else None,
                    facts=facts,
                    payment=self._payment,
                )
                recipient, subject_line, body = await vault.seal_all(
                    connection,
                    subject_id,
                    vault.open(request["requester_email"]),
                    rendered.subject,
                    rendered.body,
                )
            notification_id = await put_in_outbox(
                connection, idempotency_key, request_id, notice.value, recipient, subject_line, body
            )
            queued: dict[str, PayloadValue] = {
                "notice": notice.value,
                "notification_id": notification_id,
            }
            if recipient_erased:
                queued["recipient_erased"] = True
            # The bookkeeping the workflow recorded before this notice, then its queueing:
            # one run of appends. (What a notice says never depends on that bookkeeping.)
            await self._events.append_all_in(
                connection,
                [
                    *order.preceding,
                    NewEvent(
                        request_id=request_id,
                        type=EventType.NOTICE_QUEUED,
                        payload=queued,
                        occurred_at=occurred_at,
                        actor="system",
                        idempotency_key=f"{idempotency_key}:queued",
                    ),
                ],
            )
        if recipient_erased:
            log.warning(
                "notice queued undeliverable: the requester's address was erased",
                notice=notice.value,
                notification_id=notification_id,
            )
        return notification_id

    async def pending(self, notification_id: int) -> OutgoingNotice | Undeliverable | None:
        """The notice to send, opened; None once it was delivered; Undeliverable when its
        recipient was erased (before or since it was marked so)."""
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                """SELECT notification_id, idempotency_key, recipient, subject_line, body,
                          status
                     FROM notifications WHERE notification_id = $1
                      AND status IN ('pending', 'undeliverable')""",
                notification_id,
            )
            if row is None:
                return None
            if row["status"] == "undeliverable" or await _erased(connection, row["recipient"]):
                return Undeliverable(row["notification_id"], row["idempotency_key"])
            vault = vault_of(connection)
        recipient = vault.open(row["recipient"])
        if recipient == ERASED:  # destroyed since (_erased read the keyring a moment ago)
            return Undeliverable(row["notification_id"], row["idempotency_key"])
        return OutgoingNotice(
            row["notification_id"],
            row["idempotency_key"],
            recipient,
            vault.open(row["subject_line"]),
            vault.open(row["body"]),
        )

    async def mark_undeliverable(
        self, *, request_id: str, notification_id: int, occurred_at: datetime
    ) -> None:
        """Records once that a notice will never be sent (its recipient was erased): its
        row turns `undeliverable` and `notice.undeliverable` says so in the chain."""
        async with self._pool.acquire() as connection, connection.transaction():
            key = await connection.fetchval(
                """UPDATE notifications SET status = 'undeliverable'
                    WHERE notification_id = $1 AND status = 'pending'
                    RETURNING idempotency_key""",
                notification_id,
            )
            if key is None:
                return
            await self._events.append_in(
                connection,
                NewEvent(
                    request_id=request_id,
                    type=EventType.NOTICE_UNDELIVERABLE,
                    payload={"notification_id": notification_id, "reason": "recipient_erased"},
                    occurred_at=occurred_at,
                    actor="system",
                    idempotency_key=f"{key}:undeliverable",
                ),
            )

    async def mark_delivered(
        self, *, request_id: str, notification_id: int, occurred_at, handed_to: str | None = None
    ) -> None:
        """Records a notice's delivery once: its row turns `delivered` and a
        `notice.delivered` event names where it was handed over (`handed_to`, the sender's
        handle: the maildrop file or the Message-ID; no personal data)."""
        async with self._pool.acquire() as connection, connection.transaction():
            key = await connection.fetchval(
                """UPDATE notifications SET status = 'delivered', delivered_at = $2
                    WHERE notification_id = $1 RETURNING idempotency_key""",
                notification_id,
                occurred_at,
            )
            if key is None:
                raise LookupError(f"no notification with id {notification_id}")
            payload: dict[str, PayloadValue] = {"notification_id": notification_id}
            if handed_to is None and self._handed_to is not None:
                handed_to = self._handed_to(key)
            if handed_to is not None:
                payload["handed_to"] = handed_to
            await self._events.append_in(
                connection,
                NewEvent(
                    request_id=request_id,
                    type=EventType.NOTICE_DELIVERED,
                    payload=payload,
                    occurred_at=occurred_at,
                    actor="system",
                    idempotency_key=f"{key}:delivered",
                ),
            )


async def subject_notice_keys(connection: Connection, request_id: str) -> list[str]:
    """The keys of every notice to the subject of this request: the requests' notices, the
    privacy center's, and Article 4's (store/purpose_notices.notice_key)."""
    return [
        row["idempotency_key"]
        for row in await connection.fetch(
            """SELECT n.idempotency_key FROM notifications n JOIN requests r USING (request_id)
            WHERE r.subject_id = (SELECT subject_id FROM requests WHERE request_id = $1)
           UNION
           SELECT idempotency_key FROM privacy_center_notices
            WHERE subject_id = (SELECT subject_id FROM requests WHERE request_id = $1)
           UNION  -- Article 4's notices (store/purpose_notices.notice_key)
           SELECT 'purpose-change/' || change_id || '/' || subject_id
             FROM purpose_change_notices
            WHERE subject_id = (SELECT subject_id FROM requests WHERE request_id = $1)""",
            request_id,
        )
    ]
