"""Loading an inventory (domain/inventory.py) into the store: subjects, their personal data
and the provisions of it to partners, in one transaction, idempotently.

A load adds what is new and brings what changed in line with the file, and no more:

- it never writes `suspended_at` or `stopped_at`, so a re-load cannot undo a suspension of
  use (Article 8) or a stop of provision (Article 5);
- it leaves alone what the person changed through a request: a field an applied correction
  named (Article 7) keeps its corrected value, or stays deleted, and an item erased at the
  person's request (Article 8) is not re-created;
- rows in the store that the file does not name are left as they are: a file is not the
  whole truth (it may list one system's data), and removing data is for requests to do.

Names and values are stored sealed under the subject's key (store/sealing.py), so what is
held is opened before it is compared with the file, and the e-mail on record gets its
blind index beside it for the identity check.

The registers the file may carry go in the same transaction: purposes incidental to one of
Article 3's, with their relatedness judgement, not yet in the register are defined
(store/purposes.py; domain/inventory_registers.py refuses any other), partners' footings
and subjects' consents are recorded as events of Article 5's register (store/provisions.py).
Each is compared with what is on record first, so a second load of the same file appends no
event.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime

import asyncpg

from domain.events import EventType
from domain.inventory import HeldItemRecord, Inventory
from domain.purposes import PurposeVersion
from store.connection import Connection
from store.inventory_plan import (
    WritePlan,
    plan_item,
    plan_provision,
    plan_subject,
)
from store.provisions import (
    Recorded,
    record_basis,
    record_consent,
    stored_bases,
    stored_consents,
    sync_consented_at,
)
from store.purposes import define_purpose, establish_purpose, purposes_as_recorded
from store.recipients import record_partner_names
from store.sealing import vault_of

# Serialises loads, so two at once cannot both count the same row as added.
INVENTORY_LOCK_ID = 0x6473725F696E76  # "dsr_inv"
ACTOR = "inventory"  # who records what a load puts in the registers


class RegisterConflict(ValueError):
    """The file disagrees with a register in a way a load must not settle (a purpose's
    text is changed by Article 4's procedure, not by a load); nothing was loaded.
    `problems` are (path, message) pairs, as InvalidInventory's."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{path}: {message}" for path, message in problems))


@dataclass(frozen=True)
class InventoryLoad:
    """What a load did. Each subject, item and provision the file names is counted once:
    added, changed, kept (left as a person's request made it) or unchanged."""

    subjects_added: int = 0
    subjects_changed: int = 0
    items_added: int = 0
    items_changed: int = 0
    provisions_added: int = 0
    provisions_changed: int = 0
    purposes_added: int = 0
    bases_added: int = 0
    bases_changed: int = 0
    consents_added: int = 0
    consents_changed: int = 0
    kept: int = 0
    unchanged: int = 0

    @property
    def changed_anything(self) -> bool:
        return any(
            getattr(self, f.name) for f in fields(self) if f.name not in ("kept", "unchanged")
        )


@dataclass
class _Guarded:
    corrected: set[tuple[str, str]] = field(default_factory=set)  # (subject, field)
    erased: set[tuple[str, str, str]] = field(default_factory=set)  # (subject, category, field)
    erased_subjects: set[str] = field(default_factory=set)

    def keeps(self, subject_id: str, item: HeldItemRecord, held: bool) -> bool:
        """True when loading the item would undo what a person's request did."""
        key = (subject_id, item.category.value, item.field)
        return (subject_id, item.field) in self.corrected or (
            not held and (key in self.erased or subject_id in self.erased_subjects)
        )


class InventoryStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def load(self, inventory: Inventory) -> InventoryLoad:
        ids = [subject.subject_id for subject in inventory.subjects]
        async with self._pool.acquire() as connection, connection.transaction():
            vault = vault_of(connection)
            await connection.execute("SELECT pg_advisory_xact_lock($1)", INVENTORY_LOCK_ID)
            # FOR UPDATE: a workflow correcting, suspending or stopping waits for the load
            # to commit instead of interleaving with it.
            names = {
                row["subject_id"]: vault.open_optional(row["name"])
                for row in await connection.fetch(
                    "SELECT subject_id, name FROM subjects WHERE subject_id = ANY($1::text[])"
                    " FOR UPDATE",
                    ids,
                )
            }
            held = {
                (row["subject_id"], row["category"], row["field"]): {
                    **dict(row),
                    "value": vault.open(row["value"]),
                }
                for row in await connection.fetch(
                    """SELECT subject_id, category, field, value, purpose, source,
                          lawfully_obtained, identifying, used_at,
                          coalesce(used_at, acquired_at) AS used_since
                     FROM personal_data WHERE subject_id = ANY($1::text[]) AND system IS NULL
                      FOR UPDATE""",
                    ids,
                )
            }
            provided = {
                (row["subject_id"], row["partner_id"]): row
                for row in await connection.fetch(
                    """SELECT subject_id, partner_id, relationship, legal_basis, data_items
                     FROM third_party_provisions WHERE subject_id = ANY($1::text[])
                    FOR UPDATE""",
                    ids,
                )
            }
            guarded = await _guarded(connection, ids)
            # The transaction's time: what acquired_at defaults to, and when a purpose the
            # file defines comes into force, so an item added with it is within it.
            at: datetime = await connection.fetchval("SELECT now()")
            plan = WritePlan()
            await _purposes(connection, plan, inventory, at)
            for subject in inventory.subjects:
                sid = subject.subject_id
                plan_subject(
                    plan, sid, subject.name, names, corrected=(sid, "name") in guarded.corrected
                )
                for item in subject.all_items():
                    current = held.get((sid, item.category.value, item.field))
                    if guarded.keeps(sid, item, held=current is not None):
                        plan.tally["kept"] += 1
                    else:
                        plan_item(plan, vault, sid, item, current, at)
                for provision in subject.provisions:
                    plan_provision(plan, sid, provision, provided.get((sid, provision.partner)))
            # The new subjects' rows first: their keys, items and provisions refer to them.
            await connection.execute(
                "INSERT INTO subjects (subject_id) SELECT unnest($1::text[])"
                " ON CONFLICT (subject_id) DO NOTHING",
                [sid for sid in dict.fromkeys(ids) if sid not in names],
            )
            await plan.seal(connection, vault)
            for sql, rows in plan.writes.items():
                if rows:
                    await connection.executemany(sql, rows)
            await _article_5(connection, plan, inventory, at)
        return InventoryLoad(**plan.tally)


async def _purposes(
    connection: Connection, plan: WritePlan, inventory: Inventory, at: datetime
) -> None:
    """Define the file's purposes the register lacks, in force from now; establish one the
    register holds without a relatedness judgement (recorded by a load before issue 24)
    with the file's judgement, from now; refuse one the register holds, established, with
    another text, before anything is written."""
    register = await purposes_as_recorded(connection)
    problems: list[tuple[str, str]] = []
    for index, purpose in enumerate(inventory.purposes):
        current = register.current(purpose.id)
        if current is not None and not current.established:
            continue  # established below, from now
        if current is not None and (current.text.strip(), current.incidental_to) != (
            purpose.text,
            purpose.incidental_to,
        ):
            what = "text" if current.text.strip() != purpose.text else "incidental_to"
            problems.append(
                (
                    f"purposes.{index}",
                    f"{purpose.id} is in the register already "
                    f"with another {what} (version {current.version}); a purpose "
                    "is changed by Article 4's procedure, `dsr purposes change`, "
                    "not by a load",
                )
            )
        elif purpose.incidental_to is not None and register.current(purpose.incidental_to) is None:
            problems.append(
                (
                    f"purposes.{index}.incidental_to",
                    f"{purpose.incidental_to} is not in the register",
                )
            )
    problems += [
        (path, "is later than now: the file records what was done")
        for path in _future(inventory, at)
    ]
    if problems:
        raise RegisterConflict(problems)
    for purpose in inventory.purposes:
        current = register.current(purpose.id)
        version = PurposeVersion(
            purpose.id,
            1,
            purpose.text,
            at,
            incidental_to=purpose.incidental_to,
            text_ja=purpose.text_ja,
            judged_by=purpose.judged_by,
        )
        relatedness = purpose.relatedness()
        if current is not None and not current.established and relatedness is not None:
            await establish_purpose(connection, current, version, relatedness, actor=ACTOR)
            plan.tally["purposes_added"] += 1
        elif current is not None:
            plan.tally["unchanged"] += 1
        else:
            await define_purpose(
                connection, version, occurred_at=at, actor=ACTOR, relatedness=relatedness
            )
            plan.tally["purposes_added"] += 1


def _future(inventory: Inventory, at: datetime) -> list[str]:
    """The paths of the file's times after the load's: what is on record was done."""
    late = [
        f"purposes.{p}.judged_at"
        for p, purpose in enumerate(inventory.purposes)
        if purpose.judged_at is not None and purpose.judged_at > at
    ]
    late += [
        f"provision_bases.{b}.opt_out.{name}"
        for b, basis in enumerate(inventory.provision_bases)
        if basis.opt_out
        for name in ("announced_at", "commission_notified_at")
        if (day := getattr(basis.opt_out, name)) is not None and day > at.date()
    ]
    for s, subject in enumerate(inventory.subjects):
        late += [
            f"subjects.{s}.items.{i}.used_at"
            for i, item in enumerate(subject.items)
            if item.used_at is not None and item.used_at > at
        ]
        late += [
            f"subjects.{s}.consents.{c}.{name}"
            for c, consent in enumerate(subject.consents)
            for name in ("given_at", "withdrawn_at")
            if (when := getattr(consent, name)) is not None and when > at
        ]
    return late


_COUNTS = {Recorded.UNCHANGED: "unchanged", Recorded.KEPT: "kept"}


async def _article_5(
    connection: Connection, plan: WritePlan, inventory: Inventory, at: datetime
) -> None:
    """The partners' footings and the subjects' consents, as register events; then the
    provisions' consented_at in step with the consents."""
    bases = await stored_bases(connection, [b.partner for b in inventory.provision_bases])
    for basis in inventory.provision_bases:
        done = await record_basis(
            connection, basis.record(), bases.get(basis.partner), at=at, actor=ACTOR
        )
        plan.tally[_COUNTS.get(done, f"bases_{done.value}")] += 1
    await record_partner_names(
        connection, [(b.partner, b.name) for b in inventory.provision_bases if b.name]
    )
    ids = [subject.subject_id for subject in inventory.subjects]
    consents = await stored_consents(connection, ids, lock=True)
    for subject in inventory.subjects:
        for consent in subject.consents:
            done = await record_consent(
                connection,
                consent.record(subject.subject_id),
                consents.get((subject.subject_id, consent.partner)),
                actor=ACTOR,
            )
            plan.tally[_COUNTS.get(done, f"consents_{done.value}")] += 1
    if ids:
        await sync_consented_at(connection, ids)


async def _guarded(connection: Connection, ids: list[str]) -> _Guarded:
    """What the people's own requests changed. A correction's event says it was carried out
    and the request's details name its fields (every field named is guarded, made or not:
    the person has spoken about it); the event names them too (`made`, `not_made`), which
    still counts once the details are shredded. An erasure's event names the items it
    erased as `category/field`; one recorded before it named them guards the whole
    subject."""
    guarded = _Guarded()
    vault = vault_of(connection)
    # The details are sealed: their changes are read here, after opening, not in SQL.
    for row in await connection.fetch(
        """SELECT r.subject_id, d.details, e.payload->>'made' AS made,
                  e.payload->>'not_made' AS not_made
             FROM requests r
             JOIN request_details d USING (request_id)
             JOIN request_events e USING (request_id)
            WHERE r.subject_id = ANY($1::text[]) AND r.kind = 'correction'
              AND e.type = $2""",
        ids,
        EventType.CORRECTION_APPLIED.value,
    ):
        details = vault.open_json(row["details"]) if row["details"] is not None else None
        named = {change["field"] for change in (details or {}).get("changes") or ()}
        for entry in filter(None, f"{row['made'] or ''},{row['not_made'] or ''}".split(",")):
            named.add(entry.split(":", 1)[0])
        guarded.corrected |= {(row["subject_id"], field_name) for field_name in named}
    for row in await connection.fetch(
        """SELECT r.subject_id, e.payload->>'items' AS items FROM requests r
             JOIN request_events e USING (request_id)
            WHERE r.subject_id = ANY($1::text[]) AND e.type = $2""",
        ids,
        EventType.DATA_ERASED.value,
    ):
        if row["items"] is None:
            guarded.erased_subjects.add(row["subject_id"])
        for named in filter(None, (row["items"] or "").split(",")):
            category, _, field_name = named.partition("/")
            guarded.erased.add((row["subject_id"], category, field_name))
    return guarded
