"""The register entries an inventory file may carry beside its subjects (docs/inventory.md):
Article 3's purposes, each partner's footing (Article 5: the opt-out matters and the
Commission's notification, the particulars of joint use) and a subject's consents; and the
pieces of validation the inventory's models share. Pure, like domain/inventory.py."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from domain.holdings import ProvisionBasis, Relationship
from domain.provision_register import (
    BasisRecord,
    ConsentRecord,
    EntrustmentParticular,
    JointUseParticular,
    OptOutMatter,
)
from domain.purposes import ARTICLE_3_IDS, PurposeName, Reason, Relatedness
from domain.requests import Identifier

FIELD_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
FieldName = Annotated[str, StringConstraints(pattern=FIELD_PATTERN)]

# C0 and C1 controls, the line and paragraph separators and the bidirectional overrides:
# an item's value is one line that displays as what it is.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(value: str) -> str:
    if _UNPRINTABLE.search(value):
        raise ValueError("must not contain control or bidirectional override characters")
    return value


# The organisation's own texts (a purpose, a particular of joint use): one line each.
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
    AfterValidator(printable),
]


# A partner's name as the person knows it ("Ad Network Inc.", 「株式会社アドネット」).
PartnerName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(printable),
]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Problems(ValueError):
    """Cross-field problems of one model, each with its path below that model, so the
    message can point at the very entry instead of at the whole subject."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


def footing_problems(
    at: str, relationship: Relationship, legal_basis: ProvisionBasis
) -> list[tuple[str, str]]:
    """Article 5 ¶2: entrustment, business succession and joint use are not provision to a
    third party; provision to a third party needs consent, the opt-out notification or one
    of ¶1's exceptions."""
    not_third_party = legal_basis is ProvisionBasis.NOT_THIRD_PARTY
    if relationship.is_third_party and not_third_party:
        return [
            (
                f"{at}.legal_basis",
                "a third_party provision needs consent, "
                "opt_out_notified or one of Article 5's exceptions, not not_third_party",
            )
        ]
    if not relationship.is_third_party and not not_third_party:
        return [
            (
                f"{at}.legal_basis",
                f"{relationship.value} is not provision to a "
                "third party (Article 5 ¶2): legal_basis must be not_third_party",
            )
        ]
    return []


# Why a file cannot bring a purpose that includes provision to third parties (review C3).
PROVISION_PURPOSE_REFUSED = (
    "{} would include provision to third parties: Article 3 lists no such purpose, and one "
    "enters the register only through an Article 4 change or a new version of the policy, "
    "never as a purpose incidental to Article 3's on an inventory file's say-so "
    "(docs/policy-interpretation.md)"
)


class PurposeRecord(Strict):
    """A purpose of use the file defines. Article 3 lists seven purposes and "purposes
    incidental to the above usage purposes": a load may add a purpose only as incidental to
    one of the seven, with the judgement that it is related (who judged, when, why), and
    its Japanese text beside the English one. Any other purpose of use is a change of one
    (Article 4, `dsr purposes change`) or a new policy. A purpose in the register already
    must have the same text (a change is Article 4's)."""

    id: PurposeName
    text: Text
    text_ja: Text | None = None
    incidental_to: PurposeName | None = None
    judged_by: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = None
    judged_at: AwareDatetime | None = None
    related_because: Reason | None = None
    # Said only to be refused (C3): a purpose that includes provision to third parties is
    # never one of Article 3's, nor incidental to them on a file's say-so.
    includes_provision: bool = False

    @model_validator(mode="after")
    def _incidental(self) -> PurposeRecord:
        if self.includes_provision:
            raise Problems([("includes_provision", PROVISION_PURPOSE_REFUSED.format(self.id))])
        if self.id in ARTICLE_3_IDS:
            return self
        if self.incidental_to is None:
            raise Problems(
                [
                    (
                        "incidental_to",
                        f"{self.id} is not one of Article 3's purposes: a load adds a purpose "
                        "only as incidental to one of them (incidental_to, judged_by, "
                        "judged_at, related_because); any other purpose of use is Article "
                        "4's change of a purpose (`dsr purposes change`) or a new policy",
                    )
                ]
            )
        problems = []
        if self.incidental_to not in ARTICLE_3_IDS:
            problems.append(
                (
                    "incidental_to",
                    f"{self.incidental_to} is not one of Article 3's purposes "
                    f"({', '.join(sorted(ARTICLE_3_IDS))}): a purpose is incidental to one "
                    "of those",
                )
            )
        problems += [
            (name, "is required for an incidental purpose: who judged it related, when, and why")
            for name in ("judged_by", "judged_at", "related_because")
            if getattr(self, name) is None
        ]
        if self.text_ja is None:
            problems.append(("text_ja", "is required: a purpose is published in Japanese too"))
        if problems:
            raise Problems(problems)
        return self

    def relatedness(self) -> Relatedness | None:
        if self.judged_by is None or self.judged_at is None or self.related_because is None:
            return None
        return Relatedness(self.judged_by, self.judged_at, self.related_because)


