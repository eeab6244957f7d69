"""`deadline_compliance`, the rows the audit report reads, is what the deadline events fold
to: whether the events come through the event store one by one, arrive many to a
statement in any order (as the benchmark seeds them), or were on record before the table
existed (the migration's backfill). And a report read from it is, to the row and figure,
the report folded from the events.

Each test writes in a year of its own (1996 to 1999), which no other test reports on.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from audit.report import build_report, kept_compliance_problem
from domain.compliance import compliance_from_events
from domain.compliance_report import ComplianceReport, ReportRange
from domain.events import EventType, NewEvent, RecordedEvent
from domain.requests import workflow_id_for
from store.database import apply_migrations, create_pool, migration_files
from store.events import EventStore
from store.intake import IntakeStore
from store.legacy_sealing import seal_plaintext_left
from store.sealing import Vault, vault_of
from tests.support.builders import POLICY, parsed
from tests.support.database import scratch_database

DAY = timedelta(days=1)
STARTED, MET, LATE = (
    EventType.DEADLINE_STARTED,
    EventType.DEADLINE_MET,
    EventType.DEADLINE_COMPLETED_LATE,
)
BREACHED, EXTENDED, LAPSED = (
    EventType.DEADLINE_BREACHED,
    EventType.DEADLINE_EXTENDED,
    EventType.DEADLINE_LAPSED,
)
PAUSED, RESUMED, REMINDED = (
    EventType.DEADLINE_PAUSED,
    EventType.DEADLINE_RESUMED,
    EventType.DEADLINE_REMINDED,
)
NOTE = "the note"  # stands for the id of an operator's note the scenario stores
REASON = "retrieval from the archive takes a week"

# (type, days after the year's first Monday, payload, actor): each request's deadline
# events in record order, in the shapes the event store accepts.
Mark = tuple[EventType, float, dict[str, Any], str]


def start(step: str, at: float, allowed: float, party: str | None = "organisation") -> Mark:
    payload: dict[str, Any] = {"step": step, "due_at": at + allowed, "policy_version": POLICY}
    if party is not None:
        payload["party"] = party
    return (STARTED, at, payload, "system")


def mark(type: EventType, step: str, at: float, actor: str = "system", **payload: Any) -> Mark:
    return (type, at, {"step": step, **payload}, actor)


def extend(step: str, at: float, until: float, previous: float | None) -> Mark:
    payload: dict[str, Any] = {"step": step, "due_at": until, "reason_note_id": NOTE}
    if previous is not None:
        payload["previous_due_at"] = previous
    return (EXTENDED, at, payload, "op-sato")


SCENARIOS: dict[str, list[Mark]] = {
    "met": [
        start("acknowledge", 0, 1),
        mark(REMINDED, "acknowledge", 0.8),
        mark(MET, "acknowledge", 0.25),
    ],
    "late": [start("answer", 0, 14), mark(BREACHED, "answer", 14), mark(LATE, "answer", 16)],
    # A breach stays a breach: extended after it, then met within the extension.
    "breached then extended": [
        start("answer", 0, 14),
        mark(BREACHED, "answer", 14),
        extend("answer", 15, 21, 14),
        mark(MET, "answer", 18),
    ],
    # Extended twice before the due time, once without the previous due time on record.
    "extended twice": [
        start("decide", 1, 7),
        extend("decide", 5, 12, None),
        extend("decide", 10, 15, 12),
        mark(MET, "decide", 14),
    ],
    # The subject's window lapsed with the clock paused for them throughout.
    "lapsed": [
        mark(PAUSED, "payment", 0),
        start("payment", 0, 30, "subject"),
        mark(LAPSED, "payment", 30),
        mark(RESUMED, "payment", 30),
    ],
    # Paused twice for the subject, with a repeated pause and a resume while running.
    "subject pause": [
        mark(RESUMED, "verify_identity", 0),
        mark(PAUSED, "verify_identity", 0),
        start("verify_identity", 0, 14, None),
        mark(PAUSED, "verify_identity", 1),
        mark(RESUMED, "verify_identity", 3),
        mark(RESUMED, "verify_identity", 4),
        mark(PAUSED, "verify_identity", 5),
        mark(MET, "verify_identity", 6),
        mark(RESUMED, "verify_identity", 6.5),
        start("investigate", 6.5, 14),
    ],
    # Still running: judged against the report's time; one still paused for the subject.
    "open": [start("answer", 2, 14), mark(PAUSED, "act", 3)],
    "open breached": [start("investigate", 0, 14), mark(BREACHED, "investigate", 14)],
    "still paused": [
        mark(PAUSED, "verify_identity", 1),
        start("verify_identity", 1, 14, "subject"),
    ],
    # Marks before a step's start or after its close change nothing.
    "outside the window": [
        mark(BREACHED, "act", 0),
        start("act", 1, 7),
        mark(MET, "act", 3),
        mark(BREACHED, "act", 8),
        extend("act", 9, 20, 8),
        mark(LATE, "act", 10),
    ],
}

STARTED_STEPS = sum(1 for marks in SCENARIOS.values() for m in marks if m[0] is STARTED)


class Year:
    """A year of the store to itself: requests, their events, and its reports."""

    def __init__(
        self, pool: asyncpg.Pool, unique: str, year: int, *, before_sealing: bool = False
    ) -> None:
        self.pool, self.unique = pool, unique
        # Written as the service wrote them before personal data was sealed (migration
        # 0010): the migration test's database has no sealed columns yet.
        self.before_sealing = before_sealing
        self.t = datetime(year, 2, 3, 9, 0, tzinfo=UTC)
        self.start, self.end = (
            datetime(year, 1, 1, tzinfo=UTC),
            datetime(year + 1, 1, 1, tzinfo=UTC),
        )
        self.ids: dict[str, str] = {}
        self.note = ""

    def at(self, days: float) -> datetime:
        return self.t + days * DAY

    async def request(self, label: str) -> str:
        request_id = f"dc-{label.replace(' ', '-')}-{self.unique}"
        if self.before_sealing:
            await self._request_before_sealing(request_id)
        else:
            await IntakeStore(self.pool).record_submission(
                parsed("inquiry", request_id, f"subj-dc-{self.unique}"), POLICY
            )
        self.ids[label] = request_id
        if not self.note and self.before_sealing:
            self.note = str(uuid.uuid4())
            await self.pool.execute(
                "INSERT INTO operator_notes (note_id, request_id, purpose, body, operator)"
                " VALUES ($1, $2, 'reason', $3, 'op-sato')",
                uuid.UUID(self.note),
                request_id,
                REASON,
            )
        elif not self.note:
            self.note = str(
                await IntakeStore(self.pool).store_note(request_id, "reason", REASON, "op-sato")
            )
        return request_id

    async def _request_before_sealing(self, request_id: str) -> None:
        subject_id = f"subj-dc-{self.unique}"
        await self.pool.execute(
            "INSERT INTO subjects (subject_id) VALUES ($1) ON CONFLICT DO NOTHING", subject_id
        )
        await self.pool.execute(
            """INSERT INTO requests (request_id, workflow_id, kind, subject_id, fingerprint,
                                     deadline_policy_version)
               VALUES ($1, $2, 'inquiry', $3, 'x', $4)""",
            request_id,
            workflow_id_for(request_id),
            subject_id,
            POLICY,
        )
        await self.pool.execute(
            """INSERT INTO request_details (request_id, requester_name, requester_email,
                                            details)
               VALUES ($1, 'Taro', 'taro@example.jp', $2)""",
            request_id,
            {"text": "What do you hold?"},
        )

    def payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        # Times as the workflows record them; the note id the scenario stored.
        return {
            k: (self.at(v).isoformat() if k.endswith("due_at") else self.note if v == NOTE else v)
            for k, v in payload.items()
        }

    async def append(self, label: str, marks: list[Mark]) -> None:
        request_id = await self.request(label)
        store = EventStore(self.pool)
        for type, at, payload, actor in marks:
            await store.append(
                NewEvent(
                    request_id=request_id,
                    type=type,
                    payload=self.payload(payload),
                    occurred_at=self.at(at),
                    actor=actor,
                    idempotency_key=f"{request_id}:{type.value}:{uuid.uuid4().hex}",
                )
            )

    async def insert_at_once(
        self, marks_by_label: dict[str, list[Mark]], superuser: asyncpg.Pool
    ) -> None:
        """All the marks in one INSERT, last first, as a bulk load may write them: no
        event store, filler hashes. As a superuser with the appends' guard (migration 0032)
        switched off for the statement, since no role of the service may write such rows
        any more: the projection's trigger must still fold them in record order."""
        rows = []
        for label, marks in marks_by_label.items():
            request_id = await self.request(label)
            for seq, (type, at, payload, actor) in enumerate(marks, start=1):
                rows.append(
                    (
                        request_id,
                        seq,
                        str(type),
                        json.dumps(self.payload(payload)),
                        self.at(at),
                        actor,
                        f"{request_id}:{seq}",
                    )
                )
        async with superuser.acquire() as connection, connection.transaction():
            await connection.execute(
                "ALTER TABLE request_events DISABLE TRIGGER request_events_guard"
            )
            await connection.execute(
                """INSERT INTO request_events (request_id, seq, type, payload, occurred_at,
                       actor, idempotency_key, prev_hash, hash)
                   SELECT r.request_id, r.seq, r.type, r.payload::jsonb, r.occurred_at,
                          r.actor, r.key, repeat('0', 64), repeat('1', 64)
                     FROM unnest($1::text[], $2::int[], $3::text[], $4::text[],
                                 $5::timestamptz[], $6::text[], $7::text[])
                          AS r (request_id, seq, type, payload, occurred_at, actor, key)""",
                *(list(column) for column in zip(*reversed(rows), strict=True)),
            )
            await connection.execute(
                "ALTER TABLE request_events ENABLE ALWAYS TRIGGER request_events_guard"
            )

    async def folded(self, as_of: datetime) -> ComplianceReport:
        """The report as the events fold to it, read straight from request_events."""
        ids = list(self.ids.values())
        rows = await self.pool.fetch(
            """SELECT request_id, seq, type, payload, occurred_at, actor, idempotency_key,
                      prev_hash, hash
                 FROM request_events WHERE request_id = ANY($1::text[])
                  AND type LIKE 'deadline.%' ORDER BY request_id, seq""",
            ids,
        )
        events: dict[str, list[RecordedEvent]] = {request_id: [] for request_id in ids}
        for row in rows:
            events[row["request_id"]].append(RecordedEvent.model_construct(**dict(row)))
        async with self.pool.acquire() as connection:
            notes = await connection.fetch(
                "SELECT note_id, body FROM operator_notes WHERE request_id = ANY($1::text[])", ids
            )
            vault = vault_of(connection)
        return compliance_from_events(
            events,
            dict.fromkeys(ids, "inquiry"),
            as_of,
            reasons={str(n["note_id"]): vault.open(n["body"]) for n in notes},
            period=ReportRange(start=self.start, end=self.end),
        )

    async def report(self, as_of: datetime) -> ComplianceReport:
        return await build_report(self.pool, self.start, self.end, as_of=as_of)

    async def kept(self) -> dict[tuple[str, str], asyncpg.Record]:
        rows = await self.pool.fetch(
            "SELECT * FROM deadline_compliance WHERE request_id = ANY($1::text[])",
            list(self.ids.values()),
        )
        return {(row["request_id"], row["step"]): row for row in rows}


