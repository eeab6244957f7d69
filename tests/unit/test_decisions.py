"""What may be decided on each kind of request (Articles 5-8), what the domain proposes
from the findings, and the rules on the acts around a decision: the second approver of an
alternative measure and the Article 6 fee."""

from __future__ import annotations

import pytest

from domain.alternative_measures import applied_by_service, confirmation_problem
from domain.decisions import (
    AlternativeMeasure,
    AlternativeMeasureGround,
    Choice,
    DecisionProblem,
    Outcome,
    RefusalGround,
    approval_problem,
    fee_due,
    payment_problem,
    validate_decision,
)
from domain.findings import ChangeCheck, Findings, Placement
from domain.holdings import ProvisionBasis, Relationship
from domain.identity import verified_by_registration_match
from domain.proposals import propose
from domain.requests import (
    CorrectionAction,
    DataCategory,
    RequestKind,
    SuspensionAction,
    SuspensionGround,
)
from domain.withholding import WithheldPart, parse_part

C = DataCategory
D, K, S, P = (
    RequestKind.DISCLOSURE,
    RequestKind.CORRECTION,
    RequestKind.SUSPENSION,
    RequestKind.THIRD_PARTY_STOP,
)
RISK = (RefusalGround.RISK_TO_LIFE_BODY_PROPERTY_OR_RIGHTS,)
WITH_HISTORY = Findings(
    items_by_category={C.IDENTITY: 2, C.CONTACT: 1, C.HISTORY: 3, C.CHARACTERISTIC: 1}
)
PLAIN = Findings(items_by_category={C.IDENTITY: 2, C.CONTACT: 1})
# The same, with the history and characteristic items held in a form that does not
# identify the person (analytics keyed by a cookie): Art 6 ¶2's "other than personal
# information".
NOT_IDENTIFYING = WITH_HISTORY.model_copy(
    update={"not_identifying_by_category": {C.HISTORY: 3, C.CHARACTERISTIC: 1}}
)


def ok(kind: RequestKind, findings: Findings, **choice: object) -> None:
    validate_decision(kind, findings, Choice(**choice))  # type: ignore[arg-type]


def refused(kind: RequestKind, findings: Findings, match: str, **choice: object) -> None:
    with pytest.raises(DecisionProblem, match=match):
        ok(kind, findings, **choice)


# Article 6 ¶2 -------------------------------------------------------------------------


def test_art6_p2_the_persons_own_history_is_disclosed_in_full() -> None:
    """N3 (old item 1), Art 6 ¶2 with Art 1: the person's own history and characteristic
    items are personal information; the proposal discloses them, and leaving them out is
    no longer an outcome."""
    proposal = propose(D, WITH_HISTORY)
    assert proposal.outcome is Outcome.DISCLOSED_IN_FULL
    assert "7 items may be disclosed" in proposal.why
    ok(D, WITH_HISTORY, outcome=Outcome.DISCLOSED_IN_FULL)
    refused(
        D,
        WITH_HISTORY,
        "no longer decided.*personal information",
        outcome=Outcome.DISCLOSED_EXCEPT_HISTORY_AND_CHARACTERISTIC,
    )
    history_only = WITH_HISTORY.model_copy(update={"requested_categories": (C.HISTORY,)})
    assert propose(D, history_only).outcome is Outcome.DISCLOSED_IN_FULL
    assert fee_due(history_only, Choice(Outcome.DISCLOSED_IN_FULL))


def test_art6_p2_propose_leaves_out_what_does_not_identify_the_person_openly() -> None:
    """N3, Art 6 ¶2: "we will not, in principle, disclose information other than personal
    information" - what is held in a form that does not identify the person is left out,
    and the proposal says so instead of calling it full."""
    proposal = propose(D, NOT_IDENTIFYING)
    assert proposal.outcome is Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING
    assert "3 items may be disclosed" in proposal.why
    assert "4 items held in a form that does not identify" in proposal.why
    assert "Art 6 ¶2" in proposal.why
    assert propose(D, PLAIN).outcome is Outcome.DISCLOSED_IN_FULL


def test_art6_p2_full_disclosure_is_refused_while_something_would_be_left_out() -> None:
    """Art 6 ¶2: a disclosure that leaves out what does not identify the person is not
    "in full"."""
    with pytest.raises(DecisionProblem, match="Art 6 ¶2") as caught:
        ok(D, NOT_IDENTIFYING, outcome=Outcome.DISCLOSED_IN_FULL)
    assert "characteristic (1)" in str(caught.value) and "history (3)" in str(caught.value)
    ok(D, NOT_IDENTIFYING, outcome=Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING)


