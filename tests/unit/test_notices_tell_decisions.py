"""The notices of the review fixes: every decision is told when it is taken, and no notice
says more than the record shows (a clause-by-clause review of the policy found these)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from domain.decisions import Outcome
from domain.notices import NoticeFacts, NoticeKind, render_notice
from domain.requests import Language, RequestKind

TOKYO = ZoneInfo("Asia/Tokyo")
DUE = datetime(2026, 12, 20, 3, 0, tzinfo=UTC)


def body(
    kind: NoticeKind,
    request_kind: RequestKind = RequestKind.DISCLOSURE,
    language: Language = Language.EN,
    **facts: object,
) -> str:
    return render_notice(
        kind,
        request_kind=request_kind,
        request_id="req-9",
        requester_name="Hanako",
        language=language,
        zone=TOKYO,
        facts=NoticeFacts(**facts),
    ).body  # type: ignore[arg-type]


WITHHOLDING = {
    "invoice_id": "inv-9",
    "amount_yen": 1000,
    "due_at": DUE,
    "to_disclose": {"contact": 3},
    "withheld": {"financial": 2},
    "excluded": {"history": 1},
    "refusal_grounds": ("violation_of_other_laws",),
    "reason": "A court order covers the bank records.",
}


def test_art6_p1_the_fee_request_tells_the_decision_to_withhold_when_it_is_taken() -> None:
    """Art 6 ¶1: "if we decide not to disclose, we will notify you to that effect without
    delay": a partial decision is told in the fee request, not only after payment."""
    text = body(NoticeKind.FEE_REQUEST, **WITHHOLDING)
    assert "To be disclosed: contact information (3 items)." in text
    assert "Withheld under Article 6: financial information (2 items)" in text
    assert "violate other laws" in text and "A court order covers the bank records." in text
    assert "history information (1 item)" in text and "20 December 2026" in text
    ja = body(NoticeKind.FEE_REQUEST, language=Language.JA, **WITHHOLDING)
    assert "開示するもの：連絡先情報（3件）" in ja and "1件につき1,000円" in ja
    # 件 counts items and cases alike: the fee is said to be one, and the amount due given.
    assert "開示する項目の数にはよりません" in ja and "お支払い額：1,000円" in ja
    assert "however many items it discloses. Amount due: 1,000 yen" in text


def test_art6_p1_an_unpaid_fee_closes_the_request_and_the_withholding_is_told_again() -> None:
    facts = {k: v for k, v in WITHHOLDING.items() if k not in ("to_disclose", "invoice_id")}
    text = body(NoticeKind.CLOSED_FEE_UNPAID, outcome=Outcome.FEE_UNPAID, **facts)
    assert "Nothing was disclosed." in text and "we will refund the payment" in text  # N7
    assert "Withheld under Article 6: financial information (2 items)" in text


def test_art6_p2_a_disclosure_of_only_excluded_information_says_so() -> None:
    """Art 6 ¶2, N12: when all that is held is left out under the clause (held in a form
    that does not identify the person), the notice does not deny holding it."""
    text = body(
        NoticeKind.OUTCOME,
        outcome=Outcome.NOTHING_TO_DISCLOSE,
        excluded={"history": 3},
    )
    assert "only information in a form that does not identify you (see below)" in text
    assert "history information (3 items)" in text
    assert "We hold no personal information about you among" not in text


def test_art6_the_opening_follows_what_was_done_not_the_label_decided() -> None:
    """History appearing between the decision and the act: a notice decided in full says
    what the act left out, and does not open with "all"."""
    text = body(
        NoticeKind.OUTCOME,
        outcome=Outcome.DISCLOSED_IN_FULL,
        disclosed_items=(("contact", "phone", "090", False),),
        excluded={"history": 1},
        disclosure_link="https://privacy.example.jp/disclosure/tok",
        disclosure_link_expires_at=DUE,
    )
    assert "all the personal information" not in text and "except what Article 6" in text


def test_the_persons_own_window_extended_is_told_as_more_time_for_them() -> None:
    text = body(
        NoticeKind.DEADLINE_EXTENDED, due_at=DUE, extended_step="payment", reason="Bank holiday"
    )
    assert "You now have until 20 December 2026 to pay the fee" in text
    assert "We need more time" not in text and "Bank holiday" in text


def test_art8_p3_the_rest_is_told_on_the_grounds_given_with_either_ground() -> None:
    """Art 8 ¶3: the decision not to act on the rest is told, on the grounds the person
    gave; items are in breach of one ground or the other, not necessarily both."""
    text = body(
        NoticeKind.OUTCOME,
        RequestKind.SUSPENSION,
        outcome=Outcome.ERASED,
        breaches=("used_beyond_purpose", "obtained_wrongfully"),
        acted_items=(("history", "browsing"),),
        items_left=1,
    )
    assert "used beyond the purposes of use or obtained by wrongful means" in text
    assert "the rest of your personal information (1 item): on the grounds you gave" in text


def test_art5_a_provision_stopped_earlier_is_not_told_as_stopped_now() -> None:
    text = body(
        NoticeKind.OUTCOME,
        RequestKind.THIRD_PARTY_STOP,
        outcome=Outcome.NO_PROVISION_TO_STOP,
        already_stopped=("ads-co",),
    )
    assert "Provision to ads-co was stopped already, before this request." in text
    assert "We have stopped" not in text and "no provision to stop" not in text


def test_n3_a_fee_request_decided_before_n3_does_not_call_history_unidentifying() -> None:
    """N3: a request decided `disclosed_except_history_and_characteristic` before the
    reading changed, whose fee request or closing is still to go, says what was left out
    as the reading then applied, and that it is the person's personal information; it does
    not claim the history is held in a form that does not identify them."""
    for kind, outcome in (
        (NoticeKind.FEE_REQUEST, None),
        (NoticeKind.CLOSED_FEE_UNPAID, Outcome.FEE_UNPAID),
    ):
        text = body(kind, outcome=outcome, legacy_exclusion=True, **WITHHOLDING)
        assert "history information (1 item)" in text
        assert "This is your personal information" in text
        assert "does not identify you" not in text
        current = body(kind, outcome=outcome, **WITHHOLDING)
        assert "in a form that does not identify you: history information (1 item)" in current
