"""The notice of a changed purpose (Article 4 ¶2) and its publication, in both languages
(domain/purpose_notice.py), and one default language for every notice."""

from __future__ import annotations

from domain.holdings import Purpose
from domain.notice_texts import TEXTS
from domain.purpose_notice import (
    DEFAULT_LANGUAGE,
    PurposeTexts,
    notice_of_change,
    publication_of_change,
)
from domain.purposes import ARTICLE_3_TEXTS, ARTICLE_3_TEXTS_JA
from domain.requests import InquirySubmission, Language

BEFORE = PurposeTexts(ARTICLE_3_TEXTS[Purpose.BILLING], ARTICLE_3_TEXTS_JA[Purpose.BILLING])
AFTER = PurposeTexts(
    "To bill users for usage fees in paid services and send them receipts",
    "有料サービスにおいてユーザーに利用料金を請求し、領収書を送付するため",
)


def test_the_japanese_notice_quotes_the_purposes_in_japanese_with_the_common_letterhead() -> None:
    """N14: the JA notice quoted the purposes in English, called the organisation 当社 and
    the policy 個人情報保護方針, had no addressee or signature, and used half-width colons."""
    notice = notice_of_change(BEFORE, AFTER, Language.JA, "山田花子")
    assert notice.subject == "個人情報の利用目的の変更のお知らせ"
    lines = notice.body.splitlines()
    assert lines[0] == "山田花子 様"  # the greeting of every notice
    assert notice.body.rstrip().endswith(TEXTS[Language.JA]["signature"])
    assert "変更前：有料サービスにおいてユーザーに利用料金を請求するため" in lines
    assert "変更後：有料サービスにおいてユーザーに利用料金を請求し、領収書を送付するため" in lines
    assert "当組織は、プライバシーポリシー第4条に基づき" in notice.body
    assert "To bill" not in notice.body
    for wrong in ("当社", "個人情報保護方針", ": ", "当団体"):
        assert wrong not in notice.body


def test_the_english_notice_quotes_the_purposes_in_english_with_the_common_letterhead() -> None:
    notice = notice_of_change(BEFORE, AFTER, Language.EN, "Hanako Yamada")
    lines = notice.body.splitlines()
    assert lines[0] == "Dear Hanako Yamada,"
    assert notice.body.rstrip().endswith(TEXTS[Language.EN]["signature"])
    assert f"Before: {BEFORE.en}" in lines and f"After: {AFTER.en}" in lines
    assert "Article 4 of our privacy policy" in notice.body
    assert "有料" not in notice.body


def test_a_version_without_a_japanese_text_is_quoted_as_recorded() -> None:
    """A version recorded before the register kept Japanese texts has only its English."""
    notice = notice_of_change(PurposeTexts("To bill"), AFTER, Language.JA, "山田花子")
    assert "変更前：To bill" in notice.body


def test_the_publication_carries_both_languages_and_no_addressee() -> None:
    text = publication_of_change(BEFORE, AFTER)
    assert text.index("変更後：") < text.index("After: ")
    assert text.splitlines()[0] == "個人情報の利用目的の変更のお知らせ"
    assert " 様\n" not in text and "Dear" not in text


def test_every_notice_defaults_to_one_language() -> None:
    """N17: back-end submissions defaulted to English, Article 4 notices to Japanese."""
    submission = InquirySubmission.model_validate(
        {
            "kind": "inquiry",
            "request_id": "r-1",
            "subject_id": "s-1",
            "requester": {"name": "Hanako", "email": "h@example.jp"},
            "details": {"text": "What do you hold about me?"},
        }
    )
    assert submission.language is DEFAULT_LANGUAGE
