"""The cashier records that a late fee's refund was paid (`dsr record-refund`, `POST
/requests/{id}/refund`; N7): the request is closed, so this is no workflow's update but a
store act (store/refunds.py), done as the signed-in account holding the cashier role and
recorded in the request's events (`payment.refunded`). Its notice goes through the outbox
and the configured sender, as the request's notices do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

import asyncpg

from domain.authority import holds
from domain.refunds import REFUND_ROLE
from runtime.notice_senders import notice_sender
from runtime.settings import Settings
from service.acts import Actor, Forbidden
from service.requests import Refused, Unavailable
from store.events import EventStore
from store.outbox import NotificationOutbox, OutgoingNotice
from store.refunds import RefundRefused, record_refund, unsent_notice


@dataclass(frozen=True)
class RefundRecorded:
    request_id: str
    invoice_id: str
    amount_yen: int
    refunded_on: date
    notification_id: int | None
    handed_to: str | None  # where the sender took the e-mail (file name or Message-ID)

    def message(self) -> str:
        told = (
            f"the person was told (notification {self.notification_id})"
            if self.notification_id is not None
            else "no notice was sent: the person's data was erased"
        )
        return (
            f"the refund of {self.amount_yen} yen for invoice {self.invoice_id} of "
            f"{self.request_id}, paid on {self.refunded_on.isoformat()}, was recorded; "
            f"the invoice is refunded; {told}"
        )


async def record_fee_refund(
    request_id: str,
    actor: Actor,
    *,
    invoice_id: str,
    refunded_on: date,
    reference: str,
    pool: asyncpg.Pool,
    settings: Settings,
) -> RefundRecorded:
    """Record the refund and send its notice; Forbidden without the cashier role, Refused
    (nothing written) for an invoice not refund_due, refunded already, or another's."""
    if not holds(actor.roles, REFUND_ROLE):
        raise Forbidden(
            f"account {actor.account} does not hold the {REFUND_ROLE.value} role "
            "recording a refund needs"
        )
    if not reference.strip():
        raise Refused("the refund's reference is empty: give the bank transfer's reference")
    zone = settings.policy.zone()
    try:
        done = await record_refund(
            pool,
            request_id,
            invoice_id=invoice_id,
            refunded_on=refunded_on,
            reference=reference.strip(),
            account=actor.account,
            recorded_at=datetime.now(UTC),
            zone=zone,
        )
    except RefundRefused as error:
        # Recorded before, its notice not sent then (the sender failed): send it now.
        unsent = await unsent_notice(pool, request_id, invoice_id)
        if unsent is None:
            raise Refused(str(error)) from None
        done = unsent
    handed_to = None
    if done.notification_id is not None:
        sender = notice_sender(settings)
        outbox = NotificationOutbox(pool, EventStore(pool), zone, handed_to=sender.handle)
        notice = await outbox.pending(done.notification_id)
        if isinstance(notice, OutgoingNotice):
            try:
                handed_to = await sender.send(notice)
            except Exception as error:  # the sender's own failure (SMTP, disk): said
                raise Unavailable(
                    f"the refund of {invoice_id} was recorded but its notice could not be sent "
                    f"({type(error).__name__}: {str(error)[:120]}); run the command again: it "
                    "records nothing more and sends the notice"
                ) from None
            await outbox.mark_delivered(
                request_id=request_id,
                notification_id=done.notification_id,
                occurred_at=datetime.now(UTC),
            )
    return RefundRecorded(
        request_id, invoice_id, done.amount_yen, done.refunded_on, done.notification_id, handed_to
    )
