"""The retention activity: shreds the personal data of requests closed longer ago than the
retention period, one subject at a time (store/shredding.py), and records it in each
request's chain.

A subject's key seals all of the subject's data, so the requests still kept (and the
inventory) are sealed again under a new key while the shredded requests' values stay under
the destroyed one. The blind index of the requester's e-mail goes too: a keyed hash still
tells whether an address made a request."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

import asyncpg
import structlog
from temporalio import activity

from domain.durations import spoken_duration
from domain.events import EventType, NewEvent
from domain.retention import RetentionCounts, RetentionRun, closed_before
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


class PersonalDataRetention:
    def __init__(self, pool: asyncpg.Pool, events: EventStore, keep_for: timedelta) -> None:
        self._pool = pool
        self._events = events
        self._keep_for = keep_for

    @activity.defn(name="shred_closed_requests")
    async def shred_closed_requests(self, run: RetentionRun) -> RetentionCounts:
        """Shred the requests past retention, oldest closure first, up to `run.limit`.
        Idempotent: a request shredded already is not looked at again, and a crash between
        a commit and the key's destruction is finished by the next run."""
        as_of = run.as_of or datetime.now().astimezone()
        cutoff = closed_before(as_of, self._keep_for)
        async with self._pool.acquire() as connection:
            await destroy_shredded_keys(connection)
            await self._forget_abandoned_guests(connection, as_of)
            due = await due_for_shredding(connection, cutoff, run.limit + 1)
            more = len(due) > run.limit
            by_subject: dict[str, list[str]] = defaultdict(list)
            for request_id, subject_id in due[: run.limit]:
                by_subject[subject_id].append(request_id)
            requests = forgotten = 0
            for subject_id, request_ids in by_subject.items():
                forgotten += await self._shred(connection, subject_id, request_ids, as_of)
                requests += len(request_ids)
                if activity.in_activity():
                    activity.heartbeat(requests)
        counts = RetentionCounts(
            requests=requests, subjects=len(by_subject), values_forgotten=forgotten, more=more
        )
        if requests:
            log.info("closed requests' personal data shredded", **counts.model_dump())
        return counts

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
