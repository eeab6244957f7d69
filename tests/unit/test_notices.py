"""What each notice tells the person, in English and Japanese: exactly what was done and
what was not, dates in the organisation's time zone, and the fee only where it is due."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.deadlines import DeadlinePolicy
from domain.decisions import Outcome
from domain.notices import NoticeFacts, NoticeKind, format_date, render_notice
from domain.requests import Language, RequestKind

TOKYO = ZoneInfo("Asia/Tokyo")
LATE = datetime(2026, 12, 9, 20, 41, tzinfo=UTC)  # 10 December in Tokyo
EN, JA = Language.EN, Language.JA
OC, RK = Outcome, RequestKind
ISO = re.compile(r"\d{4}-\d{2}-\d{2}|T\d{2}:|\+00:00|\d{2}:\d{2}")


def body(
    kind: NoticeKind,
    request_kind: RequestKind = RK.DISCLOSURE,
    language: Language = EN,
    name: str = "Hanako",
    **facts: object,
) -> str:
    return render_notice(
        kind,
        request_kind=request_kind,
        request_id="req-7",
        requester_name=name,
        language=language,
        zone=TOKYO,
        facts=NoticeFacts(**facts),
    ).body  # type: ignore[arg-type]


def outcome(
    result: Outcome, request_kind: RequestKind, language: Language = EN, **facts: object
) -> str:
    return body(NoticeKind.OUTCOME, request_kind, language, outcome=result, **facts)


# Timing -------------------------------------------------------------------------------
def test_art6_p1_dates_are_read_in_the_organisations_time_zone() -> None:
    """Art 6 ¶1: "we will notify you to that effect without delay" - on a date the person
    reads as theirs: 20:41 UTC on 9 December is 10 December in Tokyo."""
    assert format_date(LATE, TOKYO, EN) == "10 December 2026"
    assert format_date(LATE, TOKYO, JA) == "2026年12月10日"
    assert format_date(LATE, ZoneInfo("UTC"), EN) == "9 December 2026"


@pytest.mark.parametrize(
    ("language", "promise"),
    [(EN, "We will answer by 10 December 2026."), (JA, "2026年12月10日までに回答いたします。")],
)
def test_art10_inquiry_receipt_gives_the_answer_date_not_a_timestamp(
    language: Language, promise: str
) -> None:
    """Art 10: "For inquiries regarding this Policy, please contact us" - the receipt says
    by which day we answer, as a date, never an ISO timestamp."""
    commitment = DeadlinePolicy().commitment(True, False, LATE - timedelta(days=15))
    assert commitment.answer_by == LATE
    text = body(NoticeKind.RECEIPT, RK.INQUIRY, language, commitment=commitment)
    assert promise in text
    assert not ISO.search(text)


@pytest.mark.parametrize("language", list(Language))
def test_art7_receipt_counts_days_from_identity_verification(language: Language) -> None:
    """Art 7 ¶2: "it shall make the correction, etc. ... without delay" - counted from the
    person's proof of identity, which is theirs to give."""
    commitment = DeadlinePolicy().commitment(False, False, LATE)
    days = commitment.decide_within_days
    assert days is not None and commitment.answer_by is None
    text = body(NoticeKind.RECEIPT, RK.CORRECTION, language, commitment=commitment)
    expected = {
        EN: f"within {days} days of confirming your identity",
        JA: f"ご本人確認ができた日から{days}日以内",
    }[language]
    assert expected in text
    assert "yen" not in text and "円" not in text
    assert not ISO.search(text)


@pytest.mark.parametrize("language", list(Language))
def test_a_receipt_after_the_privacy_centers_code_does_not_promise_an_identity_check(
    language: Language,
) -> None:
    """A person who entered the code sent to the address on record has proved who they are;
    the receipt says so, and counts the days from now, not from a check already done."""
    commitment = DeadlinePolicy().commitment(False, True, LATE)
    days = commitment.decide_within_days
    text = body(
        NoticeKind.RECEIPT, RK.DISCLOSURE, language, commitment=commitment, identity_confirmed=True
    )
    expected = {
        EN: ("with the code we sent", f"our decision within {days} days."),
        JA: ("お送りした確認コードにより", f"{days}日以内に決定をお知らせいたします"),
    }[language]
    assert all(part in text for part in expected)
    assert "will first confirm" not in text and "まずご本人であることを確認" not in text