def test_art6_p2_included_with_its_reason_makes_a_full_disclosure() -> None:
    """Art 6 ¶2: "in principle" - an operator may include them, saying why."""
    ok(
        D,
        NOT_IDENTIFYING,
        outcome=Outcome.DISCLOSED_IN_FULL,
        included_categories=(C.HISTORY, C.CHARACTERISTIC),
        has_inclusion_reason=True,
    )
    # Including one of the two still leaves the other out under the clause.
    ok(
        D,
        NOT_IDENTIFYING,
        outcome=Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING,
        included_categories=(C.HISTORY,),
        has_inclusion_reason=True,
    )
    refused(
        D,
        NOT_IDENTIFYING,
        "Art 6 ¶2",
        outcome=Outcome.DISCLOSED_IN_FULL,
        included_categories=(C.HISTORY,),
        has_inclusion_reason=True,
    )


def test_art6_p2_including_needs_a_reason() -> None:
    """Art 6 ¶2: "we will not, in principle, disclose" - departing from it needs a reason."""
    refused(
        D,
        NOT_IDENTIFYING,
        "needs its reason",
        outcome=Outcome.DISCLOSED_IN_FULL,
        included_categories=(C.HISTORY, C.CHARACTERISTIC),
    )
    refused(
        D,
        NOT_IDENTIFYING,
        "only with --include",
        outcome=Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING,
        has_inclusion_reason=True,
    )


def test_art6_p2_only_what_does_not_identify_can_be_included() -> None:
    """Art 6 ¶2: "information other than personal information" is what is excluded;
    what identifies the person is disclosed anyway, so it cannot be "included"."""
    refused(
        D,
        NOT_IDENTIFYING,
        "every item of identity held identifies the person",
        outcome=Outcome.DISCLOSED_IN_FULL,
        included_categories=(C.IDENTITY, C.HISTORY, C.CHARACTERISTIC),
        has_inclusion_reason=True,
    )
    refused(
        D,
        PLAIN,
        "no items of history are held",
        outcome=Outcome.DISCLOSED_IN_FULL,
        included_categories=(C.HISTORY,),
        has_inclusion_reason=True,
    )
    refused(
        D,
        NOT_IDENTIFYING,
        "only to a disclosure",
        outcome=Outcome.DISCLOSURE_REFUSED,
        refusal_grounds=RISK,
        has_reason=True,
        included_categories=(C.HISTORY,),
        has_inclusion_reason=True,
    )


def test_art6_p2_except_outcome_needs_something_left_out() -> None:
    """Art 6 ¶2: the exception names what it leaves out; with nothing held in a form that
    does not identify the person, the disclosure is in full."""
    for findings in (PLAIN, WITH_HISTORY):
        refused(
            D,
            findings,
            "decide disclosed_in_full",
            outcome=Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING,
        )
    not_asked = NOT_IDENTIFYING.model_copy(update={"requested_categories": (C.CONTACT,)})
    refused(
        D,
        not_asked,
        "decide disclosed_in_full",
        outcome=Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING,
    )


def test_n12_nothing_held_is_its_own_outcome() -> None:
    """N12: a person about whom nothing is held is not "disclosed in full", and a refusal
    would imply that something is held: the outcome is nothing_to_disclose, without fee.
    Where only what does not identify them is held, nothing of their personal information
    is held either (Art 6 ¶2): the same outcome."""
    nothing = Findings()
    only_apart = Findings(
        items_by_category={C.HISTORY: 2}, not_identifying_by_category={C.HISTORY: 2}
    )
    for findings in (nothing, only_apart):
        proposal = propose(D, findings)
        assert proposal.outcome is Outcome.NOTHING_TO_DISCLOSE
        ok(D, findings, outcome=Outcome.NOTHING_TO_DISCLOSE)
        assert not fee_due(findings, Choice(Outcome.NOTHING_TO_DISCLOSE))
        for outcome in (Outcome.DISCLOSED_IN_FULL, Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING):
            refused(D, findings, "decide nothing_to_disclose", outcome=outcome)
        refused(
            D,
            findings,
            "nothing to refuse; decide nothing_to_disclose",
            outcome=Outcome.DISCLOSURE_REFUSED,
            refusal_grounds=RISK,
            has_reason=True,
        )
    asked_elsewhere = PLAIN.model_copy(update={"requested_categories": (C.HISTORY,)})
    ok(D, asked_elsewhere, outcome=Outcome.NOTHING_TO_DISCLOSE)
    refused(D, PLAIN, "personal information is held", outcome=Outcome.NOTHING_TO_DISCLOSE)
    ok(D, PLAIN, outcome=Outcome.DISCLOSURE_REFUSED, refusal_grounds=RISK, has_reason=True)


