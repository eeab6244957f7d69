"""The activities of fulfilment in the organisation's systems (connectors/).

`collect` searches one system for the request's subject and keeps what it finds sealed in
the store (nothing of it is returned to Temporal); `carry_out_in` makes one system's part
of a decision, confirms it with a second query, and records it. Each is keyed by the
workflow's idempotency key, so a retry after the event is on record does nothing again;
the changes themselves are idempotent (setting a value twice, deleting a row twice), so
a retry after the effect and before the event changes nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from connectors.base import Connector, SystemRefused, SystemUnavailable
from domain.datamap import DataMap, SystemKind
from domain.events import EventType, NewEvent, PayloadValue
from domain.fulfilment import ACTING, SystemPart, plan_for
from domain.fulfilment_messages import (
    CarryOutIn,
    CollectFrom,
    LookUpSystems,
    MappedSystem,
    MappedSystems,
    OpenTask,
    SystemCarriedOut,
    SystemCollected,
)
from domain.requests import RequestKind
from store.connection import Connection
from store.decision_effects import DetailsErased, request_details
from store.events import EventStore, UnknownRequest
from store.lifecycle import lock_request, recorded_event
from store.systems import (
    forget_search,
    kept_search,
    replace_collected,
    system_items,
)

log = structlog.get_logger(__name__)

COLLECT_ATTEMPTS = 5
"""A system that cannot be searched after this many attempts is recorded as unreachable,
and the investigation goes on without it (the notice says so)."""


def _refused(message: str, kind: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


def _counts(counts: Mapping[str, int]) -> str:
    return ",".join(f"{collection}:{n}" for collection, n in sorted(counts.items()))


class Fulfilment:
    def __init__(
        self,
        pool: asyncpg.Pool,
        events: EventStore,
        data_map: DataMap,
        connectors: Mapping[str, Connector],
    ) -> None:
        self._pool = pool
        self._events = events
        self._map = data_map
        self._connectors = connectors

    async def _append(self, connection: Connection, *events: NewEvent) -> None:
        try:
            await self._events.append_all_in(connection, events)
        except UnknownRequest as error:
            raise _refused(str(error), "UnknownRequest") from error

    def _event(
        self, order: CollectFrom | CarryOutIn | OpenTask, type: EventType, **payload: PayloadValue
    ) -> NewEvent:
        return NewEvent(
            request_id=order.request_id,
            type=type,
            payload={"system": order.system, **payload},
            occurred_at=order.occurred_at,
            actor="system",
            idempotency_key=order.idempotency_key,
        )

    def _connector(self, name: str) -> Connector:
        try:
            return self._connectors[name]
        except KeyError:
            raise _refused(
                f"system {name!r} is no longer in the data map (DSR_DATASTORES)", "UnknownSystem"
            ) from None

    @activity.defn(name="look_up_systems")
    async def look_up_systems(self, step: LookUpSystems) -> MappedSystems:
        if step.preceding:
            async with self._pool.acquire() as connection, connection.transaction():
                await self._append(connection, *step.preceding)
        return MappedSystems(
            systems=tuple(
                MappedSystem(name=name, kind=system.kind, owner=system.owner)
                for name, system in self._map.systems.items()
            )
        )

    @activity.defn(name="collect_from_system")
    async def collect(self, order: CollectFrom) -> SystemCollected:
        connector = self._connector(order.system)
        async with self._pool.acquire() as connection, connection.transaction():
            done = await recorded_event(connection, order.idempotency_key)
            if done is not None:
                return _collected(order.system, EventType(done["type"]), done["payload"])
            try:
                subject_id, identities = await kept_search(
                    connection, order.request_id, order.system, order.occurred_at
                )
            except DetailsErased as error:
                raise _refused(str(error), "DetailsErased") from None
        reason: str | None = None
        attempt = activity.info().attempt
        try:
            if attempt > COLLECT_ATTEMPTS:  # the last attempts timed out: not called again
                raise SystemUnavailable(f"{order.system}: no answer in {attempt - 1} attempts")
            collected = await connector.collect(identities)
        except SystemUnavailable as error:
            if attempt < COLLECT_ATTEMPTS:
                raise ApplicationError(str(error), type="SystemUnavailable") from None
            reason = "unavailable"
        except SystemRefused as error:
            log.warning("system refused the search", system=order.system, error=str(error))
            reason = "refused"
        async with self._pool.acquire() as connection, connection.transaction():
            if not await lock_request(connection, order.request_id):
                raise _refused(f"no request with id {order.request_id!r}", "UnknownRequest")
            if reason is not None:
                # What it held before is not known to be held now: no stale snapshot.
                await replace_collected(
                    connection, subject_id, order.system, connector.system, (), order.occurred_at
                )
                event = self._event(order, EventType.SYSTEM_UNREACHABLE, reason=reason)
            else:
                items = await replace_collected(
                    connection,
                    subject_id,
                    order.system,
                    connector.system,
                    ((r.collection, r.key, r.values, r.restricted) for r in collected.rows),
                    order.occurred_at,
                )
                event = self._event(
                    order,
                    EventType.SYSTEM_COLLECTED,
                    collections=_counts(collected.counts),
                    rows=len(collected.rows),
                    items=items,
                )
            await self._append(connection, event)
        log.info("system searched", system=order.system, event_type=event.type.value)
        return _collected(order.system, event.type, event.payload)

    @activity.defn(name="carry_out_in_system")
    async def carry_out_in(self, order: CarryOutIn) -> SystemCarriedOut:
        connector = self._connector(order.system)
        async with self._pool.acquire() as connection, connection.transaction():
            done = await recorded_event(connection, order.idempotency_key)
            if done is not None:
                return _carried_out(order.system, done["payload"])
            part = await self._part(connection, order)
            # The identities the system was searched with, kept until its part is confirmed.
            _, identities = await kept_search(
                connection, order.request_id, order.system, order.occurred_at
            )
        if part.plan.changes:
            try:
                await connector.apply(part.plan, identities)
                problems = await connector.confirm(part.plan, identities)
            except SystemUnavailable as error:
                raise ApplicationError(str(error), type="SystemUnavailable") from None
            except SystemRefused as error:
                raise _refused(str(error), "SystemRefused") from None
            if problems:
                # Retried: a system that applies asynchronously may need the time.
                raise ApplicationError(
                    f"{order.system}: not confirmed yet: " + "; ".join(problems),
                    type="SystemNotConfirmed",
                )
        counts = part.plan.counts()
        async with self._pool.acquire() as connection, connection.transaction():
            if not await lock_request(connection, order.request_id):
                raise _refused(f"no request with id {order.request_id!r}", "UnknownRequest")
            await forget_search(connection, order.request_id, order.system, order.occurred_at)
            event = self._event(
                order,
                EventType.SYSTEM_CARRIED_OUT,
                outcome=order.decision.outcome.value,
                collections=_counts(counts),
                rows=sum(counts.values()),
                refused=part.refused_text(),
                kept_items=part.kept_items(),
                refused_fields=len({(r.collection, r.field) for r in part.refused}),
            )
            await self._append(connection, event)
        log.info("decision carried out in system", system=order.system, rows=sum(counts.values()))
        return _carried_out(order.system, event.payload)

    async def _part(self, connection: Connection, order: CarryOutIn) -> SystemPart:
        decision = order.decision
        if decision.outcome not in ACTING:
            return SystemPart()
        try:
            subject_id, details = await request_details(connection, order.request_id)
        except DetailsErased as error:
            raise _refused(str(error), "DetailsErased") from None
        return plan_for(
            self._map.system(order.system),
            decision.outcome,
            await system_items(connection, subject_id, order.system),
            in_breach=frozenset(order.findings.items_in_breach),
            changes=details.get("changes") or () if order.kind is RequestKind.CORRECTION else (),
            declined=frozenset(decision.declined_changes),
        )

    @activity.defn(name="open_system_task")
    async def open_task(self, order: OpenTask) -> None:
        """A manual system's owner is asked to find the subject's data there, or to carry
        the decision out: the task is on record, and shown to the owner by `dsr list`."""
        if self._map.systems.get(order.system, None) is None:
            raise _refused(f"system {order.system!r} is not in the data map", "UnknownSystem")
        if self._map.systems[order.system].kind is not SystemKind.MANUAL:
            raise _refused(f"system {order.system!r} is not a manual system", "UnknownSystem")
        async with self._pool.acquire() as connection, connection.transaction():
            if await recorded_event(connection, order.idempotency_key) is None:
                await self._append(
                    connection,
                    self._event(
                        order, EventType.SYSTEM_TASK_OPENED, step=order.step, owner=order.owner
                    ),
                )

    def all(self) -> list:
        return [self.look_up_systems, self.collect, self.carry_out_in, self.open_task]


def _collected(system: str, type: EventType, payload: Mapping[str, object]) -> SystemCollected:
    if type is EventType.SYSTEM_UNREACHABLE:
        return SystemCollected(system=system, reachable=False)
    return SystemCollected(
        system=system,
        reachable=True,
        rows=int(str(payload["rows"])),
        items=int(str(payload["items"])),
    )


def _carried_out(system: str, payload: Mapping[str, object]) -> SystemCarriedOut:
    return SystemCarriedOut(
        system=system,
        rows=int(str(payload["rows"])),
        refused=int(str(payload["refused_fields"])),
    )
