"""How long things are kept, and how often the service's schedules run
(runtime/*_schedule.py, activities/retention.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Self

from pydantic import Field, model_validator

from domain.durations import spoken_duration
from domain.retention import RetentionLimits
from runtime.settings.base import Concern, refused
from runtime.settings.durations import duration

# Temporal refuses a retention under one hour, and an hour at least keeps a slip of the
# unit from shredding a request as it closes; ten years is far past any legal need.
Period = Annotated[timedelta, duration("dh", least=timedelta(hours=1), most=timedelta(days=3650))]
# More often than a minute is only load. Archiving a day apart leaves a window in which a
# short retention could drop a history before it is archived; events appended since the
# last checkpoint can be changed unseen, and a day is the most a deployment may leave open.
Interval = Annotated[
    timedelta, duration("hm", least=timedelta(minutes=1), most=timedelta(hours=24))
]

DEFAULT_PERSONAL_DATA_RETENTION = timedelta(days=365)


class ScheduleSettings(Concern):
    """Retention and schedules"""

    retention: Period = Field(
        default=timedelta(days=30),
        validation_alias="DSR_RETENTION",
        description="How long the namespace keeps a closed workflow's history, e.g. 30d or "
        "36h; applied to the namespace at start-up.",
    )
    archive_every: Interval = Field(
        default=timedelta(minutes=5),
        validation_alias="DSR_ARCHIVE_EVERY",
        description="How often the schedule archives closed requests' histories, e.g. 5m; "
        "at most half of DSR_RETENTION.",
    )
    checkpoint_every: Interval = Field(
        default=timedelta(minutes=1),
        validation_alias="DSR_CHECKPOINT_EVERY",
        description="How often the event log's head is signed and witnessed (besides at "
        "every request's close), e.g. 1m or 15m.",
    )
    personal_data_retention: Period = Field(
        default=DEFAULT_PERSONAL_DATA_RETENTION,
        validation_alias="DSR_PERSONAL_DATA_RETENTION",
        description="How long after it closes a request's personal data (details, texts, "
        "notices) is kept before it is shredded; its events, deadlines and "
        "outcome stay. e.g. 365d or 90d.",
    )
    shred_every: Interval = Field(
        default=timedelta(hours=1),
        validation_alias="DSR_SHRED_EVERY",
        description="How often the retention schedule looks for closed requests past "
        "DSR_PERSONAL_DATA_RETENTION, e.g. 1h or 15m.",
    )

    shred_at_most: int = Field(
        default=RetentionLimits.at_most,
        ge=1,
        le=1_000_000,
        validation_alias="DSR_SHRED_AT_MOST",
        description="Closed requests one retention run shreds at most; the rest wait for the "
        "next run (DSR_SHRED_EVERY).",
    )
    shred_alert_above: int = Field(
        default=RetentionLimits.alert_above,
        ge=1,
        le=1_000_000,
        validation_alias="DSR_SHRED_ALERT_ABOVE",
        description="A retention run that finds more closed requests than this past retention "
        "at once logs an error and counts dsr_retention_alerts_total.",
    )

    def retention_limits(self) -> RetentionLimits:
        return RetentionLimits(at_most=self.shred_at_most, alert_above=self.shred_alert_above)

    @model_validator(mode="after")
    def _archived_before_dropped(self) -> Self:
        if 2 * self.archive_every > self.retention:
            raise refused(
                "DSR_ARCHIVE_EVERY",
                "must be at most half of DSR_RETENTION "
                f"({spoken_duration(self.retention, 'dh')}), or a history could be "
                "dropped before it is archived",
            )
        return self