def test_art6_p1_withholding_needs_a_ground_the_categories_and_a_reason() -> None:
    """Art 6 ¶1: "we may not disclose all or part of it" only "if disclosing falls under
    any of the following cases", and "we will notify you to that effect"."""
    part = {"outcome": Outcome.DISCLOSED_IN_PART, "has_reason": True}
    refused(D, PLAIN, "at least one Article 6 ground", withheld_categories=(C.CONTACT,), **part)
    refused(D, PLAIN, "must name the withheld", refusal_grounds=RISK, **part)
    refused(
        D,
        PLAIN,
        "no items of financial",
        refusal_grounds=RISK,
        withheld_categories=(C.FINANCIAL,),
        **part,
    )
    refused(D, PLAIN, "needs a reason", outcome=Outcome.DISCLOSURE_REFUSED, refusal_grounds=RISK)
    refused(
        D,
        PLAIN,
        "only to a partial or refused",
        outcome=Outcome.DISCLOSED_IN_FULL,
        refusal_grounds=RISK,
    )
    ok(D, PLAIN, refusal_grounds=RISK, withheld_categories=(C.CONTACT,), **part)
    ok(D, PLAIN, outcome=Outcome.DISCLOSURE_REFUSED, refusal_grounds=RISK, has_reason=True)


def test_outcomes_belong_to_their_article() -> None:
    """Art 6 ¶1: "it will disclose it to the person" - a disclosure is decided as one."""
    refused(D, PLAIN, "not an outcome of a disclosure request", outcome=Outcome.ERASED)
    refused(K, PLAIN, "not an outcome of a correction", outcome=Outcome.DISCLOSED_IN_FULL)


# Article 8 ¶1-4 -----------------------------------------------------------------------

BREACH = Findings(
    items_by_category={C.CONTACT: 5},
    requested_action=SuspensionAction.SUSPEND_USE,
    requested_grounds=(SuspensionGround.USED_BEYOND_PURPOSE,),
    used_beyond_purpose=2,
    items_in_breach=(11, 12),
)
NO_BREACH = BREACH.model_copy(update={"used_beyond_purpose": 0, "items_in_breach": ()})
ALTERNATIVE = {
    "outcome": Outcome.ALTERNATIVE_MEASURES,
    "has_reason": True,
    "has_measure": True,
    "alternative_ground": AlternativeMeasureGround.LARGE_EXPENSE,
    "alternative_measure": AlternativeMeasure.STOP_PROVISION_TO_THIRD_PARTIES,
}


def test_art8_p2_items_in_breach_cannot_be_refused() -> None:
    """Art 8 ¶2: "if it is determined that it is necessary to respond ... the suspension of
    use, etc. ... shall be carried out without delay"; ¶4 allows only "alternative
    measures" instead."""
    with pytest.raises(DecisionProblem, match="alternative_measures") as caught:
        ok(S, BREACH, outcome=Outcome.SUSPENSION_REFUSED, has_reason=True)
    assert "Art 8 ¶4" in str(caught.value) and "2 items" in str(caught.value)
    ok(S, BREACH, outcome=Outcome.USE_SUSPENDED)
    ok(S, BREACH, **ALTERNATIVE)


def test_art8_p1_nothing_in_breach_means_nothing_to_suspend_or_erase() -> None:
    """Art 8 ¶1: suspension is asked "on the grounds that personal information is being
    handled beyond the scope of the purpose of use or that it was obtained by wrongful
    means"; when the investigation finds neither, the only decision is a refusal."""
    for outcome in (Outcome.USE_SUSPENDED, Outcome.ERASED):
        refused(S, NO_BREACH, "nothing to suspend or erase", outcome=outcome)
    refused(S, NO_BREACH, "nothing to suspend or erase", **ALTERNATIVE)
    refused(S, NO_BREACH, "needs a reason", outcome=Outcome.SUSPENSION_REFUSED)
    ok(S, NO_BREACH, outcome=Outcome.SUSPENSION_REFUSED, has_reason=True)


