"""What an investigation found (Articles 5-8), as counts, codes and opaque ids, never the
data itself: the findings travel through Temporal history, which keeps everything.

From the findings follow what a disclosure may contain (Article 6), which corrections
would change anything (Article 7), which items are in breach (Article 8) and which
provisions may be stopped or continue (Article 5).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.holdings import ProvisionBasis, ProvisionException, Relationship
from domain.requests import CorrectionAction, DataCategory, SuspensionAction, SuspensionGround

# Article 6 ¶2: "we will not, in principle, disclose information other than personal
# information such as history information and characteristic information". What is held
# under the person's identity is personal information (Article 1), whatever its category:
# the clause leaves out only what is held in a form that does not identify the person
# (`HeldItem.identifying` false), docs/policy-interpretation.md.
#
# Decisions recorded before that reading (outcome `disclosed_except_history_and_
# characteristic`) left these two categories out whole; such a decision, still in flight,
# is carried out as it was decided and told (`DisclosurePlan.legacy`).
LEGACY_EXCLUDED_FROM_DISCLOSURE = frozenset({DataCategory.HISTORY, DataCategory.CHARACTERISTIC})


class ChangeCheck(BaseModel):
    """Article 7: what one requested change would do to what is held. The field names and
    values stay in Postgres (a person may name a field anything); this carries the change's
    place in the request, whether the field is held and whether the value already matches."""

    model_config = ConfigDict(frozen=True)

    index: int
    action: CorrectionAction
    held: bool
    same_value: bool = False

    @property
    def effective(self) -> bool:
        match self.action:
            case CorrectionAction.CORRECT:
                return self.held and not self.same_value
            case CorrectionAction.DELETE:
                return self.held
            case CorrectionAction.ADD:
                return not self.held
        return False

    @property
    def why_not(self) -> str | None:
        """Why the change would change nothing, or None if it would."""
        if self.effective:
            return None
        if self.action is CorrectionAction.ADD:
            return "already_held"
        if not self.held:
            return "not_held"
        return "already_this_value"


class Findings(BaseModel):
    """What the investigation found: counts, codes and opaque ids, never the data itself."""

    model_config = ConfigDict(frozen=True)

    items_by_category: dict[DataCategory, int] = Field(default_factory=dict)
    # Art 6 ¶2: of those, the items held in a form that does not identify the person.
    # Findings recorded before this was counted have none.
    not_identifying_by_category: dict[DataCategory, int] = Field(default_factory=dict)
    # Article 6: each item held that identifies the person, by its opaque id, so that a
    # decision can withhold it alone (¶1). Findings recorded before this have none.
    personal_items: dict[int, DataCategory] = Field(default_factory=dict)
    # Article 6: the categories the person asked for; empty means all.
    requested_categories: tuple[DataCategory, ...] = ()
    # Article 7: each requested change, checked against what is held.
    changes: tuple[ChangeCheck, ...] = ()
    # Article 8
    requested_action: SuspensionAction | None = None
    requested_grounds: tuple[SuspensionGround, ...] = ()
    used_beyond_purpose: int = 0
    obtained_wrongfully: int = 0
    items_in_breach: tuple[int, ...] = ()  # the scope of any suspension or erasure
    already_suspended: int = 0  # in breach, but their use is suspended already
    # Article 5
    third_party_partners: tuple[str, ...] = ()  # provided to now, as third parties
    already_stopped: tuple[str, ...] = ()  # stopped before this request
    partner_bases: dict[str, ProvisionBasis] = Field(default_factory=dict)
    not_third_parties: dict[str, Relationship] = Field(default_factory=dict)
    unknown_partners: int = 0  # named by the person, unknown to us: a count, not their text
    # Article 6 (C7): the categories of the subject's personal information an earlier
    # disclosure left out under the reading of ¶2 held wrong since (domain/legacy_waiver.py),
    # not disclosed by a request since. Its notice promised them on a new request.
    legacy_left_out: tuple[DataCategory, ...] = ()

    @property
    def legacy_fee_waived(self) -> bool:
        """C7: a disclosure request that asks again for what an earlier decision left out
        under the old reading of Art 6 ¶2 is charged no fee: the left-out items were the
        subject's personal information, and should have been disclosed for the first fee."""
        return any(self.asked_for(category) for category in self.legacy_left_out)

    @property
    def grounds_substantiated(self) -> bool:
        return bool(self.items_in_breach)

    @property
    def items_held(self) -> int:
        return sum(self.items_by_category.values())

    def asked_for(self, category: DataCategory) -> bool:
        return not self.requested_categories or category in self.requested_categories

    def continuable(self, partner: str) -> ProvisionException | None:
        """The Article 5 exception a provision rests on, if it may continue after a stop
        request; None for consent and opt-out provisions, which must stop."""
        basis = self.partner_bases.get(partner)
        return basis.exception if basis is not None else None


