"""Deadline compliance, folded from the record: was each step handled by its due time?

Auditors must be able to show that a request was handled without delay, so the report is
computed from the deadline EVENTS, not from the `deadlines` projection: every figure can
be traced back to rows of the hash-chained log. Pure: no I/O and no clock; the report's
`as_of` time is passed in.

How the record is read:
- One row per request and step. The store refuses a second `deadline.started` for a step
  (the projection's primary key), so a repeated start is ignored rather than trusted.
- A breach on record is never undone. An extension granted after the breach moves the due
  time for the work that remains, but the due time in force was missed, so a step that is
  later met is `completed_late` and one still running is `breached`.
- A subject's window that runs out is `lapsed`: the person's deadline, not a breach of ours.
- Deadline events that name no step (the invoice's lapse, recorded beside the keeper's
  own lapse of the payment step) add nothing and are skipped.
- `paused_for_subject` is attributed to the step the pause names, so organisation steps
  are not charged with time spent waiting on the person; the sum over a request's rows is
  the request's total. A pause not yet resumed counts up to `as_of`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from domain.deadlines import SUBJECT_STEPS, Step
from domain.events import EventType

_FROZEN = ConfigDict(frozen=True)


class Verdict(StrEnum):
    MET = "met"
    BREACHED = "breached"
    COMPLETED_LATE = "completed_late"
    LAPSED = "lapsed"
    OPEN = "open"
    OPEN_OVERDUE = "open_overdue"


class Party(StrEnum):
    """Whose deadline it is: the organisation's work, or the person's window to act."""

    ORGANISATION = "organisation"
    SUBJECT = "subject"


# Due times the organisation did not keep: what the summary counts as "breached". An open
# step past its due time without a breach on record counts too, since it is late either way.
BREACH_VERDICTS = frozenset({Verdict.BREACHED, Verdict.COMPLETED_LATE, Verdict.OPEN_OVERDUE})
# Judged steps that missed their due time; with `met`, the denominator of an on-time rate.
MISSED_VERDICTS = BREACH_VERDICTS | {Verdict.LAPSED}


class DeadlineEvent(Protocol):
    """What the fold reads of a recorded event (`domain.events.RecordedEvent` fits)."""

    @property
    def type(self) -> str: ...
    @property
    def payload(self) -> Mapping[str, Any]: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def actor(self) -> str: ...


class Extension(BaseModel):
    model_config = _FROZEN

    at: datetime
    previous_due: datetime
    new_due: datetime
    reason: str | None
    reason_note_id: str | None
    by: str


class StepCompliance(BaseModel):
    """One request's step: its window, when it finished, and the verdict on its due time."""

    model_config = _FROZEN

    request_id: str
    kind: str
    step: str
    party: Party
    started_at: datetime
    original_due_at: datetime
    due_at: datetime  # in force at the end, after any extensions
    finished_at: datetime | None  # met, completed late or lapsed
    breached_at: datetime | None  # the first breach on record
    verdict: Verdict
    extensions: tuple[Extension, ...] = ()
    time_to_handle: timedelta | None
    paused_for_subject: timedelta = timedelta(0)

    @property
    def allowed(self) -> timedelta:
        return self.due_at - self.started_at


class Tally(BaseModel):
    """Counts over a set of rows. The on-time rate is met / (met + missed): open steps
    not yet due cannot be judged, so they are left out; None when nothing can be judged."""

    model_config = _FROZEN

    total: int
    met: int
    breached: int
    lapsed: int
    open: int
    on_time_rate: float | None


class StepSummary(Tally):
    step: str
    party: Party


class KindSummary(Tally):
    """Per kind of request; the rate counts the organisation's steps only."""

    kind: str
    requests: int


class ReportRange(BaseModel):
    """The half-open range [start, end) that a step's deadline must have started in."""

    model_config = _FROZEN

    start: datetime
    end: datetime


