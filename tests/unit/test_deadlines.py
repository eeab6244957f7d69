"""The deadline policy: every step has a positive due duration, due and reminder times are
simple arithmetic on the start, and an override is a new, separately labelled version."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from domain.deadlines import (
    DEFAULT_DURATIONS,
    DEFAULT_POLICY_VERSION,
    DeadlinePolicy,
    Step,
)

START = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)


def test_every_step_has_a_positive_default() -> None:
    assert set(DEFAULT_DURATIONS) == set(Step)
    assert all(duration > timedelta(0) for duration in DEFAULT_DURATIONS.values())
    policy = DeadlinePolicy()
    assert policy.version == DEFAULT_POLICY_VERSION
    assert policy.durations == DEFAULT_DURATIONS
    assert policy.reminder_fraction == pytest.approx(0.2)


def test_default_policy_has_its_own_copy_of_the_defaults() -> None:
    policy = DeadlinePolicy()
    assert policy.durations is not DEFAULT_DURATIONS
    assert DeadlinePolicy().durations is not policy.durations


@pytest.mark.parametrize("step", list(Step))
def test_due_at_adds_the_step_duration(step: Step) -> None:
    policy = DeadlinePolicy()
    assert policy.due_at(step, START) == START + DEFAULT_DURATIONS[step]


def test_known_defaults() -> None:
    policy = DeadlinePolicy()
    assert policy.due_at(Step.ACKNOWLEDGE, START) == datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    assert policy.due_at(Step.ANSWER, START) == datetime(2026, 11, 16, 9, 30, tzinfo=UTC)
    assert policy.due_at(Step.PAYMENT, START) == datetime(2026, 12, 2, 9, 30, tzinfo=UTC)


def test_reminder_goes_out_the_fraction_of_the_window_before_due() -> None:
    policy = DeadlinePolicy()
    # Answer: 14 days, reminder 20% of it (2 days 19h 12m) before due.
    assert policy.reminder_at(Step.ANSWER, START) == datetime(2026, 11, 13, 14, 18, tzinfo=UTC)
    # Acknowledge: 1 day, reminder 4h48m before due.
    assert policy.reminder_at(Step.ACKNOWLEDGE, START) == datetime(
        2026, 11, 3, 4, 42, tzinfo=UTC
    )


def test_times_keep_the_start_time_zone() -> None:
    tokyo = timezone(timedelta(hours=9))
    start = START.astimezone(tokyo)
    policy = DeadlinePolicy()
    assert policy.due_at(Step.ANSWER, start).utcoffset() == timedelta(hours=9)
    assert policy.due_at(Step.ANSWER, start) == policy.due_at(Step.ANSWER, START)


@given(
    step=st.sampled_from(list(Step)),
    start=st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    fraction=st.floats(min_value=0.01, max_value=0.99),
    minutes=st.integers(min_value=1, max_value=60 * 24 * 365),
)
def test_reminder_is_after_start_and_before_due(
    step: Step, start: datetime, fraction: float, minutes: int
) -> None:
    policy = DeadlinePolicy(
        durations={**DEFAULT_DURATIONS, step: timedelta(minutes=minutes)},
        reminder_fraction=fraction,
    )
    due = policy.due_at(step, start)
    reminder = policy.reminder_at(step, start)
    assert due - start == timedelta(minutes=minutes)
    assert start < reminder < due
    expected_lead = timedelta(minutes=minutes) * fraction
    assert abs((due - reminder) - expected_lead) <= timedelta(microseconds=1)


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_reminder_fraction_must_be_strictly_between_zero_and_one(fraction: float) -> None:
    with pytest.raises(ValidationError):
        DeadlinePolicy(reminder_fraction=fraction)


def test_every_step_needs_a_duration() -> None:
    durations = dict(DEFAULT_DURATIONS)
    del durations[Step.PAYMENT]
    del durations[Step.NOTIFY]
    with pytest.raises(ValidationError, match="no duration for steps: payment, notify"):
        DeadlinePolicy(durations=durations)


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(seconds=-1), timedelta(days=-3)])
def test_durations_must_be_positive(duration: timedelta) -> None:
    with pytest.raises(ValidationError, match="duration for decide must be positive"):
        DeadlinePolicy(durations={**DEFAULT_DURATIONS, Step.DECIDE: duration})


def test_unknown_step_is_refused() -> None:
    with pytest.raises(ValidationError):
        DeadlinePolicy(durations={**{s.value: d for s, d in DEFAULT_DURATIONS.items()},
                                  "celebrate": timedelta(days=1)})


def test_override_makes_a_new_version_and_leaves_the_original() -> None:
    base = DeadlinePolicy()
    tighter = base.with_overrides({Step.ANSWER: timedelta(days=3)}, version="2026-11.2")
    assert tighter.version == "2026-11.2"
    assert tighter.durations[Step.ANSWER] == timedelta(days=3)
    assert tighter.due_at(Step.ANSWER, START) == START + timedelta(days=3)
    assert tighter.reminder_fraction == base.reminder_fraction
    for step in Step:
        if step is not Step.ANSWER:
            assert tighter.durations[step] == base.durations[step]
    assert base.version == DEFAULT_POLICY_VERSION
    assert base.durations[Step.ANSWER] == timedelta(days=14)
    assert DEFAULT_DURATIONS[Step.ANSWER] == timedelta(days=14)


def test_override_keeps_a_custom_reminder_fraction() -> None:
    base = DeadlinePolicy(version="v1", reminder_fraction=0.5)
    assert base.with_overrides({Step.ACT: timedelta(hours=1)}, "v2").reminder_fraction == 0.5


def test_override_needs_its_own_version_label() -> None:
    base = DeadlinePolicy()
    with pytest.raises(ValueError, match="own version label"):
        base.with_overrides({Step.ANSWER: timedelta(days=3)}, version=base.version)


@pytest.mark.parametrize("duration", [timedelta(0), timedelta(hours=-1)])
def test_override_durations_must_be_positive(duration: timedelta) -> None:
    with pytest.raises(ValidationError, match="must be positive"):
        DeadlinePolicy().with_overrides({Step.VERIFY_IDENTITY: duration}, "2026-11.2")


def test_no_overrides_is_the_same_policy() -> None:
    base = DeadlinePolicy()
    assert base.with_overrides({}, base.version) is base


def test_policy_is_frozen() -> None:
    with pytest.raises(ValidationError):
        DeadlinePolicy().version = "changed"  # type: ignore[misc]


@given(
    overrides=st.dictionaries(
        st.sampled_from(list(Step)),
        st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=400)),
        min_size=1,
    ),
)
def test_policy_survives_a_json_round_trip(overrides: dict[Step, timedelta]) -> None:
    # The policy travels in the workflow input as JSON; replay must see the same one.
    policy = DeadlinePolicy().with_overrides(overrides, "custom")
    restored = DeadlinePolicy.model_validate_json(policy.model_dump_json())
    assert restored == policy
    for step in Step:
        assert restored.due_at(step, START) == policy.due_at(step, START)
        assert restored.reminder_at(step, START) == policy.reminder_at(step, START)


@pytest.mark.parametrize("amount", ["367d", "9999999999d", "3000000h"])
def test_overrides_beyond_a_year_are_refused_without_overflowing(amount: str) -> None:
    from domain.deadlines import parse_overrides

    with pytest.raises(ValueError, match="at most 366 days"):
        parse_overrides(f"answer={amount}")