def test_art6_p1_disclosure_receipt_explains_when_the_fee_is_asked() -> None:
    """Art 6 ¶1: "a fee of 1,000 yen per case will be charged for the disclosure" - asked
    once disclosure is decided; nothing is charged on a refusal."""
    commitment = DeadlinePolicy().commitment(False, True, LATE)
    text = body(NoticeKind.RECEIPT, RK.DISCLOSURE, EN, commitment=commitment)
    assert "1,000 yen" in text
    assert "only once we have decided to disclose" in text
    assert "If we decide not to disclose, nothing is charged." in text
    assert f"within {commitment.disclose_within_days_of_payment} days of receiving it" in text
    ja = body(NoticeKind.RECEIPT, RK.DISCLOSURE, JA, commitment=commitment)
    assert "1,000円" in ja and "開示しないと決定した場合、手数料はかかりません" in ja


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            EN,
            (
                "more time to investigate",
                "by 10 December 2026",
                "Reason, in our staff's words: archive",
            ),
        ),
        (JA, ("調査にさらに時間を要しております", "2026年12月10日までに", "archive")),
    ],
)
def test_art6_to_8_extension_notice_states_step_date_and_reason(
    language: Language, words: tuple[str, ...]
) -> None:
    """Art 8 ¶1: "conduct necessary investigation without delay" - when it takes longer,
    the person is told which step, until when and why."""
    text = body(
        NoticeKind.DEADLINE_EXTENDED,
        RK.SUSPENSION,
        language,
        due_at=LATE,
        extended_step="investigate",
        reason="archive retrieval",
    )
    assert all(w in text for w in words)
    assert not ISO.search(text)


# Identity -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "matched", "words"),
    [
        (EN, True, ("matches the one we hold", "by the end of 10 December 2026")),
        (EN, False, ("is not the one we hold", "by the end of 10 December 2026")),
        (JA, True, ("ご登録のものと一致しています", "2026年12月10日中に")),
        (JA, False, ("一致しません", "2026年12月10日中に")),
    ],
)
def test_art6_p1_identity_proof_notice_says_whether_the_email_matched(
    language: Language, matched: bool, words: tuple[str, ...]
) -> None:
    """Art 6 ¶1: "disclose it to the person" - so we ask for proof that it is them, by a
    date in our time zone."""
    text = body(
        NoticeKind.IDENTITY_PROOF_REQUESTED,
        RK.DISCLOSURE,
        language,
        due_at=LATE,
        registration_matched=matched,
    )
    assert all(w in text for w in words)
    assert "req-7" in text and not ISO.search(text)


# Fee ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("language", "words"),
    [
        (EN, ("1,000 yen", "invoice inv-7", "by the end of 10 December 2026", "nothing will")),
        (JA, ("1,000円", "請求書inv-7", "2026年12月10日中に")),
    ],
)
def test_art6_p1_fee_request_names_amount_invoice_and_date(
    language: Language, words: tuple[str, ...]
) -> None:
    """Art 6 ¶1: "a fee of 1,000 yen per case will be charged for the disclosure"."""
    text = body(
        NoticeKind.FEE_REQUEST,
        RK.DISCLOSURE,
        language,
        invoice_id="inv-7",
        amount_yen=1000,
        due_at=LATE,
    )
    assert all(w in text for w in words)


def test_art6_p1_unpaid_fee_closes_without_disclosure_or_charge() -> None:
    """Art 6 ¶1: the fee is "charged for the disclosure" - no disclosure, no charge."""
    for text in (body(NoticeKind.CLOSED_FEE_UNPAID), outcome(OC.FEE_UNPAID, RK.DISCLOSURE)):
        # N7: a payment may still arrive after the close; the notice says it is refunded.
        assert "Nothing was disclosed." in text and "we will refund the payment" in text
    ja = body(NoticeKind.CLOSED_FEE_UNPAID, language=JA)
    assert "開示は行っていません" in ja and "返金いたします" in ja


