"""Personal data sealed under its subject's key: what every table holds in place of it.

A sealed value is `dsr1.<key id>.<base64(nonce | AES-256-GCM ciphertext)>`, the key id
authenticated with it. The key is the subject's current data key (`subject_keys`, made on
first use), so opening a value needs no subject id, and a value whose key was destroyed
opens as `ERASED` wherever it lies: a table, a dump, a backup.

Sealing happens inside the caller's transaction, under a shared lock on the subject's key,
so a key being replaced (store/shredding.py holds the lock exclusively) never has a value
written under it after the values were carried over.

Where a lookup needs a value (the e-mail on record), the table keeps a blind index beside
it: an HMAC of the normalised value under a key derived from the key-encryption key, never
the value itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from store.connection import Connection
from store.keyring import NONCE_BYTES, Keyring, derived_key

PREFIX = "dsr1"
ERASED = "[erased]"


class NotSealed(ValueError):
    """A column that must hold a sealed value holds something else."""


class VaultMissing(RuntimeError):
    """Personal data was read or written on a connection opened without a vault."""


def subject_lock(subject_id: str) -> int:
    """The advisory lock id of a subject's key (64 bits of a digest, signed for Postgres)."""
    digest = hashlib.sha256(f"subject-key:{subject_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def key_of(envelope: str) -> str:
    """The id of the key a value is sealed under."""
    return _parts(envelope)[1]


def _parts(envelope: str) -> tuple[str, str, str]:
    parts = envelope.split(".", 2) if isinstance(envelope, str) else []
    if len(parts) != 3 or parts[0] != PREFIX:
        raise NotSealed("a personal value is stored unsealed")
    return parts[0], parts[1], parts[2]


def seal_with(key_id: str, key: bytes, text: str) -> str:
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, text.encode("utf-8"), key_id.encode())
    return f"{PREFIX}.{key_id}.{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def open_with(key: bytes, envelope: str) -> str:
    _, key_id, body = _parts(envelope)
    raw = base64.urlsafe_b64decode(body)
    try:
        return (
            AESGCM(key)
            .decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], key_id.encode())
            .decode("utf-8")
        )
    except InvalidTag:
        raise NotSealed(
            f"a value sealed under key {key_id} does not open: it was altered "
            "or sealed under another key with the same id"
        ) from None


@dataclass(frozen=True)
class Vault:
    """Seals and opens personal data; keeps the blind index."""

    keyring: Keyring
    index_key: bytes

    @classmethod
    def of(cls, keyring: Keyring, key_encryption_key: bytes) -> Vault:
        return cls(keyring, derived_key(key_encryption_key, "blind index"))

    async def current_key(self, connection: Connection, subject_id: str) -> tuple[str, bytes]:
        """The subject's current data key, made on first use. Takes the subject's key
        lock (shared) until the caller's transaction ends."""
        if not connection.is_in_transaction():
            raise RuntimeError(
                "personal data is sealed inside a transaction, so the "
                "subject's key cannot be replaced halfway"
            )
        await connection.execute(
            "SELECT pg_advisory_xact_lock_shared($1)", subject_lock(subject_id)
        )
        for _ in range(2):
            key_id = await connection.fetchval(
                "SELECT key_id FROM subject_keys WHERE subject_id = $1 AND destroyed_at IS NULL",
                subject_id,
            )
            if key_id is not None:
                key = self.keyring.unwrap(key_id)
                if key is None:
                    raise RuntimeError(
                        f"the current data key {key_id} of a subject is missing from the keyring"
                    )
                return key_id, key
            key_id, key = self.keyring.create()
            made = await connection.fetchval(
                """INSERT INTO subject_keys (key_id, subject_id) VALUES ($1, $2)
                   ON CONFLICT DO NOTHING RETURNING key_id""",
                key_id,
                subject_id,
            )
            if made is not None:
                return key_id, key
            self.keyring.destroy(key_id)  # another transaction made the subject's key first
        raise RuntimeError("the subject's data key could not be made")

    async def current_keys(
        self, connection: Connection, subject_ids: list[str]
    ) -> dict[str, tuple[str, bytes]]:
        """`current_key` for many subjects in a few statements (a fan-out seals thousands of
        notices at once); the locks are taken in one sorted order, so two batches cannot
        deadlock."""
        if not connection.is_in_transaction():
            raise RuntimeError(
                "personal data is sealed inside a transaction, so the "
                "subject's key cannot be replaced halfway"
            )
        wanted = sorted(set(subject_ids))
        await connection.execute(
            "SELECT pg_advisory_xact_lock_shared(l) FROM unnest($1::bigint[]) AS l ORDER BY l",
            sorted(subject_lock(s) for s in wanted),
        )
        found = {
            row["subject_id"]: row["key_id"]
            for row in await connection.fetch(
                "SELECT subject_id, key_id FROM subject_keys WHERE subject_id = ANY($1::text[])"
                " AND destroyed_at IS NULL",
                wanted,
            )
        }
        keys: dict[str, tuple[str, bytes]] = {}
        for subject_id in wanted:
            key_id = found.get(subject_id)
            key = self.keyring.unwrap(key_id) if key_id else None
            if key_id is None or key is None:
                keys[subject_id] = await self.current_key(connection, subject_id)
            else:
                keys[subject_id] = (key_id, key)
        return keys

    async def seal(self, connection: Connection, subject_id: str, text: str) -> str:
        key_id, key = await self.current_key(connection, subject_id)
        return seal_with(key_id, key, text)

    async def seal_all(self, connection: Connection, subject_id: str, *texts: str) -> list[str]:
        key_id, key = await self.current_key(connection, subject_id)
        return [seal_with(key_id, key, text) for text in texts]

    async def seal_json(self, connection: Connection, subject_id: str, value: Any) -> str:
        return await self.seal(connection, subject_id, json.dumps(value, ensure_ascii=False))

    def open(self, envelope: str) -> str:
        """The value, or ERASED once its key was destroyed."""
        key = self.keyring.unwrap(key_of(envelope))
        return ERASED if key is None else open_with(key, envelope)

    def open_optional(self, envelope: str | None) -> str | None:
        return None if envelope is None else self.open(envelope)

    def open_json(self, envelope: str) -> Any | None:
        """The value, or None once its key was destroyed."""
        text = self.open(envelope)
        return None if text == ERASED else json.loads(text)

    def is_erased(self, envelope: str) -> bool:
        return self.keyring.unwrap(key_of(envelope)) is None

    def blind_index(self, value: str) -> str:
        """The keyed hash a lookup compares, of the value trimmed and case-folded (an
        e-mail address is matched so)."""
        return hmac.new(
            self.index_key, value.strip().casefold().encode("utf-8"), hashlib.sha256
        ).hexdigest()


def vault_of(connection: Connection) -> Vault:
    """The vault of a connection from store.database.create_pool(vault=...)."""
    vault = getattr(connection, "dsr_vault", None)
    if vault is None:
        raise VaultMissing(
            "this database pool was opened without a vault, so it cannot "
            "read or write personal data (create_pool(..., vault=...))"
        )
    return vault
