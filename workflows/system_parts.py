"""Each system's part of a request, in the organisation's systems of the data map.

At investigation, every system is searched in parallel (a manual system's owner is asked
and confirms by a signed act); at act, every system makes its part of the decision, each
a durable step of its own, retried for as long as the system is down. A system that
refuses for good, or that an operator gives up on, is waived by an operator's signed act
with its reason: the request then goes on, and its notice says what was not done where.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.fulfilment import Fulfilment
    from domain.alternative_measures import MEASURE_STEP, applied_by_service
    from domain.datamap import SystemKind
    from domain.events import EventType
    from domain.findings import Findings
    from domain.fulfilment import ACTING
    from domain.fulfilment_messages import (
        CarryOutIn,
        CollectFrom,
        ConfirmSystem,
        LookUpSystems,
        MappedSystem,
        OpenTask,
    )
    from domain.messages import Decide
    from workflows.request_effects import RequestEffects
    from workflows.request_progress import RequestProgress

CONNECTOR_TIMEOUT = timedelta(minutes=3)
"""One attempt at a system: the HTTP connector retries inside a call (with Retry-After),
the PostgreSQL one waits up to 30 s for a statement; the step is retried after this."""

MEASURE_CONFIRMED_BY_ITS_TAKER = "alternative-measure-confirmed-by-its-taker"
"""The patch under which an alternative measure taken outside the service waits for the
confirmation of the account responsible before the decision is carried out (Art 8 ¶4)."""

SYSTEMS_OF_THE_DATA_MAP = "systems-of-the-data-map"
"""The patch under which requests search and act in the data map's systems; requests
started before it replay without."""


class SystemParts:
    def __init__(self, progress: RequestProgress, effects: RequestEffects) -> None:
        self._progress, self._effects = progress, effects

    async def collect(self) -> None:
        """Search every system for the subject, in parallel."""
        progress, effects = self._progress, self._effects
        mapped = await effects.run(
            Fulfilment.look_up_systems,
            LookUpSystems(
                request_id=progress.ref.request_id,
                idempotency_key=effects.key("systems"),
                occurred_at=workflow.now(),
            ),
            summary="look up the systems of the data map",
        )
        progress.systems = {system.name: system for system in mapped.systems}
        await asyncio.gather(*(self._collect(system) for system in mapped.systems))

    async def _collect(self, system: MappedSystem) -> None:
        if system.kind is SystemKind.MANUAL:
            await self._owner_confirms(system, "collect")
            return
        found = await self._effects.run(
            Fulfilment.collect,
            CollectFrom(
                request_id=self._progress.ref.request_id,
                kind=self._progress.ref.kind,
                system=system.name,
                idempotency_key=self._effects.key("collect", system.name),
                occurred_at=workflow.now(),
            ),
            summary=f"collect from {system.name}",
            start_to_close=CONNECTOR_TIMEOUT,
        )
        if not found.reachable:
            self._progress.unreachable.add(system.name)

    async def act(self, decision: Decide, findings: Findings) -> None:
        """Make the decision in every system searched, in parallel; returns when each has
        confirmed its part or been waived."""
        if decision.outcome not in ACTING:
            return
        await asyncio.gather(
            *(
                self._act(system, decision, findings)
                for name, system in self._progress.systems.items()
                if name not in self._progress.unreachable
            )
        )

    async def _act(self, system: MappedSystem, decision: Decide, findings: Findings) -> None:
        progress, effects = self._progress, self._effects
        if system.kind is SystemKind.MANUAL:
            await self._owner_confirms(system, "act")
            return
        progress.acting.add(system.name)
        task = asyncio.ensure_future(
            effects.run(
                Fulfilment.carry_out_in,
                CarryOutIn(
                    request_id=progress.ref.request_id,
                    kind=progress.ref.kind,
                    system=system.name,
                    decision=decision,
                    findings=findings,
                    idempotency_key=effects.key("act", system.name),
                    occurred_at=workflow.now(),
                ),
                summary=f"carry out the decision in {system.name}",
                start_to_close=CONNECTOR_TIMEOUT,
            )
        )

        def waived() -> bool:
            return system.name in progress.waived

        await workflow.wait_condition(lambda: task.done() or waived())
        if not task.done():
            task.cancel()  # an operator waived it while it was being retried
        try:
            await task
        except (ActivityError, asyncio.CancelledError) as error:
            if not waived():
                await effects.record(
                    EventType.SYSTEM_FAILED,
                    f"act:{system.name}:failed",
                    {"system": system.name, "error": _cause(error)},
                )
                progress.failed.add(system.name)
                await effects.settle()
                await workflow.wait_condition(waived)
        finally:
            progress.acting.discard(system.name)

    async def _owner_confirms(self, system: MappedSystem, step: str) -> None:
        """A manual system: its owner is asked, and the request waits for their act."""
        progress = self._progress
        await self._effects.run(
            Fulfilment.open_task,
            OpenTask(
                request_id=progress.ref.request_id,
                system=system.name,
                owner=system.owner or "",
                step=step,
                idempotency_key=self._effects.key(step, system.name, "task"),
                occurred_at=workflow.now(),
            ),
            summary=f"ask {system.owner} to {'search' if step == 'collect' else 'act in'} "
            f"{system.name}",
        )
        progress.tasks.add((system.name, step))
        await workflow.wait_condition(
            lambda: (system.name, step) not in progress.tasks or system.name in progress.waived
        )

    async def confirm_measure(self, decision: Decide) -> None:
        """Art 8 ¶4: a measure taken outside the service is asked of the account the
        decision named, as a manual system's part is asked of its owner, and the request
        waits for their signed confirmation (`confirmed`) before it is carried out."""
        measure = decision.alternative_measure
        if measure is None or applied_by_service(measure):
            return
        if not workflow.patched(MEASURE_CONFIRMED_BY_ITS_TAKER):
            return
        progress, effects = self._progress, self._effects
        await effects.record(
            EventType.SYSTEM_TASK_OPENED,
            f"{MEASURE_STEP}:{measure.value}:task",
            {"system": measure.value, "step": MEASURE_STEP, "owner": decision.measure_confirmer},
        )
        progress.measure_task = measure.value
        await effects.settle()
        await workflow.wait_condition(lambda: progress.measure_task is None)

    async def confirmed(self, confirmation: ConfirmSystem) -> None:
        """Record an owner's confirmation (a system's part, or a measure taken)."""
        measure = confirmation.step == MEASURE_STEP
        await self._effects.operator_act(
            EventType.MEASURE_CONFIRMED if measure else EventType.SYSTEM_CONFIRMED,
            f"{confirmation.step}:{confirmation.system}:confirmed",
            {
                "measure" if measure else "system": confirmation.system,
                "step": confirmation.step,
                "rows": confirmation.rows,
                "note_id": confirmation.note_id,
            },
            confirmation.operator,
            notes=(confirmation.note_id,) if confirmation.note_id else (),
        )
        if measure:
            self._progress.measure_task = None
        else:
            self._progress.tasks.discard((confirmation.system, confirmation.step))


def _cause(error: BaseException) -> str:
    cause = error.cause if isinstance(error, ActivityError) else error
    if isinstance(cause, ApplicationError):
        return f"{cause.type}: {cause.message}"[:300]
    return type(cause).__name__
