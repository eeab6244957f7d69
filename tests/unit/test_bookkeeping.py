"""Bookkeeping held in the workflow until an effect carries it: nothing is dropped when a
carrier fails, nothing is carried out of order, and a carry in flight is not mistaken for
storage."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.events import EventType, NewEvent
from workflows.bookkeeping import UnstoredBookkeeping

AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def _event(
    key: str, kind: EventType = EventType.DEADLINE_STARTED, step: str = "decide"
) -> NewEvent:
    return NewEvent(
        request_id="r-1",
        type=kind,
        payload={"step": step},
        occurred_at=AT,
        actor="system",
        idempotency_key=key,
    )


def test_a_completed_carry_stores_what_it_took_and_nothing_recorded_after() -> None:
    book = UnstoredBookkeeping()
    book.add(_event("a"))
    with book.carried() as events:
        assert [e.idempotency_key for e in events] == ["a"]
        book.add(_event("b"))  # recorded while the carrier was in flight
    assert book.uncarried
    with book.carried() as events:
        assert [e.idempotency_key for e in events] == ["b"]
    assert not book.uncarried


def test_a_failed_carry_leaves_its_events_for_the_next_carrier_in_order() -> None:
    book = UnstoredBookkeeping()
    book.add(_event("a"))
    book.add(_event("b"))
    with pytest.raises(RuntimeError), book.carried():
        raise RuntimeError("activity failed for good")
    book.add(_event("c"))
    with book.carried() as events:
        assert [e.idempotency_key for e in events] == ["a", "b", "c"]


def test_events_in_flight_are_carried_again_by_a_later_carrier_before_newer_ones() -> None:
    """A breach recorded while the step's own activity retries is stored with the step's
    start ahead of it, not alone (the store would hold a breach of a step never started)."""
    book = UnstoredBookkeeping()
    book.add(_event("started"))
    with book.carried() as slow:  # the step's activity, retrying through an outage
        assert not book.uncarried  # nothing waits for a carrier: no flush is needed
        book.add(_event("breached", EventType.DEADLINE_BREACHED))
        assert book.uncarried
        with book.carried() as flush:
            assert [e.idempotency_key for e in flush] == ["started", "breached"]
        assert not book.uncarried
    assert [e.idempotency_key for e in slow] == ["started"]
    assert not book.uncarried


def test_describe_names_each_event_and_its_step_for_the_timeline() -> None:
    book = UnstoredBookkeeping()
    book.add(_event("a", EventType.DEADLINE_MET, "notify"))
    book.add(
        NewEvent(
            request_id="r-1",
            type=EventType.CLOSED,
            payload={"outcome": "answered"},
            occurred_at=AT,
            actor="system",
            idempotency_key="b",
        )
    )
    assert book.describe() == "deadline.met (notify), request.closed"