def test_art8_p2_the_requested_action_is_the_one_taken() -> None:
    """Art 8 ¶2: "the suspension of use, etc. of the relevant personal information shall
    be carried out" - the suspension or erasure the person asked for, not the other."""
    refused(S, BREACH, "asked for use_suspended, not erased", outcome=Outcome.ERASED)
    erase = BREACH.model_copy(update={"requested_action": SuspensionAction.ERASE})
    refused(S, erase, "asked for erased, not use_suspended", outcome=Outcome.USE_SUSPENDED)
    ok(S, erase, outcome=Outcome.ERASED)


def test_art8_propose_follows_the_findings() -> None:
    """Art 8 ¶2: "Based on the results of the investigation in the preceding paragraph"."""
    assert propose(S, NO_BREACH).outcome is Outcome.SUSPENSION_REFUSED
    assert propose(S, BREACH).outcome is Outcome.USE_SUSPENDED
    assert "2 items" in propose(S, BREACH).why
    erase = BREACH.model_copy(update={"requested_action": SuspensionAction.ERASE})
    assert propose(S, erase).outcome is Outcome.ERASED


def test_art8_p4_alternative_measures_need_their_ground_and_the_measure() -> None:
    """Art 8 ¶4: "where the suspension of use, etc. involves a large amount of expenses or
    where it is otherwise difficult ... this alternative measure shall be taken"."""
    refused(S, BREACH, "need their ground", **{**ALTERNATIVE, "alternative_ground": None})
    refused(S, BREACH, "the measure's particulars", **{**ALTERNATIVE, "has_measure": False})
    refused(
        S,
        BREACH,
        "apply only to alternative_measures",
        outcome=Outcome.USE_SUSPENDED,
        has_measure=True,
    )


def test_old7_art8_p4_the_measure_is_named_and_one_outside_the_service_has_a_confirmer() -> None:
    """Old item 7 (Art 8 ¶4): "the alternative measure is free text and nothing checks it
    was taken". The measure is now one of the named kinds; the one the service applies
    itself needs nobody's word, one taken outside it names the account that confirms it."""
    refused(S, BREACH, "the measure taken", **{**ALTERNATIVE, "alternative_measure": None})
    outside = {**ALTERNATIVE, "alternative_measure": AlternativeMeasure.RESTRICT_ACCESS}
    refused(S, BREACH, "--confirmed-by", **outside)
    ok(S, BREACH, **outside, measure_confirmer="it-owner")
    refused(S, BREACH, "applied by the service", **ALTERNATIVE, measure_confirmer="it-owner")
    refused(
        S,
        BREACH,
        "apply only to alternative_measures",
        outcome=Outcome.USE_SUSPENDED,
        alternative_measure=AlternativeMeasure.RESTRICT_ACCESS,
    )
    assert applied_by_service(AlternativeMeasure.STOP_PROVISION_TO_THIRD_PARTIES)
    assert not applied_by_service(AlternativeMeasure.STOP_USE_FOR_THE_BREACHING_PURPOSE)


def test_old7_only_the_named_account_confirms_the_measure_it_was_named_for() -> None:
    """Old item 7: the confirmation is the check that the measure was taken, so it is the
    named account's act, for the measure decided, and only for one taken outside."""
    restrict = AlternativeMeasure.RESTRICT_ACCESS
    assert confirmation_problem(restrict, "it-owner", "IT-Owner", "restrict_access") is None
    assert "not op-2" in (
        confirmation_problem(restrict, "it-owner", "op-2", "restrict_access") or ""
    )
    assert "not stop_provision" in (
        confirmation_problem(restrict, "it-owner", "it-owner", "stop_provision_to_third_parties")
        or ""
    )
    applied = AlternativeMeasure.STOP_PROVISION_TO_THIRD_PARTIES
    assert "no alternative measure awaiting" in (
        confirmation_problem(applied, None, "it-owner", applied.value) or ""
    )


# Article 5 ----------------------------------------------------------------------------

