"""An investigation's findings, from what the store holds on the subject (Articles 5-8).

Pure: `store/holdings.py` loads `Holdings` (the items without their values, the values of
the fields a correction names, Article 3's register as recorded, the provisions to the
partners a stop names and their footing on record), and `investigate` decides what they
amount to for the request.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from domain.findings import ChangeCheck, Findings
from domain.holdings import HeldItem, ProvisionBasis, Relationship, breaches
from domain.purposes import PurposeRegister
from domain.recipients import match_recipients
from domain.requests import (
    CorrectionAction,
    DataCategory,
    RequestKind,
    SuspensionAction,
    SuspensionGround,
)

Footing = tuple[Relationship, ProvisionBasis]


@dataclass(frozen=True)
class ProvisionHeld:
    """A provision of the subject's data to a partner, as its row lists it."""

    partner_id: str
    footing: Footing
    stopped: bool
    name: str | None = None  # as a disclosure names the partner


@dataclass(frozen=True)
class Holdings:
    """What the store holds on the subject, as far as the request's kind needs it."""

    items: Sequence[HeldItem]
    values: Mapping[str, list[str]] = field(default_factory=dict)  # field → opened values
    register: PurposeRegister | None = None  # Article 3's, as recorded (suspension)
    provisions: Sequence[ProvisionHeld] = ()  # the subject's (third-party stop)
    registered: Mapping[str, Footing] = field(default_factory=dict)  # Article 5's register


def investigate(kind: RequestKind, details: Mapping[str, Any], held: Holdings) -> Findings:
    """What the request finds in what is held: counts, codes and ids, never values."""
    by_category: dict[DataCategory, int] = {}
    not_identifying: dict[DataCategory, int] = {}
    for item in held.items:
        category = DataCategory(item.category)
        by_category[category] = by_category.get(category, 0) + 1
        if not item.identifying:
            not_identifying[category] = not_identifying.get(category, 0) + 1
    findings: dict[str, Any] = {
        "items_by_category": by_category,
        "not_identifying_by_category": not_identifying,
    }
    if kind is RequestKind.DISCLOSURE:
        findings["requested_categories"] = tuple(details.get("categories") or ())
        # Ids only: an operator withholds a single item by naming it (Art 6 ¶1).
        findings["personal_items"] = {
            item.item_id: DataCategory(item.category) for item in held.items if item.identifying
        }
    if kind is RequestKind.CORRECTION:
        findings["changes"] = _changes(details, held)
    if kind is RequestKind.SUSPENSION:
        findings |= _breaches(details, held)
    if kind is RequestKind.THIRD_PARTY_STOP:
        findings |= _provisions(details, held)
    return Findings(**findings)


def _changes(details: Mapping[str, Any], held: Holdings) -> tuple[ChangeCheck, ...]:
    return tuple(
        ChangeCheck(
            index=i,
            action=CorrectionAction(c["action"]),
            held=c["field"] in held.values,
            same_value=held.values.get(c["field"]) == [c.get("new_value")],
        )
        for i, c in enumerate(details["changes"])
    )


def _breaches(details: Mapping[str, Any], held: Holdings) -> dict[str, Any]:
    action = SuspensionAction(details["action"])
    grounds = tuple(SuspensionGround(g) for g in details["grounds"])
    register = held.register

    # "Beyond the scope of the purpose of use" (Art 8): against Article 3's register as it
    # stood when the item was used, for every purpose it was used under (its earlier uses
    # too: relabelling an item does not wash out its past use; docs/policy-interpretation.md).
    def within(item: HeldItem) -> bool:
        return (
            register is not None
            and item.used_at is not None
            and register.within_purpose(item.purpose, item.used_at)
            and register.within_every_use(item.past_uses)
        )

    items = held.items
    found = [item for item in items if breaches(item, grounds, within=within)]
    # Suspending what is suspended already does nothing; erasing it still does.
    pending = [i for i in found if action is SuspensionAction.ERASE or not i.suspended]
    return {
        "requested_action": action,
        "requested_grounds": grounds,
        "used_beyond_purpose": sum(
            1 for i in items if breaches(i, (SuspensionGround.USED_BEYOND_PURPOSE,), within=within)
        ),
        "obtained_wrongfully": sum(
            1 for i in items if breaches(i, (SuspensionGround.OBTAINED_WRONGFULLY,))
        ),
        "items_in_breach": tuple(i.item_id for i in pending),
        "already_suspended": len(found) - len(pending),
    }


def _provisions(details: Mapping[str, Any], held: Holdings) -> dict[str, Any]:
    # Each partner's footing is Article 5's register's where it records one, else the
    # provision's own as listed.
    every = {p.partner_id: held.registered.get(p.partner_id, p.footing) for p in held.provisions}
    matched = match_recipients(
        details.get("partners") or (), {p.partner_id: p.name for p in held.provisions}
    )
    named = list(matched.partner_ids)
    if details.get("all_third_parties"):
        # "All third parties": every provision to a third party on record, as well as
        # whoever was named.
        named += [p for p, (r, _) in sorted(every.items()) if r.is_third_party and p not in named]
    footing = {p: every[p] for p in named}
    relation = {p: r for p, (r, _) in footing.items()}
    stopped = {p.partner_id for p in held.provisions if p.stopped and p.partner_id in footing}
    return {
        "third_party_partners": tuple(
            p for p in named if p in relation and relation[p].is_third_party and p not in stopped
        ),
        "already_stopped": tuple(p for p in named if p in stopped),
        "partner_bases": {p: basis for p, (r, basis) in footing.items() if r.is_third_party},
        "not_third_parties": {p: r for p, r in relation.items() if not r.is_third_party},
        "unknown_partners": len(matched.unmatched),
    }