class OptOutRecord(Strict):
    """Article 5 ¶1: the matters notified or announced in advance, when, and when the
    Personal Information Protection Commission was notified."""

    matters: Annotated[list[OptOutMatter], Field(max_length=5)] = []
    announced_at: date | None = None
    commission_notified_at: date | None = None
    # The purpose of use in Article 3's register that includes the provision (the first
    # matter); the provision has no basis until one in force does (domain/provision_rule.py).
    purpose: PurposeName | None = None


class JointUseRecord(Strict):
    """Article 5 ¶2: what joint use made known in advance, each as the text made known."""

    items: Text | None = None
    scope_of_joint_users: Text | None = None
    purpose: Text | None = None
    person_responsible: Text | None = None


class EntrustmentRecord(Strict):
    """Article 5 ¶2, first case: the handling entrusted, and the purpose of use it is
    necessary to achieve, each as the organisation states it."""

    handling: Text | None = None
    purpose: Text | None = None


class ProvisionBasisRecord(Strict):
    """A partner's footing, whoever's data is provided: what a stop request and
    `dsr provisions check` judge each provision to that partner by."""

    partner: Identifier
    # The name a disclosure names the partner by (Articles 5 and 6); unset: its id.
    name: PartnerName | None = None
    relationship: Relationship
    legal_basis: ProvisionBasis
    opt_out: OptOutRecord | None = None
    joint_use: JointUseRecord | None = None
    entrustment: EntrustmentRecord | None = None

    @model_validator(mode="after")
    def _consistent(self) -> ProvisionBasisRecord:
        problems = footing_problems("", self.relationship, self.legal_basis)
        if self.opt_out is not None and self.legal_basis is not ProvisionBasis.OPT_OUT_NOTIFIED:
            problems.append(
                ("opt_out", "only a legal_basis of opt_out_notified has opt-out matters")
            )
        if self.opt_out is not None:
            seen: set[OptOutMatter] = set()
            for position, matter in enumerate(self.opt_out.matters):
                if matter in seen:
                    problems.append((f"opt_out.matters.{position}", "names a matter twice"))
                seen.add(matter)
        if self.joint_use is not None and self.relationship is not Relationship.JOINT_USE:
            problems.append(("joint_use", "only a joint_use relationship has its particulars"))
        if self.entrustment is not None and self.relationship is not Relationship.ENTRUSTMENT:
            problems.append(("entrustment", "only an entrustment relationship has its particulars"))
        if problems:
            raise Problems([(path.lstrip("."), message) for path, message in problems])
        return self

    def record(self) -> BasisRecord:
        opt_out, joint_use = self.opt_out or OptOutRecord(), self.joint_use or JointUseRecord()
        entrustment = self.entrustment or EntrustmentRecord()
        return BasisRecord(
            partner_id=self.partner,
            relationship=self.relationship,
            legal_basis=self.legal_basis,
            matters_announced=frozenset(opt_out.matters),
            matters_announced_at=opt_out.announced_at,
            commission_notified_at=opt_out.commission_notified_at,
            joint_use={
                p: text
                for p in JointUseParticular
                if (text := getattr(joint_use, p.value)) is not None
            },
            provision_purpose=opt_out.purpose,
            entrustment={
                p: text
                for p in EntrustmentParticular
                if (text := getattr(entrustment, p.value)) is not None
            },
        )


class ConsentEntry(Strict):
    """The subject's consent to provision of the items to a partner (Article 5 ¶1)."""

    partner: Identifier
    items: Annotated[list[FieldName], Field(min_length=1, max_length=100)]
    given_at: AwareDatetime
    withdrawn_at: AwareDatetime | None = None

    def record(self, subject_id: str) -> ConsentRecord:
        return ConsentRecord(
            subject_id, self.partner, frozenset(self.items), self.given_at, self.withdrawn_at
        )
