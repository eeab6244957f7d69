"""What an investigation found (Articles 5-8) and what follows from it: which requested
changes would change anything, whether suspension grounds are substantiated, where each
category goes in a disclosure and which provisions a stop request ends."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.findings import (
    LEGACY_EXCLUDED_FROM_DISCLOSURE,
    ChangeCheck,
    Findings,
    Placement,
    disclosure_plan,
    stoppable_partners,
)
from domain.holdings import ProvisionBasis, ProvisionException
from domain.requests import CorrectionAction, DataCategory, SuspensionAction

C = DataCategory
A = CorrectionAction


@pytest.mark.parametrize(
    ("action", "held", "same", "effective", "why_not"),
    [
        (A.CORRECT, True, False, True, None),
        (A.CORRECT, True, True, False, "already_this_value"),
        (A.CORRECT, False, False, False, "not_held"),
        (A.CORRECT, False, True, False, "not_held"),
        (A.ADD, False, False, True, None),
        (A.ADD, True, False, False, "already_held"),
        (A.ADD, True, True, False, "already_held"),
        (A.DELETE, True, False, True, None),
        (A.DELETE, True, True, True, None),
        (A.DELETE, False, False, False, "not_held"),
    ],
)
def test_art7_p1_a_change_is_effective_only_if_it_changes_what_is_held(
    action: CorrectionAction, held: bool, same: bool, effective: bool, why_not: str | None
) -> None:
    """Art 7 ¶1: users may ask to "correct, add, or delete" personal information that "is
    incorrect"; a change that leaves what is held as it is changes nothing, and says why."""
    check = ChangeCheck(index=0, action=action, held=held, same_value=same)
    assert check.effective is effective
    assert check.why_not == why_not


def test_art7_findings_carry_no_values() -> None:
    """Art 7 ¶2: "make the correction, etc. of the relevant personal information" - the
    finding records only whether the field is held and matches, never the value, nor the
    field's name, which the person chose."""
    assert set(ChangeCheck.model_fields) == {"index", "action", "held", "same_value"}
    assert "value" not in " ".join(Findings.model_fields)


def test_art8_p1_nothing_in_breach_is_not_substantiated() -> None:
    """Art 8 ¶1: "on the grounds that personal information is being handled beyond the
    scope of the purpose of use or that it was obtained by wrongful means"."""
    assert Findings().grounds_substantiated is False
    found = Findings(
        requested_action=SuspensionAction.SUSPEND_USE, used_beyond_purpose=2, items_in_breach=(4, 9)
    )
    assert found.grounds_substantiated is True
    # Counts alone do not make a scope: only the ids acted on do.
    assert Findings(used_beyond_purpose=3).grounds_substantiated is False


def test_art8_p2_items_already_suspended_are_outside_the_scope() -> None:
    """Art 8 ¶2: "the suspension of use, etc. of the relevant personal information shall be
    carried out" - items whose use is suspended already are counted, not acted on again."""
    all_suspended = Findings(
        requested_action=SuspensionAction.SUSPEND_USE, used_beyond_purpose=2, already_suspended=2
    )
    assert all_suspended.items_in_breach == ()
    assert all_suspended.grounds_substantiated is False
    some = all_suspended.model_copy(update={"items_in_breach": (7,), "already_suspended": 1})
    assert some.grounds_substantiated is True
    assert len(some.items_in_breach) + some.already_suspended == 2


def test_items_held_sums_the_categories() -> None:
    """Art 6 ¶1: "disclose it to the person" - every item held counts once."""
    assert Findings(items_by_category={C.IDENTITY: 2, C.HISTORY: 3}).items_held == 5
    assert Findings().items_held == 0


def test_art6_p2_leaves_out_only_what_does_not_identify_the_person() -> None:
    """N3 (old item 1), Art 6 ¶2 with Art 1: "information other than personal information
    such as history information and characteristic information" is not disclosed in
    principle; the person's own history and characteristic items, held under their
    identity, are personal information and are disclosed. Only what is held in a form that
    does not identify the person is left out, whatever its category."""
    plan = disclosure_plan(Findings())
    for category in C:
        assert plan.place(category) is Placement.DISCLOSED
        assert plan.place(category, identifying=False) is Placement.EXCLUDED
    findings = Findings(
        items_by_category={C.HISTORY: 3, C.CHARACTERISTIC: 1, C.CONTACT: 2},
        not_identifying_by_category={C.HISTORY: 1},
    )
    plan = disclosure_plan(findings)
    assert plan.counts(findings, Placement.DISCLOSED) == {
        C.HISTORY: 2,
        C.CHARACTERISTIC: 1,
        C.CONTACT: 2,
    }
    assert plan.counts(findings, Placement.EXCLUDED) == {C.HISTORY: 1}


