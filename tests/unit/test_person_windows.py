"""A person's own windows (N7), how to pay the fee (N9) and what to send as proof of
identity (N11): the rules in domain/ and what the notices say, in English and Japanese."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.deadlines import DeadlinePolicy, Step, end_of_local_day
from domain.notices import NoticeFacts, NoticeKind, render_notice
from domain.payments import PaymentMethod, PaymentRefused, PaymentTiming, payment_timing
from domain.requests import Language, RequestKind
from interfaces.api.models import RecordPaymentBody
from tests.support.cli import sent

TOKYO = ZoneInfo("Asia/Tokyo")
OPENED = datetime(2026, 11, 27, 0, 10, tzinfo=TOKYO)  # the review's (D) probe
POLICY = DeadlinePolicy()


def _notice(
    kind: NoticeKind,
    language: Language = Language.EN,
    payment: PaymentMethod | None = None,
    **facts: object,
) -> str:
    return render_notice(
        kind,
        request_kind=RequestKind.DISCLOSURE,
        request_id="req-7",
        requester_name="Hanako",
        language=language,
        zone=TOKYO,
        facts=NoticeFacts(**facts),  # type: ignore[arg-type]
        payment=payment,
    ).body


def test_n7_identity_window_runs_to_the_end_of_the_day_the_notice_names() -> None:
    """N7, the (D) probe: opened 27 Nov 00:10 JST, the notice says "by 11 December"; proof
    sent on the afternoon of 11 December is within the window (it closed at 00:10 before)."""
    due = POLICY.subject_due_at(Step.VERIFY_IDENTITY, OPENED)
    afternoon = datetime(2026, 12, 11, 15, 0, tzinfo=TOKYO)
    assert POLICY.due_at(Step.VERIFY_IDENTITY, OPENED) < afternoon < due
    assert due == datetime(2026, 12, 11, 23, 59, 59, 999999, tzinfo=TOKYO)
    assert datetime(2026, 12, 12, 0, 0, tzinfo=TOKYO) > due  # the next day is too late
    for language, day in ((Language.EN, "11 December 2026"), (Language.JA, "2026年12月11日")):
        asked = _notice(NoticeKind.IDENTITY_PROOF_REQUESTED, language, due_at=due)
        assert day in asked
    assert "by the end of 11 December 2026" in _notice(
        NoticeKind.IDENTITY_PROOF_REQUESTED, due_at=due
    )
    # The identity window has no grace; the fee window closes for good after its grace.
    assert POLICY.lapse_at(Step.VERIFY_IDENTITY, due) == due
    assert POLICY.lapse_at(Step.PAYMENT, due) == due + POLICY.payment_grace


def test_n7_the_day_is_the_notices_zone_not_utc() -> None:
    """N7: a window opened late in the UTC evening ends at the end of the Tokyo day."""
    opened = datetime(2026, 12, 1, 20, 41, tzinfo=ZoneInfo("UTC"))  # 2 December in Tokyo
    due = POLICY.subject_due_at(Step.PAYMENT, opened)
    assert due.astimezone(TOKYO).date() == date(2027, 1, 1)
    assert end_of_local_day(due, TOKYO) == due
    new_york = POLICY.model_copy(update={"subject_zone": "America/New_York"})
    assert (
        new_york.subject_due_at(Step.PAYMENT, opened)
        .astimezone(ZoneInfo("America/New_York"))
        .time()
        == datetime.max.time()
    )
    with pytest.raises(ValueError):
        DeadlinePolicy(subject_zone="Mars/Olympus")


def test_n7_a_payment_is_judged_by_its_value_date() -> None:
    """N7: a transfer made on the last day and recorded after the New Year holidays is on
    time; one made the day after is recorded late (refund due); a future date or a payment
    after the grace is refused, saying why."""
    due = POLICY.subject_due_at(Step.PAYMENT, datetime(2026, 11, 30, 10, 0, tzinfo=TOKYO))
    assert due.date() == date(2026, 12, 30)
    after_holidays = datetime(2027, 1, 5, 9, 30, tzinfo=TOKYO)

    def timing(paid_on: date | None, now: datetime, lapsed: bool = False) -> PaymentTiming:
        return payment_timing(POLICY, due_at=due, paid_on=paid_on, now=now, lapsed=lapsed)

    assert timing(date(2026, 12, 30), after_holidays) is PaymentTiming.IN_WINDOW
    assert timing(date(2026, 12, 31), after_holidays) is PaymentTiming.AFTER_WINDOW
    assert timing(None, datetime(2026, 12, 30, 23, 0, tzinfo=TOKYO)) is PaymentTiming.IN_WINDOW
    assert timing(None, after_holidays) is PaymentTiming.AFTER_WINDOW  # paid today: late
    with pytest.raises(PaymentRefused, match="value date 2027-01-06 is in the future"):
        timing(date(2027, 1, 6), after_holidays)
    with pytest.raises(PaymentRefused, match="closed on 2026-12-30 and its grace has ended"):
        timing(date(2026, 12, 30), after_holidays, lapsed=True)


def test_n7_fee_request_states_the_day_and_what_happens_to_a_late_payment() -> None:
    """N7: the fee request names the last day, that a payment made by then counts even if
    it reaches us later, and that a later one is refunded; the closing notice after a late
    payment says a refund is due instead of "nothing is charged"."""
    due = datetime(2026, 12, 30, 23, 59, 59, 999999, tzinfo=TOKYO)
    fee = {"invoice_id": "inv-7", "amount_yen": 1000, "due_at": due, "to_disclose": {"contact": 2}}
    text = _notice(NoticeKind.FEE_REQUEST, **fee)
    assert "by the end of 30 December 2026" in text
    assert "counts even if it reaches us a few days later" in text
    assert "we will refund it" in text and "nothing charged" not in text
    ja = _notice(NoticeKind.FEE_REQUEST, Language.JA, **fee)
    assert (
        "2026年12月30日中に" in ja and "返金いたします" in ja and "手数料も発生しません" not in ja
    )
    late = _notice(
        NoticeKind.CLOSED_FEE_UNPAID, invoice_id="inv-7", paid_late_on=date(2026, 12, 31)
    )
    assert "paid on 31 December 2026, after the payment deadline" in late
    assert "We will refund the fee you paid in full" in late
    assert "nothing is charged" not in late
    late_ja = _notice(
        NoticeKind.CLOSED_FEE_UNPAID,
        Language.JA,
        invoice_id="inv-7",
        paid_late_on=date(2026, 12, 31),
    )
    assert "2026年12月31日" in late_ja and "全額返金いたします" in late_ja
    unpaid = _notice(NoticeKind.CLOSED_FEE_UNPAID)
    assert "nothing is charged" not in unpaid and "we will refund the payment" in unpaid


def test_n9_fee_request_says_how_to_pay_with_the_invoice_as_reference() -> None:
    """N9: the fee request gives the configured payment method, in the person's language,
    with the invoice id as the reference; with none configured, it tells the person how to
    get the bank details (never a request that cannot be acted on)."""
    due = datetime(2026, 12, 30, 23, 59, 59, 999999, tzinfo=TOKYO)
    fee = {"invoice_id": "inv-req-7", "amount_yen": 1000, "due_at": due}
    method = PaymentMethod(
        bank_transfer_en="Mizuho Bank, Shibuya branch, ordinary account 1234567, Sesenergy",
        bank_transfer_ja="みずほ銀行 渋谷支店 普通 1234567 セセナジー",
        url="https://pay.example.jp/{invoice_id}",
    )
    en = _notice(NoticeKind.FEE_REQUEST, payment=method, **fee)
    assert "by bank transfer to Mizuho Bank, Shibuya branch" in en
    assert "enter inv-req-7 before your name as the remitter" in en
    assert "To pay online (invoice inv-req-7): https://pay.example.jp/inv-req-7" in en
    ja = _notice(NoticeKind.FEE_REQUEST, Language.JA, payment=method, **fee)
    assert "みずほ銀行 渋谷支店 普通 1234567 セセナジーへお振込みください" in ja
    assert "依頼人名の前にinv-req-7" in ja and "https://pay.example.jp/inv-req-7" in ja
    bank_only = _notice(
        NoticeKind.FEE_REQUEST, Language.JA, payment=PaymentMethod(bank_transfer_en="Bank X"), **fee
    )
    assert "Bank Xへお振込みください" in bank_only and "オンライン" not in bank_only
    unset = _notice(NoticeKind.FEE_REQUEST, **fee)
    assert "For our bank transfer details, please contact us through the CONTACT form" in unset
    assert "invoice inv-req-7" in unset


def test_n11_proof_request_names_documents_masking_and_how_long_the_copy_is_kept() -> None:
    """N11: the proof request says which documents to send, to mask the health insurance
    card's insurer number and the insured person's symbol and number, and when the copy is
    deleted; in both languages."""
    due = datetime(2026, 12, 11, 23, 59, 59, 999999, tzinfo=TOKYO)
    en = _notice(NoticeKind.IDENTITY_PROOF_REQUESTED, due_at=due)
    assert "driving licence, passport, residence card" in en
    assert "never the back, which shows the Individual Number" in en
    assert "black out the insurer number, the insured person's symbol and number" in en
    assert "delete the copy" in en and "at the latest when the request is closed" in en
    ja = _notice(NoticeKind.IDENTITY_PROOF_REQUESTED, Language.JA, due_at=due)
    assert "保険者番号、被保険者等記号・番号" in ja and "マスキング" in ja
    assert "遅くとも請求の終了時までに" in ja and "削除いたします" in ja
    assert "2026年12月11日中に" in ja


def test_n7_dsr_record_payment_takes_the_value_date() -> None:
    """N7: the cashier records the payment's own date (`--paid-on`); a bad one is refused
    by the command line before anything is sent."""
    done = sent(
        ["record-payment", "dis-1", "--invoice", "inv-dis-1", "--amount", "1000",
         "--reference", "bank-1", "--paid-on", "2026-12-30"]
    )  # fmt: skip
    paid = RecordPaymentBody.model_validate(done.body("/requests/dis-1/acts/record-payment"))
    assert paid.paid_on == date(2026, 12, 30) and paid.amount_yen == 1000
    unset = sent(
        ["record-payment", "dis-1", "--invoice", "i", "--amount", "1000", "--reference", "r"]
    )
    assert RecordPaymentBody.model_validate(unset.body("/acts/record-payment")).paid_on is None
    refused = sent(
        ["record-payment", "dis-1", "--invoice", "i", "--amount", "1000", "--reference",
         "r", "--paid-on", "30/12/2026"]
    )  # fmt: skip
    assert refused.code == 2 and refused.calls == []
