"""Retention of closed requests' personal data: what crosses Temporal when the schedule
shreds it. A batch size in, counts out; no request id or value on either side.

The run's time is the workflow's own (`workflow.now()`, no later than the database's clock)
and the retention period the worker's (DSR_PERSONAL_DATA_RETENTION): a start carrying a
time is refused (review N1: `{"as_of": "2100-01-01T00:00:00Z"}` shredded every closed
request at once). A run shreds at most DSR_SHRED_AT_MOST requests, and says so loudly when
more than DSR_SHRED_ALERT_ABOVE are due at once (`RetentionLimits`).

A closed request's personal data (its details, texts, notices, compiled disclosure) is kept
for the retention period after it closed (DSR_PERSONAL_DATA_RETENTION, README) and then
shredded: left sealed under a destroyed key. Its events, deadlines and outcome stay, for
the auditor: they never held personal data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class RetentionRun(BaseModel):
    """One run of `ShredClosedRequests`: requests closed before the run's time less the
    retention period are shredded, up to `limit` of them per activity; the rest waits for
    the next run. The schedule starts it with the defaults; `as_of` and `shredded` are the
    workflow's own, set for its activity and carried when it continues as new, and a start
    carrying either is refused."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    limit: int = Field(
        default=200, ge=1, le=2000, description="requests shredded by one activity, at most"
    )
    batches_per_run: int = Field(
        default=20, ge=1, le=100, description="activities before the run continues as new"
    )
    as_of: AwareDatetime | None = Field(
        default=None, description="the run's time (the workflow's now, set by the workflow)"
    )
    shredded: int = Field(
        default=0, ge=0, description="requests the runs before this one (continued) shredded"
    )


# Input fields a start may not carry: the workflow computes them (N1).
COMPUTED_FIELDS = ("as_of", "shredded")


@dataclass(frozen=True)
class RetentionLimits:
    """The worker's bounds on one retention run (the schedule's run with every run it
    continues as new): it shreds at most `at_most` requests, leaving the rest to the next
    run, and alerts (an error in the log, `dsr_retention_alerts_total`) when more than
    `alert_above` are due at once, as when the period was shortened by mistake."""

    at_most: int = 2000
    alert_above: int = 500


class RetentionCounts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    requests: int = 0
    """Closed requests whose personal data was shredded by this run."""
    subjects: int = 0
    """Subjects whose key was replaced for them."""
    values_forgotten: int = 0
    """Sealed values left under the destroyed keys."""
    more: bool = False
    """The limit was reached; more requests may be due."""
    capped: bool = False
    """The run reached the worker's cap (DSR_SHRED_AT_MOST): the rest waits for the next."""


def closed_before(as_of: datetime, keep_for: timedelta) -> datetime:
    """Requests that closed before this moment are past retention."""
    return as_of - keep_for


def run_time(asked: datetime, clock: datetime) -> datetime:
    """The time a retention batch acts at: the workflow's, never later than `clock` (the
    database's now), so no request is shredded early nor an event dated ahead of it."""
    return min(asked, clock)


def batch_limit(limit: int, shredded: int, limits: RetentionLimits) -> int:
    """Requests the next batch may shred: its own limit, within what is left of the run's
    cap (0: the run has shredded all it may)."""
    return max(0, min(limit, limits.at_most - shredded))
