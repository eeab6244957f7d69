"""Article 6: the links that deliver a disclosure through the privacy center
(domain/disclosure_delivery.py has the rules, interfaces/privacy_center/disclosure.py the
pages). A link's token arrives here already hashed (sha256 of 256 random bits); the
items it opens stay sealed in `disclosures` under the subject's key. The functions
taking a connection run inside the caller's transaction.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from domain.disclosure_delivery import DEFAULT_LINK_DAYS, TOKEN_BYTES, link_expires_at
from store.connection import Connection
from store.sealing import ERASED, key_of, vault_of


async def issue(
    connection: Connection,
    *,
    token_hash: str,
    request_id: str,
    issued_at: datetime,
    expires_at: datetime,
) -> None:
    """The request's link, by its token's hash; one per request, the newest replacing an
    older one (which then opens nothing)."""
    await connection.execute(
        """INSERT INTO privacy_center_disclosure_links
               (token_hash, request_id, issued_at, expires_at)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (request_id) DO UPDATE
              SET token_hash = EXCLUDED.token_hash, issued_at = EXCLUDED.issued_at,
                  expires_at = EXCLUDED.expires_at""",
        token_hash,
        request_id,
        issued_at,
        expires_at,
    )


async def has_items(connection: Connection, request_id: str) -> bool:
    """Whether the request's compiled disclosure holds anything to deliver."""
    sealed = await connection.fetchval(
        "SELECT items FROM disclosures WHERE request_id = $1", request_id
    )
    return bool(sealed is not None and vault_of(connection).open_json(sealed))


async def _erased(connection: Connection, sealed: str) -> bool:
    """Its key destroyed, or marked destroyed by a shredding whose keyring deletion follows
    the commit: forgotten all the same."""
    if vault_of(connection).is_erased(sealed):
        return True
    return bool(
        await connection.fetchval(
            "SELECT destroyed_at IS NOT NULL FROM subject_keys WHERE key_id = $1", key_of(sealed)
        )
    )


async def erased(connection: Connection, sealed: str) -> bool:
    """Whether a sealed value of the subject was forgotten (its key destroyed)."""
    return await _erased(connection, sealed)


async def link(connection: Connection, token_hash: str) -> dict[str, Any] | None:
    """The link and its disclosure: `request_id`, `subject_id`, `language`, `expires_at`,
    `compiled_at`, and `erased` (the subject's key was destroyed, or the request's personal
    data shredded by retention). No value is opened here."""
    row = await connection.fetchrow(
        """SELECT l.request_id, l.expires_at, r.subject_id, d.language, s.items,
                  s.compiled_at, r.personal_data_shredded_at IS NOT NULL AS shredded
             FROM privacy_center_disclosure_links l
             JOIN requests r USING (request_id)
             JOIN request_details d USING (request_id)
             JOIN disclosures s USING (request_id)
            WHERE l.token_hash = $1""",
        token_hash,
    )
    if row is None:
        return None
    erased = row["shredded"] or await _erased(connection, row["items"])
    found = {k: row[k] for k in ("request_id", "expires_at", "subject_id", "language")}
    return {**found, "compiled_at": row["compiled_at"], "erased": erased}


async def items(connection: Connection, request_id: str) -> list[dict[str, Any]] | None:
    """The disclosure's compiled items, opened; None once erased."""
    sealed = await connection.fetchval(
        "SELECT items FROM disclosures WHERE request_id = $1", request_id
    )
    if sealed is None or await _erased(connection, sealed):
        return None
    return vault_of(connection).open_json(sealed)


async def addressee(connection: Connection, request_id: str) -> tuple[str, str] | None:
    """Where the code that opens the disclosure goes: the subject and the e-mail address
    on record for them (their registered contact address; without one, the address the
    request was verified with and the outcome notice went to). None when erased."""
    vault = vault_of(connection)
    row = await connection.fetchrow(
        """SELECT r.subject_id, d.requester_email FROM requests r
             JOIN request_details d USING (request_id) WHERE r.request_id = $1""",
        request_id,
    )
    if row is None:
        return None
    for sealed in await connection.fetchval(
        """SELECT coalesce(array_agg(value ORDER BY item_id), '{}') FROM personal_data
            WHERE subject_id = $1 AND category = 'contact' AND field = 'email'""",
        row["subject_id"],
    ):
        address = vault.open(sealed)
        if address != ERASED and not await _erased(connection, sealed):
            return row["subject_id"], address
    sealed = row["requester_email"]
    if sealed is None or await _erased(connection, sealed):
        return None
    return row["subject_id"], vault.open(sealed)


async def opening(
    pool: asyncpg.Pool | Connection, challenge_id: uuid.UUID, request_id: str
) -> datetime | None:
    """When the code of a challenge that opens this request's disclosure was entered (None:
    no such challenge, or its code not entered)."""
    return await pool.fetchval(
        """SELECT verified_at FROM privacy_center_challenges
            WHERE challenge_id = $1 AND opens_disclosure = $2""",
        challenge_id,
        request_id,
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class LinkSettings:
    """Where the privacy center is reached (DSR_PUBLIC_URL) and how long a disclosure's
    link opens it (DSR_DISCLOSURE_LINK_DAYS)."""

    base_url: str = "http://127.0.0.1:8000"
    days: int = DEFAULT_LINK_DAYS


async def issue_for_notice(
    connection: Connection,
    request_id: str,
    issued_at: datetime,
    settings: LinkSettings,
    zone: ZoneInfo,
) -> tuple[str, datetime] | None:
    """A new link to the request's disclosure, for its outcome notice (or its reissue):
    its URL (the only place the token is ever written) and when it expires, at the end of
    the day the notice names in `zone`. None when nothing was disclosed (nothing to
    open). An older link of the request opens nothing from now on."""
    if not await has_items(connection, request_id):
        return None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    expires_at = link_expires_at(issued_at, settings.days, zone)
    await issue(
        connection,
        token_hash=token_hash(token),
        request_id=request_id,
        issued_at=issued_at,
        expires_at=expires_at,
    )
    return f"{settings.base_url.rstrip('/')}/disclosure/{token}", expires_at
