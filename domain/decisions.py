"""What may be decided on each kind of request, straight from Articles 5-8.

`validate_decision` is what the `decide` update's validator calls: it accepts only the
outcomes and grounds the article allows, and says why otherwise. `propose` is the
domain's suggestion from the investigation's findings; an operator settles it.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from domain.requests import DataCategory, RequestKind, SuspensionAction, SuspensionGround


class Outcome(StrEnum):
    # Article 10
    ANSWERED = "answered"
    # Article 6
    DISCLOSED_IN_FULL = "disclosed_in_full"
    DISCLOSED_IN_PART = "disclosed_in_part"
    DISCLOSURE_REFUSED = "disclosure_refused"
    # Article 7
    CORRECTION_MADE = "correction_made"
    CORRECTION_DECLINED = "correction_declined"
    # Article 8
    USE_SUSPENDED = "use_suspended"
    ERASED = "erased"
    SUSPENSION_REFUSED = "suspension_refused"
    ALTERNATIVE_MEASURES = "alternative_measures"
    # Article 5
    PROVISION_STOPPED = "provision_stopped"
    STOP_REFUSED = "stop_refused"
    # Closed before a decision, for want of the subject's part
    IDENTITY_NOT_VERIFIED = "identity_not_verified"
    FEE_UNPAID = "fee_unpaid"


class RefusalGround(StrEnum):
    """Article 6: the only grounds on which all or part of a disclosure may be withheld."""

    RISK_TO_LIFE_BODY_PROPERTY_OR_RIGHTS = "risk_to_life_body_property_or_rights"
    SIGNIFICANT_HINDRANCE_TO_BUSINESS = "significant_hindrance_to_business"
    VIOLATION_OF_OTHER_LAWS = "violation_of_other_laws"


class AlternativeMeasureGround(StrEnum):
    """Article 8: when suspension or erasure may give way to alternative measures."""

    LARGE_EXPENSE = "large_expense"
    OTHERWISE_DIFFICULT = "otherwise_difficult"


class ProvisionException(StrEnum):
    """Article 5: provision without consent that a stop request does not end."""

    PROTECTION_OF_LIFE_BODY_PROPERTY = "protection_of_life_body_property"
    PUBLIC_HEALTH_OR_CHILDREN = "public_health_or_children"
    COOPERATION_WITH_AUTHORITIES = "cooperation_with_authorities"


class Relationship(StrEnum):
    """Article 5: entrustment, business succession and joint use are not third parties."""

    THIRD_PARTY = "third_party"
    ENTRUSTMENT = "entrustment"
    BUSINESS_SUCCESSION = "business_succession"
    JOINT_USE = "joint_use"

    @property
    def is_third_party(self) -> bool:
        return self is Relationship.THIRD_PARTY


# Article 6, second paragraph: not disclosed, in principle.
EXCLUDED_FROM_DISCLOSURE = frozenset({DataCategory.HISTORY, DataCategory.CHARACTERISTIC})
FEE_PER_CASE_YEN = 1000

OUTCOMES_BY_KIND: dict[RequestKind, frozenset[Outcome]] = {
    RequestKind.INQUIRY: frozenset({Outcome.ANSWERED}),
    RequestKind.DISCLOSURE: frozenset(
        {Outcome.DISCLOSED_IN_FULL, Outcome.DISCLOSED_IN_PART, Outcome.DISCLOSURE_REFUSED}
    ),
    RequestKind.CORRECTION: frozenset({Outcome.CORRECTION_MADE, Outcome.CORRECTION_DECLINED}),
    RequestKind.SUSPENSION: frozenset(
        {Outcome.USE_SUSPENDED, Outcome.ERASED, Outcome.SUSPENSION_REFUSED,
         Outcome.ALTERNATIVE_MEASURES}
    ),
    RequestKind.THIRD_PARTY_STOP: frozenset({Outcome.PROVISION_STOPPED, Outcome.STOP_REFUSED}),
}

# Outcomes the person is told the reason for (Articles 6-8: "notify ... to that effect").
NEEDS_REASON = frozenset(
    {Outcome.DISCLOSED_IN_PART, Outcome.DISCLOSURE_REFUSED, Outcome.CORRECTION_DECLINED,
     Outcome.SUSPENSION_REFUSED, Outcome.ALTERNATIVE_MEASURES, Outcome.STOP_REFUSED}
)


class Findings(BaseModel):
    """What the investigation found: counts and codes, never the data itself."""

    model_config = ConfigDict(frozen=True)

    items_by_category: dict[DataCategory, int] = Field(default_factory=dict)
    requested_action: SuspensionAction | None = None
    requested_grounds: tuple[SuspensionGround, ...] = ()
    used_beyond_purpose: int = 0
    obtained_wrongfully: int = 0
    third_party_partners: tuple[str, ...] = ()
    not_third_parties: dict[str, Relationship] = Field(default_factory=dict)
    unknown_partners: int = 0  # named by the person, unknown to us: a count, not their text

    @property
    def grounds_substantiated(self) -> bool:
        found = {
            SuspensionGround.USED_BEYOND_PURPOSE: self.used_beyond_purpose > 0,
            SuspensionGround.OBTAINED_WRONGFULLY: self.obtained_wrongfully > 0,
        }
        return any(found[ground] for ground in self.requested_grounds)


class Proposal(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    why: str


def propose(kind: RequestKind, findings: Findings) -> Proposal:
    match kind:
        case RequestKind.DISCLOSURE:
            held = sum(n for c, n in findings.items_by_category.items()
                       if c not in EXCLUDED_FROM_DISCLOSURE)
            return Proposal(outcome=Outcome.DISCLOSED_IN_FULL,
                            why=f"{held} items may be disclosed; no refusal ground is known")
        case RequestKind.CORRECTION:
            return Proposal(outcome=Outcome.CORRECTION_MADE,
                            why="the requested changes can be applied")
        case RequestKind.SUSPENSION:
            if not findings.grounds_substantiated:
                return Proposal(outcome=Outcome.SUSPENSION_REFUSED,
                                why="the investigation found no use beyond purpose and no "
                                    "wrongful acquisition")
            done = (Outcome.ERASED if findings.requested_action is SuspensionAction.ERASE
                    else Outcome.USE_SUSPENDED)
            return Proposal(outcome=done, why="the grounds were substantiated")
        case RequestKind.THIRD_PARTY_STOP:
            return Proposal(outcome=Outcome.PROVISION_STOPPED,
                            why=f"{len(findings.third_party_partners)} third-party provisions "
                                "can be stopped")
    raise ValueError(f"no decision is taken on {kind.value} requests")


class DecisionProblem(ValueError):
    pass


def validate_decision(
    kind: RequestKind,
    findings: Findings,
    outcome: Outcome,
    *,
    refusal_grounds: tuple[RefusalGround, ...] = (),
    alternative_ground: AlternativeMeasureGround | None = None,
    provision_exception: ProvisionException | None = None,
    withheld_categories: tuple[DataCategory, ...] = (),
    has_reason: bool = False,
    has_measure: bool = False,
) -> None:
    """Raise DecisionProblem naming what does not fit the article; return if it fits."""
    allowed = OUTCOMES_BY_KIND.get(kind, frozenset())
    if outcome not in allowed:
        names = ", ".join(sorted(o.value for o in allowed))
        raise DecisionProblem(f"{outcome.value} is not an outcome of a {kind.value} request; "
                              f"allowed: {names}")
    if outcome in NEEDS_REASON and not has_reason:
        raise DecisionProblem(f"{outcome.value} needs a reason for the person (--reason-file)")
    withholding = outcome in (Outcome.DISCLOSED_IN_PART, Outcome.DISCLOSURE_REFUSED)
    if withholding and not refusal_grounds:
        grounds = ", ".join(g.value for g in RefusalGround)
        raise DecisionProblem(f"{outcome.value} needs at least one Article 6 ground: {grounds}")
    if refusal_grounds and not withholding:
        raise DecisionProblem("refusal grounds apply only to a partial or refused disclosure")
    if outcome is Outcome.DISCLOSED_IN_PART and not withheld_categories:
        raise DecisionProblem("a partial disclosure must name the withheld categories")
    if withheld_categories and outcome is not Outcome.DISCLOSED_IN_PART:
        raise DecisionProblem("withheld categories apply only to a partial disclosure")
    if outcome is Outcome.ALTERNATIVE_MEASURES:
        if alternative_ground is None:
            raise DecisionProblem("alternative measures need their ground: large_expense or "
                                  "otherwise_difficult")
        if not has_measure:
            raise DecisionProblem("alternative measures need the measure itself (--measure-file)")
    elif alternative_ground is not None or has_measure:
        raise DecisionProblem("a measure and its ground apply only to alternative_measures")
    if outcome in (Outcome.USE_SUSPENDED, Outcome.ERASED):
        requested = (Outcome.ERASED if findings.requested_action is SuspensionAction.ERASE
                     else Outcome.USE_SUSPENDED)
        if outcome is not requested:
            raise DecisionProblem(f"the person asked for {requested.value}, not {outcome.value}")
    if outcome is Outcome.STOP_REFUSED and provision_exception is None:
        names = ", ".join(e.value for e in ProvisionException)
        raise DecisionProblem(f"refusing to stop provision needs its Article 5 exception: {names}")
    if provision_exception is not None and outcome is not Outcome.STOP_REFUSED:
        raise DecisionProblem("a provision exception applies only to stop_refused")
