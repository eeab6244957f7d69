"""`PurposeChange` (id `purpose-change-<change id>`): Article 4's change of a purpose of use.

record the proposal and its judgement → (refused: end) → publish → notify every affected
subject, if the method says so → complete, which puts the changed purpose in force and posts
the privacy policy's next version (store/purpose_publication.py).

Article 4 ¶2: "notify users of the changed purpose ... or publish it on this website". A
change is published on the privacy center (interfaces/privacy_center/purposes.py) whatever
its method: notices reach only the people holding an item under the purpose today with an
address to write to, and the publication reaches the rest (the unreachable, and those whose
data comes under the purpose later). The change takes effect only at completion, after its
publication and notices, never at its acceptance.

The notices go out in batches, one activity per batch of subjects (never one per subject),
after a cursor (the last subject id done). After `batches_per_run` batches the workflow
continues as new with its cursor and counts, so its history stays a few hundred events
however many subjects there are. Progress: current details `notified n / total` and the
`progress` query. Nobody is notified twice: each notice is a row keyed by change and
subject, and a retried batch hands over only the rows still pending.

Every run (a continued one too) first has the authority verified (`verify_purpose_change`)
before any effect, and takes the judgement from the record, never from its input: review
N4's start, unsigned and with a judgement filled in, sent notices for a change to be
published only. A start may carry the batches' size, never a run's state; a run is the
change's own workflow (id `purpose-change-<change id>`) or refused."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import cast

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.purpose_changes import PurposeChangeActivities
    from domain.purpose_change_messages import (
        BatchOutcome,
        ChangeProgress,
        ChangeStep,
        CompleteChange,
        FanOut,
        Judgement,
        NoticeBatch,
        Phase,
        PurposeChangeOrder,
        PurposeChangeResult,
        RecordChange,
        workflow_id,
    )
    from workflows.system_input import NO_INPUT, continued, decode_input, invalid_input

# Recording and publishing are short transactions.
STEP_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=1),
)
# A batch whose sender fails (a full disk, a mail server down) is tried again until it
# goes through: every notice of an accepted change is owed. The failures show in the UI.
BATCH_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=5),
)
# Since issue 24 a notify-only change is published too (before its notices); histories
# recorded before it replay without the publication.
NOTIFY_ALSO_PUBLISHES = "purpose-change-notify-also-publishes"
# Since issue 22 every run verifies the authority first and takes the judgement from the
# record; histories recorded before replay as they ran.
AUTHORITY_EVERY_RUN = "purpose-change-authority-every-run"
HOW = "a change is started by `dsr purposes change` (the API signs it)"
# A batch heartbeats after every few hundred notices; a worker that died mid-batch is
# noticed after this, and another worker takes the batch over.
BATCH_HEARTBEAT = timedelta(minutes=1)


@workflow.defn(name="PurposeChange")
class PurposeChange:
    def __init__(self) -> None:
        self._change_id = ""
        self._phase: Phase = "judging"
        self._fanout = FanOut()

    @workflow.run
    async def run(self, raw: RawValue = NO_INPUT) -> PurposeChangeResult:
        order = decode_input(raw, PurposeChangeOrder, "PurposeChange", HOW, required=True)
        proposal = order.proposal
        self._change_id = proposal.change_id
        self._fanout = order.fanout
        judgement = self._fanout.judgement
        if workflow.patched(AUTHORITY_EVERY_RUN):
            judgement = await self._verified(order)
            if judgement is not None and not judgement.accepted:
                self._set_phase("refused")
                return self._result(order, judgement)
        if judgement is None:
            judgement = await workflow.execute_activity_method(
                PurposeChangeActivities.record,
                RecordChange(
                    proposal=proposal, authority=order.authority, occurred_at=workflow.now()
                ),
                start_to_close_timeout=timedelta(minutes=2),
                retry_policy=STEP_RETRY,
                summary=f"record and judge change {proposal.change_id} of purpose "
                f"{proposal.purpose_id}",
            )
            self._fanout = self._fanout.model_copy(update={"judgement": judgement})
            if not judgement.accepted:
                self._set_phase("refused")
                return self._result(order, judgement)
            if proposal.method.publishes or workflow.patched(NOTIFY_ALSO_PUBLISHES):
                self._set_phase("publishing")
                await workflow.execute_activity_method(
                    PurposeChangeActivities.publish,
                    ChangeStep(change_id=proposal.change_id, occurred_at=workflow.now()),
                    start_to_close_timeout=timedelta(minutes=1),
                    retry_policy=STEP_RETRY,
                    summary="record the publication of the changed purpose",
                )
                judgement = judgement.model_copy(update={"published": True})
                self._fanout = self._fanout.model_copy(update={"judgement": judgement})
        if proposal.method.notifies and not await self._notify(order):
            workflow.continue_as_new(
                order.model_copy(
                    update={
                        "fanout": self._fanout.model_copy(update={"runs": self._fanout.runs + 1})
                    }
                )
            )
        self._set_phase("completing")
        await workflow.execute_activity_method(
            PurposeChangeActivities.complete,
            CompleteChange(
                change_id=proposal.change_id,
                occurred_at=workflow.now(),
                batches=self._fanout.batches,
                unreachable=self._fanout.unreachable,
            ),
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=STEP_RETRY,
            summary="record the change's completion",
        )
        self._set_phase("done")
        return self._result(order, judgement)

    async def _verified(self, order: PurposeChangeOrder) -> Judgement | None:
        """The run's input checked before any effect: its id, what only a continued run
        carries, and the authority (an activity, against the listed keys and the record).
        Returns the judgement on record (None: not recorded yet, for the first run)."""
        change_id = order.proposal.change_id
        if workflow.info().workflow_id != workflow_id(change_id):
            raise invalid_input(
                "PurposeChange",
                f"a change runs as {workflow_id(change_id)}, not {workflow.info().workflow_id}",
                HOW,
            )
        if not continued() and (state := order.fanout.carried_state()):
            raise invalid_input(
                "PurposeChange",
                ", ".join(f"fanout.{name}" for name in state)
                + ": only a run continued as new carries these; the workflow records and "
                "judges the change itself",
                HOW,
            )
        on_record = await workflow.execute_activity_method(
            PurposeChangeActivities.verify,
            RecordChange(
                proposal=order.proposal, authority=order.authority, occurred_at=workflow.now()
            ),
            start_to_close_timeout=timedelta(minutes=1),
            retry_policy=STEP_RETRY,
            summary=f"verify the authority for change {change_id}",
        )
        if on_record.judgement is None:
            if continued():
                raise invalid_input("PurposeChange", f"change {change_id} was never recorded", HOW)
            return None
        # A continued run goes on with the record's judgement; a first run whose change
        # is on record already records nothing twice (`record` returns it).
        judgement = on_record.judgement if continued() else None
        self._fanout = self._fanout.model_copy(update={"judgement": judgement})
        return judgement

    async def _notify(self, order: PurposeChangeOrder) -> bool:
        """This run's share of batches; True when no affected subject is left."""
        self._set_phase("notifying")
        for _ in range(self._fanout.batches_per_run):
            fanout = self._fanout
            outcome: BatchOutcome = await workflow.execute_activity_method(
                PurposeChangeActivities.notify_batch,
                NoticeBatch(
                    change_id=order.proposal.change_id,
                    number=fanout.batches,
                    after=fanout.cursor,
                    limit=fanout.batch_size,
                    occurred_at=workflow.now(),
                ),
                start_to_close_timeout=timedelta(minutes=30),
                heartbeat_timeout=BATCH_HEARTBEAT,
                retry_policy=BATCH_RETRY,
                summary=f"notify up to {fanout.batch_size} affected subjects "
                f"(batch {fanout.batches + 1})",
            )
            self._fanout = fanout.model_copy(
                update={
                    "cursor": outcome.through,
                    "batches": fanout.batches + 1,
                    "notified": fanout.notified + outcome.delivered,
                    "unreachable": fanout.unreachable + outcome.unreachable,
                }
            )
            self._show_progress()
            if not outcome.more:
                return True
        return False

    def _set_phase(self, phase: Phase) -> None:
        self._phase = phase
        self._show_progress()

    def _show_progress(self) -> None:
        progress = self.progress()
        if self._phase == "refused":
            details = "refused: the changed purpose is not related to the one before"
            judgement = self._fanout.judgement
            if judgement is not None and judgement.refusal:
                details = f"refused: {judgement.refusal}"
        elif self._phase in ("judging", "publishing"):
            details = self._phase
        else:
            details = f"notified {progress.notified} / {progress.affected}"
            if progress.unreachable:
                details += f" ({progress.unreachable} without an address to write to)"
            if self._phase == "done":
                details += "; done"
        workflow.set_current_details(details)

    @workflow.query(name="progress")
    def progress(self) -> ChangeProgress:
        fanout = self._fanout
        return ChangeProgress(
            change_id=self._change_id,
            phase=self._phase,
            affected=fanout.judgement.affected if fanout.judgement else 0,
            notified=fanout.notified,
            unreachable=fanout.unreachable,
            batches=fanout.batches,
            runs=fanout.runs,
        )

    def _result(self, order: PurposeChangeOrder, judgement: Judgement) -> PurposeChangeResult:
        fanout = self._fanout
        return PurposeChangeResult(
            change_id=order.proposal.change_id,
            purpose_id=order.proposal.purpose_id,
            status="done" if judgement.accepted else "refused",
            refusal=judgement.refusal,
            from_version=judgement.from_version,
            to_version=judgement.to_version,
            method=order.proposal.method.value,
            published=judgement.published,
            affected=judgement.affected,
            notified=fanout.notified,
            unreachable=fanout.unreachable,
            batches=fanout.batches,
            runs=fanout.runs,
        )


# What a caller starts it with (`run` decodes a RawValue itself).
START_CHANGE = cast(
    Callable[[PurposeChange, PurposeChangeOrder], Awaitable[PurposeChangeResult]],
    PurposeChange.run,
)
