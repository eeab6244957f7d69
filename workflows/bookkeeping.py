"""Bookkeeping a request's workflow has recorded but not yet stored.

Deadline starts and meetings, clock pauses, the receipt and the close are facts the
workflow knows the moment they happen; giving each its own activity cost a round trip to
the store apiece (19 of a disclosure's 32 activities). Instead they wait here, in the
workflow's state (which is its history, so a crash loses none), and ride with the next
effect: that activity appends them, in order, in the transaction of its own event. When
no effect is due (the workflow is about to wait for a person, or closes), they are stored
on their own, in one activity.

Every carry takes *all* the events not yet known to be stored, including those another
activity still in flight carries: appends are idempotent by key and serialised per
request by the store, so whichever commits first stores them and the other skips them,
and the store never holds an event before one recorded earlier (a breach recorded while
the step's own activity retries through an outage is stored with the step's start).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.events import NewEvent

BOOKKEEPING_WITH_EFFECTS = "bookkeeping-rides-with-effects"
"""The patch that introduced this: requests started before it append each bookkeeping
event in an activity of its own, and keep doing so when replayed."""


class UnstoredBookkeeping:
    def __init__(self) -> None:
        self._events: list[NewEvent] = []
        self._carried: Counter[str] = Counter()  # keys carried by activities in flight

    def add(self, event: NewEvent) -> None:
        self._events.append(event)

    @property
    def uncarried(self) -> bool:
        """Some event waits for a carrier: no activity in flight will store it."""
        return any(self._carried[e.idempotency_key] == 0 for e in self._events)

    def describe(self) -> str:
        """What a carry holds, for the Web UI's timeline: `deadline.met (notify), ...`."""
        return ", ".join(
            e.type.value + (f" ({e.payload['step']})" if "step" in e.payload else "")
            for e in self._events
        )

    @contextmanager
    def carried(self) -> Iterator[tuple[NewEvent, ...]]:
        """The events for one activity to carry; once it completes they are stored, and
        if it fails they wait for the next carrier."""
        events = tuple(self._events)
        self._carried.update(e.idempotency_key for e in events)
        try:
            yield events
        finally:
            self._carried.subtract(e.idempotency_key for e in events)
        stored = {e.idempotency_key for e in events}
        self._events = [e for e in self._events if e.idempotency_key not in stored]
