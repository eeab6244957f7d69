"""The retention activity: shreds the personal data of requests closed longer ago than the
retention period, one subject at a time (store/shredding.py), and records it in each
request's chain.

A subject's key seals all of the subject's data, so the requests still kept (and the
inventory) are sealed again under a new key while the shredded requests' values stay under
the destroyed one. The blind index of the requester's e-mail goes too: a keyed hash still
tells whether an address made a request.

The run acts at the workflow's time, never later than the database's clock, with the
worker's retention period: nothing in a workflow's input moves the cutoff (review N1). A
run (with the runs it continues as new) shreds at most `RetentionLimits.at_most` requests
and alerts when more than `alert_above` are due at once."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import asyncpg
import structlog
from temporalio import activity

from domain.durations import spoken_duration
from domain.events import EventType, NewEvent
from domain.retention import (
    RetentionCounts,
    RetentionLimits,
    RetentionRun,
    batch_limit,
    closed_before,
    run_time,
)
from store.connection import Connection
from store.events import EventStore
from store.privacy_center import forget_abandoned_guests
from store.privacy_center_limits import remove_old_challenges
from store.sealing import vault_of
from store.shredding import (
    destroy_shredded_keys,
    due_for_shredding,
    mark_shredded,
    shred_subject_key,
)

log = structlog.get_logger(__name__)

ACTOR = "retention"
ALERTS = "dsr_retention_alerts_total"


class PersonalDataRetention:
    """`keep_for`: the worker's retention period (DSR_PERSONAL_DATA_RETENTION); `limits`:
    its cap on a run and the count that alerts (DSR_SHRED_AT_MOST, DSR_SHRED_ALERT_ABOVE)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        events: EventStore,
        keep_for: timedelta,
        limits: RetentionLimits | None = None,
    ) -> None:
        self._pool = pool
        self._events = events
        self._keep_for = keep_for
        self._limits = limits or RetentionLimits()

    @activity.defn(name="shred_closed_requests")
    async def shred_closed_requests(self, run: RetentionRun) -> RetentionCounts:
        """Shred the requests past retention, oldest closure first, up to `run.limit`
        and within what is left of the run's cap (`run.shredded` done before). It acts at
        `run.as_of`, never later than the database's now. Idempotent: a request shredded
        already is not looked at again, and a crash between a commit and the key's
        destruction is finished by the next run."""
        async with self._pool.acquire() as connection:
            clock: datetime = await connection.fetchval("SELECT now()")
            as_of = run_time(run.as_of or clock, clock)
            cutoff = closed_before(as_of, self._keep_for)
            await destroy_shredded_keys(connection)
            await self._forget_abandoned_guests(connection, as_of)
            limit = batch_limit(run.limit, run.shredded, self._limits)
            if limit == 0:
                return RetentionCounts(more=True, capped=True)
            if run.shredded == 0:
                await self._alert_if_many_due(connection, cutoff)
            due = await due_for_shredding(connection, cutoff, limit + 1)
            more = len(due) > limit
            by_subject: dict[str, list[str]] = defaultdict(list)
            for request_id, subject_id in due[:limit]:
                by_subject[subject_id].append(request_id)
            requests = forgotten = 0
            for subject_id, request_ids in by_subject.items():
                forgotten += await self._shred(connection, subject_id, request_ids, as_of)
                requests += len(request_ids)
                if activity.in_activity():
                    activity.heartbeat(requests)
        counts = RetentionCounts(
            requests=requests,
            subjects=len(by_subject),
            values_forgotten=forgotten,
            more=more,
            capped=more and run.shredded + requests >= self._limits.at_most,
        )
        if requests:
            log.info("closed requests' personal data shredded", **counts.model_dump())
        if counts.capped:
            log.warning(
                "the retention run shredded as many requests as it may (DSR_SHRED_AT_MOST); "
                "the rest wait for the next run",
                at_most=self._limits.at_most,
            )
        return counts

    async def _alert_if_many_due(self, connection: Connection, cutoff: datetime) -> None:
        """An error in the log and `dsr_retention_alerts_total` when more requests are due
        at once than `alert_above`: a retention period shortened by mistake shows before
        more than a run's cap of them is gone."""
        above = self._limits.alert_above
        if len(await due_for_shredding(connection, cutoff, above + 1)) <= above:
            return
        log.error(
            "more closed requests are past retention at once than DSR_SHRED_ALERT_ABOVE; "
            "a run shreds at most DSR_SHRED_AT_MOST of them: check "
            "DSR_PERSONAL_DATA_RETENTION",
            alert_above=above,
            at_most=self._limits.at_most,
            retention=spoken_duration(self._keep_for),
        )
        if activity.in_activity():
            activity.metric_meter().create_counter(
                ALERTS,
                "Retention runs that found more requests past retention than "
                "DSR_SHRED_ALERT_ABOVE at once",
            ).add(1)

    async def _shred(
        self, connection: Connection, subject_id: str, request_ids: list[str], as_of: datetime
    ) -> int:
        async with connection.transaction():
            shredded = await shred_subject_key(
                connection, subject_id, forget_requests=frozenset(request_ids)
            )
            await mark_shredded(connection, request_ids, as_of)
            for request_id in request_ids:
                await self._events.append_in(
                    connection,
                    NewEvent(
                        request_id=request_id,
                        type=EventType.PERSONAL_DATA_SHREDDED,
                        payload={
                            "retention": spoken_duration(self._keep_for),
                            "destroyed_key": shredded.destroyed_key,
                            "new_key": shredded.new_key,
                        },
                        occurred_at=as_of,
                        actor=ACTOR,
                        idempotency_key=f"{request_id}:personal-data-shredded",
                    ),
                )
        if shredded.destroyed_key:
            vault_of(connection).keyring.destroy(shredded.destroyed_key)
        return shredded.forgotten

    async def _forget_abandoned_guests(self, connection: Connection, as_of: datetime) -> None:
        """A CONTACT form whose code was never entered leaves a guest subject (N8); once its
        code expired, the guest's key is destroyed and its code message withdrawn."""
        async with connection.transaction():
            keys = await forget_abandoned_guests(connection, as_of)
            # N8: and the challenges no limit counts any more (a day old, never verified).
            removed = await remove_old_challenges(connection, as_of - timedelta(days=1))
        if removed:
            log.info("old privacy center challenges removed", challenges=removed)
        for key_id in keys:
            vault_of(connection).keyring.destroy(key_id)
        if keys:
            log.info("abandoned CONTACT-form guests forgotten", keys=len(keys))

    def all(self) -> list:
        return [self.shred_closed_requests]