async def _reports_agree(year: Year, rows: int) -> None:
    # Before anything is due, with steps overdue and pauses running, and long after.
    for as_of in (year.at(0.5), year.at(2), year.at(14), year.at(15.5), year.at(400)):
        report = await year.report(as_of)
        assert report == await year.folded(as_of)
        assert len(report.rows) == rows


async def test_each_append_keeps_the_rows_the_events_fold_to(
    pool: asyncpg.Pool, unique: str
) -> None:
    year = Year(pool, unique, 1996)
    for label, marks in SCENARIOS.items():
        await year.append(label, marks)
    for request_id in year.ids.values():
        assert await kept_compliance_problem(pool, request_id) is None
    await _reports_agree(year, STARTED_STEPS)

    report = await year.report(year.at(400))
    verdicts = {(r.request_id, r.step): r.verdict.value for r in report.rows}
    ids = year.ids
    assert verdicts == {
        (ids["met"], "acknowledge"): "met",
        (ids["late"], "answer"): "completed_late",
        (ids["breached then extended"], "answer"): "completed_late",
        (ids["extended twice"], "decide"): "met",
        (ids["lapsed"], "payment"): "lapsed",
        (ids["subject pause"], "verify_identity"): "met",
        (ids["subject pause"], "investigate"): "open_overdue",
        (ids["open"], "answer"): "open_overdue",
        (ids["open breached"], "investigate"): "breached",
        (ids["still paused"], "verify_identity"): "open_overdue",
        (ids["outside the window"], "act"): "met",
    }
    by_key = {(r.request_id, r.step): r for r in report.rows}
    twice = by_key[ids["extended twice"], "decide"]
    assert [(e.previous_due, e.new_due) for e in twice.extensions] == [
        (year.at(8), year.at(12)),
        (year.at(12), year.at(15)),
    ]
    assert twice.extensions[-1].reason == "retrieval from the archive takes a week"
    assert by_key[ids["subject pause"], "verify_identity"].paused_for_subject == 4.5 * DAY
    assert by_key[ids["still paused"], "verify_identity"].paused_for_subject == 399 * DAY
    # A step with only a pause on record is kept (its time counts once it starts), but is
    # no row of the report.
    kept = await year.kept()
    assert kept[ids["open"], "act"]["started_at"] is None
    assert (ids["open"], "act") not in by_key


