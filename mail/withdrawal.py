"""An erasure's last step where notices go to a maildrop: the subject's files still there
(no relay has picked them up) are named in a `notices.withdrawn` event, then removed."""

from __future__ import annotations

import asyncio
from pathlib import Path

import structlog

from domain.events import EventType, NewEvent
from domain.messages import CarryOut
from mail.maildrop import MaildropSender, maildrop_name, maildrop_staging_prefix
from store.connection import Connection
from store.events import EventStore
from store.lifecycle import recorded_event
from store.outbox import subject_notice_keys

log = structlog.get_logger(__name__)


async def withdraw_notices(
    connection: Connection, events: EventStore, order: CarryOut, maildrop: MaildropSender
) -> None:
    """Name the subject's files still in the maildrop in a `notices.withdrawn` event, then
    remove them: the record never says less than was done. A retry removes what is still
    there of what the event names, and nothing it does not name."""
    keys = await subject_notice_keys(connection, order.request_id)
    key = f"{order.idempotency_key}:notices-withdrawn"
    recorded = await recorded_event(connection, key)
    payload = None if recorded is None else recorded["payload"]
    if payload is None:
        listed = await asyncio.to_thread(maildrop_files, maildrop.folder, keys)
        if not listed:
            return  # nothing there: nothing to record or remove
        async with connection.transaction():
            # An attempt that recorded first wins: its list is the one removed.
            payload = (
                await events.append_in(
                    connection,
                    NewEvent(
                        request_id=order.request_id,
                        type=EventType.NOTICES_WITHDRAWN,
                        payload={"files": ",".join(listed), "count": len(listed)},
                        occurred_at=order.occurred_at,
                        actor="system",
                        idempotency_key=key,
                    ),
                )
            ).payload
    named = set(filter(None, str(payload.get("files") or "").split(",")))
    removed = await maildrop.withdraw(
        k
        for k in keys
        if maildrop_name(k) in named
        or any(name.startswith(maildrop_staging_prefix(k)) for name in named)
    )
    log.info("notices withdrawn from the maildrop", files=len(removed))


def maildrop_files(folder: Path, keys: list[str]) -> list[str]:
    """The files of these notices in the maildrop, chosen as MaildropSender.withdraw
    chooses those it removes: the notice's own file and any staging file of it."""
    if not folder.is_dir():
        return []
    names = {maildrop_name(key) for key in keys}
    prefixes = tuple(maildrop_staging_prefix(key) for key in keys)
    return sorted(
        path.name
        for path in folder.iterdir()
        if path.name in names or (prefixes and path.name.startswith(prefixes))
    )