PARTNERS = Findings(
    third_party_partners=("ads-co", "city-office", "clinic"),
    partner_bases={
        "ads-co": ProvisionBasis.CONSENT,
        "city-office": ProvisionBasis.COOPERATION_WITH_AUTHORITIES,
        "clinic": ProvisionBasis.OPT_OUT_NOTIFIED,
    },
    not_third_parties={"mail-house": Relationship.ENTRUSTMENT},
)
STOP = {"outcome": Outcome.PROVISION_STOPPED, "has_reason": True}


def test_art5_only_the_exceptions_continue_after_a_stop_request() -> None:
    """Art 5 ¶1: consent and opt-out provision carry "the fact that the provision of
    personal information to a third party will be stopped at the request of the person"."""
    for partner in ("ads-co", "clinic"):
        refused(P, PARTNERS, "stops at the person's request", continued_partners=(partner,), **STOP)
    refused(
        P, PARTNERS, "mail-house is not a third party", continued_partners=("mail-house",), **STOP
    )
    refused(
        P,
        PARTNERS,
        "needs a reason",
        outcome=Outcome.PROVISION_STOPPED,
        continued_partners=("city-office",),
    )
    ok(P, PARTNERS, continued_partners=("city-office",), **STOP)


def test_art5_stopped_means_something_stopped_and_refused_means_all_continued() -> None:
    """Art 5 ¶1: provision stops "at the request of the person" unless an exception ("When
    it is necessary to cooperate with a national agency ...") applies."""
    gov = Findings(
        third_party_partners=("city-office",),
        partner_bases={"city-office": ProvisionBasis.COOPERATION_WITH_AUTHORITIES},
    )
    refused(P, gov, "no provision would be stopped", continued_partners=("city-office",), **STOP)
    refused(
        P,
        PARTNERS,
        "not continued: ads-co, clinic",
        outcome=Outcome.STOP_REFUSED,
        continued_partners=("city-office",),
        has_reason=True,
    )
    refused(P, gov, "not continued: city-office", outcome=Outcome.STOP_REFUSED, has_reason=True)
    ok(P, gov, outcome=Outcome.STOP_REFUSED, continued_partners=("city-office",), has_reason=True)
    refused(
        P,
        gov,
        "apply only to a stop request",
        outcome=Outcome.NO_PROVISION_TO_STOP,
        continued_partners=("city-office",),
        has_reason=True,
    )


def test_art5_p2_no_provision_to_stop_only_without_third_parties() -> None:
    """Art 5 ¶2: "the party receiving the said information shall not be deemed to be a
    third party" for entrustment, succession and joint use."""
    refused(P, PARTNERS, "decide provision_stopped", outcome=Outcome.NO_PROVISION_TO_STOP)
    none = Findings(not_third_parties={"mail-house": Relationship.ENTRUSTMENT}, unknown_partners=1)
    ok(P, none, outcome=Outcome.NO_PROVISION_TO_STOP)
    refused(P, none, "no provision would be stopped", outcome=Outcome.PROVISION_STOPPED)
    assert propose(P, none).outcome is Outcome.NO_PROVISION_TO_STOP
    assert propose(P, PARTNERS).outcome is Outcome.PROVISION_STOPPED
    assert "3 third-party provisions" in propose(P, PARTNERS).why


# Article 7 ----------------------------------------------------------------------------


def change(action: CorrectionAction, held: bool, same: bool = False) -> ChangeCheck:
    return ChangeCheck(index=0, action=action, held=held, same_value=same)


def test_art7_p2_correction_made_needs_a_change_that_changes_something() -> None:
    """Art 7 ¶2: "it shall make the correction, etc."; ¶3: notify "when it has made a
    correction, etc. ... or when it has decided not to make a correction"."""
    idle = Findings(
        changes=(
            change(CorrectionAction.CORRECT, True, True),
            change(CorrectionAction.ADD, True),
            change(CorrectionAction.DELETE, False),
        )
    )
    refused(K, idle, "none of the changes to be made", outcome=Outcome.CORRECTION_MADE)
    assert propose(K, idle).outcome is Outcome.CORRECTION_DECLINED
    refused(K, idle, "needs a reason", outcome=Outcome.CORRECTION_DECLINED)
    ok(K, idle, outcome=Outcome.CORRECTION_DECLINED, has_reason=True)
    some = idle.model_copy(
        update={"changes": (*idle.changes, change(CorrectionAction.CORRECT, True))}
    )
    ok(K, some, outcome=Outcome.CORRECTION_MADE)
    proposal = propose(K, some)
    assert proposal.outcome is Outcome.CORRECTION_MADE and "1 of 4" in proposal.why


