"""What limits an address in the privacy center (review N8), on its challenges' table:
one challenge at a time per address, its locks, the codes and wrong codes counted for it,
and the challenges no limit counts any more, removed. The functions taking a connection
run inside the caller's transaction; addresses arrive as keyed hashes."""

from __future__ import annotations

from datetime import datetime

from store.connection import Connection


async def lock_address(connection: Connection, address_hash: str) -> None:
    """One challenge at a time per address, until the transaction ends."""
    await connection.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 11))", address_hash)


async def locked_until(
    connection: Connection, address_hash: str, since: datetime
) -> datetime | None:
    """The latest lock of the address's challenges made after `since`, if any."""
    return await connection.fetchval(
        """SELECT max(locked_until) FROM privacy_center_challenges
            WHERE address_hash = $1 AND created_at > $2""",
        address_hash,
        since,
    )


async def codes_since(connection: Connection, address_hash: str, since: datetime) -> int:
    """How many challenges were made for the address after `since`."""
    return await connection.fetchval(
        """SELECT count(*) FROM privacy_center_challenges
            WHERE address_hash = $1 AND created_at > $2""",
        address_hash,
        since,
    )


async def wrong_codes_since(connection: Connection, address_hash: str, since: datetime) -> int:
    """Wrong codes entered for the address's challenges made after `since`."""
    return await connection.fetchval(
        """SELECT coalesce(sum(failed_attempts), 0) FROM privacy_center_challenges
            WHERE address_hash = $1 AND created_at > $2""",
        address_hash,
        since,
    )


async def lock_open_challenges(
    connection: Connection, address_hash: str, now: datetime, until: datetime
) -> None:
    """Lock every challenge of the address whose code could still be entered (N8)."""
    await connection.execute(
        """UPDATE privacy_center_challenges
              SET locked_until = greatest(coalesce(locked_until, $3), $3)
            WHERE address_hash = $1 AND verified_at IS NULL AND expires_at > $2""",
        address_hash,
        now,
        until,
    )


async def remove_old_challenges(connection: Connection, before: datetime) -> int:
    """Remove the challenges made before `before` whose code was never entered (N8): no
    limit counts them any more, and their form was forgotten when the code lapsed. A
    verified one stays: it is the proof by one-time code its request's identity check
    reads. How many were removed."""
    removed = await connection.fetch(
        """DELETE FROM privacy_center_challenges
            WHERE verified_at IS NULL AND created_at < $1 AND expires_at < $1
        RETURNING 1""",
        before,
    )
    return len(removed)
