"""Article 6's fee paid after the payment window (N7): it is recorded, nothing is disclosed,
and the invoice waits as `refund_due` (domain/payments.py). The refund is paid outside the
service; the cashier then records it (`dsr record-refund`), the invoice becomes `refunded`,
and the person is told the refund was paid. What may be recorded, and that notice, are here.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from domain.authority import Role
from domain.notice_texts import TEXTS
from domain.notices import RenderedNotice, format_date
from domain.requests import Language

# A payment's act on a closed request: the role that records payments records their refund.
REFUND_ROLE = Role.CASHIER
NOTICE = "fee_refunded"  # the outbox's name of the e-mail
REFUND_DUE = "refund_due"
REFUNDED = "refunded"


def refund_problem(
    request_id: str,
    invoice_id: str,
    *,
    request_closed: bool | None,
    invoice_request: str | None,
    invoice_status: str | None,
    paid_on: date | None,
    refunded_on: date,
    today: date,
) -> str | None:
    """Why a refund of `invoice_id` paid on `refunded_on` cannot be recorded for the
    request, or None. `request_closed` None: no such request; `invoice_request` None: no
    such invoice; `paid_on`: the late payment's value date; `today`: in the notices' zone."""
    if request_closed is None:
        return f"no request with id {request_id!r}"
    if invoice_request is None:
        return f"no invoice with id {invoice_id!r}"
    if invoice_request != request_id:
        return f"invoice {invoice_id} belongs to another request, not to {request_id}"
    if invoice_status == REFUNDED:
        return f"the refund of invoice {invoice_id} was recorded already"
    if invoice_status != REFUND_DUE:
        return (
            f"invoice {invoice_id} is {invoice_status}, not refund_due: only a fee paid after "
            "the payment window is refunded"
        )
    if not request_closed:
        return (
            f"{request_id} is not closed yet (its closing notice, which says the fee is "
            "refunded, is still to be sent); record the refund once it is closed"
        )
    if refunded_on > today:
        return f"the refund's date {refunded_on.isoformat()} is in the future (today is {today})"
    if paid_on is not None and refunded_on < paid_on:
        return (
            f"the refund's date {refunded_on.isoformat()} is before the fee was paid "
            f"({paid_on.isoformat()})"
        )
    return None


def render_refund_notice(
    *,
    request_id: str,
    requester_name: str,
    language: Language,
    zone: ZoneInfo,
    invoice_id: str,
    amount_yen: int,
    refunded_on: date,
) -> RenderedNotice:
    """The e-mail saying the fee of `amount_yen` was refunded on `refunded_on`."""
    texts = TEXTS[language]
    body = "\n\n".join(
        [
            texts["greeting"].format(name=requester_name),
            texts["fee.refunded"].format(
                request_id=request_id,
                invoice_id=invoice_id,
                amount=f"{amount_yen:,}",
                date=format_date(refunded_on, zone, language),
            ),
            texts["reference"].format(request_id=request_id),
            texts["closing"],
            texts["signature"],
        ]
    )
    subject = texts["subject.fee_refunded"].format(request_id=request_id)
    return RenderedNotice(subject=subject, body=body)
