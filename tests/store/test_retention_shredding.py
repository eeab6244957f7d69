"""Retention of closed requests' personal data (activities/retention.py): past the period,
a closed request's details, texts and notices are left under a destroyed key, while the
subject's other requests and inventory stay readable, the request's events stay and its
chain still verifies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from activities.retention import PersonalDataRetention
from domain.events import EventType
from domain.retention import RetentionRun
from store.events import EventStore
from store.intake import IntakeStore
from store.sealing import ERASED, key_of
from tests.support.builders import POLICY, T0, event, parsed
from tests.support.sealing import opened, register_email, sealed

KEEP_FOR = timedelta(days=365)
# Far before any other test's requests, which share the session's database: only this
# module's requests close before the cutoff (T_OLD + 1 day).
T_OLD = datetime(2019, 6, 1, 9, 0, tzinfo=UTC)
AS_OF = T_OLD + timedelta(days=366)


async def _closed(
    pool: asyncpg.Pool, request_id: str, subject_id: str, *, closed_days_after: int, text: str
) -> None:
    await IntakeStore(pool).record_submission(
        parsed("inquiry", request_id, subject_id, text=text), POLICY
    )
    events = EventStore(pool)
    before_t0 = int((T0 - T_OLD).total_seconds() // 60)
    await events.append(event(request_id, EventType.RECEIVED, minutes=-before_t0))
    await events.append(
        event(
            request_id,
            EventType.CLOSED,
            minutes=closed_days_after * 1440 - before_t0,
            outcome="answered",
        )
    )


async def _details(pool: asyncpg.Pool, request_id: str) -> str:
    return await pool.fetchval(
        "SELECT details FROM request_details WHERE request_id = $1", request_id
    )


def _retention(pool: asyncpg.Pool) -> PersonalDataRetention:
    return PersonalDataRetention(pool, EventStore(pool), KEEP_FOR)


async def test_past_retention_a_closed_request_is_shredded_and_the_rest_kept(
    pool: asyncpg.Pool, keyring_dir: Path, unique: str
) -> None:
    subject = f"subj-{unique}"
    old, recent, still_open = f"old-{unique}", f"recent-{unique}", f"open-{unique}"
    await register_email(pool, subject, f"kept-{unique}@example.jp")
    await _closed(pool, old, subject, closed_days_after=0, text=f"old text {unique}")
    await _closed(pool, recent, subject, closed_days_after=30, text=f"recent {unique}")
    await IntakeStore(pool).record_submission(
        parsed("inquiry", still_open, subject, text=f"open text {unique}"), POLICY
    )
    backup = await _details(pool, old)  # a copy as a dump taken before would hold it
    await pool.execute(
        """INSERT INTO privacy_center_challenges (challenge_id, address_hash, subject_id, kind,
                                                  language, code_hash, expires_at, request_id)
           VALUES (gen_random_uuid(), 'hash-of-the-address', $1, 'inquiry', 'en', 'h',
                   now(), $2)""",
        subject,
        old,
    )
    # The privacy center's message with the old request's status link goes with it.
    [recipient, line, body] = await sealed(
        pool, subject, f"kept-{unique}@example.jp", "status link", f"https://x/s/{unique}"
    )
    await pool.execute(
        """INSERT INTO privacy_center_notices
               (idempotency_key, purpose, subject_id, recipient, subject_line, body)
           VALUES ($1, 'status_link', $2, $3, $4, $5)""",
        f"pc-status-{old}",
        subject,
        recipient,
        line,
        body,
    )

    counts = await _retention(pool).shred_closed_requests(RetentionRun(as_of=AS_OF))

    assert (counts.requests, counts.subjects) == (1, 1) and counts.values_forgotten >= 3
    assert await opened(pool, backup) == ERASED
    assert await opened(pool, await _details(pool, old)) == ERASED
    assert not (keyring_dir / f"{key_of(backup)}.key").exists()
    assert f"recent {unique}" in await opened(pool, await _details(pool, recent))
    assert f"open text {unique}" in await opened(pool, await _details(pool, still_open))
    email = await pool.fetchval(
        "SELECT value FROM personal_data WHERE subject_id = $1 AND field = 'email'", subject
    )
    assert await opened(pool, email) == f"kept-{unique}@example.jp"
    link = await pool.fetchval(
        "SELECT body FROM privacy_center_notices WHERE idempotency_key = $1", f"pc-status-{old}"
    )
    assert await opened(pool, link) == ERASED
    row = await pool.fetchrow(
        """SELECT r.personal_data_shredded_at, d.requester_email_index FROM requests r
             JOIN request_details d USING (request_id) WHERE request_id = $1""",
        old,
    )
    assert row["personal_data_shredded_at"] == AS_OF and row["requester_email_index"] is None
    assert (
        await pool.fetchval(
            "SELECT address_hash FROM privacy_center_challenges WHERE request_id = $1", old
        )
        == "forgotten"
    )
    events = EventStore(pool)
    shredded = [e for e in await events.events(old) if e.type is EventType.PERSONAL_DATA_SHREDDED]
    assert len(shredded) == 1
    assert shredded[0].payload["destroyed_key"] == key_of(backup)
    assert shredded[0].payload["retention"] == "365d"
    assert (await events.verify(old)).intact
    assert (
        await pool.fetchval(
            "SELECT personal_data_shredded_at FROM requests WHERE request_id = $1", recent
        )
        is None
    )


async def test_a_second_run_shreds_nothing_more(pool: asyncpg.Pool, unique: str) -> None:
    subject = f"subj-{unique}"
    await _closed(pool, f"once-{unique}", subject, closed_days_after=0, text="once")
    retention = _retention(pool)
    first = await retention.shred_closed_requests(RetentionRun(as_of=AS_OF))
    assert first.requests >= 1
    again = await retention.shred_closed_requests(RetentionRun(as_of=AS_OF))
    events = [
        e
        for e in await EventStore(pool).events(f"once-{unique}")
        if e.type is EventType.PERSONAL_DATA_SHREDDED
    ]
    assert len(events) == 1
    assert again.requests == 0


async def test_a_run_takes_at_most_its_limit_and_says_more_are_due(
    pool: asyncpg.Pool, unique: str
) -> None:
    retention = _retention(pool)
    await retention.shred_closed_requests(RetentionRun(as_of=AS_OF, limit=2000))  # earlier
    for n in range(3):
        await _closed(
            pool, f"lim{n}-{unique}", f"subj{n}-{unique}", closed_days_after=0, text=f"limit {n}"
        )
    first = await retention.shred_closed_requests(RetentionRun(as_of=AS_OF, limit=2))
    assert (first.requests, first.more) == (2, True)
    rest = await retention.shred_closed_requests(RetentionRun(as_of=AS_OF, limit=2))
    assert (rest.requests, rest.more) == (1, False)


async def test_a_key_left_by_a_crash_is_destroyed_by_the_next_run(
    pool: asyncpg.Pool, superuser_pool: asyncpg.Pool, keyring_dir: Path, unique: str
) -> None:
    """The database says destroyed but the key file is still there (the process died
    between the commit and the deletion): the next run deletes it."""
    subject = f"subj-{unique}"
    await register_email(pool, subject, f"crash-{unique}@example.jp")
    key = await pool.fetchval(
        "SELECT key_id FROM subject_keys WHERE subject_id = $1 AND destroyed_at IS NULL", subject
    )
    # Arranged as a superuser: no role of the service may mark a key destroyed without
    # its event (migration 0032), and this subject has no request to record one in.
    async with superuser_pool.acquire() as connection, connection.transaction():
        await connection.execute(
            "ALTER TABLE subject_keys DISABLE TRIGGER subject_keys_destroyed_with_event"
        )
        await connection.execute(
            "UPDATE subject_keys SET destroyed_at = now() WHERE key_id = $1", key
        )
        await connection.execute(
            "ALTER TABLE subject_keys ENABLE ALWAYS TRIGGER subject_keys_destroyed_with_event"
        )
    assert (keyring_dir / f"{key}.key").exists()
    await _retention(pool).shred_closed_requests(RetentionRun(as_of=AS_OF))
    assert not (keyring_dir / f"{key}.key").exists()
