""""Without delay" made a number: a versioned deadline policy gives each step a due time.

The law sets no figure; these defaults are the organisation's own commitment. The policy
in force is copied into the workflow's input, so a request is judged by the rules it
started under even after the defaults change, and replay never sees a different policy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Step(StrEnum):
    """The steps of a request's lifecycle that carry a deadline."""

    ACKNOWLEDGE = "acknowledge"
    VERIFY_IDENTITY = "verify_identity"
    PAYMENT = "payment"
    INVESTIGATE = "investigate"
    DECIDE = "decide"
    ACT = "act"
    ANSWER = "answer"
    NOTIFY = "notify"


# Steps that wait on the person, not on us: their windows close the request when they
# lapse, and the organisation's clock is paused while they run.
SUBJECT_STEPS = frozenset({Step.VERIFY_IDENTITY, Step.PAYMENT})

DEFAULT_DURATIONS: dict[Step, timedelta] = {
    Step.ACKNOWLEDGE: timedelta(days=1),
    Step.VERIFY_IDENTITY: timedelta(days=14),
    Step.PAYMENT: timedelta(days=30),
    Step.INVESTIGATE: timedelta(days=14),
    Step.DECIDE: timedelta(days=7),
    Step.ACT: timedelta(days=7),
    Step.ANSWER: timedelta(days=14),
    Step.NOTIFY: timedelta(days=1),
}
DEFAULT_POLICY_VERSION = "2026-11.1"


class DeadlinePolicy(BaseModel):
    """Due durations per step, and how long before a due time a reminder goes out."""

    model_config = ConfigDict(frozen=True)

    version: str = DEFAULT_POLICY_VERSION
    durations: dict[Step, timedelta] = Field(default_factory=lambda: dict(DEFAULT_DURATIONS))
    reminder_fraction: float = Field(
        default=0.2, gt=0, lt=1,
        description="The reminder goes out this share of the window before the due time.",
    )

    @field_validator("durations")
    @classmethod
    def _every_step_positive(cls, durations: dict[Step, timedelta]) -> dict[Step, timedelta]:
        missing = [step.value for step in Step if step not in durations]
        if missing:
            raise ValueError(f"no duration for steps: {', '.join(missing)}")
        for step, duration in durations.items():
            if duration <= timedelta(0):
                raise ValueError(f"duration for {step.value} must be positive")
        return durations

    def with_overrides(self, overrides: dict[Step, timedelta], version: str) -> DeadlinePolicy:
        """A new policy version with some durations replaced; the version must be new."""
        if not overrides:
            return self
        if version == self.version:
            raise ValueError("an overridden policy needs its own version label")
        return DeadlinePolicy(
            version=version,
            durations={**self.durations, **overrides},
            reminder_fraction=self.reminder_fraction,
        )

    def due_at(self, step: Step, started_at: datetime) -> datetime:
        return started_at + self.durations[step]

    def reminder_at(self, step: Step, started_at: datetime) -> datetime:
        duration = self.durations[step]
        return started_at + duration - duration * self.reminder_fraction