class Placement(StrEnum):
    DISCLOSED = "disclosed"
    EXCLUDED = "excluded"  # Art 6 ¶2: held in a form that does not identify the person
    WITHHELD = "withheld"  # Art 6 ¶1: on a refusal ground
    NOT_ASKED = "not_asked"


@dataclass(frozen=True)
class DisclosurePlan:
    """Article 6: where each item of what is held goes in a disclosure, and why."""

    asked: frozenset[DataCategory]  # empty: everything
    withheld: frozenset[DataCategory] = frozenset()
    included: frozenset[DataCategory] = frozenset()
    legacy: bool = False  # a decision taken under the reading before issue 24 (above)
    withheld_items: frozenset[int] = frozenset()  # ¶1, item by item (domain/withholding.py)

    def place(
        self, category: DataCategory, identifying: bool = True, item_id: int | None = None
    ) -> Placement:
        if self.asked and category not in self.asked:
            return Placement.NOT_ASKED
        if category in self.withheld or (identifying and item_id in self.withheld_items):
            return Placement.WITHHELD
        not_personal = not identifying or (
            self.legacy and category in LEGACY_EXCLUDED_FROM_DISCLOSURE
        )
        if not_personal and category not in self.included:
            return Placement.EXCLUDED
        return Placement.DISCLOSED

    def counts(self, findings: Findings, placement: Placement) -> dict[DataCategory, int]:
        """How many of the items found go to `placement`, by category."""
        counted: dict[DataCategory, int] = {}
        alone: dict[DataCategory, int] = {}  # items withheld one by one, by category
        for item_id, category in findings.personal_items.items():
            if item_id in self.withheld_items:
                alone[category] = alone.get(category, 0) + 1
        for category, held in findings.items_by_category.items():
            apart = min(findings.not_identifying_by_category.get(category, 0), held)
            one = min(alone.get(category, 0), held - apart)
            if self.place(category) is not Placement.DISCLOSED:
                one = 0  # withheld whole, or not asked for: placed with their category
            shares = (
                (self.place(category, True), held - apart - one),
                (self.place(category, False), apart),
                (Placement.WITHHELD, one),
            )
            for place, n in shares:
                if n > 0 and place is placement:
                    counted[category] = counted.get(category, 0) + n
        return counted


def disclosure_plan(
    findings: Findings,
    withheld: Iterable[DataCategory] = (),
    included: Iterable[DataCategory] = (),
    *,
    legacy: bool = False,
    withheld_items: Iterable[int] = (),
) -> DisclosurePlan:
    """The categories asked for, less those withheld on an Article 6 ¶1 ground, less what
    is held in a form that does not identify the person unless an operator included it."""
    return DisclosurePlan(
        asked=frozenset(findings.requested_categories),
        withheld=frozenset(withheld),
        included=frozenset(included),
        legacy=legacy,
        withheld_items=frozenset(withheld_items),
    )


def stoppable_partners(findings: Findings, continued: Iterable[str] = ()) -> tuple[str, ...]:
    """Article 5: the third-party provisions a stop request ends, less those the
    organisation continues on an exception."""
    keep = set(continued)
    return tuple(p for p in findings.third_party_partners if p not in keep)
