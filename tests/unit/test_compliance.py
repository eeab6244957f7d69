"""Deadline compliance folded from events: every verdict, figure and rate of a known
scenario, checked exactly; and the steps' records the fold goes through, which the store
keeps beside the events for the report (tests/store/test_deadline_compliance.py checks the
store's rows against this fold)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.compliance import (
    ExtensionRecord,
    StepRecord,
    compliance_from_events,
    compliance_from_records,
    step_records,
)
from domain.compliance_report import (
    ComplianceReport,
    Extension,
    KindSummary,
    Party,
    ReportRange,
    StepCompliance,
    StepSummary,
    Verdict,
)
from domain.events import EventType

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
AS_OF = T0 + timedelta(days=40)
NOTE = "6f1c2a8e-1111-4c1e-9d2a-3b4c5d6e7f80"
REASON = "Records are held by the archive contractor; retrieval takes a week."


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


@dataclass(frozen=True)
class Ev:
    """A recorded event as the fold reads it: type, payload, time and actor."""

    type: EventType
    occurred_at: datetime
    payload: dict[str, Any] = field(default_factory=dict)
    actor: str = "system"


def started(step: str, at: datetime, due: datetime, party: str | None = None) -> Ev:
    payload: dict[str, Any] = {"step": step, "due_at": due.isoformat(), "policy_version": "p"}
    if party is not None:
        payload["party"] = party
    return Ev(EventType.DEADLINE_STARTED, at, payload)


def on(type: EventType, step: str, at: datetime, **payload: Any) -> Ev:
    return Ev(type, at, {"step": step, **payload})


def extended(step: str, at: datetime, previous: datetime, until: datetime) -> Ev:
    return Ev(
        EventType.DEADLINE_EXTENDED,
        at,
        {
            "step": step,
            "due_at": until.isoformat(),
            "previous_due_at": previous.isoformat(),
            "reason_note_id": NOTE,
        },
        actor="op-sato",
    )


EVENTS: dict[str, list[Ev]] = {
    # Acknowledged in six hours; the investigation breached and was completed two days late.
    "req-a": [
        started("acknowledge", day(0), day(1), "organisation"),
        on(EventType.DEADLINE_REMINDED, "acknowledge", day(0.2)),
        on(EventType.DEADLINE_MET, "acknowledge", day(0.25)),
        started("investigate", day(1), day(15), "organisation"),
        on(EventType.DEADLINE_BREACHED, "investigate", day(15)),
        on(EventType.DEADLINE_COMPLETED_LATE, "investigate", day(17)),
    ],
    # The organisation's clock paused three days while the person proved their identity;
    # the decision was extended before its due time and met within the extension.
    "req-b": [
        on(EventType.DEADLINE_PAUSED, "verify_identity", day(0), reason="awaiting_subject"),
        started("verify_identity", day(0), day(14), "subject"),
        on(EventType.DEADLINE_MET, "verify_identity", day(3)),
        on(EventType.DEADLINE_RESUMED, "verify_identity", day(3)),
        started("decide", day(4), day(11)),  # no party: the policy says it is ours
        extended("decide", day(10), day(11), day(18)),
        on(EventType.DEADLINE_MET, "decide", day(16)),
    ],
    # The fee was never paid: the subject's window lapsed. The invoice's own lapse names
    # no step and must add nothing.
    "req-c": [
        on(EventType.DEADLINE_PAUSED, "payment", day(0), reason="awaiting_subject"),
        started("payment", day(0), day(30), "subject"),
        on(EventType.DEADLINE_LAPSED, "payment", day(30), due_at=day(30).isoformat()),
        on(EventType.DEADLINE_RESUMED, "payment", day(30)),
        Ev(EventType.INVOICE_LAPSED, day(30), {"invoice_id": "inv-1"}),
    ],
    # Past due at as_of with no breach on record yet.
    "req-d": [started("answer", day(20), day(34), "organisation")],
    # Running and not yet due.
    "req-e": [started("answer", day(30), day(44), "organisation")],
    # Breached and still not answered.
    "req-f": [
        started("answer", day(1), day(15), "organisation"),
        on(EventType.DEADLINE_BREACHED, "answer", day(15)),
    ],
}
KINDS = {
    "req-a": "disclosure",
    "req-b": "disclosure",
    "req-c": "disclosure",
    "req-d": "inquiry",
    "req-e": "inquiry",
    "req-f": "inquiry",
}


def row(
    request_id: str,
    step: str,
    party: Party,
    start: datetime,
    due: datetime,
    finished: datetime | None,
    verdict: Verdict,
    **extra: Any,
) -> StepCompliance:
    return StepCompliance(
        request_id=request_id,
        kind=KINDS[request_id],
        step=step,
        party=party,
        started_at=start,
        original_due_at=extra.pop("original_due_at", due),
        due_at=due,
        finished_at=finished,
        breached_at=extra.pop("breached_at", None),
        verdict=verdict,
        time_to_handle=None if finished is None else finished - start,
        **extra,
    )


ORG, SUBJ = Party.ORGANISATION, Party.SUBJECT


def report() -> ComplianceReport:
    return compliance_from_events(EVENTS, KINDS, AS_OF, reasons={NOTE: REASON})


def rows_by_key(result: ComplianceReport) -> dict[tuple[str, str], StepCompliance]:
    return {(r.request_id, r.step): r for r in result.rows}


def test_a_step_met_on_time() -> None:
    assert rows_by_key(report())["req-a", "acknowledge"] == row(
        "req-a", "acknowledge", ORG, day(0), day(1), day(0.25), Verdict.MET
    )
    assert rows_by_key(report())["req-a", "acknowledge"].time_to_handle == timedelta(hours=6)


def test_a_breached_step_completed_late() -> None:
    got = rows_by_key(report())["req-a", "investigate"]
    assert got == row(
        "req-a",
        "investigate",
        ORG,
        day(1),
        day(15),
        day(17),
        Verdict.COMPLETED_LATE,
        breached_at=day(15),
    )
    assert got.time_to_handle == timedelta(days=16)


def test_an_extended_step_met_within_the_extension_is_met_with_its_reason() -> None:
    got = rows_by_key(report())["req-b", "decide"]
    extension = Extension(
        at=day(10),
        previous_due=day(11),
        new_due=day(18),
        reason=REASON,
        reason_note_id=NOTE,
        by="op-sato",
    )
    assert got == row(
        "req-b",
        "decide",
        ORG,
        day(4),
        day(18),
        day(16),
        Verdict.MET,
        original_due_at=day(11),
        extensions=(extension,),
    )
    assert got.time_to_handle == timedelta(days=12)
    assert got.allowed == timedelta(days=14)


def test_a_subject_step_paused_three_days_then_resumed() -> None:
    got = rows_by_key(report())["req-b", "verify_identity"]
    assert got == row(
        "req-b",
        "verify_identity",
        SUBJ,
        day(0),
        day(14),
        day(3),
        Verdict.MET,
        paused_for_subject=timedelta(days=3),
    )


def test_a_lapsed_subject_window_and_the_stepless_invoice_lapse_adds_nothing() -> None:
    result = report()
    assert [r.step for r in result.rows if r.request_id == "req-c"] == ["payment"]
    assert rows_by_key(result)["req-c", "payment"] == row(
        "req-c",
        "payment",
        SUBJ,
        day(0),
        day(30),
        day(30),
        Verdict.LAPSED,
        paused_for_subject=timedelta(days=30),
    )


def test_open_steps_are_judged_against_as_of() -> None:
    rows = rows_by_key(report())
    assert rows["req-d", "answer"] == row(
        "req-d", "answer", ORG, day(20), day(34), None, Verdict.OPEN_OVERDUE
    )
    assert rows["req-e", "answer"] == row(
        "req-e", "answer", ORG, day(30), day(44), None, Verdict.OPEN
    )
    assert rows["req-f", "answer"] == row(
        "req-f", "answer", ORG, day(1), day(15), None, Verdict.BREACHED, breached_at=day(15)
    )
    # At the due time itself the step is overdue: the keeper breaches at that moment.
    at_due = compliance_from_events({"req-d": EVENTS["req-d"]}, KINDS, day(34))
    assert at_due.rows[0].verdict is Verdict.OPEN_OVERDUE
    before = compliance_from_events({"req-d": EVENTS["req-d"]}, KINDS, day(33))
    assert before.rows[0].verdict is Verdict.OPEN


def test_summary_figures_and_rates() -> None:
    result = report()
    assert result.range is None and result.as_of == AS_OF
    assert (result.steps_total, result.met, result.breached, result.lapsed, result.open) == (
        8,
        3,
        3,
        1,
        1,
    )
    # Organisation's steps: met acknowledge and decide; missed investigate, req-d, req-f.
    assert result.on_time_rate == 2 / 5
    assert result.verdicts == {
        Verdict.MET: 3,
        Verdict.BREACHED: 1,
        Verdict.COMPLETED_LATE: 1,
        Verdict.LAPSED: 1,
        Verdict.OPEN: 1,
        Verdict.OPEN_OVERDUE: 1,
    }
    assert result.paused_for_subject == timedelta(days=33)
    assert result.per_step == (
        StepSummary(
            step="acknowledge",
            party=ORG,
            total=1,
            met=1,
            breached=0,
            lapsed=0,
            open=0,
            on_time_rate=1.0,
        ),
        StepSummary(
            step="verify_identity",
            party=SUBJ,
            total=1,
            met=1,
            breached=0,
            lapsed=0,
            open=0,
            on_time_rate=1.0,
        ),
        StepSummary(
            step="payment",
            party=SUBJ,
            total=1,
            met=0,
            breached=0,
            lapsed=1,
            open=0,
            on_time_rate=0.0,
        ),
        StepSummary(
            step="investigate",
            party=ORG,
            total=1,
            met=0,
            breached=1,
            lapsed=0,
            open=0,
            on_time_rate=0.0,
        ),
        StepSummary(
            step="decide", party=ORG, total=1, met=1, breached=0, lapsed=0, open=0, on_time_rate=1.0
        ),
        StepSummary(
            step="answer", party=ORG, total=3, met=0, breached=2, lapsed=0, open=1, on_time_rate=0.0
        ),
    )
    assert result.per_kind == (
        KindSummary(
            kind="disclosure",
            requests=3,
            total=5,
            met=3,
            breached=1,
            lapsed=1,
            open=0,
            on_time_rate=2 / 3,
        ),
        KindSummary(
            kind="inquiry",
            requests=3,
            total=3,
            met=0,
            breached=2,
            lapsed=0,
            open=1,
            on_time_rate=0.0,
        ),
    )


def test_rows_are_in_request_then_start_order() -> None:
    assert [(r.request_id, r.step) for r in report().rows] == [
        ("req-a", "acknowledge"),
        ("req-a", "investigate"),
        ("req-b", "verify_identity"),
        ("req-b", "decide"),
        ("req-c", "payment"),
        ("req-d", "answer"),
        ("req-e", "answer"),
        ("req-f", "answer"),
    ]


def test_an_extension_after_a_breach_does_not_undo_it() -> None:
    events = {
        "req-a": [
            started("answer", day(0), day(14)),
            on(EventType.DEADLINE_BREACHED, "answer", day(14)),
            extended("answer", day(15), day(14), day(21)),
            on(EventType.DEADLINE_MET, "answer", day(18)),
        ]
    }
    got = compliance_from_events(events, KINDS, AS_OF).rows[0]
    assert (got.verdict, got.breached_at, got.due_at, got.original_due_at) == (
        Verdict.COMPLETED_LATE,
        day(14),
        day(21),
        day(14),
    )
    # Without the note's text the extension is still on record, with its note id.
    assert got.extensions[0].reason is None and got.extensions[0].reason_note_id == NOTE


def test_a_pause_not_yet_resumed_counts_up_to_as_of() -> None:
    events = {
        "req-b": [
            on(EventType.DEADLINE_PAUSED, "verify_identity", day(0)),
            started("verify_identity", day(0), day(14), "subject"),
        ]
    }
    got = compliance_from_events(events, KINDS, day(5)).rows[0]
    assert (got.verdict, got.paused_for_subject, got.time_to_handle) == (
        Verdict.OPEN,
        timedelta(days=5),
        None,
    )


def test_a_period_keeps_steps_started_in_it_and_folds_their_later_events() -> None:
    period = ReportRange(start=day(1), end=day(2))
    result = compliance_from_events(EVENTS, KINDS, AS_OF, period=period)
    assert result.range == period
    # The investigation finished after the period's end and still counts as completed late.
    assert [(r.request_id, r.step, r.verdict) for r in result.rows] == [
        ("req-a", "investigate", Verdict.COMPLETED_LATE),
        ("req-f", "answer", Verdict.BREACHED),
    ]
    assert (result.steps_total, result.met, result.breached, result.on_time_rate) == (2, 0, 2, 0.0)


def test_nothing_to_judge_gives_no_rate() -> None:
    result = compliance_from_events({"req-e": EVENTS["req-e"]}, KINDS, AS_OF)
    assert (result.steps_total, result.open, result.on_time_rate) == (1, 1, None)
    empty = compliance_from_events({}, {}, AS_OF)
    assert (empty.rows, empty.steps_total, empty.on_time_rate, empty.per_step) == ((), 0, None, ())


def test_bad_input_is_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no kind given for request 'req-x'"):
        compliance_from_events({"req-x": []}, {}, AS_OF)
    with pytest.raises(ValueError, match="as_of needs a time zone"):
        compliance_from_events({}, {}, datetime(2026, 1, 1))
    broken = {
        "req-a": [Ev(EventType.DEADLINE_STARTED, day(0), {"step": "answer", "due_at": "soon"})]
    }
    with pytest.raises(ValueError, match="request req-a: answer due_at is not a time"):
        compliance_from_events(broken, KINDS, AS_OF)


def test_step_records_hold_what_the_record_says_before_any_verdict() -> None:
    records = {r.step: r for r in step_records("req-b", EVENTS["req-b"])}
    assert records["verify_identity"] == StepRecord(
        request_id="req-b",
        step="verify_identity",
        started_at=day(0),
        party="subject",
        due_at=day(14).isoformat(),
        closed_as="met",
        finished_at=day(3),
        pauses_resumed=timedelta(days=3),
    )
    # The extension's payload as recorded: read as times only when a report judges it.
    assert records["decide"] == StepRecord(
        request_id="req-b",
        step="decide",
        started_at=day(4),
        due_at=day(11).isoformat(),
        extensions=(
            ExtensionRecord(
                at=day(10),
                due_at=day(18).isoformat(),
                previous_due_at=day(11).isoformat(),
                reason_note_id=NOTE,
                by="op-sato",
            ),
        ),
        closed_as="met",
        finished_at=day(16),
    )
    # The invoice's lapse names no step: no record.
    assert [r.step for r in step_records("req-c", EVENTS["req-c"])] == ["payment"]


def test_marks_outside_a_steps_window_and_repeated_marks_change_nothing() -> None:
    events = [
        on(EventType.DEADLINE_BREACHED, "answer", day(0)),  # before the start
        on(EventType.DEADLINE_RESUMED, "answer", day(0)),  # nothing paused
        on(EventType.DEADLINE_PAUSED, "answer", day(1)),
        started("answer", day(1), day(15)),
        on(EventType.DEADLINE_PAUSED, "answer", day(2)),  # already paused
        on(EventType.DEADLINE_RESUMED, "answer", day(3)),
        on(EventType.DEADLINE_BREACHED, "answer", day(15)),
        on(EventType.DEADLINE_BREACHED, "answer", day(16)),  # the first breach stays
        on(EventType.DEADLINE_COMPLETED_LATE, "answer", day(17)),
        started("answer", day(18), day(30)),  # a repeated start
        extended("answer", day(19), day(15), day(40)),  # after the close
        on(EventType.DEADLINE_MET, "answer", day(20)),
        on(EventType.DEADLINE_PAUSED, "answer", day(21)),  # pauses count after the close
        Ev(EventType.DEADLINE_BREACHED, day(22), {"step": 5}),  # no step named
    ]
    assert step_records("req-f", events) == [
        StepRecord(
            request_id="req-f",
            step="answer",
            started_at=day(1),
            due_at=day(15).isoformat(),
            breached_at=day(15),
            closed_as="completed_late",
            finished_at=day(17),
            pauses_resumed=timedelta(days=2),
            paused_since=day(21),
        )
    ]
    row = compliance_from_events({"req-f": events}, KINDS, day(23)).rows[0]
    assert (row.verdict, row.paused_for_subject, row.extensions) == (
        Verdict.COMPLETED_LATE,
        timedelta(days=4),
        (),
    )


def test_a_step_with_only_pauses_on_record_is_kept_but_is_no_row() -> None:
    events = [
        on(EventType.DEADLINE_PAUSED, "act", day(0)),
        on(EventType.DEADLINE_RESUMED, "act", day(1)),
    ]
    assert step_records("req-e", events) == [
        StepRecord(request_id="req-e", step="act", pauses_resumed=timedelta(days=1))
    ]
    assert compliance_from_events({"req-e": events}, KINDS, AS_OF).rows == ()


def test_payload_values_are_kept_as_the_store_keeps_them() -> None:
    # A party or due time that is not text is kept as its JSON text (Postgres' ->>), so
    # the store's rows and the fold agree on any payload; the report still refuses it.
    events = [
        Ev(EventType.DEADLINE_STARTED, day(0), {"step": "answer", "due_at": 5, "party": True})
    ]
    [record] = step_records("req-d", events)
    assert (record.due_at, record.party) == ("5", "true")
    with pytest.raises(ValueError, match="answer due_at is not a time: '5'"):
        compliance_from_records([record], KINDS, AS_OF)


def test_the_report_from_records_is_the_report_from_their_events() -> None:
    records = [r for request_id, events in EVENTS.items() for r in step_records(request_id, events)]
    for as_of in (day(0.1), day(15), AS_OF):
        assert compliance_from_records(
            records,
            KINDS,
            as_of,
            reasons={NOTE: REASON},
            period=ReportRange(start=day(0), end=day(21)),
        ) == compliance_from_events(
            EVENTS,
            KINDS,
            as_of,
            reasons={NOTE: REASON},
            period=ReportRange(start=day(0), end=day(21)),
        )