def test_art6_a_decision_recorded_before_n3_is_carried_out_as_decided() -> None:
    """N3: a request in flight decided `disclosed_except_history_and_characteristic` keeps
    the plan it was decided (and its fee asked) on; findings recorded before the
    identifying count read back with every item identifying."""
    old = Findings.model_validate({"items_by_category": {"history": 2, "identity": 1}})
    assert old.not_identifying_by_category == {}
    legacy = disclosure_plan(old, legacy=True)
    assert LEGACY_EXCLUDED_FROM_DISCLOSURE == {C.HISTORY, C.CHARACTERISTIC}
    assert legacy.counts(old, Placement.EXCLUDED) == {C.HISTORY: 2}
    assert disclosure_plan(old).counts(old, Placement.EXCLUDED) == {}


def test_art6_placement_order_not_asked_then_withheld_then_excluded() -> None:
    """Art 6 ¶1: "we may not disclose all or part of it"; ¶2 "in principle" - an operator's
    inclusion lifts ¶2, a ¶1 ground withholds, and what was not asked for is not placed."""
    findings = Findings(
        items_by_category={C.IDENTITY: 2, C.HISTORY: 3, C.CONTACT: 1, C.CHARACTERISTIC: 1},
        not_identifying_by_category={C.HISTORY: 3, C.CHARACTERISTIC: 1},
        requested_categories=(C.IDENTITY, C.HISTORY, C.CHARACTERISTIC),
    )
    plan = disclosure_plan(findings, withheld=(C.IDENTITY,), included=(C.HISTORY,))
    assert plan.place(C.CONTACT) is Placement.NOT_ASKED
    assert plan.place(C.IDENTITY) is Placement.WITHHELD
    assert plan.place(C.HISTORY, identifying=False) is Placement.DISCLOSED
    assert plan.place(C.CHARACTERISTIC, identifying=False) is Placement.EXCLUDED
    assert plan.counts(findings, Placement.DISCLOSED) == {C.HISTORY: 3}
    assert plan.counts(findings, Placement.WITHHELD) == {C.IDENTITY: 2}
    assert plan.counts(findings, Placement.NOT_ASKED) == {C.CONTACT: 1}
    assert plan.counts(findings, Placement.EXCLUDED) == {C.CHARACTERISTIC: 1}
    withheld_history = disclosure_plan(findings, withheld=(C.HISTORY,), included=(C.HISTORY,))
    assert withheld_history.place(C.HISTORY, identifying=False) is Placement.WITHHELD


@given(
    held=st.dictionaries(st.sampled_from(list(C)), st.integers(0, 50)),
    apart=st.dictionaries(st.sampled_from(list(C)), st.integers(0, 50)),
    asked=st.sets(st.sampled_from(list(C))),
    withheld=st.sets(st.sampled_from(list(C))),
    included=st.sets(st.sampled_from(list(C))),
)
def test_art6_every_item_held_is_placed_exactly_once(
    held: dict[DataCategory, int],
    apart: dict[DataCategory, int],
    asked: set[DataCategory],
    withheld: set[DataCategory],
    included: set[DataCategory],
) -> None:
    """Art 6 ¶2: what does not identify the person is "not, in principle" disclosed - but
    never silently dropped: each held item lands in exactly one placement, and an item
    held under the person's identity is never excluded."""
    apart = {c: min(n, held.get(c, 0)) for c, n in apart.items()}
    findings = Findings(
        items_by_category=held,
        not_identifying_by_category=apart,
        requested_categories=tuple(asked),
    )
    plan = disclosure_plan(findings, withheld, included)
    placed = [plan.counts(findings, p) for p in Placement]
    assert sum(sum(c.values()) for c in placed) == sum(held.values())
    for category in C:
        assert plan.place(category) is not Placement.EXCLUDED
        if category not in included:
            assert plan.place(category, identifying=False) is not Placement.DISCLOSED


def test_art5_consent_and_opt_out_must_stop_the_exceptions_may_continue() -> None:
    """Art 5 ¶1: opt-out provision is announced with "the fact that the provision ... will
    be stopped at the request of the person"; the three exceptions need no consent."""
    bases = {f"p-{b.value}": b for b in ProvisionBasis}
    findings = Findings(third_party_partners=tuple(bases), partner_bases=bases)
    assert findings.continuable("p-consent") is None
    assert findings.continuable("p-opt_out_notified") is None
    assert findings.continuable("p-not_third_party") is None
    assert findings.continuable("nobody") is None
    assert findings.continuable("p-public_health_or_children") is (
        ProvisionException.PUBLIC_HEALTH_OR_CHILDREN
    )
    assert findings.continuable("p-cooperation_with_authorities") is (
        ProvisionException.COOPERATION_WITH_AUTHORITIES
    )


def test_art5_a_stop_request_ends_every_third_party_provision_not_continued() -> None:
    """Art 5 ¶1: "will be stopped at the request of the person"."""
    findings = Findings(third_party_partners=("a", "b", "c"))
    assert stoppable_partners(findings) == ("a", "b", "c")
    assert stoppable_partners(findings, ["b"]) == ("a", "c")
    assert stoppable_partners(findings, ["a", "b", "c", "zzz"]) == ()
    assert stoppable_partners(Findings(), ["a"]) == ()
