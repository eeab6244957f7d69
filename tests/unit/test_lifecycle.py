"""The fold from events to a request's state: status, step, overdue and outcome."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.deadlines import DEFAULT_DURATIONS, Step
from domain.decisions import Outcome
from domain.events import EventType, NewEvent, RecordedEvent
from domain.lifecycle import (
    STEPS_BY_KIND,
    RequestState,
    RequestStatus,
    fold,
    next_step,
)
from domain.requests import RequestKind, workflow_id_for

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
REQUEST = "req-1"


def event(seq: int, type: EventType, **payload: Any) -> RecordedEvent:
    return RecordedEvent(
        request_id=REQUEST,
        seq=seq,
        type=type,
        payload=payload,
        occurred_at=T0 + timedelta(hours=seq),
        actor="workflow",
        idempotency_key=f"{workflow_id_for(REQUEST)}:{seq}",
        prev_hash="0" * 64,
        hash=f"{seq:064x}",
    )


def history(*items: tuple[EventType, dict[str, Any]]) -> list[RecordedEvent]:
    return [event(seq, type, **payload) for seq, (type, payload) in enumerate(items, start=1)]


def state() -> RequestState:
    return RequestState(request_id=REQUEST, kind=RequestKind.INQUIRY)


def test_new_state_is_submitted_and_empty() -> None:
    initial = state()
    assert initial.status is RequestStatus.SUBMITTED
    assert initial.step is None
    assert initial.outcome is None
    assert not initial.overdue
    assert initial.last_seq == 0
    assert initial.closed_at is None
    assert fold(REQUEST, RequestKind.INQUIRY, []) == initial


def test_full_inquiry_lifecycle_with_a_late_answer() -> None:
    events = history(
        (EventType.RECEIVED, {}),
        (EventType.DEADLINE_STARTED, {"step": "answer", "due_at": "2026-11-16T09:00:00Z"}),
        (EventType.DEADLINE_BREACHED, {"step": "answer"}),
        (EventType.ANSWER_RECORDED, {}),
        (EventType.DEADLINE_COMPLETED_LATE, {"step": "answer"}),
        (EventType.CLOSED, {"outcome": "answered"}),
    )
    states = [state()]
    for item in events:
        states.append(states[-1].apply(item))
    received, started, breached, answered, late, closed = states[1:]

    assert received.status is RequestStatus.RECEIVED
    assert received.step is Step.ACKNOWLEDGE
    assert not received.overdue

    assert started.status is RequestStatus.IN_PROGRESS
    assert started.step is Step.ANSWER
    assert not started.overdue

    assert breached.overdue is True
    assert breached.overdue_steps == frozenset({Step.ANSWER})
    assert breached.status is RequestStatus.IN_PROGRESS

    assert answered.overdue is True  # recording the answer does not cure the breach
    assert late.overdue is False
    assert late.step is Step.ANSWER

    assert closed.status is RequestStatus.CLOSED
    assert closed.outcome == Outcome.ANSWERED
    assert closed.step is None
    assert closed.closed_at == events[-1].occurred_at
    assert closed.last_seq == 6
    assert fold(REQUEST, RequestKind.INQUIRY, events) == closed


def test_apply_returns_a_new_state_and_leaves_the_old_one() -> None:
    initial = state()
    after = initial.apply(event(1, EventType.RECEIVED))
    assert initial.status is RequestStatus.SUBMITTED
    assert initial.last_seq == 0
    assert after.last_seq == 1
    with pytest.raises(ValueError, match="frozen"):
        after.status = RequestStatus.CLOSED  # type: ignore[misc]


@pytest.mark.parametrize("seq", [0, 2, 3, -1])
def test_apply_out_of_order_raises(seq: int) -> None:
    with pytest.raises(ValueError, match=f"event {seq} does not follow 0"):
        state().apply(event(seq, EventType.RECEIVED))


def test_apply_of_the_same_event_twice_raises() -> None:
    first = event(1, EventType.RECEIVED)
    after = state().apply(first)
    with pytest.raises(ValueError, match="event 1 does not follow 1"):
        after.apply(first)


def test_fold_refuses_a_gap() -> None:
    events = history((EventType.RECEIVED, {}), (EventType.NOTICE_QUEUED, {}))
    with pytest.raises(ValueError, match="event 3 does not follow 1"):
        fold(REQUEST, RequestKind.INQUIRY, [events[0], event(3, EventType.NOTICE_DELIVERED)])


def test_met_deadline_never_marks_overdue() -> None:
    final = fold(
        REQUEST,
        RequestKind.INQUIRY,
        history(
            (EventType.RECEIVED, {}),
            (EventType.DEADLINE_STARTED, {"step": "acknowledge"}),
            (EventType.DEADLINE_REMINDED, {"step": "acknowledge"}),
            (EventType.DEADLINE_MET, {"step": "acknowledge"}),
        ),
    )
    assert not final.overdue
    assert final.step is Step.ACKNOWLEDGE
    assert final.status is RequestStatus.IN_PROGRESS


def test_extension_clears_the_breach_of_that_step_only() -> None:
    final = fold(
        REQUEST,
        RequestKind.INQUIRY,
        history(
            (EventType.DEADLINE_BREACHED, {"step": "acknowledge"}),
            (EventType.DEADLINE_BREACHED, {"step": "answer"}),
            (EventType.DEADLINE_EXTENDED, {"step": "answer"}),
        ),
    )
    assert final.overdue_steps == frozenset({Step.ACKNOWLEDGE})


def test_closing_clears_overdue_and_records_the_outcome() -> None:
    final = fold(
        REQUEST,
        RequestKind.INQUIRY,
        history(
            (EventType.RECEIVED, {}),
            (EventType.DEADLINE_BREACHED, {"step": "answer"}),
            (EventType.CLOSED, {"outcome": "answered"}),
        ),
    )
    assert final.status is RequestStatus.CLOSED
    assert final.outcome == "answered"
    assert not final.overdue


@pytest.mark.parametrize(
    "type",
    [
        EventType.NOTICE_QUEUED,
        EventType.NOTICE_DELIVERED,
        EventType.ANSWER_RECORDED,
        EventType.DEADLINE_REMINDED,
    ],
)
def test_events_that_change_nothing_but_the_seq(type: EventType) -> None:
    before = state().apply(event(1, EventType.RECEIVED))
    after = before.apply(event(2, type, step="answer"))
    assert after == before.model_copy(update={"last_seq": 2})


@pytest.mark.parametrize(
    "type",
    [EventType.DEADLINE_STARTED, EventType.DEADLINE_BREACHED, EventType.DEADLINE_MET],
)
def test_deadline_event_with_unknown_step_is_refused(type: EventType) -> None:
    with pytest.raises(ValueError):
        state().apply(event(1, type, step="celebrate"))


_deadline_events = st.lists(
    st.tuples(
        st.sampled_from(
            [
                EventType.DEADLINE_BREACHED,
                EventType.DEADLINE_MET,
                EventType.DEADLINE_COMPLETED_LATE,
                EventType.DEADLINE_EXTENDED,
                EventType.DEADLINE_STARTED,
                EventType.DEADLINE_REMINDED,
            ]
        ),
        st.sampled_from(list(Step)),
    ),
    max_size=30,
)


@given(_deadline_events)
def test_overdue_steps_are_those_breached_and_not_since_resolved(
    items: list[tuple[EventType, Step]],
) -> None:
    expected: set[Step] = set()
    for type, step in items:
        if type is EventType.DEADLINE_BREACHED:
            expected.add(step)
        elif type in (
            EventType.DEADLINE_MET,
            EventType.DEADLINE_COMPLETED_LATE,
            EventType.DEADLINE_EXTENDED,
        ):
            expected.discard(step)
    events = history(*[(type, {"step": step.value}) for type, step in items])
    final = fold(REQUEST, RequestKind.DISCLOSURE, events)
    assert final.overdue_steps == expected
    assert final.overdue == bool(expected)
    assert final.last_seq == len(items)


@given(_deadline_events)
def test_closing_after_any_history_is_final_shape(items: list[tuple[EventType, Step]]) -> None:
    events = history(
        (EventType.RECEIVED, {}),
        *[(type, {"step": step.value}) for type, step in items],
        (EventType.CLOSED, {"outcome": "answered"}),
    )
    final = fold(REQUEST, RequestKind.INQUIRY, events)
    assert final.status is RequestStatus.CLOSED
    assert final.step is None
    assert not final.overdue
    assert final.closed_at == events[-1].occurred_at


def test_every_kind_has_steps_from_acknowledge_to_notify() -> None:
    assert set(STEPS_BY_KIND) == set(RequestKind)
    for kind, steps in STEPS_BY_KIND.items():
        assert steps[0] is Step.ACKNOWLEDGE, kind
        assert steps[-1] is Step.NOTIFY, kind
        assert len(set(steps)) == len(steps), kind
        assert all(step in DEFAULT_DURATIONS for step in steps), kind


def test_only_disclosure_charges_a_fee_and_only_inquiry_is_answered() -> None:
    # Article 6: 1,000 yen per case for disclosure; Article 10: an inquiry gets an answer.
    assert [k for k, steps in STEPS_BY_KIND.items() if Step.PAYMENT in steps] == [
        RequestKind.DISCLOSURE
    ]
    assert [k for k, steps in STEPS_BY_KIND.items() if Step.ANSWER in steps] == [
        RequestKind.INQUIRY
    ]
    assert STEPS_BY_KIND[RequestKind.INQUIRY] == (Step.ACKNOWLEDGE, Step.ANSWER, Step.NOTIFY)


def test_verified_kinds_verify_identity_before_investigating() -> None:
    for kind, steps in STEPS_BY_KIND.items():
        if kind is RequestKind.INQUIRY:
            continue
        assert steps.index(Step.VERIFY_IDENTITY) < steps.index(Step.INVESTIGATE)
        assert steps.index(Step.INVESTIGATE) < steps.index(Step.DECIDE) < steps.index(Step.ACT)


def test_a_disclosure_asks_for_its_fee_after_the_decision_and_before_the_act() -> None:
    # Article 6: the fee is "charged for the disclosure"; a refusal is notified "without
    # delay", so the fee cannot stand between the person and the decision.
    steps = STEPS_BY_KIND[RequestKind.DISCLOSURE]
    assert steps.index(Step.DECIDE) < steps.index(Step.PAYMENT) < steps.index(Step.ACT)
    assert next_step(RequestKind.DISCLOSURE, Step.DECIDE) is Step.PAYMENT
    assert next_step(RequestKind.DISCLOSURE, Step.DECIDE, fee_due=False) is Step.ACT
    assert next_step(RequestKind.CORRECTION, Step.VERIFY_IDENTITY) is Step.INVESTIGATE
    assert next_step(RequestKind.INQUIRY, Step.NOTIFY) is None


def test_new_event_needs_an_aware_time_and_a_flat_payload() -> None:
    fields = {
        "request_id": REQUEST,
        "type": EventType.RECEIVED,
        "actor": "workflow",
        "idempotency_key": "dsr-req-1:received",
    }
    assert NewEvent(occurred_at=T0, **fields).payload == {}
    with pytest.raises(ValueError):
        NewEvent(occurred_at=datetime(2026, 11, 2, 9, 0), **fields)
    with pytest.raises(ValueError):
        NewEvent(occurred_at=T0, payload={"nested": {"a": 1}}, **fields)
    with pytest.raises(ValueError):
        NewEvent(
            occurred_at=T0,
            type="request.exploded",
            **{k: v for k, v in fields.items() if k != "type"},
        )


# What the operator view says a request waits for (domain.lifecycle.awaiting and friends).


def test_art7_p2_after_identity_verification_the_request_moves_on_to_investigate() -> None:
    """Art 7 ¶2: "If the Organization receives a request ... it shall make the correction,
    etc. ... without delay" - once identity is on record nothing waits on people."""
    from domain.lifecycle import Progress, awaiting, step_done

    verified = Progress(identity_verified=True)
    assert awaiting(Step.VERIFY_IDENTITY, verified) is None
    assert step_done(Step.VERIFY_IDENTITY, verified) is True
    for kind in (
        RequestKind.DISCLOSURE,
        RequestKind.CORRECTION,
        RequestKind.SUSPENSION,
        RequestKind.THIRD_PARTY_STOP,
    ):
        assert next_step(kind, Step.VERIFY_IDENTITY) is Step.INVESTIGATE
    waiting = awaiting(Step.VERIFY_IDENTITY, Progress())
    assert waiting is not None and "identity verification" in waiting
    assert step_done(Step.VERIFY_IDENTITY, Progress()) is False