def test_art6_p1_refusal_names_its_grounds_and_charges_nothing() -> None:
    """Art 6 ¶1: "if we decide not to disclose, we will notify you to that effect"."""
    text = outcome(
        OC.DISCLOSURE_REFUSED,
        RK.DISCLOSURE,
        refusal_grounds=("violation_of_other_laws",),
        reason="court order",
    )
    assert "would violate other laws" in text and "No fee is charged." in text
    assert "Reason, in our staff's words: court order" in text
    assert "手数料はかかりません" in outcome(
        OC.DISCLOSURE_REFUSED, RK.DISCLOSURE, JA, refusal_grounds=("violation_of_other_laws",)
    )


# Article 6 ¶2 -------------------------------------------------------------------------

ITEMS = (("identity", "name", "Hanako Yamada", False), ("contact", "email", "h@ex.jp", True))
# Article 6 items are delivered in the privacy center: the notice carries the link.
LINK = {
    "disclosure_link": "https://privacy.example.jp/disclosure/tok",
    "disclosure_link_expires_at": LATE,
}
EXCEPT = {"disclosed_items": ITEMS, "excluded": {"history": 3, "characteristic": 1}, **LINK}


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            EN,
            (
                "identity information (1 item)",
                "contact information (1 item)",
                "https://privacy.example.jp/disclosure/tok",
                "until 10 December 2026",
                "Article 6, second paragraph",
                "in a form that does not identify you:",
                "history information (3 items)",
                "characteristic information (1 item)",
            ),
        ),
        (
            JA,
            (
                "本人を識別する情報（1件）",
                "連絡先情報（1件）",
                "2026年12月10日まで",
                "第6条第2項",
                "お客様を識別できない形",
                "履歴情報（3件）",
                "特性情報（1件）",
            ),
        ),
    ],
)
def test_art6_p2_notice_lists_what_was_disclosed_and_what_was_left_out(
    language: Language, words: tuple[str, ...]
) -> None:
    """N3, Art 6 ¶2: "we will not, in principle, disclose information other than personal
    information" - what is held in a form that does not identify the person is left out,
    the notice says so, with counts, and lists every item."""
    text = outcome(OC.DISCLOSED_EXCEPT_NOT_IDENTIFYING, RK.DISCLOSURE, language, **EXCEPT)
    assert all(w in text for w in words), text
    # Review item 36: the items themselves are in the privacy center, behind the link.
    assert "Hanako Yamada" not in text and "h@ex.jp" not in text


@pytest.mark.parametrize("language", [EN, JA])
def test_n3_no_notice_calls_the_persons_own_data_not_personal_information(
    language: Language,
) -> None:
    """N3: the notice used to say the person's history "is information other than personal
    information such as history information" (JA 「履歴情報および特性情報等の個人情報以外の
    情報」). No outcome says so now; a request decided under that reading, still in flight,
    says what it left out and that it is their personal information."""
    for oc in (OC.DISCLOSED_EXCEPT_NOT_IDENTIFYING, OC.NOTHING_TO_DISCLOSE):
        text = outcome(oc, RK.DISCLOSURE, language, excluded={"history": 2})
        assert "such as history information" not in text, text
        assert "履歴情報および特性情報等" not in text, text
    legacy = outcome(
        OC.DISCLOSED_EXCEPT_HISTORY_AND_CHARACTERISTIC, RK.DISCLOSURE, language, **EXCEPT
    )
    words = (
        ("This is your personal information", "we will disclose it without charging the fee")
        if language is EN
        else ("お客様の個人情報であり", "手数料をいただかずに開示いたします")
    )
    assert all(w in legacy for w in words), legacy
    assert "does not identify you" not in legacy and "識別できない" not in legacy, legacy
    only_history = outcome(
        OC.DISCLOSED_EXCEPT_HISTORY_AND_CHARACTERISTIC,
        RK.DISCLOSURE,
        language,
        excluded={"history": 2},
    )
    assert "does not identify you" not in only_history, only_history
    assert "識別できない" not in only_history, only_history


