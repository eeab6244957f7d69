"""Keeping a step's deadline inside the workflow: open, remind, breach, extend, close.

Deterministic workflow code: timers from `workflow.wait_condition`, times from
`workflow.now()`. Every start, reminder, breach, lapse, extension and meeting of a
deadline is recorded as an event through the `record` callback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from domain.deadlines import SUBJECT_STEPS, DeadlinePolicy, Step, end_of_local_day
    from domain.events import EventType, PayloadValue

# Requests started before a person's window ran to the end of the local day keep the
# minute-exact window they were started with (their histories replay unchanged).
SUBJECT_DAY_WINDOWS = "subject-windows-to-end-of-local-day"

Record = Callable[[EventType, str, dict[str, PayloadValue]], Awaitable[None]]


async def wait_until(
    done: Callable[[], bool], moment: datetime, summary: str | None = None
) -> bool:
    """Wait for `done` until `moment`; True if it came true, False if time ran out."""
    remaining = moment - workflow.now()
    if remaining <= timedelta(0):
        return done()
    try:
        await workflow.wait_condition(done, timeout=remaining, timeout_summary=summary)
    except TimeoutError:
        return False
    return True


class DeadlineKeeper:
    def __init__(
        self,
        policy: DeadlinePolicy,
        record: Record,
        changed: Callable[[], None],
        idle: Callable[[], bool],
        settle: Callable[[], Awaitable[None]],
        summaries: bool = False,
    ):
        self._policy = policy
        self._record = record
        self._changed = changed
        self._idle = idle  # no operator act is being recorded right now
        self._settle = settle  # stores what was recorded, before waiting for others
        self._summaries = summaries  # timers say what they are for in the Web UI
        self.step: Step | None = None
        self.started_at: datetime | None = None
        self.due_at: datetime | None = None
        self.extensions = 0
        self.overdue = False
        self.lapsed = False
        self._breached = False
        self._reminded = False
        self._revision = 0
        # A person's window runs to the end of the local day its notice names, and the fee
        # window has a grace for payments made within it (set once per request: patched).
        self.day_windows = False

    def _reminder_at(self) -> datetime:
        assert self.step is not None and self.due_at is not None
        return self._policy.reminder_before(self.step, self.due_at)

    def due_for(self, step: Step) -> datetime:
        """The due time of `step` if it opened now: a person's window to the end of the day."""
        if self.day_windows and step in SUBJECT_STEPS:
            return self._policy.subject_due_at(step, workflow.now())
        return self._policy.due_at(step, workflow.now())

    def _closes_at(self) -> datetime:
        """When the step is over for good: a person's fee window after its grace."""
        assert self.step is not None and self.due_at is not None
        if self.day_windows and self.step in SUBJECT_STEPS:
            return self._policy.lapse_at(self.step, self.due_at)
        return self.due_at

    async def open(self, step: Step, due_at: datetime | None = None) -> None:
        due_at = due_at or self.due_for(step)
        if step in SUBJECT_STEPS:
            await self._record(
                EventType.DEADLINE_PAUSED,
                f"{step.value}:clock-paused",
                {"step": step.value, "reason": "awaiting_subject"},
            )
        await self._record(
            EventType.DEADLINE_STARTED,
            f"{step.value}:deadline-started",
            {
                "step": step.value,
                "due_at": due_at.isoformat(),
                "policy_version": self._policy.version,
                "party": "subject" if step in SUBJECT_STEPS else "organisation",
            },
        )
        # The step opens only once its start is on record; an update waiting for this
        # step then records its effect after it.
        self.step, self.due_at, self.overdue, self._reminded = step, due_at, False, False
        self.started_at, self.extensions = workflow.now(), 0
        self._breached = False
        self._changed()

    async def wait(self, done: Callable[[], bool], *, own_work: bool = False) -> bool:
        """Wait for `done`, reminding before the due time and escalating at it. A subject's
        window that runs out lapses instead: returns False, and the request closes.

        Before blocking, what was recorded is settled (stored and shown), except at the
        start of our `own_work`, whose effect carries it and which is over in moments; it
        is settled there once a reminder or a breach is recorded."""
        step = self.step
        assert step is not None
        settle = not own_work
        while not done():
            assert self.due_at is not None
            revision = self._revision
            woke = lambda revision=revision: done() or self._revision != revision  # noqa: E731
            moments = ([] if self._reminded else [(self._reminder_at(), "reminder")]) + (
                [] if self.overdue else [(self._closes_at(), "due")]
            )
            if settle:
                await self._settle()
                if done() or self._revision != revision:
                    continue
            settle = True
            if not moments:
                await workflow.wait_condition(woke)
                continue
            moment, meaning = min(moments)
            summary = f"{step.value}: {meaning}" if self._summaries else None
            if await wait_until(woke, moment, summary):
                continue
            # Time is up, but an act being recorded may be the one that meets the step:
            # let it finish, then look again before recording a breach or a lapse.
            await workflow.wait_condition(self._idle)
            if done() or self._revision != revision:
                continue
            now = workflow.now()
            if not self._reminded and now >= self._reminder_at():
                self._reminded = True
                await self._record(
                    EventType.DEADLINE_REMINDED,
                    f"{step.value}:reminded-{revision}",
                    {"step": step.value, "due_at": self.due_at.isoformat()},
                )
            if not self.overdue and now >= self._closes_at():
                if step in SUBJECT_STEPS:
                    self.lapsed = True  # from here on, acts for this window are refused
                    await self._record(
                        EventType.DEADLINE_LAPSED,
                        f"{step.value}:lapsed",
                        {"step": step.value, "due_at": self.due_at.isoformat()},
                    )
                    await self._resume(step)
                    return False
                self.overdue = self._breached = True
                await self._record(
                    EventType.DEADLINE_BREACHED,
                    f"{step.value}:breached-{revision}",
                    {"step": step.value, "due_at": self.due_at.isoformat()},
                )
                workflow.logger.warning("deadline breached", extra={"step": step.value})
                self._changed()
        return True

    def extended(self, until: datetime) -> None:
        """An extension is on record: move the due time and wake the waiting step."""
        self.due_at = until
        self.extensions += 1
        self.overdue = False
        self._reminded = self._reminder_at() <= workflow.now()
        self._revision += 1
        self._changed()

    def _persons_day(self) -> bool:
        return self.day_windows and self.step in SUBJECT_STEPS

    def extended_to(self, until: datetime) -> datetime:
        """The due time an extension to `until` gives: a person's window, to the day's end."""
        return end_of_local_day(until, self._policy.zone()) if self._persons_day() else until

    def extension_problem(self, until: datetime) -> str | None:
        """Why the current step cannot be extended to `until` under the policy, or None."""
        assert self.step is not None and self.due_at is not None
        assert self.started_at is not None
        return self._policy.extension_problem(
            self.step,
            started_at=self.started_at,
            until=self.extended_to(until),
            current_due=self.due_at,
            now=workflow.now(),
            extensions=self.extensions,
            to_end_of_day=self._persons_day(),
        )

    async def close(self) -> None:
        step = self.step
        assert step is not None and self.due_at is not None
        # Late if a breach was ever recorded (an extension after it does not undo it), or
        # if a step without a wait (one that retried through an outage) ran past its due.
        late = self._breached or workflow.now() > self._closes_at()
        await self._record(
            EventType.DEADLINE_COMPLETED_LATE if late else EventType.DEADLINE_MET,
            f"{step.value}:deadline-closed",
            {"step": step.value},
        )
        if step in SUBJECT_STEPS:
            await self._resume(step)
        self.overdue = False
        self._changed()

    async def _resume(self, step: Step) -> None:
        await self._record(
            EventType.DEADLINE_RESUMED, f"{step.value}:clock-resumed", {"step": step.value}
        )
