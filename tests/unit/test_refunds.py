"""N7 (the refund): a fee paid after the payment window is refunded outside the service;
what the cashier may record as that refund, and the notice telling the person."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from domain.refunds import refund_problem, render_refund_notice
from domain.requests import Language

TODAY = date(2026, 3, 10)


def _problem(**overrides: object) -> str | None:
    facts: dict = {
        "request_closed": True,
        "invoice_request": "dis-1",
        "invoice_status": "refund_due",
        "paid_on": date(2026, 2, 20),
        "refunded_on": date(2026, 3, 2),
        "today": TODAY,
    } | overrides
    return refund_problem("dis-1", "inv-1", **facts)


def test_n7_a_refund_due_invoice_of_a_closed_request_may_be_recorded_refunded() -> None:
    """N7: the late fee's invoice, refund_due, of the closed request: no problem."""
    assert _problem() is None
    assert _problem(refunded_on=TODAY) is None


def test_n7_a_refund_is_refused_with_its_reason() -> None:
    """N7: not refund_due, refunded already, another request's invoice, no such invoice or
    request, an open request, a date in the future or before the payment: each refused."""
    assert _problem(request_closed=None) == "no request with id 'dis-1'"
    assert _problem(invoice_request=None) == "no invoice with id 'inv-1'"
    assert "belongs to another request" in str(_problem(invoice_request="dis-2"))
    assert "was recorded already" in str(_problem(invoice_status="refunded"))
    assert "is paid, not refund_due" in str(_problem(invoice_status="paid"))
    assert "is open, not refund_due" in str(_problem(invoice_status="open"))
    assert "is not closed yet" in str(_problem(request_closed=False))
    assert "is in the future" in str(_problem(refunded_on=date(2026, 3, 11)))
    assert "is before the fee was paid" in str(_problem(refunded_on=date(2026, 2, 19)))


def test_n7_the_refund_notice_says_the_amount_and_the_day_in_both_languages() -> None:
    """N7: the person is told N yen was refunded on DATE, in English and Japanese."""
    zone = ZoneInfo("Asia/Tokyo")
    facts = {
        "request_id": "dis-1",
        "requester_name": "Hanako",
        "zone": zone,
        "invoice_id": "inv-1",
        "amount_yen": 1000,
        "refunded_on": date(2026, 3, 2),
    }
    en = render_refund_notice(language=Language.EN, **facts)  # type: ignore[arg-type]
    assert en.subject == "Your disclosure fee has been refunded [dis-1]"
    assert "1,000 yen (invoice inv-1) was paid back to you on 2 March 2026" in en.body
    ja = render_refund_notice(language=Language.JA, **facts)  # type: ignore[arg-type]
    assert "2026年3月2日に、請求書inv-1の手数料1,000円を全額ご返金いたしました" in ja.body
    assert ja.subject == "開示手数料のご返金のお知らせ（受付番号：dis-1）"  # noqa: RUF001