@pytest.mark.parametrize("language", [EN, JA])
def test_n12_nothing_to_disclose_says_what_is_held(language: Language) -> None:
    """N12: nothing held is told as such, not as a disclosure or a refusal; where only
    what does not identify the person is held, the notice says that it is held and why it
    is not disclosed."""
    none_held = outcome(OC.NOTHING_TO_DISCLOSE, RK.DISCLOSURE, language)
    apart = outcome(OC.NOTHING_TO_DISCLOSE, RK.DISCLOSURE, language, excluded={"history": 2})
    if language is EN:
        assert "We hold no personal information about you" in none_held, none_held
        assert "only information in a form that does not identify you" in apart, apart
        assert "history information (2 items)" in apart, apart
        assert "decided not to disclose" not in none_held + apart
    else:
        assert "個人情報はありません" in none_held, none_held
        assert "識別できない形の情報" in apart and "履歴情報（2件）" in apart, apart
        assert "開示しないことを決定" not in none_held + apart


def test_art6_p2_notice_names_included_categories_and_the_reason() -> None:
    """Art 6 ¶2: "in principle" - an inclusion is stated, with the operator's reason."""
    items = (*ITEMS, ("history", "logins", "42 logins", False))
    for language, words in (
        (
            EN,
            (
                "we include what we hold of history information in a form that does not "
                "identify you",
                "Reason, in our staff's words: asked twice",
                "history information (1 item)",
            ),
        ),
        (
            JA,
            ("識別できない形で保有する履歴情報も開示いたします", "asked twice", "履歴情報（1件）"),
        ),
    ):
        text = outcome(
            OC.DISCLOSED_IN_FULL,
            RK.DISCLOSURE,
            language,
            disclosed_items=items,
            included=("history",),
            inclusion_reason="asked twice",
            **LINK,
        )
        assert all(w in text for w in words), text
        assert "42 logins" not in text


def test_art6_p2_opening_does_not_except_an_included_category() -> None:
    """Art 6 ¶2: "we will not, in principle, disclose" history - but once history is
    included, the notice must not say it was excepted (only characteristic was)."""
    items = (*ITEMS, ("history", "logins", "42 logins", False))
    text = outcome(
        OC.DISCLOSED_EXCEPT_NOT_IDENTIFYING,
        RK.DISCLOSURE,
        disclosed_items=items,
        excluded={"characteristic": 1},
        included=("history",),
        inclusion_reason="asked twice",
        **LINK,
    )
    assert "except history and characteristic information" not in text, text


def test_art6_p1_partial_disclosure_of_nothing_does_not_deny_holding_data() -> None:
    """Art 6 ¶1: "we may not disclose all or part of it ... we will notify you to that
    effect" - withheld items are held; the notice must not say none are."""
    text = outcome(
        OC.DISCLOSED_IN_PART,
        RK.DISCLOSURE,
        disclosed_items=(),
        withheld={"identity": 2},
        refusal_grounds=("violation_of_other_laws",),
        reason="court order",
    )
    assert "Withheld under Article 6: identity information (2 items)" in text
    assert "We hold no personal information" not in text, text


# Article 8 ¶3 -------------------------------------------------------------------------

ACTED = {
    "breaches": ("used_beyond_purpose",),
    "items_left": 3,
    "acted_items": (("contact", "email"), ("history", "visits")),
}


@pytest.mark.parametrize(
    ("result", "language", "words"),
    [
        (
            OC.USE_SUSPENDED,
            EN,
            (
                "We have suspended the use of the items above",
                "not to suspend the use of the rest of your personal information (3 items)",
            ),
        ),
        (
            OC.ERASED,
            EN,
            (
                "We have erased the items above.",
                "not to erase the rest of your personal information (3 items)",
            ),
        ),
        (
            OC.USE_SUSPENDED,
            JA,
            (
                "第三者への提供を含みます",
                "その他の個人情報",
                "3件",
                "利用を停止しないことを決定しました",
            ),
        ),
        (
            OC.ERASED,
            JA,
            ("上記の項目を消去しました", "その他の個人情報", "3件", "消去しないことを決定しました"),
        ),
    ],
)
def test_art8_p3_notice_names_items_acted_on_and_the_rest_not(
    result: Outcome, language: Language, words: tuple[str, ...]
) -> None:
    """Art 8 ¶3: "notify the user without delay when it has suspended use, etc. ... or when
    it has decided not to suspend use, etc." - both halves, item by item."""
    text = outcome(result, RK.SUSPENSION, language, **ACTED)
    cats = {
        EN: ("Contact information / E-mail address", "History information / visits"),
        JA: ("連絡先情報／メールアドレス", "履歴情報／visits"),
    }[language]
    assert all(w in text for w in (*cats, *words)), text


