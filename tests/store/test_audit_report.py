"""The audit report on the real store: a scenario with known met and breached deadlines,
its figures, its CSV and its HTML page.

The database is shared by the whole session, so each test builds the scenario in a
February of its own (2001 to 2004), a range no other test writes to, and every id
carries the `unique` suffix.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from audit.report import (
    CSV_COLUMNS,
    build_report,
    kept_compliance_problem,
    render_csv,
    render_html,
)
from domain.compliance_report import ComplianceReport, Verdict
from domain.events import EventType, NewEvent
from domain.requests import parse_submission
from store.events import EventStore
from store.intake import IntakeStore
from store.sealing import ERASED, Vault
from tests.support.sealing import shred_recorded

HOSTILE = "<script>alert('x')</script> archive retrieval takes a week"


class Scenario:
    def __init__(self, pool: asyncpg.Pool, unique: str, year: int) -> None:
        self.pool, self.unique = pool, unique
        self.store = EventStore(pool)
        self.start = datetime(year, 2, 1, tzinfo=UTC)
        self.end = datetime(year, 3, 1, tzinfo=UTC)
        self.t = datetime(year, 2, 5, 9, 0, tzinfo=UTC)
        self.as_of = datetime(year, 6, 1, tzinfo=UTC)
        self.ids: dict[str, str] = {}

    async def report(self) -> ComplianceReport:
        return await build_report(self.pool, self.start, self.end, as_of=self.as_of)

    async def request(self, label: str, kind: str = "inquiry") -> str:
        request_id = f"audit-{label}-{self.unique}"
        details: dict[str, Any] = {"text": "When was my data shared?"} if kind == "inquiry" else {}
        await IntakeStore(self.pool).record_submission(
            parse_submission(
                {
                    "request_id": request_id,
                    "kind": kind,
                    "subject_id": f"s-{self.unique}",
                    "requester": {"name": "Taro Suzuki", "email": "taro@example.jp"},
                    "details": details,
                }
            ),
            "test-policy",
        )
        await self.emit(request_id, EventType.RECEIVED, self.t - timedelta(days=10))
        self.ids[label] = request_id
        return request_id

    async def emit(
        self, request_id: str, type: EventType, at: datetime, actor: str = "system", **payload: Any
    ) -> None:
        await self.store.append(
            NewEvent(
                request_id=request_id,
                type=type,
                payload=payload,
                occurred_at=at,
                actor=actor,
                idempotency_key=f"{request_id}:{type.value}:{uuid.uuid4().hex}",
            )
        )

    async def step(
        self,
        request_id: str,
        step: str,
        start: datetime,
        allowed: timedelta,
        party: str = "organisation",
    ) -> None:
        await self.emit(
            request_id,
            EventType.DEADLINE_STARTED,
            start,
            step=step,
            due_at=(start + allowed).isoformat(),
            policy_version="test-policy",
            party=party,
        )

    async def close(self, request_id: str, step: str, at: datetime, late: bool = False) -> None:
        await self.emit(
            request_id,
            EventType.DEADLINE_COMPLETED_LATE if late else EventType.DEADLINE_MET,
            at,
            step=step,
        )


async def scenario(pool: asyncpg.Pool, unique: str, year: int) -> Scenario:
    s = Scenario(pool, unique, year)
    T, START, END = s.t, s.start, s.end
    day, hour = timedelta(days=1), timedelta(hours=1)
    # Met on time, and an answer extended (reason on record) and met within the extension.
    met = await s.request("met")
    await s.step(met, "acknowledge", T, day)
    await s.close(met, "acknowledge", T + 2 * hour)
    await s.step(met, "answer", T + 2 * hour, 14 * day)
    note = await IntakeStore(pool).store_note(met, "reason", HOSTILE, "op-sato")
    await s.emit(
        met,
        EventType.DEADLINE_EXTENDED,
        T + 10 * day,
        actor="op-sato",
        step="answer",
        due_at=(T + 21 * day).isoformat(),
        previous_due_at=(T + 2 * hour + 14 * day).isoformat(),
        reason_note_id=note,
    )
    await s.close(met, "answer", T + 18 * day)
    # An answer breached at its due time and completed two days late.
    late = await s.request("late")
    await s.step(late, "acknowledge", T, day)
    await s.close(late, "acknowledge", T + hour)
    await s.step(late, "answer", T + hour, 14 * day)
    await s.emit(late, EventType.DEADLINE_BREACHED, T + hour + 14 * day, step="answer")
    await s.close(late, "answer", T + hour + 16 * day, late=True)
    # The clock paused three days for the subject; the investigation breached, still open.
    paid = await s.request("paid", kind="disclosure")
    await s.emit(paid, EventType.DEADLINE_PAUSED, T, step="verify_identity")
    await s.step(paid, "verify_identity", T, 14 * day, party="subject")
    await s.close(paid, "verify_identity", T + 3 * day)
    await s.emit(paid, EventType.DEADLINE_RESUMED, T + 3 * day, step="verify_identity")
    await s.step(paid, "investigate", T + 3 * day, 14 * day)
    await s.emit(paid, EventType.DEADLINE_BREACHED, T + 17 * day, step="investigate")
    # At the edges: a step started before the range is left out, one at its start is in;
    # a request whose only deadline starts at the range's end is not reported at all.
    edge = await s.request("edge")
    await s.step(edge, "acknowledge", START - hour, day)
    await s.close(edge, "acknowledge", START - hour / 2)
    await s.step(edge, "answer", START, 14 * day)
    await s.close(edge, "answer", START + 5 * day)
    after = await s.request("after")
    await s.step(after, "acknowledge", END, day)
    return s


def _mine(report: ComplianceReport, ids: dict[str, str]) -> dict[tuple[str, str], Any]:
    return {(r.request_id, r.step): r for r in report.rows if r.request_id in ids.values()}


async def test_figures_of_a_scenario_with_known_met_and_breached_deadlines(
    pool: asyncpg.Pool, unique: str
) -> None:
    s = await scenario(pool, unique, 2001)
    T, START, END = s.t, s.start, s.end
    report = await s.report()
    ids = s.ids
    rows = _mine(report, ids)
    assert {(rid, step): r.verdict for (rid, step), r in rows.items()} == {
        (ids["met"], "acknowledge"): Verdict.MET,
        (ids["met"], "answer"): Verdict.MET,
        (ids["late"], "acknowledge"): Verdict.MET,
        (ids["late"], "answer"): Verdict.COMPLETED_LATE,
        (ids["paid"], "verify_identity"): Verdict.MET,
        (ids["paid"], "investigate"): Verdict.BREACHED,
        (ids["edge"], "answer"): Verdict.MET,
    }
    answer = rows[ids["met"], "answer"]
    assert answer.due_at == T + timedelta(days=21)
    assert answer.time_to_handle == timedelta(days=18, hours=-2)
    [extension] = answer.extensions
    assert (extension.reason, extension.by, extension.new_due) == (
        HOSTILE,
        "op-sato",
        T + timedelta(days=21),
    )
    assert rows[ids["late"], "answer"].breached_at == T + timedelta(days=14, hours=1)
    assert rows[ids["paid"], "verify_identity"].paused_for_subject == timedelta(days=3)
    assert rows[ids["paid"], "investigate"].paused_for_subject == timedelta(0)

    # The rows the report read are what each request's events fold to.
    for request_id in ids.values():
        assert await kept_compliance_problem(pool, request_id) is None

    # Only this test writes to February 2001, so the summary is the scenario's alone.
    assert len(rows) == len(report.rows)
    assert report.range is not None and (report.range.start, report.range.end) == (START, END)
    assert (report.steps_total, report.met, report.breached, report.lapsed, report.open) == (
        7,
        5,
        2,
        0,
        0,
    )
    assert report.on_time_rate == 4 / 6
    assert [
        (k.kind, k.requests, k.total, k.met, k.breached, k.on_time_rate) for k in report.per_kind
    ] == [("disclosure", 1, 2, 1, 1, 0.0), ("inquiry", 3, 5, 4, 1, 4 / 5)]
    assert {s.step: s.on_time_rate for s in report.per_step} == {
        "acknowledge": 1.0,
        "verify_identity": 1.0,
        "investigate": 0.0,
        "answer": 2 / 3,
    }

    # A date without a zone is taken as UTC, as every time in the report.
    naive = await build_report(
        pool, START.replace(tzinfo=None), END.replace(tzinfo=None), as_of=s.as_of
    )
    assert naive == report


async def test_csv_has_a_row_per_request_and_step_in_utc(pool: asyncpg.Pool, unique: str) -> None:
    s = await scenario(pool, unique, 2002)
    ids = s.ids
    text = render_csv(await s.report())
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == CSV_COLUMNS
    rows = {(r["request_id"], r["step"]): r for r in reader if r["request_id"] in ids.values()}
    assert len(rows) == 7
    assert rows[ids["met"], "answer"] == {
        "request_id": ids["met"],
        "kind": "inquiry",
        "step": "answer",
        "party": "organisation",
        "started_at": "2002-02-05T11:00:00Z",
        "due_at": "2002-02-26T09:00:00Z",
        "finished_at": "2002-02-23T09:00:00Z",
        "verdict": "met",
        "extensions": "1",
        "last_extension_reason": HOSTILE,
        "time_to_handle_hours": "430.00",
        "paused_for_subject_hours": "0.00",
    }
    late = rows[ids["late"], "answer"]
    assert (
        late["verdict"],
        late["due_at"],
        late["finished_at"],
        late["time_to_handle_hours"],
        late["extensions"],
        late["last_extension_reason"],
    ) == ("completed_late", "2002-02-19T10:00:00Z", "2002-02-21T10:00:00Z", "384.00", "0", "")
    paused = rows[ids["paid"], "verify_identity"]
    assert (paused["party"], paused["paused_for_subject_hours"]) == ("subject", "72.00")
    open_row = rows[ids["paid"], "investigate"]
    assert (open_row["verdict"], open_row["finished_at"], open_row["time_to_handle_hours"]) == (
        "breached",
        "",
        "",
    )


async def test_html_is_one_self_contained_page_with_the_chart_and_escaped_text(
    pool: asyncpg.Pool, unique: str, test_output: Path
) -> None:
    s = await scenario(pool, unique, 2003)
    ids = s.ids
    page = render_html(await s.report())
    (test_output / "audit-report.html").write_text(page, encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg") == 1
    assert "<script" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)" in page
    for label in ("met", "late", "paid", "edge"):
        assert ids[label] in page
    assert ids["after"] not in page
    # Nothing is fetched: no external scripts, styles, fonts or images.
    assert "src=" not in page and "<link" not in page and "url(http" not in page


async def test_an_empty_or_backwards_range(pool: asyncpg.Pool) -> None:
    empty = await build_report(
        pool, datetime(1990, 1, 1, tzinfo=UTC), datetime(1990, 2, 1, tzinfo=UTC)
    )
    assert (empty.rows, empty.steps_total, empty.on_time_rate) == ((), 0, None)
    assert "No deadline started in this range" in render_html(empty)
    assert render_csv(empty) == ",".join(CSV_COLUMNS) + "\n"
    with pytest.raises(ValueError, match="the range is empty"):
        await build_report(pool, datetime(1990, 2, 1), datetime(1990, 1, 1))


async def test_a_reason_whose_key_was_destroyed_shows_as_erased(
    pool: asyncpg.Pool, vault: Vault, unique: str
) -> None:
    s = await scenario(pool, unique, 2004)
    # Retention forgets the extended request's personal data: its note is sealed under the
    # destroyed key, while the figures, read from the events, stay whole.
    async with pool.acquire() as connection, connection.transaction():
        shredded = await shred_recorded(
            connection, f"s-{unique}", forget_requests=frozenset({s.ids["met"]})
        )
    vault.keyring.destroy(shredded.destroyed_key)
    report = await s.report()
    [extension] = _mine(report, s.ids)[s.ids["met"], "answer"].extensions
    assert (extension.reason, extension.by) == (ERASED, "op-sato")
    assert HOSTILE not in render_csv(report) and "archive retrieval" not in render_html(report)
    assert len(_mine(report, s.ids)) == 7
