"""domain/policy_text.py: the privacy policy's Article 3 against the purposes register
(N15: Article 9 and Articles 3/4 connected)."""

from __future__ import annotations

from domain.policy_text import article_3_of, article_3_problem, incidental_of, with_article_3
from domain.purposes import PurposeRegister, article_3_register

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