def test_art8_p3_already_suspended_items_are_reported() -> None:
    """Art 8 ¶3: "when it has suspended use, etc." - including what was suspended before."""
    text = outcome(OC.USE_SUSPENDED, RK.SUSPENSION, already_suspended=2, **ACTED)
    assert "Besides these, the use of 2 items found in breach was suspended already" in text


def test_art8_p4_alternative_measures_notice_says_nothing_was_suspended_or_erased() -> None:
    """Art 8 ¶4: "when it is possible to take necessary alternative measures ... this
    alternative measure shall be taken" - instead of, not as well as, suspension."""
    facts = {
        **ACTED,
        "alternative_ground": "large_expense",
        "measure": "flagged: do not mail",
        "reason": "vendor archive",
    }
    text = outcome(OC.ALTERNATIVE_MEASURES, RK.SUSPENSION, **facts)
    assert "involve a large amount of expense" in text
    assert "Their use has not been suspended and they have not been erased." in text
    assert "Alternative measures taken, in our staff's words: flagged: do not mail" in text
    assert "Contact information / E-mail address" in text
    assert "We have suspended" not in text and "We have erased" not in text
    ja = outcome(OC.ALTERNATIVE_MEASURES, RK.SUSPENSION, JA, **facts)
    assert "利用停止・消去そのものは行っていません" in ja and "flagged: do not mail" in ja


def test_old7_art8_p4_the_notice_names_the_measure_and_who_applied_or_confirmed_it() -> None:
    """Old item 7 (Art 8 ¶4): "this alternative measure shall be taken". The notice says
    which measure was taken on the items listed, and that the service applied it or which
    account confirmed it was taken, and when; in both languages."""
    base = {**ACTED, "alternative_ground": "otherwise_difficult", "reason": "archive"}
    applied = {**base, "alternative_measure": "stop_provision_to_third_parties"}
    text = outcome(OC.ALTERNATIVE_MEASURES, RK.SUSPENSION, measure_applied=True, **applied)
    assert (
        "The measure taken on the items listed above: stopping the provision of these items "
        "to any third party. Our request service applied it itself" in text
    )
    ja = outcome(OC.ALTERNATIVE_MEASURES, RK.SUSPENSION, JA, measure_applied=True, **applied)
    assert "上記の項目について講じた措置：これらの項目の第三者への提供の停止。" in ja
    confirmed = {
        **base,
        "alternative_measure": "restrict_access",
        "measure_confirmed_by": "it-owner",
        "measure_confirmed_at": LATE,
    }
    text = outcome(OC.ALTERNATIVE_MEASURES, RK.SUSPENSION, **confirmed)
    assert "restricting access to these items to the staff who need it" in text
    assert "it-owner, the member of staff responsible for it, confirmed on 10 December 2026" in (
        text
    )
    assert "applied it itself" not in text
    ja = outcome(OC.ALTERNATIVE_MEASURES, RK.SUSPENSION, JA, **confirmed)
    assert "担当責任者（it-owner）が2026年12月10日に実施を確認しました。" in ja
    # Named but neither applied nor confirmed on record: the notice claims neither.
    text = outcome(
        OC.ALTERNATIVE_MEASURES, RK.SUSPENSION, **{**confirmed, "measure_confirmed_by": None}
    )
    assert "The measure taken" not in text


