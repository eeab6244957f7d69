"""The privacy center's outbox delivered: its codes and status links, with the service's
sender (the messages are queued by challenges.py, store/privacy_center.py keeps them)."""

from __future__ import annotations

import asyncpg
import structlog

from mail.sender import NoticeSender
from store import privacy_center as stored
from store.outbox import OutgoingNotice
from store.sealing import ERASED, key_of, vault_of

log = structlog.get_logger(__name__)


class Outbox:
    """Delivers the privacy center's messages with the service's sender. A message that
    fails stays pending and goes with the next delivery; one whose personal data was
    erased before it went is withdrawn (removed: it has no one left to go to)."""

    def __init__(self, pool: asyncpg.Pool, sender: NoticeSender) -> None:
        self._pool = pool
        self._sender = sender

    async def deliver(self, *notice_ids: int | None) -> None:
        ids = [i for i in notice_ids if i is not None]
        async with self._pool.acquire() as connection:
            vault = vault_of(connection)
            rows = await stored.pending_notices(connection, ids)
            # A shredding marks the key destroyed at its commit and deletes it from the
            # keyring after: in between the key still opens what was forgotten.
            forgotten = await stored.destroyed_keys(
                connection, [key_of(row["recipient"]) for row in rows]
            )
        for row in rows:
            recipient, subject_line, body = (
                vault.open(row[column]) for column in ("recipient", "subject_line", "body")
            )
            if key_of(row["recipient"]) in forgotten or ERASED in (recipient, subject_line, body):
                await self._withdraw(row["notice_id"])
                continue
            try:
                await self._sender.send(
                    OutgoingNotice(
                        row["notice_id"], row["idempotency_key"], recipient, subject_line, body
                    )
                )
            except Exception as error:  # kept pending, sent next time
                log.warning(
                    "privacy center message not delivered; it stays pending",
                    notice_id=row["notice_id"],
                    error=type(error).__name__,
                )
                continue
            await stored.mark_delivered(self._pool, row["notice_id"])

    async def _withdraw(self, notice_id: int) -> None:
        """Remove a pending message whose request's personal data was erased: kept, it
        would be tried at every delivery for ever, and the outbox has no other state for
        it (its code or link is of no use to anyone any more)."""
        await stored.withdraw_notice(self._pool, notice_id)
        log.info(
            "privacy center message withdrawn: its personal data was erased", notice_id=notice_id
        )