class ComplianceReport(BaseModel):
    model_config = _FROZEN

    range: ReportRange | None
    as_of: datetime
    rows: tuple[StepCompliance, ...]
    steps_total: int
    met: int
    breached: int  # incl. completed late and open past due
    lapsed: int
    open: int
    # The organisation's on-time rate: subject windows measure the person, not us.
    on_time_rate: float | None
    verdicts: dict[Verdict, int]
    per_step: tuple[StepSummary, ...]
    per_kind: tuple[KindSummary, ...]
    paused_for_subject: timedelta


@dataclass
class _Window:
    """A step's deadline while the fold is reading its events."""

    step: str
    party: Party
    started_at: datetime
    original_due: datetime
    due: datetime
    finished_at: datetime | None = None
    closing: Verdict | None = None
    breached_at: datetime | None = None
    extensions: list[Extension] = field(default_factory=list)


def _moment(value: Any, request_id: str, what: str) -> datetime:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"request {request_id}: {what} is not a time: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"request {request_id}: {what} has no time zone: {value!r}")
    return moment


def _party(payload: Mapping[str, Any], step: str) -> Party:
    if payload.get("party") in (Party.SUBJECT, Party.ORGANISATION):
        return Party(payload["party"])
    # Events recorded before the payload carried the party: the policy says whose step it is.
    return Party.SUBJECT if step in {s.value for s in SUBJECT_STEPS} else Party.ORGANISATION


def _verdict(window: _Window, as_of: datetime) -> Verdict:
    if window.closing is Verdict.LAPSED:
        return Verdict.LAPSED
    if window.closing is not None:
        assert window.finished_at is not None
        late = (window.closing is Verdict.COMPLETED_LATE or window.breached_at is not None
                or window.finished_at > window.due)
        return Verdict.COMPLETED_LATE if late else Verdict.MET
    if window.breached_at is not None:
        return Verdict.BREACHED
    # The keeper breaches at the due time itself, so the due time counts as overdue.
    return Verdict.OPEN_OVERDUE if as_of >= window.due else Verdict.OPEN


def _fold_request(
    request_id: str,
    kind: str,
    events: Iterable[DeadlineEvent],
    as_of: datetime,
    reasons: Mapping[str, str],
) -> list[StepCompliance]:
    windows: dict[str, _Window] = {}
    paused: dict[str, timedelta] = {}
    pause_began: dict[str, datetime] = {}
    for event in events:
        payload = event.payload
        step = payload.get("step")
        if not isinstance(step, str):
            continue
        at = event.occurred_at
        kind_of = str(event.type)
        if kind_of == EventType.DEADLINE_PAUSED:
            pause_began.setdefault(step, at)
            continue
        if kind_of == EventType.DEADLINE_RESUMED:
            began = pause_began.pop(step, None)
            if began is not None:
                paused[step] = paused.get(step, timedelta(0)) + max(at - began, timedelta(0))
            continue
        if kind_of == EventType.DEADLINE_STARTED:
            if step not in windows:
                due = _moment(payload.get("due_at"), request_id, f"{step} due_at")
                windows[step] = _Window(step, _party(payload, step), at, due, due)
            continue
        window = windows.get(step)
        if window is None or window.closing is not None:
            continue
        if kind_of == EventType.DEADLINE_BREACHED:
            window.breached_at = window.breached_at or at
        elif kind_of == EventType.DEADLINE_EXTENDED:
            new_due = _moment(payload.get("due_at"), request_id, f"{step} extension due_at")
            previous = payload.get("previous_due_at")
            previous_due = (window.due if previous is None else
                            _moment(previous, request_id, f"{step} previous_due_at"))
            note_id = payload.get("reason_note_id")
            note = str(note_id) if note_id is not None else None
            window.extensions.append(Extension(
                at=at, previous_due=previous_due, new_due=new_due,
                reason=reasons.get(note) if note else None, reason_note_id=note,
                by=event.actor,
            ))
            window.due = new_due
        elif kind_of in (EventType.DEADLINE_MET, EventType.DEADLINE_COMPLETED_LATE,
                         EventType.DEADLINE_LAPSED):
            window.finished_at = at
            window.closing = Verdict(kind_of.removeprefix("deadline."))

    for step, began in pause_began.items():
        paused[step] = paused.get(step, timedelta(0)) + max(as_of - began, timedelta(0))

    return [
        StepCompliance(
            request_id=request_id, kind=kind, step=w.step, party=w.party,
            started_at=w.started_at, original_due_at=w.original_due, due_at=w.due,
            finished_at=w.finished_at, breached_at=w.breached_at, verdict=_verdict(w, as_of),
            extensions=tuple(w.extensions),
            time_to_handle=None if w.finished_at is None else w.finished_at - w.started_at,
            paused_for_subject=paused.get(w.step, timedelta(0)),
        )
        for w in windows.values()
    ]


