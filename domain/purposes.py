"""Article 3's purposes as a versioned register, and Article 4's change of a purpose.

A purpose has an id (what an item of the inventory names), a text and, for a purpose
incidental to another, the purpose it is incidental to. A version is in force from its
`effective_from` until the next version's; a purpose added later was not in force before.
An investigation (Article 8) judges "beyond the scope of the purpose of use" against the
register as it stood when the item was used, not against today's.

Article 4: "The Organization shall change the purpose of use of personal information only
when the changed purpose is reasonably considered to be related to the purpose before the
change. If the purpose of use is changed, the Organization shall notify users of the
changed purpose by the method prescribed by the Organization or publish it on this
website." A change is proposed with the relatedness judgement (who decided, why); an
unrelated one is refused; an accepted one is published, notified to every affected
person, or both, as the change says.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from domain.holdings import INCIDENTAL_PREFIX, Purpose

PURPOSE_ID_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
PurposeName = Annotated[str, StringConstraints(pattern=PURPOSE_ID_PATTERN)]
PurposeText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)
]
ChangeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=2000)]

# In force from the start of the service: the purposes the policy lists in Article 3.
POLICY_START = datetime(2000, 1, 1, tzinfo=UTC)
ARTICLE_3_TEXTS: dict[Purpose, str] = {
    Purpose.PROVIDE_SERVICE: "To provide and operate the Organization's services",
    Purpose.RESPOND_TO_INQUIRIES: "To respond to inquiries from users (including identity "
    "verification)",
    Purpose.SERVICE_EMAILS: "To send emails about new features, update information, "
    "campaigns, etc. of the service being used by users and to "
    "inform about other services provided by the Organization",
    Purpose.IMPORTANT_NOTICES: "To contact users as needed for maintenance, important "
    "notices, etc.",
    Purpose.PREVENT_ABUSE: "To identify users who violate the terms of service or who "
    "intend to use the service for improper or unfair purposes, and "
    "to refuse their use",
    Purpose.ACCOUNT_SELF_SERVICE: "To allow users to view, change, or delete their "
    "registration information, and to view their usage status",
    Purpose.BILLING: "To bill users for usage fees in paid services",
}


@dataclass(frozen=True)
class PurposeVersion:
    purpose_id: str
    version: int
    text: str
    effective_from: datetime
    superseded_at: datetime | None = None
    incidental_to: str | None = None

    def in_force(self, at: datetime) -> bool:
        return self.effective_from <= at and (self.superseded_at is None or at < self.superseded_at)


def article_3_register() -> list[PurposeVersion]:
    """The register as the policy starts it."""
    return [PurposeVersion(p.value, 1, text, POLICY_START) for p, text in ARTICLE_3_TEXTS.items()]


@dataclass(frozen=True)
class PurposeRegister:
    """Every version of every purpose, to ask what was in force at a moment."""

    versions: tuple[PurposeVersion, ...]

    @classmethod
    def of(cls, versions: Iterable[PurposeVersion]) -> PurposeRegister:
        return cls(tuple(versions))

    def in_force(self, purpose_id: str, at: datetime) -> PurposeVersion | None:
        return next(
            (v for v in self.versions if v.purpose_id == purpose_id and v.in_force(at)), None
        )

    def current(self, purpose_id: str) -> PurposeVersion | None:
        return next(
            (v for v in self.versions if v.purpose_id == purpose_id and v.superseded_at is None),
            None,
        )

    def within_purpose(self, recorded: str | None, used_at: datetime) -> bool:
        """An item's recorded purpose (`billing`, `incidental:billing`) was in force when
        the item was used. No recorded purpose is not within any."""
        if not recorded:
            return False
        return self.in_force(recorded.removeprefix(INCIDENTAL_PREFIX), used_at) is not None


class NoticeMethod(StrEnum):
    """Article 4 ¶2: "notify users ... by the method prescribed by the Organization or
    publish it on this website"."""

    PUBLISH = "publish"
    NOTIFY = "notify"
    PUBLISH_AND_NOTIFY = "publish_and_notify"

    @property
    def publishes(self) -> bool:
        return self in (NoticeMethod.PUBLISH, NoticeMethod.PUBLISH_AND_NOTIFY)

    @property
    def notifies(self) -> bool:
        return self in (NoticeMethod.NOTIFY, NoticeMethod.PUBLISH_AND_NOTIFY)


class PurposeChangeProposal(BaseModel):
    """What `dsr purposes change` proposes: the purpose, its new text, the relatedness
    judgement with who decided and why, and the method of Article 4 ¶2. Not personal data:
    the texts are the organisation's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    change_id: ChangeId
    purpose_id: PurposeName
    new_text: PurposeText
    related: bool = Field(
        description="the changed purpose is reasonably considered to be "
        "related to the purpose before the change"
    )
    reason: Reason = Field(description="why it is (or is not) related")
    decided_by: str = Field(min_length=1, max_length=128)
    method: NoticeMethod
    proposed_at: AwareDatetime


class ChangeRefused(ValueError):
    """Article 4 ¶1 does not allow the change; the message says why."""


def judge(proposal: PurposeChangeProposal, register: PurposeRegister) -> PurposeVersion:
    """The purpose's version the change replaces, or ChangeRefused: an unrelated change,
    a purpose not in the register, or a text that changes nothing."""
    current = register.current(proposal.purpose_id)
    if current is None:
        raise ChangeRefused(
            f"purpose {proposal.purpose_id!r} is not in the register: Article 4 "
            "changes a purpose of use, it does not add one"
        )
    if not proposal.related:
        raise ChangeRefused(
            "the changed purpose is not reasonably considered to be related "
            "to the purpose before the change (Article 4 ¶1): the purpose "
            "stays as it is"
        )
    if proposal.new_text.strip() == current.text.strip():
        raise ChangeRefused("the new text is the purpose's text already")
    return current


def notice_of_change(before: str, after: str, language: str) -> tuple[str, str]:
    """The subject line and body telling a person of a changed purpose (Article 4 ¶2)."""
    if language == "ja":
        return (
            "利用目的の変更のお知らせ",
            "当社は、個人情報保護方針第4条に基づき、お客様の個人情報の利用目的を次のとおり"
            f"変更しました。\n\n変更前: {before}\n変更後: {after}\n\n"
            "変更後の利用目的は、変更前の利用目的と関連性を有すると合理的に認められる範囲の"
            "ものです。ご不明な点は、お問い合わせ窓口までご連絡ください。\n",
        )
    return (
        "A change to the purpose of use of your personal information",
        "Under Article 4 of our privacy policy, we have changed a purpose for which we "
        f"use your personal information.\n\nBefore: {before}\nAfter: {after}\n\n"
        "The changed purpose is reasonably considered to be related to the purpose "
        "before the change. If you have any question, please contact our inquiry "
        "window.\n",
    )
