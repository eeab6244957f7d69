"""One-time codes, status links and the privacy center's outbox (their tables and
statements: store/privacy_center.py).

A challenge is made for every form sent, whether or not the address is registered, and
behaves the same either way; only for a registered address is a code made that anyone
receives, and it goes to the address on record. Codes and the typed address are kept as
keyed hashes (HMAC under a key derived from the service's act key), status tokens as
sha256 (they are 256 random bits). The form's data waits in the challenge until the code
is entered, sealed under the subject's key (store/sealing.py); nothing of it reaches
Temporal or the logs. The address on record is found by its blind index, never by
comparing the plaintext, and the outbox's recipients and texts are sealed too.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import structlog

from domain.authority import ActSigner
from mail.sender import NoticeSender
from store import disclosure_links as links
from store import privacy_center as stored
from store.connection import Connection
from store.outbox import OutgoingNotice
from store.sealing import ERASED, key_of, vault_of

log = structlog.get_logger(__name__)

CODE_VALID_FOR = timedelta(minutes=15)
LOCKED_FOR = timedelta(minutes=15)
MAX_WRONG_CODES = 3
# Codes asked for one address within RATE_WINDOW; more are refused until it passes.
MAX_CODES_PER_ADDRESS = 5
RATE_WINDOW = timedelta(hours=1)


def derive_key(signer: ActSigner) -> bytes:
    """The privacy center's own key: derived (HKDF) from the API's act signing key, so
    only the API's process can compute it (the worker, holding public keys only, cannot)
    and no act signature is one of its MACs. Rotating the signing key (`dsr-admin keys
    rotate`) changes it: codes not yet entered, and an address's count of codes in the
    last hour, start again, as they would after 15 minutes and an hour."""
    return signer.derived_secret(b"dsr privacy center v2")


def _mac(key: bytes, *parts: str) -> str:
    return hmac.new(key, "\x1f".join(parts).encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Refusal(enum.StrEnum):
    RATE_LIMITED = "rate_limited"
    ADDRESS_LOCKED = "address_locked"


@dataclass(frozen=True)
class Started:
    challenge_id: uuid.UUID | None
    notice_id: int | None = None  # the code's message, if the address is registered
    refused: Refusal | None = None


class Verdict(enum.StrEnum):
    UNKNOWN = "unknown"
    LOCKED = "locked"
    EXPIRED = "expired"
    WRONG = "wrong"
    USED = "used"
    VERIFIED = "verified"


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    attempts_left: int = 0
    request: dict[str, Any] | None = None  # the submission to make, when VERIFIED
    opens: str | None = None  # the request whose disclosure a VERIFIED code opens


@dataclass(frozen=True)
class Message:
    subject: str
    body: str


class Challenges:
    def __init__(self, pool: asyncpg.Pool, key: bytes) -> None:
        self._pool = pool
        self._key = key

    def csrf_token(self, challenge_id: uuid.UUID, browser: str) -> str:
        """The code form's token: bound to the challenge and the browser's cookie."""
        return _mac(self._key, "csrf", str(challenge_id), browser)

    def opening_mac(self, challenge_id: str, link_hash: str, browser: str) -> str:
        """A disclosure's opening cookie: bound to the code's challenge, the link and the
        browser's cookie (interfaces/privacy_center/disclosure.py)."""
        return _mac(self._key, "disclosure-opening", challenge_id, link_hash, browser)

    async def start(
        self,
        *,
        kind: str,
        language: str,
        email: str,
        name: str,
        details: dict[str, Any],
        now: datetime,
        code_message: Any,
        any_address: bool = False,
    ) -> Started:
        """A challenge for the form; `code_message(code)` words the message with the code.
        `any_address` (the CONTACT form, N8): an address not on record gets a code too, and
        the form is sealed under a guest subject of its own; the code proves only that the
        sender reads that mailbox, so the inquiry is a guest's (domain/guests.py)."""
        address_hash = _mac(self._key, "address", email.strip().lower())
        async with self._pool.acquire() as connection, connection.transaction():
            # A form whose code was never entered is not kept past the code's life.
            await stored.forget_stale_forms(connection, now)
            await stored.lock_address(connection, address_hash)
            refused = await self._limited(connection, address_hash, now)
            if refused is not None:
                return Started(None, refused=refused)
            vault = vault_of(connection)
            registered = await stored.on_record(connection, vault, email)
            if registered is None and any_address:
                registered = (await stored.add_guest(connection), email.strip())
            challenge_id = uuid.uuid4()
            submission = None
            if registered is not None:
                # The address on record, as recorded: the requester's e-mail the lifecycle
                # matches against, and where every notice of the request will go.
                submission = await vault.seal_json(
                    connection,
                    registered[0],
                    {"requester": {"name": name, "email": registered[1]}, "details": details},
                )
            notice_id = await self._issue(
                connection,
                challenge_id=challenge_id,
                address_hash=address_hash,
                to=registered,
                kind=kind,
                language=language,
                submission=submission,
                now=now,
                code_message=code_message,
            )
        log.info("privacy center challenge made", challenge_id=str(challenge_id), kind=kind)
        return Started(challenge_id, notice_id)

    async def start_opening(
        self, request_id: str, *, language: str, now: datetime, code_message: Any
    ) -> Started:
        """Article 6: a fresh code that opens the request's disclosure, sent to the address
        on record (store/disclosure_links.addressee), under the same limits as a form's."""
        async with self._pool.acquire() as connection, connection.transaction():
            to = await links.addressee(connection, request_id)
            if to is None:  # erased meanwhile: nobody to send it to, nothing to open
                return Started(None)
            address_hash = _mac(self._key, "address", to[1].strip().lower())
            await stored.lock_address(connection, address_hash)
            refused = await self._limited(connection, address_hash, now)
            if refused is not None:
                return Started(None, refused=refused)
            challenge_id = uuid.uuid4()
            notice_id = await self._issue(
                connection,
                challenge_id=challenge_id,
                address_hash=address_hash,
                to=to,
                kind="disclosure",
                language=language,
                submission=None,
                opens=request_id,
                now=now,
                code_message=code_message,
            )
        log.info("privacy center disclosure code made", challenge_id=str(challenge_id))
        return Started(challenge_id, notice_id)

    async def _limited(
        self, connection: Connection, address_hash: str, now: datetime
    ) -> Refusal | None:
        """Whether the address may be sent another code now (inside its lock)."""
        locked = await stored.locked_until(connection, address_hash, now - RATE_WINDOW - LOCKED_FOR)
        if locked is not None and locked > now:
            return Refusal.ADDRESS_LOCKED
        codes = await stored.codes_since(connection, address_hash, now - RATE_WINDOW)
        if codes >= MAX_CODES_PER_ADDRESS:
            return Refusal.RATE_LIMITED
        return None

    async def _issue(
        self,
        connection: Connection,
        *,
        challenge_id: uuid.UUID,
        address_hash: str,
        to: tuple[str, str] | None,
        kind: str,
        language: str,
        submission: Any,
        now: datetime,
        code_message: Any,
        opens: str | None = None,
    ) -> int | None:
        """The challenge, its code kept as a keyed hash, and the code's message queued to
        `to` (subject, address on record); none is sent when `to` is None."""
        code = f"{secrets.randbelow(10**6):06d}"
        await stored.add_challenge(
            connection,
            challenge_id=challenge_id,
            address_hash=address_hash,
            subject_id=to[0] if to else None,
            kind=kind,
            language=language,
            submission=submission,
            code_hash=_mac(self._key, "code", str(challenge_id), code),
            created_at=now,
            expires_at=now + CODE_VALID_FOR,
            opens_disclosure=opens,
        )
        if to is None:
            return None
        message: Message = code_message(code)
        return await _queue(
            connection, f"pc-code-{challenge_id}", "one_time_code", to[0], to[1], message
        )

    async def check(
        self, challenge_id: uuid.UUID, code: str, *, now: datetime, opens: str | None = None
    ) -> Checked:
        """The code entered for a challenge. A wrong one counts; the third locks it.
        `opens`: the request whose disclosure the code must open (None: a form's code); a
        challenge of the other kind is unknown here, so neither page spends the other's."""
        async with self._pool.acquire() as connection, connection.transaction():
            row = await stored.challenge_for_update(connection, challenge_id)
            if row is None or row["opens_disclosure"] != opens:
                return Checked(Verdict.UNKNOWN)
            right = hmac.compare_digest(
                row["code_hash"], _mac(self._key, "code", str(challenge_id), code.strip())
            )
            # A form whose subject's key was destroyed meanwhile is no form any more: the
            # challenge then behaves as one for an unknown address.
            form = (
                None
                if row["submission"] is None
                else vault_of(connection).open_json(row["submission"])
            )
            opens = row["opens_disclosure"]
            if row["verified_at"] is not None:
                # A code that opens a disclosure is used once; a browser that entered it
                # is let in by its opening (interfaces/privacy_center/disclosure.py).
                if opens is not None:
                    return Checked(Verdict.USED)
                # The code was right before; the request is still to be recorded only if
                # that failed (submit() is idempotent on the request id, so try again).
                if right and form is not None:
                    return Checked(Verdict.VERIFIED, request=_request(row, row["request_id"], form))
                return Checked(Verdict.USED)
            if row["locked_until"] is not None and row["locked_until"] > now:
                return Checked(Verdict.LOCKED)
            if row["expires_at"] <= now:
                return Checked(Verdict.EXPIRED)
            if not right or (form is None and opens is None):
                wrong = row["failed_attempts"] + 1
                locked = wrong >= MAX_WRONG_CODES
                await stored.count_wrong_code(
                    connection, challenge_id, wrong, now + LOCKED_FOR if locked else None
                )
                log.info("privacy center code wrong", challenge_id=str(challenge_id), locked=locked)
                if locked:
                    return Checked(Verdict.LOCKED)
                return Checked(Verdict.WRONG, attempts_left=MAX_WRONG_CODES - wrong)
            if opens is not None:
                await stored.mark_verified(connection, challenge_id, now, None)
                log.info("privacy center disclosure code verified", challenge_id=str(challenge_id))
                return Checked(Verdict.VERIFIED, opens=opens)
            assert form is not None  # a form's code was checked against its form above
            request_id = f"pc-{secrets.token_hex(10)}"
            await stored.mark_verified(connection, challenge_id, now, request_id)
        log.info(
            "privacy center code verified", challenge_id=str(challenge_id), request_id=request_id
        )
        return Checked(Verdict.VERIFIED, request=_request(row, request_id, form))

    async def complete(
        self, challenge_id: uuid.UUID, request_id: str, *, base_url: str, link_message: Any
    ) -> int | None:
        """The request is recorded: forget the form, make its status link and queue the
        message carrying it (`link_message(url)`). Once per request."""
        token = secrets.token_urlsafe(32)
        url = f"{base_url}/status/{token}"
        async with self._pool.acquire() as connection, connection.transaction():
            on_record = await stored.requester_of(connection, request_id)
            await stored.forget_form(connection, challenge_id)
            made = await stored.add_status_link(connection, token_hash(token), request_id)
            if not made or on_record is None or on_record["subject_id"] is None:
                return None
            recipient = vault_of(connection).open(on_record["requester_email"])
            if recipient == ERASED:  # erased already: there is nobody to send the link to
                return None
            return await _queue(
                connection,
                f"pc-status-{request_id}",
                "status_link",
                on_record["subject_id"],
                recipient,
                link_message(url),
            )

    async def request_of(self, token: str) -> str | None:
        return await stored.request_of_link(self._pool, token_hash(token))

    async def state(self, challenge_id: uuid.UUID) -> asyncpg.Record | None:
        """Whether the challenge is `locked` now and its code `used`; None if unknown."""
        return await stored.challenge_state(self._pool, challenge_id)


