"""Article 6 (C7): what a disclosure decided under the old reading of ¶2 still owes the
person. Such a decision (outcome `disclosed_except_history_and_characteristic`) left the
person's history and characteristic information out whole, and its notice said "this is
your personal information; we will disclose it, without the fee, if you ask again". The
categories it left out stay owed until a later disclosure request of the same subject,
decided to disclose, asked for them; a request that asks for one of them is charged no fee
(`Findings.legacy_fee_waived`). The store looks the past requests up
(store/legacy_waiver.py); this decides from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from domain.decisions import DISCLOSING, LEGACY_OUTCOMES, Outcome
from domain.findings import Findings, Placement, disclosure_plan
from domain.requests import DataCategory


@dataclass(frozen=True)
class PastDisclosure:
    """A decided disclosure request of the subject, as its record holds it."""

    outcome: Outcome
    findings: Findings
    withheld: frozenset[DataCategory]
    included: frozenset[DataCategory]
    submitted_at: datetime
    decided_at: datetime


def left_out_under_legacy_reading(past: PastDisclosure) -> frozenset[DataCategory]:
    """The categories a legacy decision left out that the reading held now would have
    disclosed: what its plan excluded beyond what the current reading excludes (items
    held in a form that does not identify the person stay out under both)."""
    if past.outcome not in LEGACY_OUTCOMES:
        return frozenset()
    then = disclosure_plan(past.findings, past.withheld, past.included, legacy=True)
    now = disclosure_plan(past.findings, past.withheld, past.included)
    excluded_then = then.counts(past.findings, Placement.EXCLUDED)
    excluded_now = now.counts(past.findings, Placement.EXCLUDED)
    return frozenset(c for c, n in excluded_then.items() if n > excluded_now.get(c, 0))


def still_owed(past: Iterable[PastDisclosure]) -> tuple[DataCategory, ...]:
    """The categories left out under the old reading and not asked for again, by a request
    submitted after that decision and decided to disclose, since."""
    decided = sorted(past, key=lambda p: p.decided_at)
    owed: set[DataCategory] = set()
    for index, legacy in enumerate(decided):
        for category in left_out_under_legacy_reading(legacy):
            asked_since = any(
                later.outcome in DISCLOSING - LEGACY_OUTCOMES
                and later.submitted_at > legacy.decided_at
                and later.findings.asked_for(category)
                for later in decided[index + 1 :]
            )
            if not asked_since:
                owed.add(category)
    return tuple(sorted(owed))
