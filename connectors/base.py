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
from dataclasses import dataclass
from typing import Protocol

from domain.datamap import Identity, System
from domain.fulfilment import Change, Plan, RowChange

__all__ = [
    "Change",
    "Collected",
    "Connector",
    "FoundRow",
    "Identities",
    "Plan",
    "RowChange",
    "SystemRefused",
    "SystemUnavailable",
]


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
    restricted: bool = False  # its use is suspended there (the collection's flag is set)


@dataclass(frozen=True)
class Collected:
    """What a system holds on the subject: its rows, and how many per collection (a
    collection with none is listed with 0, so "searched and found nothing" is on record)."""

    rows: Sequence[FoundRow]
    counts: Mapping[str, int]


class Connector(Protocol):
    """One system of the data map, open for a worker's life."""

    name: str
    system: System

    async def collect(self, identities: Identities) -> Collected: ...

    async def apply(self, plan: Plan, identities: Identities) -> None:
        """Make the plan's changes, in one transaction or call where the system allows;
        making them twice changes nothing more. `identities`: those the subject was
        searched with (a service that addresses a subject by e-mail needs them)."""
        ...

    async def confirm(self, plan: Plan, identities: Identities) -> list[str]:
        """What of the plan is not so in the system (empty when all of it is), each a line
        naming the collection, the row's position in the plan and the field: no value."""
        ...

    async def check(self) -> list[str]:
        """Findings of the map against the live system: each a line; none when it fits."""
        ...

    async def close(self) -> None: ...
