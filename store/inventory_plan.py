"""An inventory load's write plan: what each subject, item and provision in the file asks
of the store, compared with what is held, as batched statements and what they count as.
Values are sealed under their subject's key only when the plan is run (`WritePlan.seal`)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg

from domain.inventory import EMAIL_FIELD, HeldItemRecord, ProvisionRecord
from store.connection import Connection
from store.sealing import ERASED, Vault


@dataclass(frozen=True)
class Plain:
    """A subject's personal value still to be sealed: the plan is made first, then each
    subject's values are sealed with one look-up of its key."""

    subject_id: str
    text: str


@dataclass
class WritePlan:
    """The statements a load will run, batched per kind, and what they count as."""

    tally: Counter[str] = field(default_factory=Counter)
    writes: dict[str, list[tuple[object, ...]]] = field(
        default_factory=lambda: {sql: [] for sql in WRITES.values()}
    )

    def write(self, count: str, sql: str, *args: object) -> None:
        self.tally[count] += 1
        self.writes[WRITES[sql]].append(args)

    async def seal(self, connection: Connection, vault: Vault) -> None:
        """Replace every `Plain` argument by its value sealed under its subject's key."""
        plain: dict[str, list[Plain]] = {}
        for rows in self.writes.values():
            for args in rows:
                for arg in args:
                    if isinstance(arg, Plain):
                        plain.setdefault(arg.subject_id, []).append(arg)
        sealed: dict[int, str] = {}
        for subject_id, values in plain.items():
            envelopes = await vault.seal_all(
                connection, subject_id, *(value.text for value in values)
            )
            sealed |= {
                id(value): envelope for value, envelope in zip(values, envelopes, strict=True)
            }
        for sql, rows in self.writes.items():
            self.writes[sql] = [
                tuple(sealed[id(a)] if isinstance(a, Plain) else a for a in args) for args in rows
            ]


# Inserts tolerate a row that appeared meanwhile (intake creating the subject, a correction
# adding the field): the row already there wins. The updates write neither suspended_at,
# stopped_at, consented_at nor acquired_at. A new subject's row is made before the plan
# runs (its key needs it, store/sealing.py), so its name is given by "name_subject", which
# writes a name only where none is held: a row intake made meanwhile gets it, as it would
# have on a rename.
WRITES: dict[str, str] = {
    "name_subject": "UPDATE subjects SET name = $2 WHERE subject_id = $1 AND name IS NULL",
    "rename_subject": "UPDATE subjects SET name = $2 WHERE subject_id = $1",
    "add_item": """INSERT INTO personal_data
                       (subject_id, category, field, value, purpose, source, lawfully_obtained,
                        identifying, value_index, used_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                   ON CONFLICT (subject_id, category, field) WHERE system IS NULL DO NOTHING""",
    # An item given another purpose or another `used_at` keeps its earlier use in
    # `past_uses` (purpose, since, until): Article 8 judges it by every use (issue 24, N2).
    "change_item": """UPDATE personal_data SET value = $4, purpose = $5, source = $6,
                             lawfully_obtained = $7, identifying = $8, value_index = $9,
                             used_at = $10, past_uses = past_uses || $11::jsonb
                       WHERE subject_id = $1 AND category = $2 AND field = $3
                         AND system IS NULL""",
    "add_provision": """INSERT INTO third_party_provisions
                            (subject_id, partner_id, relationship, legal_basis, data_items)
                        VALUES ($1, $2, $3, $4, $5)
                        ON CONFLICT (subject_id, partner_id) DO NOTHING""",
    "change_provision": """UPDATE third_party_provisions
                              SET relationship = $3, legal_basis = $4, data_items = $5
                            WHERE subject_id = $1 AND partner_id = $2""",
}
ITEM_COLUMNS = ("value", "purpose", "source", "lawfully_obtained", "identifying")


def plan_subject(
    plan: WritePlan, subject_id: str, name: str, names: dict[str, str | None], *, corrected: bool
) -> None:
    if subject_id not in names:
        plan.write("subjects_added", "name_subject", subject_id, Plain(subject_id, name))
    elif names[subject_id] == name:
        plan.tally["unchanged"] += 1
    elif corrected and names[subject_id] not in (None, ERASED):
        plan.tally["kept"] += 1  # the person corrected their name; the file may predate it
    else:
        plan.write("subjects_changed", "rename_subject", subject_id, Plain(subject_id, name))


def plan_item(
    plan: WritePlan,
    vault: Vault,
    subject_id: str,
    item: HeldItemRecord,
    current: dict[str, Any] | None,
    at: datetime,
) -> None:
    key = (subject_id, item.category.value, item.field)
    wanted = (item.value, item.purpose, item.source, item.lawfully_obtained, item.identifying)
    # A value missing past validation (model_construct) goes to the store unsealed, as
    # None, for its NOT NULL to refuse the whole load.
    value = None if item.value is None else Plain(subject_id, item.value)
    index = (
        vault.blind_index(item.value)
        if item.field == EMAIL_FIELD and item.value is not None
        else None
    )
    if current is None:
        # Unset: used since acquired, which is now.
        plan.write("items_added", "add_item", *key, value, *wanted[1:], index, item.used_at)
        return
    # Article 8 judges the purpose against the register as it stood when the item was
    # used: an item given a new purpose is used for it from now, unless the file says.
    used_at: datetime | None  # None: used since acquired
    if item.used_at is not None:
        used_at = item.used_at
    elif current["purpose"] != item.purpose:
        used_at = at
    else:
        used_at = current["used_at"]
    same_use = item.used_at is None or item.used_at == current["used_since"]
    if tuple(current[column] for column in ITEM_COLUMNS) == wanted and same_use:
        plan.tally["unchanged"] += 1
        return
    past: list[dict[str, str | None]] = []
    if current["purpose"] != item.purpose or not same_use:
        past.append(
            {
                "purpose": current["purpose"],
                "since": current["used_since"].isoformat(),
                "until": (used_at or at).isoformat(),
            }
        )
    plan.write("items_changed", "change_item", *key, value, *wanted[1:], index, used_at, past)


def plan_provision(
    plan: WritePlan, subject_id: str, provision: ProvisionRecord, current: asyncpg.Record | None
) -> None:
    wanted = (provision.relationship.value, provision.legal_basis.value, provision.items)
    if current is None:
        plan.write("provisions_added", "add_provision", subject_id, provision.partner, *wanted)
    # The items are a set: the same items in another order are no change.
    elif (current["relationship"], current["legal_basis"]) == wanted[:2] and set(
        current["data_items"]
    ) == set(provision.items):
        plan.tally["unchanged"] += 1
    else:
        plan.write("provisions_changed", "change_provision", subject_id, provision.partner, *wanted)
