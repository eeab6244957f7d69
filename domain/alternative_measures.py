"""Article 8 ¶4: the alternative measures the organisation may take instead of suspending
use or erasing, named so that each can be checked.

"When it is possible to take necessary alternative measures to protect the rights and
interests of users, this alternative measure shall be taken." A measure is one of a small
set the service knows: the one it can apply itself (stopping provision of the items to
third parties: `provision_feed` then no longer carries them) is applied by the act; the
others are taken outside the service, in the systems that use the items, and the person
responsible for taking them confirms by a signed act that they were taken before the
outcome notice says so (docs/policy-interpretation.md).
"""

from __future__ import annotations

from enum import StrEnum


class AlternativeMeasureGround(StrEnum):
    """Article 8: when suspension or erasure may give way to alternative measures."""

    LARGE_EXPENSE = "large_expense"
    OTHERWISE_DIFFICULT = "otherwise_difficult"


class AlternativeMeasure(StrEnum):
    # The service marks the items; provision to every third party reads them no more.
    STOP_PROVISION_TO_THIRD_PARTIES = "stop_provision_to_third_parties"
    # Taken in the systems that use the items, by the person responsible there.
    STOP_USE_FOR_THE_BREACHING_PURPOSE = "stop_use_for_the_breaching_purpose"
    RESTRICT_ACCESS = "restrict_access"


APPLIED_BY_SERVICE = frozenset({AlternativeMeasure.STOP_PROVISION_TO_THIRD_PARTIES})

MEASURE_STEP = "measure"
"""The step a measure's confirmation names: the manual systems' confirm act, reused for a
measure taken outside the service (`dsr confirm-system REQUEST --system MEASURE --step
measure --rows N`)."""


def applied_by_service(measure: AlternativeMeasure) -> bool:
    return measure in APPLIED_BY_SERVICE


def measure_problem(
    measure: AlternativeMeasure | None,
    ground: AlternativeMeasureGround | None,
    *,
    has_particulars: bool,
    confirmer: str | None,
) -> str | None:
    """Why an alternative_measures decision is incomplete, or None."""
    if ground is None:
        return "alternative measures need their ground: large_expense or otherwise_difficult"
    if measure is None:
        names = ", ".join(m.value for m in AlternativeMeasure)
        return f"alternative measures need the measure taken (--measure-kind): one of {names}"
    if not has_particulars:
        return "alternative measures need the measure's particulars (--measure-file)"
    if applied_by_service(measure) and confirmer is not None:
        return (
            f"{measure.value} is applied by the service itself; nobody confirms it "
            "(leave out --confirmed-by)"
        )
    if not applied_by_service(measure) and confirmer is None:
        return (
            f"{measure.value} is taken outside the service: name the account responsible for "
            "taking it, who confirms it was taken (--confirmed-by ACCOUNT)"
        )
    return None


def confirmation_problem(
    measure: AlternativeMeasure | None, confirmer: str | None, operator: str, named: str
) -> str | None:
    """Why `operator` may not confirm that the measure `named` was taken, or None."""
    if measure is None or applied_by_service(measure) or confirmer is None:
        return "there is no alternative measure awaiting its confirmation on this request"
    if named != measure.value:
        return f"the measure decided is {measure.value}, not {named}"
    if operator.casefold() != confirmer.casefold():
        return (
            f"the measure is confirmed by the account responsible for taking it ({confirmer}), "
            f"not {operator}"
        )
    return None


def approval_problem(decided_by: str, approver: str) -> str | None:
    """Article 8 ¶4's alternative measure is approved by a second operator: a different
    person, so ids that differ only in case are the same person."""
    if approver.casefold() == decided_by.casefold():
        return "the measure needs a second operator's approval, not the deciding operator's"
    return None