async def test_events_inserted_many_at_once_and_out_of_order_are_folded_in_record_order(
    pool: asyncpg.Pool, superuser_pool: asyncpg.Pool, unique: str
) -> None:
    year = Year(pool, unique, 1997)
    odd: dict[str, list[Mark]] = {
        # What the event store would refuse, as a bulk load may still write it: a repeated
        # start, deadline events naming no step or a step that is no text.
        "restarted": [
            start("notify", 0, 1),
            mark(MET, "notify", 0.5),
            start("notify", 2, 1),
            (LAPSED, 3, {"invoice_id": "inv-1"}, "system"),
            (BREACHED, 3, {"step": 5}, "system"),
        ],
    }
    await year.insert_at_once(SCENARIOS | odd, superuser_pool)
    for request_id in year.ids.values():
        assert await kept_compliance_problem(pool, request_id) is None
    await _reports_agree(year, STARTED_STEPS + 1)
    kept = await year.kept()
    restarted = kept[year.ids["restarted"], "notify"]
    assert (restarted["started_at"], restarted["closed_as"]) == (year.at(0), "met")
    assert {step for request_id, step in kept if request_id == year.ids["restarted"]} == {"notify"}


async def test_a_row_changed_by_hand_no_longer_agrees_with_the_events(
    pool: asyncpg.Pool, superuser_pool: asyncpg.Pool, unique: str
) -> None:
    year = Year(pool, unique, 1998)
    await year.append("late", SCENARIOS["late"])
    request_id = year.ids["late"]
    # The runtime role may only read the projection: its trigger keeps it, as the owner.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await pool.execute("UPDATE deadline_compliance SET closed_as = 'met'")
    await superuser_pool.execute(
        """UPDATE deadline_compliance SET breached_at = NULL, closed_as = 'met'
            WHERE request_id = $1 AND step = 'answer'""",
        request_id,
    )
    problem = await kept_compliance_problem(pool, request_id)
    assert problem is not None and "step answer" in problem
    # The next event of the request folds its rows again, from the events.
    await EventStore(pool).append(
        NewEvent(
            request_id=request_id,
            type=REMINDED,
            payload={"step": "answer"},
            occurred_at=year.at(20),
            actor="system",
            idempotency_key=f"{request_id}:again",
        )
    )
    assert await kept_compliance_problem(pool, request_id) is None


