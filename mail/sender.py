"""What every notice sender is: it delivers a notice idempotently on the notice's key, and
never to an erased recipient."""

from __future__ import annotations

from typing import Protocol

from store.outbox import OutgoingNotice
from store.sealing import ERASED


class RecipientErased(ValueError):
    """A sender was handed a notice whose recipient opens as erased; nothing was sent."""


def refuse_erased(notice: OutgoingNotice) -> None:
    """A sender's last guard: a notice addressed to the erased marker goes nowhere (the
    outbox never hands one over; another caller might)."""
    if notice.recipient == ERASED:
        raise RecipientErased(
            f"notice {notice.idempotency_key}: its recipient was erased; nothing was sent"
        )


class NoticeSender(Protocol):
    """Delivers a notice. Must be idempotent on the notice's idempotency key. Returns only
    once the notice is handed over for good (a file on disk, a message a mail server
    accepted), with the handle it was handed over under: the maildrop file's name or the
    message's Message-ID, both derived from the key, never from the recipient. The outbox
    records it in the `notice.delivered` event."""

    async def send(self, notice: OutgoingNotice) -> str: ...