def _counts(rows: list[StepCompliance], rated: list[StepCompliance]) -> dict[str, Any]:
    met = sum(r.verdict is Verdict.MET for r in rated)
    missed = sum(r.verdict in MISSED_VERDICTS for r in rated)
    return {
        "total": len(rows),
        "met": sum(r.verdict is Verdict.MET for r in rows),
        "breached": sum(r.verdict in BREACH_VERDICTS for r in rows),
        "lapsed": sum(r.verdict is Verdict.LAPSED for r in rows),
        "open": sum(r.verdict is Verdict.OPEN for r in rows),
        "on_time_rate": met / (met + missed) if met + missed else None,
    }


def _organisation(rows: list[StepCompliance]) -> list[StepCompliance]:
    return [r for r in rows if r.party is Party.ORGANISATION]


def _step_order(step: str) -> tuple[int, str]:
    order = [s.value for s in Step]
    return (order.index(step) if step in order else len(order), step)


def compliance_from_events(
    events_by_request: Mapping[str, Iterable[DeadlineEvent]],
    kinds: Mapping[str, str],
    as_of: datetime,
    *,
    reasons: Mapping[str, str] | None = None,
    period: ReportRange | None = None,
) -> ComplianceReport:
    """Fold each request's events (in record order) into rows and summary figures.

    `kinds` maps request id → kind; `reasons` maps an extension's reason note id → its
    text. With a `period`, only steps whose deadline started in [start, end) are rows, so
    consecutive reports count every step exactly once; a step's later events (met after
    the end, say) still count, since all of the request's events are folded.
    """
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a time zone")
    rows: list[StepCompliance] = []
    for request_id, events in events_by_request.items():
        kind = kinds.get(request_id)
        if kind is None:
            raise ValueError(f"no kind given for request {request_id!r}")
        rows.extend(_fold_request(request_id, kind, events, as_of, reasons or {}))
    if period is not None:
        rows = [r for r in rows if period.start <= r.started_at < period.end]
    rows.sort(key=lambda r: (r.request_id, r.started_at, _step_order(r.step)))

    per_step = []
    for step in sorted({r.step for r in rows}, key=_step_order):
        of_step = [r for r in rows if r.step == step]
        per_step.append(StepSummary(step=step, party=of_step[0].party,
                                    **_counts(of_step, of_step)))
    per_kind = []
    for kind in sorted({r.kind for r in rows}):
        of_kind = [r for r in rows if r.kind == kind]
        per_kind.append(KindSummary(kind=kind, requests=len({r.request_id for r in of_kind}),
                                    **_counts(of_kind, _organisation(of_kind))))
    overall = _counts(rows, _organisation(rows))
    return ComplianceReport(
        range=period, as_of=as_of, rows=tuple(rows), steps_total=overall["total"],
        met=overall["met"], breached=overall["breached"], lapsed=overall["lapsed"],
        open=overall["open"], on_time_rate=overall["on_time_rate"],
        verdicts={v: sum(r.verdict is v for r in rows) for v in Verdict},
        per_step=tuple(per_step), per_kind=tuple(per_kind),
        paused_for_subject=sum((r.paused_for_subject for r in rows), timedelta(0)),
    )
