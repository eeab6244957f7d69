"""Article 3's purposes as a versioned register, and Article 4's change of a purpose.

A purpose has an id (what an item of the inventory names), a text and, for a purpose
incidental to another, the purpose it is incidental to. A version is in force from its
`effective_from` until the next version's; a purpose added later was not in force before.
An investigation (Article 8) judges "beyond the scope of the purpose of use" against the
register as it stood when the item was used, not against today's, and only a purpose that
entered the register by the policy's own routes counts (`PurposeVersion.established`):
one of Article 3's, one incidental to one of them whose relatedness was judged and
recorded (who, when, why), or a version made by an Article 4 change. Each version keeps a
Japanese and an English text.

Article 4: "The Organization shall change the purpose of use of personal information only
when the changed purpose is reasonably considered to be related to the purpose before the
change. If the purpose of use is changed, the Organization shall notify users of the
changed purpose by the method prescribed by the Organization or publish it on this
website." A change is proposed with the relatedness judgement (who decided, why); an
unrelated one is refused; an accepted one is published, notified to every affected
person, or both, as the change says, and takes effect only once it is (workflows/
purpose_change.py).
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

# In force from the start of the service: the purposes the policy lists in Article 3. A
# sentinel of the register (every use before any change falls within them), not a date the
# policy states: it is never published (`published_since`, C12).
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
ARTICLE_3_TEXTS_JA: dict[Purpose, str] = {
    Purpose.PROVIDE_SERVICE: "当組織のサービスの提供・運営のため",
    Purpose.RESPOND_TO_INQUIRIES: "ユーザーからのお問い合わせに回答するため"
    "（本人確認を行うことを含む）",  # noqa: RUF001
    Purpose.SERVICE_EMAILS: "ユーザーが利用中のサービスの新機能、更新情報、キャンペーン等及び"
    "当組織が提供する他のサービスのご案内のメールを送付するため",
    Purpose.IMPORTANT_NOTICES: "メンテナンス、重要なお知らせなど必要に応じたご連絡のため",
    Purpose.PREVENT_ABUSE: "利用規約に違反したユーザーや、不正・不当な目的でサービスを利用"
    "しようとするユーザーの特定をし、ご利用をお断りするため",
    Purpose.ACCOUNT_SELF_SERVICE: "ユーザーにご自身の登録情報の閲覧や変更、削除、ご利用状況の"
    "閲覧を行っていただくため",
    Purpose.BILLING: "有料サービスにおいてユーザーに利用料金を請求するため",
}
ARTICLE_3_IDS = frozenset(p.value for p in ARTICLE_3_TEXTS)


@dataclass(frozen=True)
class PurposeVersion:
    purpose_id: str
    version: int
    text: str
    effective_from: datetime
    superseded_at: datetime | None = None
    incidental_to: str | None = None
    text_ja: str | None = None
    judged_by: str | None = None  # who judged an incidental purpose related (Article 3)
    change_id: str | None = None  # the Article 4 change that made this version
    # Article 5 ¶1's first opt-out matter: the purpose includes provision to third parties.
    # Marked explicitly, never inferred; it enters the register only through Article 4 or
    # a new version of the policy, never as incidental on a file's say-so (C2, C3).
    includes_provision: bool = False
    # The policy version whose posting added this purpose to Article 3's list (Article 9).
    posted_in: str | None = None

    def in_force(self, at: datetime) -> bool:
        return self.effective_from <= at and (self.superseded_at is None or at < self.superseded_at)

    @property
    def established(self) -> bool:
        """Entered the register by the policy's routes: listed in Article 3, incidental to
        one of Article 3's purposes with its relatedness judged, made by Article 4, or added
        to Article 3's list by a posted version of the policy (Article 9). A
        purpose an inventory load defined before issue 24 without a judgement is not, and
        an item used for it is used beyond purpose."""
        return (
            self.purpose_id in ARTICLE_3_IDS
            or self.change_id is not None
            or self.posted_in is not None
            or (self.incidental_to in ARTICLE_3_IDS and self.judged_by is not None)
        )

    def text_in(self, language: str) -> str:
        """The text in Japanese or English; a version recorded before Japanese texts were
        kept has only its English one."""
        return self.text_ja if language == "ja" and self.text_ja else self.text


def published_since(version: PurposeVersion, first_posted: datetime | None) -> datetime | None:
    """The date the purposes page may state for a version (C12). Article 3's own purposes,
    as the policy starts them, hold from the register's sentinel POLICY_START, a date the
    policy never names: for them, the day the policy was first posted (the Article 9
    register's first version), or no date when none is recorded. Any other version, from
    the day it took effect."""
    if version.version == 1 and version.effective_from == POLICY_START:
        return first_posted
    return version.effective_from


@dataclass(frozen=True)
class Relatedness:
    """Article 3's last line: the judgement that a purpose is incidental to one of Article
    3's purposes, who made it, when and why."""

    judged_by: str
    judged_at: datetime
    reason: str


def article_3_register() -> list[PurposeVersion]:
    """The register as the policy starts it."""
    return [
        PurposeVersion(p.value, 1, text, POLICY_START, text_ja=ARTICLE_3_TEXTS_JA[p])
        for p, text in ARTICLE_3_TEXTS.items()
    ]


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
        """An item's recorded purpose (`billing`, `incidental:billing`) was in force, and
        established, when the item was used. No recorded purpose is not within any."""
        if not recorded:
            return False
        version = self.in_force(recorded.removeprefix(INCIDENTAL_PREFIX), used_at)
        return version is not None and version.established

    def within_every_use(self, uses: Iterable[tuple[str | None, datetime]]) -> bool:
        """Every (purpose, since) an item was used under was within purpose then: relabelling
        an item does not wash out its past use (Article 8)."""
        return all(self.within_purpose(purpose, since) for purpose, since in uses)

    def providing(self, purpose_id: str | None, at: datetime) -> PurposeVersion | None:
        """The version of `purpose_id` in force at `at` if it is established and includes
        provision to third parties: what an opt-out provision needs (Article 5 ¶1)."""
        version = self.in_force(purpose_id, at) if purpose_id else None
        if version is None or not (version.established and version.includes_provision):
            return None
        return version

    def providing_since(self, purpose_id: str) -> datetime | None:
        """Since when `purpose_id` has included provision to third parties: the start of
        its first established version that does (an opt-out's matters are announced on or
        after it, C3)."""
        return min(
            (
                v.effective_from
                for v in self.versions
                if v.purpose_id == purpose_id and v.established and v.includes_provision
            ),
            default=None,
        )

    def article_3_list(self) -> tuple[str, ...]:
        """Article 3's purposes as the register holds them now, in the policy's order: the
        list a posted policy text must carry (Article 9 with Article 4), followed by those a
        posted version added (`posted_in`), in the order they were added."""
        listed = [
            version.text for p in ARTICLE_3_TEXTS if (version := self.current(p.value)) is not None
        ]
        added = sorted(
            (v for v in self.versions if v.version == 1 and v.posted_in is not None),
            key=lambda v: (v.effective_from, v.posted_in or "", v.purpose_id),
        )
        for first in added:
            current = self.current(first.purpose_id)
            if current is not None:
                listed.append(current.text)
        return tuple(listed)


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
    new_text_ja: PurposeText | None = Field(
        None, description="the changed purpose in Japanese (required for a new change)"
    )
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


def judge(
    proposal: PurposeChangeProposal, register: PurposeRegister, *, under_way: str | None = None
) -> PurposeVersion:
    """The purpose's version the change replaces, or ChangeRefused: an unrelated change,
    a purpose not in the register or not established in it, a change of a purpose whose
    earlier change has not taken effect yet (`under_way`: its id), a change without its
    Japanese text, or a text that changes nothing."""
    current = register.current(proposal.purpose_id)
    if current is None:
        raise ChangeRefused(
            f"purpose {proposal.purpose_id!r} is not in the register: Article 4 "
            "changes a purpose of use, it does not add one"
        )
    if not current.established:
        raise ChangeRefused(
            f"purpose {proposal.purpose_id!r} never entered the register through Article 3 "
            "(listed, or incidental with its relatedness judged): a change cannot make it "
            "a purpose of use"
        )
    if under_way is not None:
        raise ChangeRefused(
            f"change {under_way!r} of purpose {proposal.purpose_id!r} has not taken effect "
            "yet: propose this one once it has"
        )
    if proposal.new_text_ja is None:
        raise ChangeRefused(
            "give the changed purpose's Japanese text as well: every purpose is published "
            "and notified in Japanese and in English"
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
