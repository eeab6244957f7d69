"""Deadline compliance, folded from the record: was each step handled by its due time?

Auditors must be able to show that a request was handled without delay, so every figure
traces back to the deadline EVENTS of the hash-chained log, not to the `deadlines`
projection the workflows keep. In two stages: `step_records` folds a request's events into
one record per step, what the record says before any judgement; `compliance_from_records`
judges those records as of a time. The store keeps the same records beside the events
(`deadline_compliance`, kept by a trigger on every append), so a report reads a range of
them rather than folding every event of the period, and `dsr audit` can check they are
still what the events fold to. Pure: no I/O and no clock; the report's `as_of` time is
passed in.

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

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any, NamedTuple, Protocol

from domain.compliance_report import (
    BREACH_VERDICTS,
    MISSED_VERDICTS,
    ComplianceReport,
    Extension,
    KindSummary,
    Party,
    ReportRange,
    StepCompliance,
    StepSummary,
    Verdict,
)
from domain.deadlines import SUBJECT_STEPS, Step
from domain.events import EventType


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


class ExtensionRecord(NamedTuple):
    """An extension as recorded: the payload's values as they are, read as times (or
    refused) when a report judges the step."""

    at: datetime
    due_at: Any
    previous_due_at: Any
    reason_note_id: Any
    by: str


class StepRecord(NamedTuple):
    """What the record says of one request's step, before any verdict: verdicts depend on
    when the report is made, this does not. `step_records` folds it from the events; the
    store keeps the same rows beside the events (`deadline_compliance`), so a report reads
    a range of them instead of folding every event again. A tuple: a month's report reads
    tens of thousands."""

    request_id: str
    step: str
    started_at: datetime | None = None  # the first start; None: only pauses on record
    party: str | None = None  # the start's, as recorded
    due_at: str | None = None  # the start's, as recorded
    extensions: tuple[ExtensionRecord, ...] | None = None  # granted while it was open
    breached_at: datetime | None = None  # the first breach while it was open
    closed_as: str | None = None  # met, completed_late or lapsed: the first after the start
    finished_at: datetime | None = None
    pauses_resumed: timedelta | None = None  # the pauses ended by a resume, summed
    paused_since: datetime | None = None  # a pause not yet resumed


_NO_TIME = timedelta(0)
_CLOSINGS = frozenset(
    {EventType.DEADLINE_MET, EventType.DEADLINE_COMPLETED_LATE, EventType.DEADLINE_LAPSED}
)


def _as_recorded(value: Any) -> str | None:
    # A payload value as the store's summary keeps it (Postgres' `->>`): a string as it
    # is, anything else as its JSON text.
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _folded(record: StepRecord, event: DeadlineEvent) -> StepRecord:
    """The step's record after one more of its events, in record order."""
    at, kind_of, payload = event.occurred_at, str(event.type), event.payload
    if kind_of == EventType.DEADLINE_PAUSED:
        # A pause while paused changes nothing: the time counts from the first.
        return record if record.paused_since is not None else record._replace(paused_since=at)
    if kind_of == EventType.DEADLINE_RESUMED:
        if record.paused_since is None:
            return record
        return record._replace(
            paused_since=None,
            pauses_resumed=(record.pauses_resumed or timedelta(0))
            + max(at - record.paused_since, timedelta(0)),
        )
    if kind_of == EventType.DEADLINE_STARTED:
        if record.started_at is not None:
            return record
        return record._replace(
            started_at=at,
            party=_as_recorded(payload.get("party")),
            due_at=_as_recorded(payload.get("due_at")),
        )
    if record.started_at is None or record.closed_as is not None:
        return record  # not open: nothing of the window changes
    if kind_of == EventType.DEADLINE_BREACHED:
        return record if record.breached_at is not None else record._replace(breached_at=at)
    if kind_of == EventType.DEADLINE_EXTENDED:
        return record._replace(
            extensions=(
                *(record.extensions or ()),
                ExtensionRecord(
                    at=at,
                    due_at=payload.get("due_at"),
                    previous_due_at=payload.get("previous_due_at"),
                    reason_note_id=payload.get("reason_note_id"),
                    by=event.actor,
                ),
            )
        )
    if kind_of in _CLOSINGS:
        return record._replace(closed_as=kind_of.removeprefix("deadline."), finished_at=at)
    return record


