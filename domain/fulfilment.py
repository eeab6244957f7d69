"""Fulfilment in the organisation's systems: what a decision changes in each system of the
data map, and what it may not change there and why.

Pure: the activity loads the system's items (what the collection found, by row), the
decision and the request's changes, and `plan_for` decides the rows and fields each
change reaches, by the map's rules for each field (domain/datamap.py). A connector then
carries the plan out (connectors/) and confirms it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.datamap import Correction, Erasure, Suspension, System
from domain.decisions import Outcome
from domain.requests import CorrectionAction


class Change(StrEnum):
    SET_NULL = "set_null"
    MASK = "mask"
    DELETE_ROW = "delete_row"
    FLAG = "flag"  # suspension: the collection's flag column set on the row
    UPDATE = "update"  # correction: the field given its new value


@dataclass(frozen=True)
class RowChange:
    """One change to one row: a field's value, the whole row, or the row's flag."""

    collection: str
    key: str
    change: Change
    field: str | None = None  # the map's field; None for DELETE_ROW and FLAG
    value: str | None = None  # UPDATE's new value


@dataclass(frozen=True)
class Plan:
    """The changes a decision makes in one system, in the order they are to be made:
    rows are deleted last and in reverse dependency order, so a row reached through
    another is gone before the row it is reached through."""

    changes: Sequence[RowChange] = ()

    def counts(self) -> dict[str, int]:
        """Rows changed per collection, for the events: counts, never values."""
        rows: dict[str, set[str]] = {}
        for change in self.changes:
            rows.setdefault(change.collection, set()).add(change.key)
        return {collection: len(keys) for collection, keys in sorted(rows.items())}


@dataclass(frozen=True)
class SystemItem:
    """An item a collection found in a system: where it is, never its value."""

    item_id: int
    collection: str
    key: str  # the row's key in the system
    system_field: str  # the map's name of the field
    field: str  # the name a correction uses (the map's `as`)
    suspended: bool = False


@dataclass(frozen=True)
class Refusal:
    """A field the map keeps as it is, with the reason the notice states."""

    collection: str
    field: str
    reason: str
    item_id: int | None = dataclasses.field(default=None, compare=False)  # the item kept

    def line(self) -> str:
        return f"{self.collection}.{self.field}: {self.reason}"


@dataclass(frozen=True)
class SystemPart:
    """A system's part of a decision: the plan, and what is kept there and why."""

    plan: Plan = field(default_factory=Plan)
    refused: tuple[Refusal, ...] = ()

    def kept_items(self) -> str:
        """The items the system keeps as they are, for the event: ids, comma-separated,
        so the service's own records keep them too and the notice does not count them
        done."""
        return ",".join(str(r.item_id) for r in self.refused if r.item_id is not None)

    def refused_text(self) -> str:
        """The refusals, one per field, for an event's payload: names and reasons only."""
        return "; ".join(sorted({r.line() for r in self.refused}))


ACTING = frozenset({Outcome.ERASED, Outcome.USE_SUSPENDED, Outcome.CORRECTION_MADE})
"""The outcomes that change the systems; the others change nothing there (a disclosure's
collection is its part)."""


def plan_for(
    system: System,
    outcome: Outcome,
    items: Sequence[SystemItem],
    *,
    in_breach: frozenset[int] = frozenset(),
    changes: Sequence[Mapping[str, Any]] = (),
    declined: frozenset[int] = frozenset(),
) -> SystemPart:
    """What `outcome` does in `system` to the subject's `items` there: an erasure or a
    suspension to the items in breach, a correction to the items of each change made
    (`changes` as the request gives them, less the `declined` ones' places)."""
    if outcome is Outcome.ERASED:
        return _ordered(
            system, *_erase(system, [i for i in items if i.item_id in in_breach], items)
        )
    if outcome is Outcome.USE_SUSPENDED:
        return _suspend(system, [i for i in items if i.item_id in in_breach and not i.suspended])
    if outcome is Outcome.CORRECTION_MADE:
        return _correct(system, items, changes, declined)
    return SystemPart()