def test_n17_art6_p1_each_withheld_part_is_told_with_its_own_ground() -> None:
    """N17 (Art 6: "we may not disclose all or part of it"): a single item withheld is told
    by its category and field with its ground, a category withheld as a part with its own,
    and what was withheld on the decision's grounds as before; never a value."""
    facts = {
        "disclosed_items": (("identity", "name", "Hanako", False),),
        "disclosure_link": "https://privacy.example/d/abc",
        "disclosure_link_expires_at": LATE,
        "withheld": {"contact": 2, "transaction": 3},
        "withheld_parts": (
            ("contact", "email", 1, "violation_of_other_laws"),
            ("transaction", None, 3, "significant_hindrance_to_business"),
        ),
        "refusal_grounds": ("risk_to_life_body_property_or_rights",),
        "reason": "a court order",
    }
    text = outcome(OC.DISCLOSED_IN_PART, RK.DISCLOSURE, **facts)
    assert "Withheld under Article 6: contact information (1 item). Grounds: disclosure " in text
    assert "Withheld under Article 6, each part on its own ground:" in text
    assert (
        "- Contact information / E-mail address (1 item), on the ground that disclosure would "
        "violate other laws and regulations" in text
    )
    assert "- transaction records (3 items), on the ground that disclosure could significantly" in (
        text
    )
    ja = outcome(OC.DISCLOSED_IN_PART, RK.DISCLOSURE, JA, **facts)
    assert "第6条により、次のものはそれぞれの事由により開示いたしません：" in ja
    assert "- 連絡先情報／メールアドレス（1件）、事由：他の法令に違反することとなること" in ja
    # Only parts, no decision-wide ground: no line with an empty list of grounds.
    only = {**facts, "withheld": {"transaction": 3}, "refusal_grounds": ()}
    only["withheld_parts"] = facts["withheld_parts"][1:]
    text = outcome(OC.DISCLOSED_IN_PART, RK.DISCLOSURE, **only)
    assert "Grounds:" not in text and "transaction records (3 items), on the ground" in text


def test_art8_p3_refusal_does_not_deny_items_found_but_already_suspended() -> None:
    """Art 8 ¶3: "notify the user ... when it has decided not to suspend use" - truthfully:
    items found in breach but suspended already were found, not absent."""
    text = outcome(
        OC.SUSPENSION_REFUSED,
        RK.SUSPENSION,
        already_suspended=2,
        breaches=("used_beyond_purpose",),
        reason="already suspended",
    )
    assert "found none" not in text, text
    assert "2 items" in text and "suspended already" in text
    ja = outcome(OC.SUSPENSION_REFUSED, RK.SUSPENSION, JA, already_suspended=2)
    assert "2件" in ja and "本請求の前から利用を停止しています" in ja


# Article 5 ----------------------------------------------------------------------------

PROVISION = {
    "continued_partners": (("city-office", "cooperation_with_authorities"),),
    "not_third_parties": (("mail-house", "entrustment"), ("merged-co", "business_succession")),
    "unknown_partners": ("shady-co",),
}


def test_art5_stop_notice_names_stopped_continued_not_third_and_unknown() -> None:
    """Art 5 ¶1: "will be stopped at the request of the person"; ¶2 "shall not be deemed to
    be a third party" - each named recipient is accounted for."""
    text = outcome(
        OC.PROVISION_STOPPED,
        RK.THIRD_PARTY_STOP,
        stopped_partners=("ads-co", "clinic"),
        reason="law",
        **PROVISION,
    )
    assert "We have stopped providing your personal information to: ads-co, clinic." in text
    assert (
        "We have decided to continue providing your personal information to city-office, "
        "because the law permits this provision without your consent: it is necessary to "
        "cooperate with a national agency"
    ) in text
    assert "(entrustment, business succession)" in text
    assert "mail-house, merged-co" in text
    assert "did not match the name or id of any recipient" in text
    assert "What you entered as \u201cshady-co\u201d did not match" in text


@pytest.mark.parametrize("result", [OC.NO_PROVISION_TO_STOP, OC.STOP_REFUSED, OC.PROVISION_STOPPED])
@pytest.mark.parametrize("language", list(Language))
def test_art5_notice_never_claims_a_stop_with_nobody_stopped(
    result: Outcome, language: Language
) -> None:
    """Art 5 ¶1: "will be stopped at the request of the person" - said only of those
    actually stopped."""
    continued = PROVISION["continued_partners"] if result is OC.STOP_REFUSED else ()
    text = outcome(
        result, RK.THIRD_PARTY_STOP, language, **{**PROVISION, "continued_partners": continued}
    )
    assert "stopped" not in text and "停止しました" not in text
    assert "shady-co" in text and "mail-house" in text
    if not continued:
        assert ("there is no provision to stop" in text) or ("停止する提供はありません" in text)


