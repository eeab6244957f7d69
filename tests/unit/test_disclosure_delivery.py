# ruff: noqa: RUF001 - the Japanese notice is written with full-width punctuation
"""Article 6 delivered through the privacy center (review item 36, "disclosures sent bank
and card data in plain e-mail"): the outcome e-mail carries a link and its expiry, never a
disclosed value; the link's rules (expiry, erasure, how long an entered code opens it)
and what a download holds."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.decisions import Outcome
from domain.disclosure_delivery import (
    DEFAULT_LINK_DAYS,
    OPENED_FOR,
    LinkState,
    counts_by_category,
    disclosed_items,
    download_document,
    link_expires_at,
    link_state,
    opened_until,
    still_open,
)
from domain.notices import NoticeFacts, NoticeKind, format_date, render_notice
from domain.requests import Language, RequestKind

ISSUED = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
TOKYO = ZoneInfo("Asia/Tokyo")
CARD = "4111 1111 1111 1111"
BANK = "MUFG 0001 1234567"
LICENCE = "DL-123456789012"
COMPILED = [
    {
        "category": "financial",
        "field": "card_number",
        "value": CARD,
        "suspended": False,
        "system": "crm",
        "collection": "customers",
        "purpose": "billing",
        "purpose_text": {"en": "To bill users", "ja": "利用料金を請求するため"},
        "recipients": [
            {
                "partner_id": "pay-co",
                "name": "Pay Co.",
                "relationship": "entrustment",
                "basis": "not_third_party",
            }
        ],
    },
    {"category": "financial", "field": "bank_account", "value": BANK, "suspended": True},
    {
        "category": "identity",
        "field": "licence",
        "value": LICENCE,
        "purpose": "kyc",
        "recipients": [],
    },
]


def test_item36_a_link_expires_the_set_number_of_days_after_it_is_issued() -> None:
    """Item 36: the link is valid for a stated period (30 days unless set), to the end of
    the day it ends on (C4)."""
    assert DEFAULT_LINK_DAYS == 30
    # 12:00 UTC is 21:00 in Tokyo on 6 December: 30 days on is 5 January, to its end.
    assert link_expires_at(ISSUED, DEFAULT_LINK_DAYS, TOKYO) == datetime(
        2027, 1, 5, 23, 59, 59, 999999, tzinfo=TOKYO
    )
    assert link_expires_at(ISSUED, 1, TOKYO) == datetime(
        2026, 12, 7, 23, 59, 59, 999999, tzinfo=TOKYO
    )


@pytest.mark.parametrize(
    "issued",
    [
        datetime(2026, 12, 6, 6, 11, tzinfo=TOKYO),  # the review's probe: 06:11 JST
        datetime(2026, 12, 6, 0, 0, tzinfo=TOKYO),
        datetime(2026, 12, 6, 23, 59, tzinfo=TOKYO),
        datetime(2026, 12, 6, 15, 30, tzinfo=UTC),  # already 7 December in Tokyo
    ],
)
@pytest.mark.parametrize("language", [Language.EN, Language.JA])
def test_c4_the_day_the_email_names_is_the_last_day_the_link_opens(
    issued: datetime, language: Language
) -> None:
    """C4: the link issued at 06:11 JST died at 06:11 JST thirty days on, while the e-mail
    said it could be used until that day. Now it opens through the whole day the e-mail
    names, and not a moment into the next one."""
    expires = link_expires_at(issued, DEFAULT_LINK_DAYS, TOKYO)
    named = expires.astimezone(TOKYO).date()
    last_minute = datetime.combine(named, time(23, 59), tzinfo=TOKYO)
    next_day = datetime.combine(named + timedelta(days=1), time(0), tzinfo=TOKYO)
    assert named == issued.astimezone(TOKYO).date() + timedelta(days=DEFAULT_LINK_DAYS)
    assert link_state(found=True, expires_at=expires, erased=False, now=last_minute) is (
        LinkState.OPEN
    )
    assert link_state(found=True, expires_at=expires, erased=False, now=next_day) is (
        LinkState.EXPIRED
    )
    text = _outcome(
        language,
        outcome=Outcome.DISCLOSED_IN_FULL,
        disclosed_items=ITEMS,
        disclosure_link=LINK,
        disclosure_link_expires_at=expires,
    )
    assert format_date(named, TOKYO, language) in text, text


@pytest.mark.parametrize("days", [0, -1, 366])
def test_item36_a_link_period_out_of_bounds_is_refused(days: int) -> None:
    with pytest.raises(ValueError, match="valid for 1 to 365 days"):
        link_expires_at(ISSUED, days, TOKYO)


def test_item36_an_issue_time_without_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        link_expires_at(datetime(2026, 12, 6, 12, 0), 30, TOKYO)


def test_item36_the_link_opens_until_its_expiry_and_not_at_it() -> None:
    """Item 36: after expiry, nothing of the items is shown; expiry is said before
    erasure, and an unknown link is unknown."""
    expires = link_expires_at(ISSUED, 30, TOKYO)
    state = {
        "before": link_state(
            found=True, expires_at=expires, erased=False, now=expires - timedelta(seconds=1)
        ),
        "at": link_state(found=True, expires_at=expires, erased=False, now=expires),
        "erased": link_state(found=True, expires_at=expires, erased=True, now=ISSUED),
        "erased_expired": link_state(found=True, expires_at=expires, erased=True, now=expires),
        "unknown": link_state(found=False, expires_at=None, erased=False, now=ISSUED),
    }
    assert state == {
        "before": LinkState.OPEN,
        "at": LinkState.EXPIRED,
        "erased": LinkState.ERASED,
        "erased_expired": LinkState.EXPIRED,
        "unknown": LinkState.UNKNOWN,
    }


def test_item36_an_entered_code_opens_for_a_while_never_past_the_link() -> None:
    expires = link_expires_at(ISSUED, 1, TOKYO)
    entered = ISSUED + timedelta(hours=2)
    assert opened_until(entered, expires) == entered + OPENED_FOR
    late = expires - timedelta(minutes=5)
    assert opened_until(late, expires) == expires
    open_now = dict(verified_at=entered, link_expires=expires, erased=False)
    assert still_open(**open_now, now=entered + OPENED_FOR - timedelta(seconds=1))
    assert not still_open(**open_now, now=entered + OPENED_FOR)
    assert not still_open(**open_now, now=entered - timedelta(seconds=1))
    assert not still_open(verified_at=None, link_expires=expires, erased=False, now=entered)
    assert not still_open(verified_at=entered, link_expires=expires, erased=True, now=entered)


def test_item36_the_download_holds_each_item_with_its_recipients_and_purpose() -> None:
    """Item 36: the download holds what was disclosed, each item with where it is kept,
    its purpose of use and its recipients (None where the compiled item names none)."""
    items = disclosed_items(COMPILED)
    document = download_document(request_id="req-1", compiled_at=ISSUED, items=items)
    assert document == {
        "request_id": "req-1",
        "compiled_at": "2026-12-06T12:00:00+00:00",
        "items": [
            {
                "category": "financial",
                "field": "card_number",
                "field_name": "Credit card number",
                "value": CARD,
                "use_suspended": False,
                "system": "crm",
                "collection": "customers",
                "purpose": "billing",
                "purpose_text": "To bill users",
                "recipients": [
                    {
                        "partner_id": "pay-co",
                        "name": "Pay Co.",
                        "relationship": "entrustment",
                        "basis": "not_third_party",
                    }
                ],
            },
            {
                "category": "financial",
                "field": "bank_account",
                "field_name": "Bank account number",
                "value": BANK,
                "use_suspended": True,
                "system": None,
                "collection": None,
                "purpose": None,
                "purpose_text": None,
                "recipients": None,  # compiled without them: not "nobody"
            },
            {
                "category": "identity",
                "field": "licence",
                "field_name": "licence",  # a field no vocabulary knows: shown by its id
                "value": LICENCE,
                "use_suspended": False,
                "system": None,
                "collection": None,
                "purpose": "kyc",
                "purpose_text": None,
                "recipients": [],
            },
        ],
    }
    assert counts_by_category(COMPILED) == {"financial": 2, "identity": 1}
    # In Japanese: the field's name and the purpose's text in Japanese.
    [card, *_] = disclosed_items(COMPILED, Language.JA)
    assert (card.field_name, card.purpose_text) == (
        "クレジットカード番号",
        "利用料金を請求するため",
    )


def _outcome(language: Language, **facts: object) -> str:
    return render_notice(
        NoticeKind.OUTCOME,
        request_kind=RequestKind.DISCLOSURE,
        request_id="req-36",
        requester_name="Hanako",
        language=language,
        zone=ZoneInfo("Asia/Tokyo"),
        facts=NoticeFacts(**facts),  # type: ignore[arg-type]
    ).body


ITEMS = tuple((i["category"], i["field"], i["value"], bool(i.get("suspended"))) for i in COMPILED)
LINK = "https://privacy.example.jp/disclosure/AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-abcd"


@pytest.mark.parametrize(
    ("language", "words"),
    [
        (
            Language.EN,
            (
                "not in this e-mail",
                "financial information (2 items)",
                LINK,
                "until 5 January 2027",
                "one-time code",
                "Withheld under Article 6: transaction records (4 items)",
                "history information (2 items)",
            ),
        ),
        (
            Language.JA,
            (
                "このメールには記載しておりません",
                LINK,
                "2027年1月5日まで",
                "確認コード",
                "取引記録（4件）",
            ),
        ),
    ],
)
def test_item36_the_outcome_email_links_to_the_disclosure_and_carries_no_value(
    language: Language, words: tuple[str, ...]
) -> None:
    """Item 36 (R "O disclosed_full lists the values"): the e-mail says the disclosure is
    ready, links to it, says until when, and still what was withheld and left out; no
    card number, bank account or licence number is in it."""
    text = _outcome(
        language,
        outcome=Outcome.DISCLOSED_IN_PART,
        disclosed_items=ITEMS,
        withheld={"transaction": 4},
        excluded={"history": 2},
        refusal_grounds=("violation_of_other_laws",),
        disclosure_link=LINK,
        disclosure_link_expires_at=link_expires_at(ISSUED, 30, TOKYO),
    )
    assert all(w in text for w in words), text
    for value in (CARD, BANK, LICENCE, "card_number", "bank_account"):
        assert value not in text


def test_item36_a_disclosure_notice_without_its_link_is_not_written() -> None:
    """Items disclosed and no link: the e-mail would tell the person of data they cannot
    reach; it is refused rather than sent."""
    with pytest.raises(ValueError, match="needs the link"):
        _outcome(Language.EN, outcome=Outcome.DISCLOSED_IN_FULL, disclosed_items=ITEMS)


def test_c6_a_recipient_the_feed_withholds_is_shown_as_not_provided_with_why() -> None:
    """C6 (review of issue 24): the disclosure names a provision on record that the feed
    withholds as such: the download says `provided: false` and the reason's code, and the
    page (in English and Japanese) says it is on record but not provided, and why, in
    words; a recipient the feed carries to reads as before."""
    from interfaces.privacy_center.pages import templates
    from interfaces.privacy_center.texts import texts

    broker = {
        "partner_id": "broker-1",
        "name": "Data Broker Co., Ltd.",
        "relationship": "third_party",
        "basis": "opt_out_notified",
        "provided": False,
        "held_back": "opt_out_purpose_missing",
    }
    compiled = [COMPILED[0] | {"recipients": [*COMPILED[0]["recipients"], broker]}]
    document = download_document(
        request_id="req-1", compiled_at=ISSUED, items=disclosed_items(compiled)
    )
    pay, held = document["items"][0]["recipients"]
    assert "provided" not in pay and "held_back" not in pay
    assert held == {
        "partner_id": "broker-1",
        "name": "Data Broker Co., Ltd.",
        "relationship": "third_party",
        "basis": "opt_out_notified",
        "provided": False,
        "held_back": "opt_out_purpose_missing",
    }
    for language, says in (
        (
            Language.EN,
            "on record, but not provided: no purpose of use includes provision to third parties",
        ),
        (
            Language.JA,
            "記録上の提供先ですが、提供しておりません（第三者提供を含む利用目的がないため）",
        ),
    ):
        page = templates.env.get_template("disclosure_print.html").render(
            t=texts(language),
            lang=language.value,
            request_id="req-1",
            compiled="2026-12-06",
            items=disclosed_items(compiled, language),
        )
        assert says in page
        assert page.count(says) == 1  # the entrusted printer is provided to, as before