def test_art7_p2_the_organisation_decides_each_change_and_tells_why_it_declined_one() -> None:
    """Art 7 ¶2: "determines that it is necessary to respond to the request" - change by
    change: one judged unnecessary is declined with a reason; what remains must still
    change something."""
    two = Findings(
        changes=(
            ChangeCheck(index=0, action=CorrectionAction.CORRECT, held=True),
            ChangeCheck(index=1, action=CorrectionAction.ADD, held=False),
        )
    )
    ok(K, two, outcome=Outcome.CORRECTION_MADE, declined_changes=(1,), has_reason=True)
    refused(K, two, "needs a reason", outcome=Outcome.CORRECTION_MADE, declined_changes=(1,))
    refused(
        K,
        two,
        "there is no change 3",
        outcome=Outcome.CORRECTION_MADE,
        declined_changes=(2,),
        has_reason=True,
    )
    refused(
        K,
        two,
        "none of the changes to be made",
        outcome=Outcome.CORRECTION_MADE,
        declined_changes=(0, 1),
        has_reason=True,
    )
    refused(
        K,
        two,
        "applies only to correction_made",
        outcome=Outcome.CORRECTION_DECLINED,
        declined_changes=(0,),
        has_reason=True,
    )


# The acts around a decision -----------------------------------------------------------


def test_art5_only_a_stop_request_is_verified_by_the_registration_match() -> None:
    """Art 5 ¶1: provision "will be stopped at the request of the person" - stopping only
    narrows use, so a matching e-mail is enough; Art 6-8 requests disclose or change data."""
    assert {k for k in RequestKind if verified_by_registration_match(k)} == {P}


def test_art8_p4_approver_is_a_second_person_whatever_the_case_of_the_id() -> None:
    """Art 8 ¶4: "this alternative measure shall be taken" - approved by a second operator,
    so "op-1" and "OP-1" are one person."""
    assert "second operator" in (approval_problem("op-1", "OP-1") or "")
    assert approval_problem("op-1", "op-1") is not None
    assert approval_problem("op-1", "op-2") is None


def test_art6_p1_payment_must_be_this_invoice_in_full() -> None:
    """Art 6 ¶1: "a fee of 1,000 yen per case will be charged for the disclosure"."""
    assert payment_problem("inv-1", 1000, paid_invoice="inv-1", paid_yen=1000) is None
    assert payment_problem("inv-1", 1000, paid_invoice="inv-9", paid_yen=1000) == (
        "invoice inv-9 does not exist for this request; its invoice is inv-1"
    )
    assert payment_problem("inv-1", 1000, paid_invoice="inv-1", paid_yen=500) == (
        "the fee is 1000 yen, not 500"
    )


def test_art6_p1_fee_only_when_something_is_disclosed() -> None:
    """Art 6 ¶1: "a fee of 1,000 yen per case will be charged for the disclosure of
    personal information" - not for a refusal, nor for a disclosure of nothing."""
    assert fee_due(PLAIN, Choice(Outcome.DISCLOSED_IN_FULL)) is True
    assert fee_due(PLAIN, Choice(Outcome.DISCLOSURE_REFUSED, RISK, has_reason=True)) is False
    assert fee_due(Findings(), Choice(Outcome.DISCLOSED_IN_FULL)) is False
    history_only = Findings(items_by_category={C.HISTORY: 4})
    # A request in flight decided before N3 keeps the fee it was decided with (replay).
    legacy = Choice(Outcome.DISCLOSED_EXCEPT_HISTORY_AND_CHARACTERISTIC)
    assert fee_due(history_only, legacy) is False
    assert fee_due(history_only, Choice(Outcome.DISCLOSED_IN_FULL)) is True
    apart = history_only.model_copy(update={"not_identifying_by_category": {C.HISTORY: 4}})
    assert fee_due(apart, Choice(Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING)) is False
    included = Choice(
        Outcome.DISCLOSED_IN_FULL, included_categories=(C.HISTORY,), has_inclusion_reason=True
    )
    assert fee_due(apart, included) is True
    all_withheld = Choice(
        Outcome.DISCLOSED_IN_PART,
        RISK,
        withheld_categories=(C.IDENTITY, C.CONTACT),
        has_reason=True,
    )
    assert fee_due(PLAIN, all_withheld) is False
    assert fee_due(WITH_HISTORY, Choice(Outcome.CORRECTION_MADE)) is False


