"""domain/policy_text.py: the privacy policy's Article 3 against the purposes register
(N15: Article 9 and Articles 3/4 connected)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.policy_text import (
    DeclaredPurpose,
    added_purpose,
    article_3_of,
    article_3_problem,
    incidental_of,
    with_article_3,
)
from domain.purposes import PurposeRegister, PurposeVersion, article_3_register

# The policy's Article 3 as published (shared/seed/privacy-policy.txt), verbatim.
SEED_ARTICLE_3 = """Article 3 (Purpose of Collecting and Using Personal Information)
The Organization collects and uses personal information for the following purposes:
- To provide and operate the Organization\u2019s services
- To respond to inquiries from users (including identity verification)
- To send emails about new features, update information, campaigns, etc. of the service \
being used by users and to inform about other services provided by the Organization
- To contact users as needed for maintenance, important notices, etc.
- To identify users who violate the terms of service or who intend to use the service for \
improper or unfair purposes, and to refuse their use
- To allow users to view, change, or delete their registration information, and to view \
their usage status
- To bill users for usage fees in paid services
Purposes incidental to the above usage purposes
Article 4 (Change of Purpose of Use)
"""
POLICY = """Privacy Policy
Article 3 (Purpose of Collecting and Using Personal Information)
The Organization collects and uses personal information for the following purposes:
- To provide and operate the Organization\u2019s services
- To bill users for usage fees in paid services
Purposes incidental to the above usage purposes
Article 4 (Change of Purpose of Use)
- not a purpose
"""


def test_the_article_3_list_is_read_up_to_the_incidental_line() -> None:
    assert article_3_of(POLICY) == (
        "To provide and operate the Organization\u2019s services",
        "To bill users for usage fees in paid services",
    )
    assert article_3_of("a policy without articles") is None


def test_the_policy_as_published_agrees_with_the_register_it_starts() -> None:
    register = PurposeRegister.of(article_3_register()).article_3_list()
    assert article_3_problem(SEED_ARTICLE_3, register) is None


def test_a_text_whose_article_3_differs_from_the_register_is_refused() -> None:
    """N15: a posted text could change Article 3 with no Article 4 judgement or notice."""
    register = PurposeRegister.of(article_3_register()).article_3_list()
    text = with_article_3(POLICY, register, ())
    assert article_3_problem(text, register) is None
    sneaky = text.replace(
        "- To bill users for usage fees in paid services",
        "- To bill users for usage fees in paid services\n- To sell browsing history",
    )
    problem = article_3_problem(sneaky, register)
    assert problem is not None
    assert "not in the register: To sell browsing history" in problem
    assert "Article 4 (`dsr purposes change`)" in problem


def test_the_next_text_carries_the_register_and_keeps_the_rest() -> None:
    register = ("To provide the service", "To bill users and send receipts")
    text = with_article_3(POLICY, register, ("To grant loyalty points",))
    assert article_3_of(text) == register
    assert "  - To grant loyalty points" in text
    assert text.startswith("Privacy Policy\nArticle 3")
    assert "Article 4 (Change of Purpose of Use)\n- not a purpose" in text
    again = with_article_3(text, register, ())
    assert "loyalty" not in again and article_3_of(again) == register


def test_c3_a_text_listing_incidental_purposes_lists_the_registers() -> None:
    """C3 (review of issue 24), N15: a text listing incidental purposes beneath Article 3's
    incidental line (as an Article 4 posting writes them) is compared with the register's:
    one slipping in a third-party sale as "incidental" is refused, one leaving out a
    purpose in force too; the text stating only the class, as the policy does, is not."""
    register = PurposeRegister.of(article_3_register()).article_3_list()
    points = ("To grant loyalty points",)
    text = with_article_3(POLICY, register, points)
    assert incidental_of(text) == points
    assert article_3_problem(text, register, points) is None
    assert article_3_problem(SEED_ARTICLE_3, register, points) is None
    sale = with_article_3(POLICY, register, (*points, "To provide browsing history to partners"))
    problem = article_3_problem(sale, register, points)
    assert problem is not None
    assert "not in the register: To provide browsing history to partners" in problem
    assert "only through Article 4 or a new version of the policy" in problem
    problem = article_3_problem(text, register, (*points, "To keep receipts"))
    assert (
        problem is not None and "in the register but not in the text: To keep receipts" in problem
    )


MARKETING = "To provide users' contact details to marketing partners"
MARKETING_JA = "ユーザーの連絡先をマーケティング提携先に提供するため"
DECLARED = DeclaredPurpose("partner_marketing", MARKETING_JA, includes_provision=True)


def test_a_posted_text_adds_a_declared_purpose_at_the_end_of_article_3() -> None:
    """Issue 24 (Article 5 ¶1 with Article 9): a purpose that includes provision enters the
    register through a new version of the policy. A text listing the register's purposes
    followed by one new purpose, declared with its id and Japanese text, is accepted and
    yields the purpose with the text's English; the same text undeclared is refused as
    before (N15), and the refusal names the declaration."""
    register = PurposeRegister.of(article_3_register()).article_3_list()
    known = {v.purpose_id for v in article_3_register()}
    text = with_article_3(POLICY, (*register, MARKETING), ())
    added, problem = added_purpose(text, register, (), DECLARED, known)
    assert problem is None and added is not None
    assert (added.declared, added.text) == (DECLARED, MARKETING)
    undeclared, problem = added_purpose(text, register, (), None, known)
    assert undeclared is None and problem is not None
    assert f"not in the register: {MARKETING}" in problem and "--new-purpose" in problem
    # Nothing new and nothing declared: the register's own list posts.
    plain = with_article_3(POLICY, register, ())
    assert added_purpose(plain, register, (), None, known) == (None, None)


@pytest.mark.parametrize(
    ("listed", "declared", "says"),
    [
        # Declared, but the text adds nothing, or two, or drops or reorders a purpose.
        ("register", DECLARED, "followed by the one declared new purpose"),
        ("two", DECLARED, "it lists 9"),
        ("dropped", DECLARED, "in the register but not in the text"),
        ("first", DECLARED, "in the register's order"),
        # The id is the register's already, malformed, or the Japanese text is missing.
        ("added", DeclaredPurpose("billing", MARKETING_JA, True), "holds 'billing' already"),
        ("added", DeclaredPurpose("Partner-Marketing", MARKETING_JA), "not a purpose id"),
        ("added", DeclaredPurpose("partner_marketing", "  "), "Japanese text"),
        # The new purpose repeats one of the register's.
        ("repeat", DECLARED, "repeats a purpose of the register"),
    ],
)
def test_a_declared_purpose_that_is_not_what_the_text_adds_is_refused(
    listed: str, declared: DeclaredPurpose, says: str
) -> None:
    """Issue 24: the posting is accepted only when its one difference from the register is
    the declared purpose at the list's end; otherwise it is refused, saying why."""
    register = PurposeRegister.of(article_3_register()).article_3_list()
    known = {v.purpose_id for v in article_3_register()}
    lists = {
        "register": register,
        "added": (*register, MARKETING),
        "two": (*register, MARKETING, "To sell browsing history"),
        "dropped": (*register[:-1], MARKETING),
        "first": (MARKETING, *register),
        "repeat": (*register, register[0]),
    }
    text = with_article_3(POLICY, lists[listed], ())
    added, problem = added_purpose(text, register, (), declared, known)
    assert added is None
    assert problem is not None and says in problem, problem
    assert added_purpose("no articles here", register, (), DECLARED, known)[1] == (
        "a new purpose is declared but this text has no Article 3 to list it"
    )


def test_a_purpose_added_by_a_posting_is_established_and_listed_after_article_3() -> None:
    """Issue 24: a purpose a posted version added (`posted_in`) is established, so when it
    is marked as including provision an opt-out can stand on it (Article 5 ¶1), from the
    version's effective time; the register's Article 3 list carries it after Article 3's
    own, so the next posting (or Article 4's) keeps it."""
    at = datetime(2027, 1, 1, tzinfo=UTC)
    posted = PurposeVersion(
        "partner_marketing", 1, MARKETING, at, text_ja=MARKETING_JA,
        includes_provision=True, posted_in="2027-01-01.0123456789ab",
    )  # fmt: skip
    register = PurposeRegister.of([*article_3_register(), posted])
    assert posted.established
    assert register.providing("partner_marketing", at) == posted
    assert register.providing("partner_marketing", datetime(2026, 12, 31, tzinfo=UTC)) is None
    assert register.providing_since("partner_marketing") == at
    assert register.article_3_list()[-1] == MARKETING
    assert len(register.article_3_list()) == len(article_3_register()) + 1
    unposted = PurposeVersion("partner_marketing", 1, MARKETING, at, includes_provision=True)
    assert PurposeRegister.of([unposted]).providing("partner_marketing", at) is None
