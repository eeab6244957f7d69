"""domain/purposes.py: the register as it stood at a moment, Article 4's relatedness
judgement, the method of telling people, and the notice's text."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from domain.holdings import Purpose
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
    notice_of_change,
)

CHANGED = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
ADDED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def register() -> PurposeRegister:
    """Article 3's register, billing changed at CHANGED and a purpose added at ADDED."""
    versions = [v for v in article_3_register() if v.purpose_id != "billing"]
    billing = ARTICLE_3_TEXTS[Purpose.BILLING]
    return PurposeRegister.of(
        [
            *versions,
            PurposeVersion("billing", 1, billing, POLICY_START, superseded_at=CHANGED),
            PurposeVersion("billing", 2, "To bill users and to send receipts", CHANGED),
            PurposeVersion("loyalty_points", 1, "To grant loyalty points", ADDED),
        ]
    )


def proposal(**changes: object) -> PurposeChangeProposal:
    fields: dict[str, object] = {
        "change_id": "chg-1",
        "purpose_id": "billing",
        "new_text": "To bill users, send receipts and keep invoices",
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


def test_the_notice_names_the_purpose_before_and_after_in_the_persons_language() -> None:
    subject, body = notice_of_change("To bill", "To bill and send receipts", "ja")
    assert subject == "利用目的の変更のお知らせ"
    assert "変更前: To bill\n" in body and "変更後: To bill and send receipts\n" in body
    assert "第4条" in body
    subject, body = notice_of_change("To bill", "To bill and send receipts", "en")
    assert "purpose of use" in subject
    assert "Before: To bill\n" in body and "After: To bill and send receipts\n" in body
