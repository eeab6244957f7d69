"""Article 4 ¶2's words: the notice telling a person of a changed purpose of use, and the
text published on the website, in Japanese and in English. The notice has the letterhead,
greeting and signature of every other notice (domain/notices.py, domain/notice_texts.py)
and quotes each purpose in the notice's own language (domain/purposes.py keeps both)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.notice_texts import TEXTS
from domain.notices import RenderedNotice
from domain.requests import DEFAULT_LANGUAGE, Language

# A notice of a changed purpose goes out in the language the person last chose; a person
# who never chose one gets the same default as every other notice (domain/requests.py).
__all__ = ["DEFAULT_LANGUAGE", "PurposeTexts", "notice_of_change", "publication_of_change"]


@dataclass(frozen=True)
class PurposeTexts:
    """One purpose version's texts."""

    en: str
    ja: str | None = None

    def in_(self, language: Language) -> str:
        return self.ja if language is Language.JA and self.ja else self.en


def _change_lines(before: PurposeTexts, after: PurposeTexts, language: Language) -> list[str]:
    t = TEXTS[language]
    return [
        t["purpose_change.intro"],
        t["purpose_change.before"].format(text=before.in_(language))
        + "\n"
        + t["purpose_change.after"].format(text=after.in_(language)),
        t["purpose_change.related"],
    ]


def notice_of_change(
    before: PurposeTexts, after: PurposeTexts, language: Language, name: str
) -> RenderedNotice:
    """The notice to one person (Article 4 ¶2 "notify users of the changed purpose")."""
    t = TEXTS[language]
    body = "\n\n".join(
        [
            t["greeting"].format(name=name),
            *_change_lines(before, after, language),
            t["purpose_change.published"],
            t["purpose_change.contact"],
            t["signature"],
        ]
    )
    return RenderedNotice(subject=t["purpose_change.subject"], body=body + "\n")


def publication_of_change(before: PurposeTexts, after: PurposeTexts) -> str:
    """What the website publishes (Article 4 ¶2 "or publish it on this website"): the
    change in Japanese, then in English, without an addressee."""
    return "\n\n".join(
        "\n\n".join(
            [
                TEXTS[language]["purpose_change.subject"],
                *_change_lines(before, after, language),
                TEXTS[language]["signature"],
            ]
        )
        for language in (Language.JA, Language.EN)
    )
