"""The deadline-compliance report's shape: a verdict per request and step, tallies per step
and per kind, and the range it covers. `domain/compliance.py` folds the record into it."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

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