@pytest.mark.parametrize("language", list(Language))
def test_n4_text_matching_no_recipient_is_never_called_no_record(language: Language) -> None:
    """N4: "Ad Network Inc." typed by the person matched no id, and the notice said "We have
    no record of providing your personal information to: Ad, Network, Inc.", which is
    false when the company is a recipient under another id. Now the notice says the text
    matched no recipient on record, that nothing was done for it, and how to ask again;
    and it does not say there was no provision to stop."""
    text = outcome(
        OC.NO_PROVISION_TO_STOP,
        RK.THIRD_PARTY_STOP,
        language,
        unknown_partners=("Ad Network Inc.",),
    )
    assert "no record" not in text and "記録はありません" not in text, text
    assert "Ad Network Inc." in text, text
    if language is Language.EN:
        assert "What you entered as \u201cAd Network Inc.\u201d did not match" in text, text
        assert "did not match the name or id of any recipient" in text, text
        assert "stop provision to all third parties" in text, text
        assert "there is no provision to stop" not in text, text
    else:
        assert "ご記入の「Ad Network Inc.」は" in text, text
        assert "いずれとも一致しなかった" in text and "すべての第三者" in text, text
        assert "停止する提供はありません" not in text, text


def test_art5_p1_continued_partner_cites_its_exception_in_japanese() -> None:
    """Art 5 ¶1: "to improve public health or promote the sound growth of children"."""
    text = outcome(
        OC.STOP_REFUSED,
        RK.THIRD_PARTY_STOP,
        JA,
        continued_partners=(("clinic", "public_health_or_children"),),
    )
    assert "clinicへの提供" in text and "公衆衛生の向上または児童の健全な育成" in text


# Article 7 ----------------------------------------------------------------------------

MADE = (("phone", "correct", "090-1111"), ("nickname", "add", "Hana"), ("fax", "delete", None))
NOT_MADE = (
    ("email", "correct", "already_this_value"),
    ("title", "add", "already_held"),
    ("pager", "delete", "not_held"),
)


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            EN,
            (
                "Telephone number: corrected to 090-1111",
                "Nickname: added as Hana",
                "fax: deleted",
                "E-mail address (correct): it already has this value",
                "title (add): we already hold this",
                "pager (delete): we hold no such item",
            ),
        ),
        (
            JA,
            (
                "電話番号：090-1111に訂正",
                "ニックネーム：Hanaを追加",
                "fax：削除",
                "メールアドレス（訂正）：既にご指定の内容で登録されています",
                "pager（削除）",
            ),
        ),
    ],
)
def test_art7_p3_notice_lists_changes_made_and_not_made(
    language: Language, words: tuple[str, ...]
) -> None:
    """Art 7 ¶3: "notify the user without delay when it has made a correction, etc. ... or
    when it has decided not to make a correction"."""
    text = outcome(
        OC.CORRECTION_MADE, RK.CORRECTION, language, changes_made=MADE, changes_not_made=NOT_MADE
    )
    assert all(w in text for w in words), text


def test_art7_p3_no_change_made_is_not_announced_as_made() -> None:
    """Art 7 ¶3: notify "when it has made a correction, etc." - not when none was made."""
    text = outcome(OC.CORRECTION_MADE, RK.CORRECTION, changes_not_made=NOT_MADE)
    assert "We have made" not in text, text


def test_art10_answer_carries_the_text_and_names_are_printed_as_given() -> None:
    """Art 10: "For inquiries regarding this Policy, please contact us via the CONTACT
    form" - the answer is the operator's text; a name like a field stays verbatim."""
    text = render_notice(
        NoticeKind.ANSWER,
        request_kind=RK.INQUIRY,
        request_id="req-7",
        requester_name="{request_id}",
        zone=TOKYO,
        answer_text="Seven years.",
    )
    assert text.body.startswith("Dear {request_id},\n\n")
    assert "\n\nSeven years.\n\nReference: req-7\n\n" in text.body
    with pytest.raises(ValueError, match="needs the answer text"):
        body(NoticeKind.ANSWER, RK.INQUIRY)
    closed = body(NoticeKind.CLOSED_IDENTITY_NOT_VERIFIED)
    assert "could not confirm your identity" in closed and "Nothing was disclosed" in closed
