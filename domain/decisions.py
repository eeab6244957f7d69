"""What may be decided on each kind of request, straight from Articles 5-8.

`validate_decision` is what the `decide` update's validator calls: it accepts only what
the article and the investigation's findings support, and says why otherwise. `propose`
(domain/proposals.py) is the domain's suggestion from the findings; an operator settles
it. The rules on the acts around a decision (the second approver, the fee) live here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.alternative_measures import AlternativeMeasure as AlternativeMeasure
from domain.alternative_measures import AlternativeMeasureGround as AlternativeMeasureGround
from domain.alternative_measures import approval_problem as approval_problem
from domain.alternative_measures import measure_problem
from domain.findings import (
    DisclosurePlan,
    Findings,
    Placement,
    disclosure_plan,
    stoppable_partners,
)
from domain.payments import payment_problem as payment_problem
from domain.requests import DataCategory, RequestKind, SuspensionAction
from domain.withholding import RefusalGround as RefusalGround
from domain.withholding import WithheldPart, parts_problem, withheld_categories, withheld_items


class Outcome(StrEnum):
    # Article 10
    ANSWERED = "answered"
    # Article 6
    DISCLOSED_IN_FULL = "disclosed_in_full"
    # Everything asked for but what is held in a form that does not identify the person,
    # which is not personal information (Art 6 ¶2)
    DISCLOSED_EXCEPT_NOT_IDENTIFYING = "disclosed_except_not_identifying"
    # Recorded before issue 24: history and characteristic information left out whole.
    # Kept so that decisions on record and requests in flight read back; not decided any
    # more (the person's own history is personal information, Article 1).
    DISCLOSED_EXCEPT_HISTORY_AND_CHARACTERISTIC = "disclosed_except_history_and_characteristic"
    DISCLOSED_IN_PART = "disclosed_in_part"
    DISCLOSURE_REFUSED = "disclosure_refused"
    # No personal information about the person is held among what they asked for (at most
    # what is held in a form that does not identify them): nothing to disclose or refuse.
    NOTHING_TO_DISCLOSE = "nothing_to_disclose"
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
    NO_PROVISION_TO_STOP = "no_provision_to_stop"  # none of the named partners is one
    # Closed before a decision, for want of the subject's part
    IDENTITY_NOT_VERIFIED = "identity_not_verified"
    FEE_UNPAID = "fee_unpaid"


FEE_PER_CASE_YEN = 1000

DISCLOSING = frozenset(
    {
        Outcome.DISCLOSED_IN_FULL,
        Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING,
        Outcome.DISCLOSED_EXCEPT_HISTORY_AND_CHARACTERISTIC,
        Outcome.DISCLOSED_IN_PART,
    }
)
LEGACY_OUTCOMES = frozenset({Outcome.DISCLOSED_EXCEPT_HISTORY_AND_CHARACTERISTIC})

OUTCOMES_BY_KIND: dict[RequestKind, frozenset[Outcome]] = {
    RequestKind.INQUIRY: frozenset({Outcome.ANSWERED}),
    RequestKind.DISCLOSURE: (DISCLOSING - LEGACY_OUTCOMES)
    | {Outcome.DISCLOSURE_REFUSED, Outcome.NOTHING_TO_DISCLOSE},
    RequestKind.CORRECTION: frozenset({Outcome.CORRECTION_MADE, Outcome.CORRECTION_DECLINED}),
    RequestKind.SUSPENSION: frozenset(
        {
            Outcome.USE_SUSPENDED,
            Outcome.ERASED,
            Outcome.SUSPENSION_REFUSED,
            Outcome.ALTERNATIVE_MEASURES,
        }
    ),
    RequestKind.THIRD_PARTY_STOP: frozenset(
        {Outcome.PROVISION_STOPPED, Outcome.STOP_REFUSED, Outcome.NO_PROVISION_TO_STOP}
    ),
}

# Outcomes the person is told the reason for (Articles 6-8: "notify ... to that effect").
NEEDS_REASON = frozenset(
    {
        Outcome.DISCLOSED_IN_PART,
        Outcome.DISCLOSURE_REFUSED,
        Outcome.CORRECTION_DECLINED,
        Outcome.SUSPENSION_REFUSED,
        Outcome.ALTERNATIVE_MEASURES,
        Outcome.STOP_REFUSED,
    }
)


def requested_outcome(findings: Findings) -> Outcome:
    return (
        Outcome.ERASED
        if findings.requested_action is SuspensionAction.ERASE
        else Outcome.USE_SUSPENDED
    )


class DecisionProblem(ValueError):
    pass


@dataclass(frozen=True)
class Choice:
    """What an operator decided, as the validator needs it (the texts are stored apart)."""

    outcome: Outcome
    refusal_grounds: tuple[RefusalGround, ...] = ()
    alternative_ground: AlternativeMeasureGround | None = None
    withheld_categories: tuple[DataCategory, ...] = ()
    included_categories: tuple[DataCategory, ...] = ()
    continued_partners: tuple[str, ...] = ()
    declined_changes: tuple[int, ...] = ()  # Art 7 ¶2: requested changes judged unnecessary
    has_reason: bool = False
    has_measure: bool = False
    has_inclusion_reason: bool = False
    # Art 6 ¶1 part by part: a category or one item, each with its ground
    withheld_parts: tuple[WithheldPart, ...] = ()
    # Art 8 ¶4: which measure, and who confirms one taken outside the service
    alternative_measure: AlternativeMeasure | None = None
    measure_confirmer: str | None = None

    @property
    def withheld_whole(self) -> tuple[DataCategory, ...]:
        """Every category withheld whole, plainly (on the decision's grounds) or as a part."""
        return (*self.withheld_categories, *sorted(withheld_categories(self.withheld_parts)))

    def plan(self, findings: Findings) -> DisclosurePlan:
        return disclosure_plan(
            findings,
            self.withheld_whole,
            self.included_categories,
            legacy=self.outcome in LEGACY_OUTCOMES,
            withheld_items=withheld_items(self.withheld_parts),
        )


def validate_decision(kind: RequestKind, findings: Findings, choice: Choice) -> None:
    """Raise DecisionProblem naming what the article or the findings do not support."""
    outcome = choice.outcome
    allowed = OUTCOMES_BY_KIND.get(kind, frozenset())
    if outcome in LEGACY_OUTCOMES:
        raise DecisionProblem(
            f"{outcome.value} is no longer decided: the person's own history and "
            "characteristic information is personal information (Art 1) and is disclosed; "
            f"Art 6 ¶2 leaves out only what is held in a form that does not identify them "
            f"({Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING.value})"
        )
    if outcome not in allowed:
        names = ", ".join(sorted(o.value for o in allowed))
        raise DecisionProblem(
            f"{outcome.value} is not an outcome of a {kind.value} request; allowed: {names}"
        )
    if outcome in NEEDS_REASON and not choice.has_reason:
        raise DecisionProblem(f"{outcome.value} needs a reason for the person (--reason-file)")
    _check_disclosure(findings, choice)
    _check_alternative(choice)
    if kind is RequestKind.CORRECTION:
        _check_correction(findings, choice)
    if kind is RequestKind.SUSPENSION:
        _check_suspension(findings, choice)
    _check_provision(findings, choice)


def _check_disclosure(findings: Findings, choice: Choice) -> None:
    outcome = choice.outcome
    withholding = outcome in (Outcome.DISCLOSED_IN_PART, Outcome.DISCLOSURE_REFUSED)
    parts = choice.withheld_parts
    if withholding and not (choice.refusal_grounds or parts):
        grounds = ", ".join(g.value for g in RefusalGround)
        raise DecisionProblem(f"{outcome.value} needs at least one Article 6 ground: {grounds}")
    if choice.refusal_grounds and not withholding:
        raise DecisionProblem("refusal grounds apply only to a partial or refused disclosure")
    if outcome is Outcome.DISCLOSED_IN_PART and not (choice.withheld_categories or parts):
        raise DecisionProblem(
            "a partial disclosure must name the withheld categories, or items by id "
            "(--withhold-part PART=GROUND)"
        )
    if (choice.withheld_categories or parts) and outcome is not Outcome.DISCLOSED_IN_PART:
        raise DecisionProblem("withheld categories and items apply only to a partial disclosure")
    if choice.withheld_categories and not choice.refusal_grounds:
        raise DecisionProblem(
            "categories withheld with --withhold take the decision's grounds (--ground); or "
            "name each with its own (--withhold-part CATEGORY=GROUND)"
        )
    problem = parts_problem(findings, parts, choice.withheld_categories)
    if problem:
        raise DecisionProblem(problem)
    if choice.included_categories:
        if outcome not in DISCLOSING:
            raise DecisionProblem(
                "including what does not identify the person applies only to a disclosure"
            )
        if not choice.has_inclusion_reason:
            raise DecisionProblem(
                "disclosing what is held in a form that does not identify the person departs "
                "from Art 6 ¶2's principle and needs its reason (--include-reason-file)"
            )
    elif choice.has_inclusion_reason:
        raise DecisionProblem("an inclusion reason applies only with --include")
    # What would be disclosed with nothing withheld: the person's personal information
    # held among what they asked for.
    personal = disclosure_plan(findings, (), choice.included_categories).counts(
        findings, Placement.DISCLOSED
    )
    if outcome is Outcome.NOTHING_TO_DISCLOSE and personal:
        held = ", ".join(f"{c.value} ({n})" for c, n in sorted(personal.items()))
        raise DecisionProblem(
            f"personal information is held among what was asked for: {held}; decide a "
            "disclosure, or disclosure_refused on an Art 6 ground"
        )
    if outcome is Outcome.DISCLOSURE_REFUSED and not personal:
        raise DecisionProblem(
            "no personal information about the person is held among what was asked for, "
            "so there is nothing to refuse; decide nothing_to_disclose"
        )
    if outcome not in DISCLOSING:
        return
    _check_disclosing(findings, choice, choice.plan(findings))


def _check_disclosing(findings: Findings, choice: Choice, plan: DisclosurePlan) -> None:
    outcome = choice.outcome
    held = {c for c, n in findings.items_by_category.items() if n > 0 and findings.asked_for(c)}
    not_held = sorted(
        c.value for c in (*choice.withheld_whole, *choice.included_categories) if c not in held
    )
    if not_held:
        raise DecisionProblem(
            f"no items of {', '.join(not_held)} are held among those asked "
            "for; nothing of them can be withheld or included"
        )
    stray = sorted(
        c.value
        for c in choice.included_categories
        if not findings.not_identifying_by_category.get(c)
    )
    if stray:
        raise DecisionProblem(
            f"every item of {', '.join(stray)} held identifies the person and is disclosed "
            "anyway; --include applies to what is held in a form that does not identify them"
        )
    excluded = plan.counts(findings, Placement.EXCLUDED)
    disclosed = plan.counts(findings, Placement.DISCLOSED)
    if not disclosed and outcome is not Outcome.DISCLOSED_IN_PART:
        raise DecisionProblem(
            "no personal information about the person is held among what was asked for, "
            "so nothing would be disclosed; decide nothing_to_disclose"
        )
    if outcome is Outcome.DISCLOSED_IN_FULL and excluded:
        left = ", ".join(f"{c.value} ({n})" for c, n in sorted(excluded.items()))
        raise DecisionProblem(
            f"not a full disclosure: {left} held in a form that does not identify the person "
            "would be left out under Art 6 ¶2; decide disclosed_except_not_identifying, or "
            "include them (--include with --include-reason-file)"
        )
    if outcome is Outcome.DISCLOSED_IN_PART and not disclosed:
        raise DecisionProblem(
            "nothing would be disclosed once these parts are withheld; decide disclosure_refused"
        )
    if outcome is Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING and not excluded:
        raise DecisionProblem(
            "nothing held in a form that does not identify the person would be left out; "
            "decide disclosed_in_full"
        )


def _check_alternative(choice: Choice) -> None:
    if choice.outcome is Outcome.ALTERNATIVE_MEASURES:
        problem = measure_problem(
            choice.alternative_measure,
            choice.alternative_ground,
            has_particulars=choice.has_measure,
            confirmer=choice.measure_confirmer,
        )
        if problem:
            raise DecisionProblem(problem)
    elif (
        choice.alternative_ground is not None
        or choice.has_measure
        or choice.alternative_measure is not None
        or choice.measure_confirmer is not None
    ):
        raise DecisionProblem("a measure and its ground apply only to alternative_measures")


def _check_correction(findings: Findings, choice: Choice) -> None:
    """Art 7 ¶2: the organisation "determines that it is necessary", change by change; a
    change it makes must change what is held, and one it declines is told with a reason."""
    declined = set(choice.declined_changes)
    unknown = sorted(i for i in declined if not 0 <= i < len(findings.changes))
    if unknown:
        raise DecisionProblem(
            f"the request has changes 1 to {len(findings.changes)}; there "
            f"is no change {', '.join(str(i + 1) for i in unknown)}"
        )
    if declined and choice.outcome is not Outcome.CORRECTION_MADE:
        raise DecisionProblem(
            "declining single changes applies only to correction_made; "
            "correction_declined declines them all"
        )
    if declined and not choice.has_reason:
        raise DecisionProblem("declining a change needs a reason for the person (--reason-file)")
    made = [c for c in findings.changes if c.index not in declined and c.effective]
    if choice.outcome is Outcome.CORRECTION_MADE and not made:
        raise DecisionProblem(
            "none of the changes to be made would change what we hold; "
            "decide correction_declined with the reason"
        )


def _check_suspension(findings: Findings, choice: Choice) -> None:
    outcome = choice.outcome
    found = len(findings.items_in_breach)
    if findings.grounds_substantiated:
        if outcome is Outcome.SUSPENSION_REFUSED:
            raise DecisionProblem(
                f"the investigation found {found} items in breach of the grounds given: "
                f"Art 8 ¶2 requires {requested_outcome(findings).value}, or alternative_measures "
                "where that costs a large amount or is otherwise difficult (Art 8 ¶4)"
            )
    elif outcome is not Outcome.SUSPENSION_REFUSED:
        raise DecisionProblem(
            "the investigation found no item in breach of the grounds "
            "given, so there is nothing to suspend or erase; decide "
            "suspension_refused with the reason"
        )
    if outcome in (Outcome.USE_SUSPENDED, Outcome.ERASED) and outcome is not requested_outcome(
        findings
    ):
        raise DecisionProblem(
            f"the person asked for {requested_outcome(findings).value}, not {outcome.value}"
        )


def _check_provision(findings: Findings, choice: Choice) -> None:
    outcome, continued = choice.outcome, choice.continued_partners
    if continued and outcome not in (Outcome.PROVISION_STOPPED, Outcome.STOP_REFUSED):
        raise DecisionProblem("continued partners apply only to a stop request")
    for partner in continued:
        if partner not in findings.third_party_partners:
            raise DecisionProblem(
                f"{partner} is not a third party this person's data is "
                "provided to, among those they named"
            )
        if findings.continuable(partner) is None:
            basis = findings.partner_bases.get(partner)
            raise DecisionProblem(
                f"provision to {partner} rests on {basis.value if basis else 'no basis'}; "
                "it stops at the person's request (Art 5) and cannot be continued"
            )
    if continued and not choice.has_reason:
        raise DecisionProblem(
            "continuing a provision needs a reason for the person (--reason-file)"
        )
    stopping = stoppable_partners(findings, continued)
    if outcome is Outcome.PROVISION_STOPPED and not stopping:
        raise DecisionProblem(
            "no provision would be stopped; decide stop_refused (every "
            "partner continued on its exception) or no_provision_to_stop"
        )
    if outcome is Outcome.STOP_REFUSED and (stopping or not continued):
        raise DecisionProblem(
            "stop_refused continues every named third-party provision on "
            "its recorded exception (--continue PARTNER for each); "
            f"not continued: {', '.join(stopping) or 'none named'}"
        )
    if outcome is Outcome.NO_PROVISION_TO_STOP and findings.third_party_partners:
        raise DecisionProblem(
            f"provision to {', '.join(findings.third_party_partners)} is "
            "provision to a third party; decide provision_stopped"
        )


def fee_due(findings: Findings, choice: Choice) -> bool:
    """Article 6: "a fee of 1,000 yen per case will be charged for the disclosure". The fee
    is for a disclosure that discloses something; a refusal, or a disclosure with nothing
    to disclose, charges nothing, nor does asking again for what was left out under the
    old reading of Art 6 ¶2 (C7; see docs/policy-interpretation.md)."""
    if choice.outcome not in DISCLOSING or findings.legacy_fee_waived:
        return False
    return bool(choice.plan(findings).counts(findings, Placement.DISCLOSED))
