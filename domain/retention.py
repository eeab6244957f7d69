"""Retention of closed requests' personal data: what crosses Temporal when the schedule
shreds it. A time and a batch size in, counts out; no request id or value on either side.

A closed request's personal data (its details, texts, notices, compiled disclosure) is kept
for the retention period after it closed (DSR_PERSONAL_DATA_RETENTION, README) and then
shredded: left sealed under a destroyed key. Its events, deadlines and outcome stay, for
the auditor: they never held personal data."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class RetentionRun(BaseModel):
    """One run of `ShredClosedRequests`: requests closed before `as_of` less the retention
    period are shredded, up to `limit` of them; the rest waits for the next run."""

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


def closed_before(as_of: datetime, keep_for: timedelta) -> datetime:
    """Requests that closed before this moment are past retention."""
    return as_of - keep_for