# Article 6 ¶1, item by item (N17) ------------------------------------------------------

BY_ITEM = Findings(
    items_by_category={C.IDENTITY: 2, C.CONTACT: 1, C.HISTORY: 2},
    not_identifying_by_category={C.HISTORY: 1},
    personal_items={1: C.IDENTITY, 2: C.IDENTITY, 3: C.CONTACT, 4: C.HISTORY},
)
LAWS = RefusalGround.VIOLATION_OF_OTHER_LAWS
BUSINESS = RefusalGround.SIGNIFICANT_HINDRANCE_TO_BUSINESS


def test_n17_art6_p1_single_items_are_withheld_each_with_its_ground() -> None:
    """N17: "Withholding under Art 6 ¶1 works by whole category only." Art 6: "we may not
    disclose all or part of it". One item is withheld by its id, with its own ground, a
    category with another; the rest of both categories is disclosed, and counted so."""
    parts = (
        WithheldPart(item_id=2, ground=LAWS),
        WithheldPart(category=C.CONTACT, ground=BUSINESS),
    )
    choice = Choice(Outcome.DISCLOSED_IN_PART, withheld_parts=parts, has_reason=True)
    validate_decision(D, BY_ITEM, choice)  # no decision-wide ground needed: each has its own
    plan = choice.plan(BY_ITEM)
    assert plan.counts(BY_ITEM, Placement.WITHHELD) == {C.IDENTITY: 1, C.CONTACT: 1}
    assert plan.counts(BY_ITEM, Placement.DISCLOSED) == {C.IDENTITY: 1, C.HISTORY: 1}
    assert plan.counts(BY_ITEM, Placement.EXCLUDED) == {C.HISTORY: 1}
    assert fee_due(BY_ITEM, choice)


def test_n17_an_item_withheld_must_be_one_found_asked_for_and_named_once() -> None:
    """N17: an item is named by the investigation's opaque id; an id it did not find (or an
    item that does not identify the person, left out under ¶2 anyway), an item of a
    category not asked for or withheld whole, or a part named twice is refused."""
    part = lambda **kw: WithheldPart(ground=LAWS, **kw)  # noqa: E731
    base = {"outcome": Outcome.DISCLOSED_IN_PART, "has_reason": True}
    refused(D, BY_ITEM, "item 9 is not among", **base, withheld_parts=(part(item_id=9),))
    refused(
        D,
        BY_ITEM,
        "withheld whole already",
        **base,
        withheld_parts=(part(item_id=3), part(category=C.CONTACT)),
    )
    refused(D, BY_ITEM, "withheld twice", **base, withheld_parts=(part(item_id=1),) * 2)
    refused(
        D,
        BY_ITEM,
        "contact is withheld twice",
        **base,
        refusal_grounds=(LAWS,),
        withheld_categories=(C.CONTACT,),
        withheld_parts=(part(category=C.CONTACT),),
    )
    asked = BY_ITEM.model_copy(update={"requested_categories": (C.IDENTITY,)})
    refused(D, asked, "did not ask for", **base, withheld_parts=(part(item_id=3),))
    refused(
        D,
        BY_ITEM,
        "apply only to a partial disclosure",
        outcome=Outcome.DISCLOSED_IN_FULL,
        withheld_parts=(part(item_id=1),),
    )
    # Withholding every personal item one by one leaves nothing: that is a refusal.
    every = tuple(part(item_id=i) for i in (1, 2, 3, 4))
    refused(D, BY_ITEM, "decide disclosure_refused", **base, withheld_parts=every)
    # Categories withheld plainly still take the decision's grounds.
    refused(
        D,
        BY_ITEM,
        "--ground",
        **base,
        withheld_categories=(C.CONTACT,),
        withheld_parts=(part(item_id=1),),
    )


def test_n17_parts_are_typed_as_part_equals_ground() -> None:
    """N17: how an operator names a part on the command line and in the API."""
    assert parse_part("42=violation_of_other_laws") == WithheldPart(item_id=42, ground=LAWS)
    assert parse_part("contact=significant_hindrance_to_business").category is C.CONTACT
    for bad, says in (
        ("42", "PART=GROUND"),
        ("42=because", "not an Article 6 ground"),
        ("email=violation_of_other_laws", "neither an item id nor a category"),
    ):
        with pytest.raises(ValueError, match=says):
            parse_part(bad)
