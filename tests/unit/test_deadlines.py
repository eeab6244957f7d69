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
    answer_due = policy.due_at(Step.ANSWER, START)
    assert policy.reminder_before(Step.ANSWER, answer_due) == datetime(
        2026, 11, 13, 14, 18, tzinfo=UTC
    )
    # Acknowledge: 1 day, reminder 4h48m before due.
    acknowledge_due = policy.due_at(Step.ACKNOWLEDGE, START)
    assert policy.reminder_before(Step.ACKNOWLEDGE, acknowledge_due) == datetime(
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
    reminder = policy.reminder_before(step, policy.due_at(step, start))
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
        DeadlinePolicy(
            durations={
                **{s.value: d for s, d in DEFAULT_DURATIONS.items()},
                "celebrate": timedelta(days=1),
            }
        )


def test_override_makes_a_new_version_and_leaves_the_original() -> None:
    base = DeadlinePolicy()
    tighter = base.with_overrides({Step.ANSWER: timedelta(days=3)}, version="2026-11.9-test")
    assert tighter.version == "2026-11.9-test"
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
        DeadlinePolicy().with_overrides({Step.VERIFY_IDENTITY: duration}, "2026-11.9-test")


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
        due = policy.due_at(step, START)
        assert restored.reminder_before(step, due) == policy.reminder_before(step, due)


@pytest.mark.parametrize("amount", ["367d", "9999999999d", "3000000h"])
def test_overrides_beyond_a_year_are_refused_without_overflowing(amount: str) -> None:
    from domain.deadlines import parse_overrides

    with pytest.raises(ValueError, match="at most 366 days"):
        parse_overrides(f"answer={amount}")


# Commitments and extensions: "without delay" (Articles 6-8) as dates a person is promised.


def _days_up(span: timedelta) -> int:
    return -(-span // timedelta(days=1))


def test_art10_inquiry_commitment_is_the_answer_date() -> None:
    """Art 10: "For inquiries regarding this Policy, please contact us" - the receipt
    promises the day of the answer: the answer and notify windows from receipt."""
    policy = DeadlinePolicy()
    commitment = policy.commitment(True, False, START)
    assert (
        commitment.answer_by
        == START + DEFAULT_DURATIONS[Step.ANSWER] + DEFAULT_DURATIONS[Step.NOTIFY]
    )
    assert commitment.decide_within_days is None
    assert commitment.disclose_within_days_of_payment is None


def test_art6_to_8_commitment_counts_our_steps_from_the_persons_part() -> None:
    """Art 7 ¶2, Art 8 ¶2: "without delay" - counted in days from identity verification
    (and, for a disclosure, Art 6 ¶1's fee), since the person's time is not ours."""
    from domain.deadlines import DECISION_STEPS, DELIVERY_STEPS

    policy = DeadlinePolicy()
    other = policy.commitment(False, False, START)
    disclosure = policy.commitment(False, True, START)
    decide = _days_up(sum((DEFAULT_DURATIONS[s] for s in DECISION_STEPS), timedelta()))
    deliver = _days_up(sum((DEFAULT_DURATIONS[s] for s in DELIVERY_STEPS), timedelta()))
    assert other.answer_by is None and other.decide_within_days == decide
    assert other.disclose_within_days_of_payment is None
    assert disclosure.decide_within_days == decide
    assert disclosure.disclose_within_days_of_payment == deliver
    # At least investigation, decision and notice: never a promise shorter than our steps.
    assert {Step.INVESTIGATE, Step.DECIDE, Step.NOTIFY} <= set(DECISION_STEPS)
    assert decide >= 14 + 7 + 1
    assert {Step.ACT, Step.NOTIFY} <= set(DELIVERY_STEPS) and deliver >= 8
    assert Step.VERIFY_IDENTITY not in DECISION_STEPS and Step.PAYMENT not in DECISION_STEPS


def test_art6_to_8_commitment_rounds_days_up() -> None:
    """Art 8 ¶1: "without delay" - a promise in whole days never falls short of the policy."""
    policy = DeadlinePolicy().with_overrides({s: timedelta(hours=10) for s in Step}, "10h")
    commitment = policy.commitment(False, True, START)
    assert commitment.decide_within_days == 2  # 30 or 40 hours
    assert commitment.disclose_within_days_of_payment == 1  # 20 hours
    assert policy.commitment(True, False, START).answer_by == START + timedelta(hours=20)


def _extend(
    policy: DeadlinePolicy, until: datetime, *, extensions: int = 0, now: datetime | None = None
) -> str | None:
    due = policy.due_at(Step.INVESTIGATE, START)
    return policy.extension_problem(
        Step.INVESTIGATE,
        started_at=START,
        until=until,
        current_due=due,
        now=now or START + timedelta(days=1),
        extensions=extensions,
    )


def test_art8_p1_extension_must_be_later_than_now_and_the_current_due() -> None:
    """Art 8 ¶1: "conduct necessary investigation without delay" - an extension moves the
    due time forward, never back nor into the past."""
    policy = DeadlinePolicy()
    due = policy.due_at(Step.INVESTIGATE, START)
    assert "must be later than the current one" in (_extend(policy, due) or "")
    assert "must be later" in (_extend(policy, due - timedelta(hours=1)) or "")
    overdue_now = due + timedelta(days=2)
    assert "must be later" in (_extend(policy, due + timedelta(days=1), now=overdue_now) or "")
    assert _extend(policy, due + timedelta(days=3), now=overdue_now) is None


def test_art8_p1_extensions_are_capped_in_number() -> None:
    """Art 8 ¶1: "without delay" cannot be extended for ever: `max_extensions` per step."""
    policy = DeadlinePolicy()
    later = policy.due_at(Step.INVESTIGATE, START) + timedelta(days=1)
    assert _extend(policy, later, extensions=policy.max_extensions - 1) is None
    problem = _extend(policy, later, extensions=policy.max_extensions)
    assert problem == (
        f"investigate has been extended 2 times already; the deadline policy "
        f"{policy.version} allows 2"
    )
    assert _extend(DeadlinePolicy(max_extensions=0), later) is not None


def test_art8_p1_extensions_are_capped_in_length() -> None:
    """Art 8 ¶1: "without delay" - all extensions of a step add at most
    `max_extension_share` of its window."""
    policy = DeadlinePolicy(max_extension_share=0.5)
    due = policy.due_at(Step.INVESTIGATE, START)
    latest = due + DEFAULT_DURATIONS[Step.INVESTIGATE] / 2
    assert _extend(policy, latest) is None
    problem = _extend(policy, latest + timedelta(minutes=1))
    assert problem is not None and latest.isoformat(timespec="minutes") in problem
    assert _extend(DeadlinePolicy(), due + DEFAULT_DURATIONS[Step.INVESTIGATE]) is None
    assert (
        _extend(DeadlinePolicy(), due + DEFAULT_DURATIONS[Step.INVESTIGATE] + timedelta(seconds=1))
        is not None
    )