@pytest.fixture
async def before_the_summary(postgres_server: str, vault: Vault) -> AsyncIterator[asyncpg.Pool]:
    """A database of its own with the migrations before deadline_compliance applied."""
    async with scratch_database(postgres_server, "dsr_backfill") as url:
        pool = await create_pool(url, max_size=2, vault=vault)
        try:
            async with pool.acquire() as connection:
                await connection.execute(
                    """CREATE TABLE schema_migrations (
                           version    text PRIMARY KEY,
                           checksum   text NOT NULL,
                           applied_at timestamptz NOT NULL DEFAULT now())"""
                )
                for version, sql in migration_files():
                    if version >= "0006":
                        break
                    await connection.execute(sql)
                    await connection.execute(
                        "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                        version,
                        hashlib.sha256(sql.encode("utf-8")).hexdigest(),
                    )
            yield pool
        finally:
            await pool.close()


async def test_the_migration_folds_the_events_already_on_record(
    before_the_summary: asyncpg.Pool, unique: str
) -> None:
    pool = before_the_summary
    year = Year(pool, unique, 1999, before_sealing=True)
    for label, marks in SCENARIOS.items():
        await year.append(label, marks)

    applied = await apply_migrations(pool)
    assert applied == [v for v, _ in migration_files() if v >= "0006"]
    # As the worker does at its next start: the note in plain is sealed, and the report
    # still reads its reason.
    assert await seal_plaintext_left(pool) > 0
    kept = await year.kept()
    assert {request_id for request_id, _ in kept} == set(year.ids.values())
    for request_id in year.ids.values():
        assert await kept_compliance_problem(pool, request_id) is None
    await _reports_agree(year, STARTED_STEPS)
