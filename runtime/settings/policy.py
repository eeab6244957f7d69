"""The organisation's rules that the service applies: the deadline policy's durations and
the time zone notices are written in (domain/deadlines.py)."""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field

from domain.deadlines import DeadlinePolicy, parse_overrides, policy_with
from runtime.settings.base import Concern


def _deadline_overrides(value: str) -> str:
    parse_overrides(value)
    return value


def _known_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {value[:60]!r}; use an IANA name such as Asia/Tokyo"
        ) from None
    return value


class PolicySettings(Concern):
    """Deadlines and time zone"""

    deadlines: Annotated[str, AfterValidator(_deadline_overrides)] = Field(
        default="",
        validation_alias="DSR_DEADLINES",
        description="Overrides of the deadline policy's durations, e.g. answer=7d,decide=36h.",
    )
    time_zone: Annotated[str, AfterValidator(_known_zone)] = Field(
        default="Asia/Tokyo",
        validation_alias="DSR_TIME_ZONE",
        description="The organisation's time zone: dates in notices are written in it.",
    )

    def deadline_policy(self) -> DeadlinePolicy:
        return policy_with(parse_overrides(self.deadlines))

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)
