""" "Without delay" made a number: a versioned deadline policy gives each step a due time.

The law sets no figure; these defaults are the organisation's own commitment. The policy
in force is copied into the workflow's input, so a request is judged by the rules it
started under even after the defaults change, and replay never sees a different policy.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

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
# 2026-11.2: extensions capped. 2026-12.1: a person's window runs to the end of the local
# day its notice names; a payment made within it is accepted during the grace after it.
DEFAULT_POLICY_VERSION = "2026-12.1"
DEFAULT_SUBJECT_ZONE = "Asia/Tokyo"
DEFAULT_PAYMENT_GRACE = timedelta(days=14)

# The organisation's own steps after the person's part, which the receipt notice commits to.
DECISION_STEPS = (Step.INVESTIGATE, Step.DECIDE, Step.ACT, Step.NOTIFY)
DELIVERY_STEPS = (Step.ACT, Step.NOTIFY)


class DeadlinePolicy(BaseModel):
    """Due durations per step, and how long before a due time a reminder goes out."""

    model_config = ConfigDict(frozen=True)

    version: str = DEFAULT_POLICY_VERSION
    durations: dict[Step, timedelta] = Field(default_factory=lambda: dict(DEFAULT_DURATIONS))
    reminder_fraction: float = Field(
        default=0.2,
        gt=0,
        lt=1,
        description="The reminder goes out this share of the window before the due time.",
    )
    max_extensions: int = Field(
        default=2, ge=0, le=10, description="Extensions allowed per step of a request."
    )
    max_extension_share: float = Field(
        default=1.0,
        gt=0,
        le=3,
        description="All extensions of a step together add at most this share of its window.",
    )

    subject_zone: str = Field(
        default=DEFAULT_SUBJECT_ZONE,
        description="The zone of the day a person's window runs to (the notices' zone).",
    )
    payment_grace: timedelta = Field(
        default=DEFAULT_PAYMENT_GRACE,
        ge=timedelta(0),
        le=timedelta(days=60),
        description="How long after the payment window a payment made within it is accepted.",
    )

    @field_validator("subject_zone")
    @classmethod
    def _known_zone(cls, zone: str) -> str:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {zone[:60]!r}") from None
        return zone

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

    def digest(self) -> str:
        """SHA-256 of the policy's contents, to which intake binds its version on the
        request's record (issue 22, review N5): a workflow started with a policy of the same
        label but other windows is refused at its first activity.

        The digest is of canonical JSON (keys sorted) of the version and of every value that
        differs from this code's default: a field added later with a default leaves the
        digest of a policy that never set it unchanged, so an API and a worker of different
        releases agree. A default that changes makes a new policy, with a new label."""
        values = self.model_dump(mode="json", exclude_defaults=True)
        values["version"] = self.version
        canonical = json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
        return hashlib.sha256(canonical.encode("ascii")).hexdigest()

    def with_overrides(self, overrides: dict[Step, timedelta], version: str) -> DeadlinePolicy:
        """A new policy version with some durations replaced; the version must be new."""
        if not overrides:
            return self
        if version == self.version:
            raise ValueError("an overridden policy needs its own version label")
        return DeadlinePolicy.model_validate(
            {**self.model_dump(), "version": version, "durations": {**self.durations, **overrides}}
        )

    def due_at(self, step: Step, started_at: datetime) -> datetime:
        return started_at + self.durations[step]

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.subject_zone)

    def subject_due_at(self, step: Step, started_at: datetime) -> datetime:
        """A person's window (identity proof, payment) runs to the END of the local day the
        notice names ("by 11 December"), not to the minute it opened on that day (N7)."""
        return end_of_local_day(self.due_at(step, started_at), self.zone())

    def last_day(self, due_at: datetime) -> date:
        """The day a person's window closes on, as the notice names it."""
        return due_at.astimezone(self.zone()).date()

    def lapse_at(self, step: Step, due_at: datetime) -> datetime:
        """When a person's window is closed for good: for the fee, the grace after the day
        in which a payment made on time may still be recorded (a bank transfer reconciled
        after a holiday); for proof of identity, the due time itself."""
        return due_at + self.payment_grace if step is Step.PAYMENT else due_at

    def reminder_before(self, step: Step, due_at: datetime) -> datetime:
        """When the reminder for a step due at `due_at` (extended or not) goes out."""
        return due_at - self.durations[step] * self.reminder_fraction

    def extension_problem(
        self,
        step: Step,
        *,
        started_at: datetime,
        until: datetime,
        current_due: datetime,
        now: datetime,
        extensions: int,
        to_end_of_day: bool = False,
    ) -> str | None:
        """Why an extension of `step` to `until` is not allowed, or None. "Without delay"
        cannot be extended for ever: a step may be extended `max_extensions` times, by at
        most `max_extension_share` of its window in all."""
        if until <= current_due or until <= now:
            return (
                f"the new due time must be later than the current one, "
                f"{current_due.isoformat(timespec='minutes')}"
            )
        if extensions >= self.max_extensions:
            return (
                f"{step.value} has been extended {extensions} times already; the deadline "
                f"policy {self.version} allows {self.max_extensions}"
            )
        latest = self.due_at(step, started_at) + self.durations[step] * self.max_extension_share
        if to_end_of_day:  # a person's window, extended to a day, runs to that day's end
            latest = end_of_local_day(latest, self.zone())
        if until > latest:
            return (
                f"{step.value} can be extended to {latest.isoformat(timespec='minutes')} "
                f"at the latest under deadline policy {self.version}"
            )
        return None

    def commitment(
        self, kind_is_inquiry: bool, is_disclosure: bool, received_at: datetime
    ) -> Commitment:
        """What the receipt notice promises: the answer's date for an inquiry; otherwise
        days from the person's part, since their time is not ours to count."""
        if kind_is_inquiry:
            return Commitment(
                answer_by=received_at + self.durations[Step.ANSWER] + self.durations[Step.NOTIFY]
            )
        decide = sum((self.durations[s] for s in DECISION_STEPS), timedelta())
        deliver = sum((self.durations[s] for s in DELIVERY_STEPS), timedelta())
        return Commitment(
            decide_within_days=_days(decide),
            disclose_within_days_of_payment=_days(deliver) if is_disclosure else None,
        )


