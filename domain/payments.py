"""Article 6's fee, by the payment's own date (N7): a payment is judged by its value date,
the day the person paid, not by the day the cashier recorded it.

The person's payment window runs to the end of the day the fee request names. A payment
made within it is accepted even when it is recorded later, during the deadline policy's
grace (a bank transfer reconciled after a holiday). A payment made after that day is not
accepted: it is recorded, nothing is disclosed, and the fee is refunded (the notice says
so). After the grace the request is closed and the workflow takes no payment."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

from domain.deadlines import DeadlinePolicy
from domain.requests import Language


class PaymentTiming(StrEnum):
    IN_WINDOW = "in_window"  # accepted: the disclosure follows
    AFTER_WINDOW = "after_window"  # recorded, refunded; nothing is disclosed


class PaymentRefused(ValueError):
    """A payment the workflow cannot take; the message says why. Nothing was recorded."""


def payment_timing(
    policy: DeadlinePolicy,
    *,
    due_at: datetime,
    paid_on: date | None,
    now: datetime,
    lapsed: bool,
) -> PaymentTiming:
    """Whether a payment with value date `paid_on` (None: paid today) is on time, given
    the window due at `due_at` and the time it is recorded. Raises PaymentRefused."""
    today = policy.last_day(now)
    last_day = policy.last_day(due_at)
    if lapsed:
        raise PaymentRefused(
            f"the payment window closed on {last_day.isoformat()} and its grace has ended; "
            "the request is closed, so a payment received now is refunded outside it"
        )
    if paid_on is not None and paid_on > today:
        raise PaymentRefused(
            f"the payment's value date {paid_on.isoformat()} is in the future "
            f"(today is {today.isoformat()} in {policy.subject_zone})"
        )
    paid = paid_on or today
    return PaymentTiming.IN_WINDOW if paid <= last_day else PaymentTiming.AFTER_WINDOW


class PaymentMethod(BaseModel):
    """How a person pays the fee, as the organisation configures it (DSR_PAYMENT_*): bank
    transfer details in each language and/or a payment page; the invoice id is the
    reference. With none configured, the fee request sends the person to the CONTACT form
    for the details, so it never leaves them without a way to pay (N9)."""

    model_config = ConfigDict(frozen=True)

    bank_transfer_en: str | None = None
    bank_transfer_ja: str | None = None
    url: str | None = None  # may contain {invoice_id}

    def bank_transfer(self, language: Language) -> str | None:
        if language is Language.JA:
            return self.bank_transfer_ja or self.bank_transfer_en
        return self.bank_transfer_en or self.bank_transfer_ja

    def page(self, invoice_id: str) -> str | None:
        return None if self.url is None else self.url.replace("{invoice_id}", invoice_id)

    def how_to_pay(self, texts: dict[str, str], language: Language, invoice_id: str) -> list[str]:
        """The fee request's paragraphs on how to pay, in `texts` (the notice's language)."""
        bank, page = self.bank_transfer(language), self.page(invoice_id)
        lines = [texts["fee.how.bank"].format(bank=bank, invoice_id=invoice_id)] if bank else []
        if page:
            lines.append(texts["fee.how.page"].format(url=page, invoice_id=invoice_id))
        return lines or [texts["fee.how.contact"].format(invoice_id=invoice_id)]


def payment_problem(
    invoice_id: str, amount_yen: int, *, paid_invoice: str, paid_yen: int
) -> str | None:
    """Article 6's fee: the payment must be for this request's invoice, in full."""
    if paid_invoice != invoice_id:
        return (
            f"invoice {paid_invoice} does not exist for this request; its invoice is {invoice_id}"
        )
    if paid_yen != amount_yen:
        return f"the fee is {amount_yen} yen, not {paid_yen}"
    return None
