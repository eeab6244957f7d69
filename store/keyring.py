"""Where subjects' data keys live, apart from the database they protect.

A data key is 32 random bytes for AES-256-GCM, wrapped (AES-GCM under the key-encryption
key, bound to its key id) and kept by a `Keyring`. The database holds only which key is a
subject's current one (`subject_keys`) and values sealed under it; the wrapped keys are
never in the database, so its dumps, backups and WAL hold nothing that opens a value.
Destroying a key (crypto-shredding) makes every value sealed under it unreadable wherever
a copy of it lies.

`DirectoryKeyring` is the embedded default: one file per key in a folder (`.dsr/keys/`),
which production keeps on a volume of its own, outside the database's backups. A KMS plugs
in by implementing `Keyring` (create: generate and wrap; unwrap; destroy: schedule the
key's deletion)."""

from __future__ import annotations

import base64
import os
import secrets
import uuid
from pathlib import Path
from typing import Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from store.durable import fsync_folder

KEY_BYTES = 32
NONCE_BYTES = 12


class KeyringError(RuntimeError):
    """The keyring cannot be used as configured; the message says what to change."""


class Keyring(Protocol):
    def create(self) -> tuple[str, bytes]:
        """A new data key: its id and its bytes, kept wrapped before this returns."""
        ...

    def unwrap(self, key_id: str) -> bytes | None:
        """The data key, or None once it has been destroyed."""
        ...

    def destroy(self, key_id: str) -> None:
        """Destroy a data key for good; destroying it again does nothing."""
        ...


def derived_key(key_encryption_key: bytes, purpose: str) -> bytes:
    """A key for another purpose (the blind index), derived so one secret is kept, not
    two, and neither reveals the other."""
    return HKDF(
        algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=f"dsr {purpose}".encode()
    ).derive(key_encryption_key)


def load_key_encryption_key(path: Path, *, text: str | None = None, create: bool = True) -> bytes:
    """The key-encryption key: DSR_KEY_ENCRYPTION_KEY (base64 of 32 bytes) when given,
    else the file, created (mode 0600) on first start of the embedded default."""
    if text is not None:
        return _decoded(text, "DSR_KEY_ENCRYPTION_KEY")
    if not path.exists():
        if not create:
            raise KeyringError(
                f"no key-encryption key at {path}; set "
                "DSR_KEY_ENCRYPTION_KEY or start the service once to make one"
            )
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_private(path, base64.b64encode(secrets.token_bytes(KEY_BYTES)) + b"\n")
    return _decoded(path.read_text(encoding="ascii").strip(), str(path))


def _decoded(text: str, where: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise KeyringError(
            f"{where} must hold the base64 of {KEY_BYTES} random bytes "
            "(make one with: openssl rand -base64 32)"
        )
    return key


def _write_private(path: Path, content: bytes) -> None:
    """Write a secret with mode 0600 from its first byte, durably, and atomically."""
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(descriptor, content)
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(partial, path)
    fsync_folder(path.parent)


class DirectoryKeyring:
    """Data keys as files `<key id>.key` in one folder, wrapped under the key-encryption
    key. Nothing is cached: a key destroyed by any process is gone for every process at
    its next read."""

    def __init__(self, folder: Path, key_encryption_key: bytes) -> None:
        self._folder = folder
        self._wrapping = AESGCM(key_encryption_key)
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def _path(self, key_id: str) -> Path:
        return self._folder / f"{uuid.UUID(hex=key_id).hex}.key"

    def create(self) -> tuple[str, bytes]:
        key_id = uuid.uuid4().hex
        key = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
        nonce = secrets.token_bytes(NONCE_BYTES)
        wrapped = nonce + self._wrapping.encrypt(nonce, key, key_id.encode())
        _write_private(self._path(key_id), wrapped)
        return key_id, key

    def unwrap(self, key_id: str) -> bytes | None:
        try:
            wrapped = self._path(key_id).read_bytes()
        except FileNotFoundError:
            return None
        if not wrapped.strip(b"\0"):
            return None  # overwritten by a destruction that stopped before the unlink
        try:
            return self._wrapping.decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], key_id.encode()
            )
        except InvalidTag:
            raise KeyringError(
                f"data key {key_id} does not open with this key-encryption key: "
                "DSR_KEY_ENCRYPTION_KEY is not the one the keys were made with"
            ) from None

    def destroy(self, key_id: str) -> None:
        path = self._path(key_id)
        try:
            size = path.stat().st_size
            with path.open("r+b") as file:  # overwrite first: the file system may keep blocks
                file.write(b"\0" * size)
                file.flush()
                os.fsync(file.fileno())
            path.unlink()
        except FileNotFoundError:
            return
        fsync_folder(self._folder)
