"""What the organisation's systems did not do for a request, from its events: the items a
system keeps as they are (the map refuses), and the systems an approver waived. The
service's own copy of those items is left as it is, so its records and its notice say
what was done where, and no more (store/decision_effects.py)."""

from __future__ import annotations

from dataclasses import dataclass

from store.connection import Connection


@dataclass(frozen=True)
class Untouched:
    kept_items: list[int]
    waived_systems: list[str]

    def sql(self, first: int) -> str:
        """A condition on personal_data: the item is not one left untouched; its two
        parameters are ${first} (kept ids) and ${first + 1} (waived systems)."""
        return (
            f"(system IS NULL OR (item_id <> ALL(${first}::bigint[])"
            f" AND system <> ALL(${first + 1}::text[])))"
        )

    def values(self) -> tuple[list[int], list[str]]:
        return self.kept_items, self.waived_systems


async def untouched(connection: Connection, request_id: str) -> Untouched:
    kept: list[int] = []
    waived: list[str] = []
    for row in await connection.fetch(
        """SELECT type, payload FROM request_events
            WHERE request_id = $1 AND type IN ('system.carried_out', 'system.waived')""",
        request_id,
    ):
        if row["type"] == "system.waived":
            waived.append(row["payload"]["system"])
        else:
            kept += [int(i) for i in (row["payload"].get("kept_items") or "").split(",") if i]
    return Untouched(kept, waived)