def end_of_local_day(moment: datetime, zone: ZoneInfo) -> datetime:
    """The last instant of `moment`'s day in `zone` (the microsecond before local midnight)."""
    day = moment.astimezone(zone).date()
    midnight = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
    return midnight - timedelta(microseconds=1)


def _days(span: timedelta) -> int:
    return -(-span // timedelta(days=1))  # whole days, rounded up


class Commitment(BaseModel):
    """When the receipt notice says we will respond: a date for an inquiry; for the other
    kinds, days counted from the person's part (identity, and the fee for a disclosure),
    because the organisation's clock does not run while the person holds it."""

    model_config = ConfigDict(frozen=True)

    answer_by: datetime | None = None
    decide_within_days: int | None = None
    disclose_within_days_of_payment: int | None = None


_UNITS = {"d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
MAX_DURATION = timedelta(days=366)


def parse_overrides(text: str) -> dict[Step, timedelta]:
    """`answer=7d,decide=36h` → durations per step. Raises ValueError saying what is wrong."""
    overrides: dict[Step, timedelta] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        step_name, _, amount = part.partition("=")
        try:
            step = Step(step_name.strip())
        except ValueError:
            names = ", ".join(s.value for s in Step)
            raise ValueError(f"unknown step {step_name.strip()!r}; steps are {names}") from None
        amount = amount.strip()
        unit = _UNITS.get(amount[-1:])
        if unit is None or not amount[:-1].isdigit() or int(amount[:-1]) == 0:
            raise ValueError(
                f"{step.value}: duration must be a positive whole number of "
                f"d, h or m, like 7d or 36h (got {amount!r})"
            )
        if int(amount[:-1]) * unit.total_seconds() > MAX_DURATION.total_seconds():
            raise ValueError(
                f"{step.value}: at most {MAX_DURATION.days} days "
                f"(got {amount!r}); without delay means within the year"
            )
        overrides[step] = unit * int(amount[:-1])
    return overrides


def policy_with(overrides: dict[Step, timedelta]) -> DeadlinePolicy:
    """The default policy with overrides; the version label names them, so two services
    with the same overrides agree on the version and a report can tell them apart."""
    base = DeadlinePolicy()
    if not overrides:
        return base
    label = ",".join(
        f"{step.value}={int(overrides[step].total_seconds() // 60)}m"
        for step in sorted(overrides, key=lambda s: s.value)
    )
    return base.with_overrides(overrides, version=f"{base.version}+{label}")
