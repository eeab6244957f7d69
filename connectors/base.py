"""The interface every connector offers, and the shapes that cross it.

A connector is built from one system of the data map (domain/datamap.py) and its secret.
It finds a subject's rows from their identities (`collect`), carries out a plan of
changes to exactly those rows (`apply`), checks that the plan took (`confirm`) and checks
the map against the live system (`check`). Values cross this interface only inside the
worker's activities: nothing here enters Temporal.

Errors: `SystemUnavailable` when the system cannot be reached or answers with a transient
failure (retried), `SystemRefused` when it refuses for good (a 4xx, a permission denied).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from domain.datamap import Identity, System


class SystemUnavailable(Exception):
    """The system cannot be reached now; trying again later may succeed."""


class SystemRefused(Exception):
    """The system refused the call for good: trying again will not help."""


Identities = Mapping[Identity, Sequence[str]]
"""What the subject is known by: each kind of identity with its values."""


@dataclass(frozen=True)
class FoundRow:
    """One row of a collection that belongs to the subject: its key and the mapped
    fields' values (None where the column is null)."""

    collection: str
    key: str
    values: Mapping[str, str | None]


@dataclass(frozen=True)
class Collected:
    """What a system holds on the subject: its rows, and how many per collection (a
    collection with none is listed with 0, so "searched and found nothing" is on record)."""

    rows: Sequence[FoundRow]
    counts: Mapping[str, int]


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
    field: str | None = None  # None for DELETE_ROW and FLAG
    value: str | None = None  # UPDATE's new value


@dataclass(frozen=True)
class Plan:
    """The changes a decision makes in one system, in the order they are to be made:
    rows are deleted in reverse dependency order, so a row reached through another is
    gone before the row it is reached through."""

    changes: Sequence[RowChange] = ()

    def counts(self) -> dict[str, int]:
        """Rows changed per collection, for the events: counts, never values."""
        rows: dict[str, set[str]] = {}
        for change in self.changes:
            rows.setdefault(change.collection, set()).add(change.key)
        return {collection: len(keys) for collection, keys in sorted(rows.items())}


@dataclass(frozen=True)
class Applied:
    """What a plan did: the rows changed per collection (what the plan named and the
    confirmation found so, not the driver's row counts, so a retry reports the same)."""

    counts: Mapping[str, int] = field(default_factory=dict)


class Connector(Protocol):
    """One system of the data map, open for a worker's life."""

    name: str
    system: System

    async def collect(self, identities: Identities) -> Collected: ...

    async def apply(self, plan: Plan) -> None:
        """Make the plan's changes, in one transaction or call where the system allows;
        making them twice changes nothing more."""
        ...

    async def confirm(self, plan: Plan) -> list[str]:
        """What of the plan is not so in the system (empty when all of it is), each a line
        naming the collection, the row's position in the plan and the field: no value."""
        ...

    async def check(self) -> list[str]:
        """Findings of the map against the live system: each a line; none when it fits."""
        ...

    async def close(self) -> None: ...
