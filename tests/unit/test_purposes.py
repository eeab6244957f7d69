"""domain/purposes.py: the register as it stood at a moment, Article 4's relatedness
judgement, the method of telling people, and the notice's text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.holdings import HeldItem, Purpose, breaches
from domain.purposes import (
    ARTICLE_3_TEXTS,
    POLICY_START,
    ChangeRefused,
    NoticeMethod,
    PurposeChangeProposal,
    PurposeRegister,
    PurposeVersion,
    article_3_register,
    judge,
    published_since,
)
from domain.requests import SuspensionGround

CHANGED = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
ADDED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def register() -> PurposeRegister:
    """Article 3's register, billing changed at CHANGED and an incidental purpose (its
    relatedness judged) added at ADDED."""
    versions = [v for v in article_3_register() if v.purpose_id != "billing"]
    billing = ARTICLE_3_TEXTS[Purpose.BILLING]
    return PurposeRegister.of(
        [
            *versions,
            PurposeVersion("billing", 1, billing, POLICY_START, superseded_at=CHANGED),
            PurposeVersion(
                "billing", 2, "To bill users and to send receipts", CHANGED, change_id="chg-0"
            ),
            PurposeVersion(
                "loyalty_points",
                1,
                "To grant loyalty points",
                ADDED,
                incidental_to="billing",
                judged_by="admin",
            ),
        ]
    )


def proposal(**changes: object) -> PurposeChangeProposal:
    fields: dict[str, object] = {
        "change_id": "chg-1",
        "purpose_id": "billing",
        "new_text": "To bill users, send receipts and keep invoices",
        "new_text_ja": "ユーザーに利用料金を請求し、領収書を送付し、請求書を保管するため",
        "related": True,
        "reason": "Invoices are part of billing for the same service.",
        "decided_by": "admin",
        "method": NoticeMethod.NOTIFY,
        "proposed_at": CHANGED,
    }
    return PurposeChangeProposal(**{**fields, **changes})


def test_the_policy_starts_with_every_purpose_of_article_3_in_force() -> None:
    versions = article_3_register()
    assert {v.purpose_id for v in versions} == {p.value for p in Purpose}
    assert all(
        v.version == 1 and v.effective_from == POLICY_START and v.superseded_at is None
        for v in versions
    )


def test_a_version_is_in_force_from_its_start_until_the_next_one() -> None:
    reg = register()
    assert reg.in_force("billing", CHANGED - timedelta(microseconds=1)).version == 1
    assert reg.in_force("billing", CHANGED).version == 2
    assert reg.current("billing").version == 2
    assert reg.in_force("billing", POLICY_START - timedelta(days=1)) is None


def test_within_purpose_is_judged_against_the_register_as_it_stood_when_used() -> None:
    reg = register()
    before, after = ADDED - timedelta(days=1), ADDED + timedelta(days=1)
    assert not reg.within_purpose("loyalty_points", before)  # not yet a purpose then
    assert reg.within_purpose("loyalty_points", after)
    assert reg.within_purpose("incidental:loyalty_points", after)
    assert not reg.within_purpose("incidental:loyalty_points", before)
    # A changed purpose stays a purpose across its change.
    assert reg.within_purpose("billing", CHANGED - timedelta(days=1))
    assert reg.within_purpose("billing", CHANGED + timedelta(days=1))
    assert not reg.within_purpose("ad_resale", after)
    assert not reg.within_purpose(None, after)
    assert not reg.within_purpose("", after)


def test_a_related_change_replaces_the_current_version() -> None:
    assert judge(proposal(), register()).version == 2


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"related": False}, "not reasonably considered to be related"),
        ({"purpose_id": "ad_resale"}, "is not in the register"),
        ({"new_text": "To bill users and to send receipts  "}, "is the purpose's text already"),
        ({"new_text_ja": None}, "Japanese text"),
    ],
)
def test_a_change_article_4_does_not_allow_is_refused(changes: dict, says: str) -> None:
    with pytest.raises(ChangeRefused, match=says):
        judge(proposal(**changes), register())


def test_a_proposal_without_a_reason_or_with_a_naive_time_is_invalid() -> None:
    with pytest.raises(ValidationError):
        proposal(reason="short")
    with pytest.raises(ValidationError):
        proposal(proposed_at=datetime(2026, 6, 1, 9, 0))
    with pytest.raises(ValidationError):
        proposal(purpose_id="Billing!")
    with pytest.raises(ValidationError):
        proposal(change_id="../etc")


@pytest.mark.parametrize(
    ("method", "publishes", "notifies"),
    [
        (NoticeMethod.PUBLISH, True, False),
        (NoticeMethod.NOTIFY, False, True),
        (NoticeMethod.PUBLISH_AND_NOTIFY, True, True),
    ],
)
def test_the_method_says_whether_to_publish_and_whether_to_notify(
    method: NoticeMethod, publishes: bool, notifies: bool
) -> None:
    assert (method.publishes, method.notifies) == (publishes, notifies)
    assert NoticeMethod(method.value) is method


def test_a_purpose_added_without_a_judgement_makes_no_use_within_purpose() -> None:
    """N2 (D): before the fix, defining `sell_to_data_brokers` in the register (as a load
    did) made an item used for it "within purpose" and Article 8 found no breach. A purpose
    outside Article 3 counts only when it is incidental to one of them with its relatedness
    judged, or made by Article 4; otherwise the item stays beyond purpose."""
    sold = PurposeVersion("sell_to_data_brokers", 1, "To sell browsing history", ADDED)
    reg = PurposeRegister.of([*register().versions, sold])
    after = ADDED + timedelta(days=1)
    assert reg.in_force("sell_to_data_brokers", after) is sold
    assert not sold.established
    assert not reg.within_purpose("sell_to_data_brokers", after)
    item = HeldItem(1, "history", "browsing", "sell_to_data_brokers", True, used_at=after)
    grounds = (SuspensionGround.USED_BEYOND_PURPOSE,)
    assert breaches(item, grounds, within=lambda i: reg.within_purpose(i.purpose, after))
    # Incidental but never judged related: still not a purpose of use.
    unjudged = PurposeVersion("points", 1, "Points", ADDED, incidental_to="billing")
    assert not unjudged.established
    # An unestablished purpose cannot be laundered through Article 4 either.
    with pytest.raises(ChangeRefused, match="never entered the register"):
        judge(proposal(purpose_id="sell_to_data_brokers"), reg)


def test_an_item_is_judged_by_every_purpose_it_was_used_under() -> None:
    """N2: relabelling an item does not wash out its past use."""
    reg = register()
    after = ADDED + timedelta(days=1)
    assert reg.within_every_use([("billing", POLICY_START), ("loyalty_points", after)])
    assert not reg.within_every_use([("ad_resale", POLICY_START), ("billing", after)])


def test_a_change_of_a_purpose_whose_earlier_change_has_not_taken_effect_is_refused() -> None:
    """N6: a change takes effect only once published or notified; until then another
    change of the same purpose would follow a version not yet in force."""
    with pytest.raises(ChangeRefused, match="has not taken effect yet"):
        judge(proposal(), register(), under_way="chg-0")


def test_every_purpose_of_article_3_has_a_japanese_text() -> None:
    """N14: the register keeps a Japanese and an English text for each version."""
    for version in article_3_register():
        assert version.text_ja and version.text_in("ja") == version.text_ja
        assert version.text_in("en") == version.text


def test_c12_article_3s_purposes_are_never_published_as_in_force_from_the_sentinel() -> None:
    """C12: the purposes page said Article 3's seven were in force from 1 January 2000, a
    date the policy never states. They are dated by the policy's first posting, or not at
    all; a purpose changed or added later keeps the day it took effect."""
    first_posted = datetime(2026, 4, 1, 0, 0, tzinfo=UTC)
    reg = register()
    original = reg.current("provide_service")
    changed = reg.current("billing")
    assert original is not None and changed is not None
    assert published_since(original, first_posted) == first_posted
    assert published_since(original, None) is None
    assert published_since(changed, first_posted) == CHANGED
    assert published_since(changed, None) == CHANGED
    assert all(published_since(v, None) != POLICY_START for v in reg.versions)