def _rule(system: System, item: SystemItem) -> Any:
    return system.collections[item.collection].fields[item.system_field]


def _erase(
    system: System, items: Sequence[SystemItem], held: Sequence[SystemItem]
) -> tuple[list[RowChange], dict[tuple[str, str], None], list[Refusal]]:
    """The field changes, the rows to delete and the refusals of erasing `items`; a row
    holding any field the map keeps (of all the subject's items there, `held`) is kept."""
    refused = [
        Refusal(i.collection, i.system_field, _rule(system, i).reason or "", i.item_id)
        for i in items
        if _rule(system, i).erasure is Erasure.REFUSE
    ]
    kept_rows = {(i.collection, i.key) for i in held if _rule(system, i).erasure is Erasure.REFUSE}
    deleted: dict[tuple[str, str], None] = {}
    changes: list[RowChange] = []
    for item in items:
        erasure = _rule(system, item).erasure
        row = (item.collection, item.key)
        if erasure is Erasure.DELETE_ROW:
            if row in kept_rows:
                # A row holding a field the map keeps is kept whole.
                refused.append(
                    Refusal(
                        item.collection,
                        item.system_field,
                        "kept with the rest of its row",
                        item.item_id,
                    )
                )
            else:
                deleted[row] = None
        elif erasure is Erasure.SET_NULL:
            changes.append(RowChange(item.collection, item.key, Change.SET_NULL, item.system_field))
        elif erasure is Erasure.MASK:
            changes.append(RowChange(item.collection, item.key, Change.MASK, item.system_field))
    return changes, deleted, refused


def _ordered(
    system: System,
    changes: Sequence[RowChange],
    deleted: Mapping[tuple[str, str], None],
    refused: Sequence[Refusal],
) -> SystemPart:
    """Field changes first (none on a row that goes), then each row deleted once, those
    reached through another before the one they are reached through."""
    plan = [c for c in changes if (c.collection, c.key) not in deleted]
    order = [name for name, _ in system.walk()]
    for collection, key in sorted(deleted, key=lambda row: -order.index(row[0])):
        plan.append(RowChange(collection, key, Change.DELETE_ROW))
    return SystemPart(Plan(tuple(plan)), tuple(refused))


def _suspend(system: System, items: Sequence[SystemItem]) -> SystemPart:
    flagged: dict[tuple[str, str], None] = {}
    refused: list[Refusal] = []
    for item in items:
        rule = _rule(system, item)
        if rule.suspension is Suspension.REFUSE:
            refused.append(
                Refusal(item.collection, item.system_field, rule.reason or "", item.item_id)
            )
        else:
            flagged[(item.collection, item.key)] = None
    plan = Plan(tuple(RowChange(c, k, Change.FLAG) for c, k in flagged))
    return SystemPart(plan, tuple(refused))


def _correct(
    system: System,
    items: Sequence[SystemItem],
    changes: Sequence[Mapping[str, Any]],
    declined: frozenset[int],
) -> SystemPart:
    plan: list[RowChange] = []
    refused: list[Refusal] = []
    erased: list[SystemItem] = []
    for index, change in enumerate(changes):
        if index in declined:
            continue
        action = CorrectionAction(change["action"])
        reached = [i for i in items if i.field == change["field"]]
        if action is CorrectionAction.DELETE:
            erased += reached
        elif action is CorrectionAction.CORRECT:
            for item in reached:
                rule = _rule(system, item)
                if rule.correction is Correction.REFUSE:
                    refused.append(
                        Refusal(item.collection, item.system_field, rule.reason or "", item.item_id)
                    )
                else:
                    plan.append(
                        RowChange(
                            item.collection,
                            item.key,
                            Change.UPDATE,
                            item.system_field,
                            change["new_value"],
                        )
                    )
        # An addition is made in the service's own records: a system that does not hold
        # the field has no row of it to add to.
    cleared, deleted, kept = _erase(system, erased, items)
    return _ordered(system, [*plan, *cleared], deleted, [*refused, *kept])