def step_records(request_id: str, events: Iterable[DeadlineEvent]) -> list[StepRecord]:
    """Fold one request's events, in record order, into a record per step they name."""
    records: dict[str, StepRecord] = {}
    for event in events:
        step = event.payload.get("step")
        if not isinstance(step, str):
            continue
        before = records.get(step) or StepRecord(request_id=request_id, step=step)
        after = _folded(before, event)
        if after is not before:
            records[step] = after
    return list(records.values())


def _moment(value: Any, request_id: str, what: str) -> datetime:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"request {request_id}: {what} is not a time: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"request {request_id}: {what} has no time zone: {value!r}")
    return moment


_SUBJECT_STEPS = frozenset(s.value for s in SUBJECT_STEPS)


_PARTIES = {party.value: party for party in Party}


def _party(recorded: str | None, step: str) -> Party:
    known = _PARTIES.get(recorded) if recorded is not None else None
    if known is not None:
        return known
    # Events recorded before the payload carried the party: the policy says whose step it is.
    return Party.SUBJECT if step in _SUBJECT_STEPS else Party.ORGANISATION


def _verdict(record: StepRecord, due: datetime, as_of: datetime) -> Verdict:
    if record.closed_as == Verdict.LAPSED:
        return Verdict.LAPSED
    if record.closed_as is not None:
        assert record.finished_at is not None
        late = (
            record.closed_as == Verdict.COMPLETED_LATE
            or record.breached_at is not None
            or record.finished_at > due
        )
        return Verdict.COMPLETED_LATE if late else Verdict.MET
    if record.breached_at is not None:
        return Verdict.BREACHED
    # The keeper breaches at the due time itself, so the due time counts as overdue.
    return Verdict.OPEN_OVERDUE if as_of >= due else Verdict.OPEN


def _judged(
    record: StepRecord,
    started_at: datetime,
    kind: str,
    as_of: datetime,
    reasons: Mapping[str, str],
) -> StepCompliance:
    request_id, step = record.request_id, record.step
    original_due = due = _moment(record.due_at, request_id, f"{step} due_at")
    extensions: tuple[Extension, ...] = ()
    for granted in record.extensions or ():
        new_due = _moment(granted.due_at, request_id, f"{step} extension due_at")
        previous_due = (
            due
            if granted.previous_due_at is None
            else _moment(granted.previous_due_at, request_id, f"{step} previous_due_at")
        )
        note_id = granted.reason_note_id
        note = str(note_id) if note_id is not None else None
        extensions += (
            Extension(
                at=granted.at,
                previous_due=previous_due,
                new_due=new_due,
                reason=reasons.get(note) if note else None,
                reason_note_id=note,
                by=granted.by,
            ),
        )
        due = new_due
    paused = record.pauses_resumed or _NO_TIME
    if record.paused_since is not None:  # still paused: it counts up to as_of
        paused += max(as_of - record.paused_since, _NO_TIME)
    finished_at = record.finished_at
    return StepCompliance(
        request_id=request_id,
        kind=kind,
        step=step,
        party=_party(record.party, step),
        started_at=started_at,
        original_due_at=original_due,
        due_at=due,
        finished_at=finished_at,
        breached_at=record.breached_at,
        verdict=_verdict(record, due, as_of),
        extensions=extensions,
        time_to_handle=None if finished_at is None else finished_at - started_at,
        paused_for_subject=paused,
    )