def test_art8_p3_a_refusal_waits_for_no_approval() -> None:
    """Art 8 ¶3: "notify the user without delay ... when it has decided not to suspend use,
    etc." - a refusal, once decided, waits for nobody's approval."""
    from domain.lifecycle import Progress, awaiting, step_done

    refused = Progress(identity_verified=True, decided=True)
    assert awaiting(Step.DECIDE, refused) is None
    assert step_done(Step.DECIDE, refused) is True
    undecided = awaiting(Step.DECIDE, Progress(identity_verified=True))
    assert undecided is not None and "decision" in undecided and "approval" not in undecided


def test_art8_p4_an_alternative_measure_waits_for_a_second_operator() -> None:
    """Art 8 ¶4: "this alternative measure shall be taken" - once a second operator has
    approved it."""
    from domain.lifecycle import Progress, awaiting, step_done

    pending = Progress(identity_verified=True, decided=True, measure_pending=True)
    waiting = awaiting(Step.DECIDE, pending)
    assert waiting is not None and "second operator's approval" in waiting
    assert step_done(Step.DECIDE, pending) is False
    approved = Progress(identity_verified=True, decided=True)
    assert awaiting(Step.DECIDE, approved) is None


def test_art6_p1_payment_waits_for_the_fee_and_our_steps_wait_for_nobody() -> None:
    """Art 6 ¶1: "a fee of 1,000 yen per case will be charged for the disclosure" - the
    payment step waits on the person; the organisation's own steps wait on nobody."""
    from domain.lifecycle import Progress, awaiting, step_done

    unpaid = awaiting(Step.PAYMENT, Progress(identity_verified=True, decided=True))
    assert unpaid is not None and "payment of the fee" in unpaid
    assert awaiting(Step.PAYMENT, Progress(paid=True)) is None
    assert step_done(Step.PAYMENT, Progress(paid=True)) is True
    assert "answer" in (awaiting(Step.ANSWER, Progress()) or "")
    assert awaiting(Step.ANSWER, Progress(answered=True)) is None
    for step in (Step.ACKNOWLEDGE, Step.INVESTIGATE, Step.ACT, Step.NOTIFY, None):
        assert awaiting(step, Progress()) is None
        assert step_done(step, Progress(identity_verified=True, decided=True)) is False


def test_art6_p1_next_step_follows_each_kinds_lifecycle() -> None:
    """Art 6 ¶1: "it will disclose it to the person without delay" - each step leads to
    the next of its kind, and a step a kind does not have leads nowhere."""
    for kind, steps in STEPS_BY_KIND.items():
        assert [next_step(kind, s) for s in steps] == [*steps[1:], None]
    assert next_step(RequestKind.INQUIRY, Step.ACKNOWLEDGE) is Step.ANSWER
    assert next_step(RequestKind.CORRECTION, Step.PAYMENT) is None
    assert next_step(RequestKind.DISCLOSURE, None) is None