def _request(row: asyncpg.Record, request_id: str, form: dict[str, Any]) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "subject_id": row["subject_id"],
        "kind": row["kind"],
        "language": row["language"],
        **form,
    }


async def _queue(
    connection: Connection,
    key: str,
    purpose: str,
    subject_id: str,
    recipient: str,
    message: Message,
) -> int:
    """Queue a message to `recipient`, sealed under `subject_id`'s key (inside the
    caller's transaction), once per `key`."""
    return await stored.queue_notice(
        connection, key, purpose, subject_id, recipient, message.subject, message.body
    )


class Outbox:
    """Delivers the privacy center's messages with the service's sender. A message that
    fails stays pending and goes with the next delivery; one whose personal data was
    erased before it went is withdrawn (removed: it has no one left to go to)."""

    def __init__(self, pool: asyncpg.Pool, sender: NoticeSender) -> None:
        self._pool = pool
        self._sender = sender

    async def deliver(self, *notice_ids: int | None) -> None:
        ids = [i for i in notice_ids if i is not None]
        async with self._pool.acquire() as connection:
            vault = vault_of(connection)
            rows = await stored.pending_notices(connection, ids)
            # A shredding marks the key destroyed at its commit and deletes it from the
            # keyring after: in between the key still opens what was forgotten.
            forgotten = await stored.destroyed_keys(
                connection, [key_of(row["recipient"]) for row in rows]
            )
        for row in rows:
            recipient, subject_line, body = (
                vault.open(row[column]) for column in ("recipient", "subject_line", "body")
            )
            if key_of(row["recipient"]) in forgotten or ERASED in (recipient, subject_line, body):
                await self._withdraw(row["notice_id"])
                continue
            try:
                await self._sender.send(
                    OutgoingNotice(
                        row["notice_id"], row["idempotency_key"], recipient, subject_line, body
                    )
                )
            except Exception as error:  # kept pending, sent next time
                log.warning(
                    "privacy center message not delivered; it stays pending",
                    notice_id=row["notice_id"],
                    error=type(error).__name__,
                )
                continue
            await stored.mark_delivered(self._pool, row["notice_id"])

    async def _withdraw(self, notice_id: int) -> None:
        """Remove a pending message whose request's personal data was erased: kept, it
        would be tried at every delivery for ever, and the outbox has no other state for
        it (its code or link is of no use to anyone any more)."""
        await stored.withdraw_notice(self._pool, notice_id)
        log.info(
            "privacy center message withdrawn: its personal data was erased", notice_id=notice_id
        )