def _tally(verdicts: Counter[Verdict], rated: Counter[Verdict]) -> dict[str, Any]:
    """Figures of a set of rows from its verdicts; the rate from the verdicts of `rated`."""
    met = rated[Verdict.MET]
    missed = sum(rated[v] for v in MISSED_VERDICTS)
    return {
        "total": verdicts.total(),
        "met": verdicts[Verdict.MET],
        "breached": sum(verdicts[v] for v in BREACH_VERDICTS),
        "lapsed": verdicts[Verdict.LAPSED],
        "open": verdicts[Verdict.OPEN],
        "on_time_rate": met / (met + missed) if met + missed else None,
    }


def _aware(as_of: datetime) -> None:
    if as_of.tzinfo is None:
        raise ValueError("as_of needs a time zone")


_STEP_ORDER = {s.value: i for i, s in enumerate(Step)}


def _step_order(step: str) -> tuple[int, str]:
    return (_STEP_ORDER.get(step, len(_STEP_ORDER)), step)


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
    _aware(as_of)
    records: list[StepRecord] = []
    for request_id, events in events_by_request.items():
        if request_id not in kinds:
            raise ValueError(f"no kind given for request {request_id!r}")
        records.extend(step_records(request_id, events))
    return compliance_from_records(records, kinds, as_of, reasons=reasons, period=period)


def compliance_from_records(
    records: Iterable[StepRecord],
    kinds: Mapping[str, str],
    as_of: datetime,
    *,
    reasons: Mapping[str, str] | None = None,
    period: ReportRange | None = None,
) -> ComplianceReport:
    """The report from steps' records, as `step_records` folds them or the store keeps
    them: the same records give the same report, to the row and figure."""
    _aware(as_of)
    rows: list[StepCompliance] = []
    for record in records:
        started_at = record.started_at
        if started_at is None or (
            period is not None and not period.start <= started_at < period.end
        ):
            continue
        kind = kinds.get(record.request_id)
        if kind is None:
            raise ValueError(f"no kind given for request {record.request_id!r}")
        rows.append(_judged(record, started_at, kind, as_of, reasons or {}))
    rows.sort(key=lambda r: (r.request_id, r.started_at, _step_order(r.step)))

    # One pass over the rows: verdicts per step and per kind, and those of the
    # organisation's steps, which give the per-kind and overall rates.
    of_step: dict[str, Counter[Verdict]] = defaultdict(Counter)
    step_party: dict[str, Party] = {}
    of_kind: dict[str, Counter[Verdict]] = defaultdict(Counter)
    ours_of_kind: dict[str, Counter[Verdict]] = defaultdict(Counter)
    requests_of_kind: dict[str, set[str]] = defaultdict(set)
    paused = _NO_TIME
    for r in rows:
        of_step[r.step][r.verdict] += 1
        step_party.setdefault(r.step, r.party)
        of_kind[r.kind][r.verdict] += 1
        requests_of_kind[r.kind].add(r.request_id)
        if r.party is Party.ORGANISATION:
            ours_of_kind[r.kind][r.verdict] += 1
        paused += r.paused_for_subject
    per_step = tuple(
        StepSummary(step=step, party=step_party[step], **_tally(counts, counts))
        for step, counts in sorted(of_step.items(), key=lambda item: _step_order(item[0]))
    )
    per_kind = tuple(
        KindSummary(
            kind=kind, requests=len(requests_of_kind[kind]), **_tally(counts, ours_of_kind[kind])
        )
        for kind, counts in sorted(of_kind.items())
    )
    verdicts: Counter[Verdict] = sum(of_kind.values(), Counter())
    overall = _tally(verdicts, sum(ours_of_kind.values(), Counter()))
    return ComplianceReport(
        range=period,
        as_of=as_of,
        rows=tuple(rows),
        steps_total=overall["total"],
        met=overall["met"],
        breached=overall["breached"],
        lapsed=overall["lapsed"],
        open=overall["open"],
        on_time_rate=overall["on_time_rate"],
        verdicts={v: verdicts[v] for v in Verdict},
        per_step=per_step,
        per_kind=per_kind,
        paused_for_subject=paused,
    )
