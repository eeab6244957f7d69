"""Article 6 (C4): a disclosure's link issued again, in one transaction: the new link
replaces the old (store/disclosure_links.py), its e-mail is rendered, sealed and queued in
the outbox's `notifications`, and `disclosure.link_reissued` and `notice.queued` are
appended to the request's events. Refused (domain/link_reissue.py) before anything is
written. Delivery is the outbox's own step (NotificationOutbox.pending / mark_delivered).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg

from domain.events import EventType, NewEvent
from domain.link_reissue import NOTICE, reissue_problem, render_reissued_link
from domain.requests import Language, RequestKind
from store.disclosure_links import LinkSettings, erased, has_items, issue_for_notice
from store.events import EventStore
from store.outbox import queue_to_requester
from store.sealing import subject_lock, vault_of


class ReissueRefused(Exception):
    """Why the link cannot be issued again; nothing was written."""


@dataclass(frozen=True)
class Reissued:
    request_id: str
    notification_id: int
    expires_at: datetime


async def reissue_link(
    pool: asyncpg.Pool,
    request_id: str,
    *,
    account: str,
    issued_at: datetime,
    settings: LinkSettings,
    zone: ZoneInfo,
) -> Reissued:
    """A new link to the request's disclosure, and its e-mail queued; ReissueRefused when
    the request has no compiled disclosure to open, or its subject was erased."""
    events = EventStore(pool)
    async with pool.acquire() as connection, connection.transaction():
        row = await connection.fetchrow(
            """SELECT r.kind, r.subject_id, r.personal_data_shredded_at IS NOT NULL AS shredded,
                      d.requester_name, d.requester_email, d.language, s.items
                 FROM requests r JOIN request_details d USING (request_id)
                 LEFT JOIN disclosures s USING (request_id)
                WHERE r.request_id = $1""",
            request_id,
        )
        if row is not None:
            # As the outbox does: a shredding running now finishes first.
            await connection.execute(
                "SELECT pg_advisory_xact_lock_shared($1)", subject_lock(row["subject_id"])
            )
        compiled, gone = False, False
        if row is not None and row["items"] is not None:
            compiled = True
            gone = (
                row["shredded"]
                or await erased(connection, row["items"])
                or await erased(connection, row["requester_email"])
            )
        problem = reissue_problem(
            request_id,
            kind=None if row is None else RequestKind(row["kind"]),
            compiled=compiled,
            has_items=compiled and not gone and await has_items(connection, request_id),
            erased=bool(gone),
        )
        if problem is not None:
            raise ReissueRefused(problem)
        assert row is not None
        issued = await issue_for_notice(connection, request_id, issued_at, settings, zone)
        assert issued is not None  # has_items: the same check
        url, expires_at = issued
        vault = vault_of(connection)
        rendered = render_reissued_link(
            request_id=request_id,
            requester_name=vault.open(row["requester_name"]),
            language=Language(row["language"]),
            zone=zone,
            url=url,
            expires_at=expires_at,
        )
        key = f"{NOTICE}:{request_id}:{uuid.uuid4()}"
        notification_id = await queue_to_requester(
            connection,
            key,
            request_id,
            NOTICE,
            subject_id=row["subject_id"],
            requester_email=row["requester_email"],
            rendered=rendered,
        )
        await events.append_all_in(
            connection,
            [
                NewEvent(
                    request_id=request_id,
                    type=EventType.DISCLOSURE_LINK_REISSUED,
                    payload={
                        "expires_at": expires_at.isoformat(),
                        "notification_id": notification_id,
                    },
                    occurred_at=issued_at,
                    actor=account,
                    idempotency_key=f"{key}:reissued",
                ),
                NewEvent(
                    request_id=request_id,
                    type=EventType.NOTICE_QUEUED,
                    payload={"notice": NOTICE, "notification_id": notification_id},
                    occurred_at=issued_at,
                    actor="system",
                    idempotency_key=f"{key}:queued",
                ),
            ],
        )
    return Reissued(request_id, notification_id, expires_at)
