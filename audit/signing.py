"""The checkpoint key: an Ed25519 key the database never holds.

On the embedded default it is generated under `.dsr/keys/` (mode 0600) at first start; in
production DSR_CHECKPOINT_KEY names a PEM file provided as a secret. The public half is
what an auditor pins: `dsr audit verify --public-key FILE`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from domain.event_log import Checkpoint, SignedCheckpoint


class KeyProblem(ValueError):
    """A key file that cannot be used; the message names the file and what is wrong."""


def key_id(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def public_key_file_for(private: Path) -> Path:
    """Where the public half of a private key file is kept beside it: `<name>.pub.pem`."""
    return private.with_name(private.name.removesuffix(".pem") + ".pub.pem")


def write_public_key(path: Path, public_key: Ed25519PublicKey) -> bool:
    """Write the public key's PEM to `path` (0644) unless a file is there already; whether
    it was written."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "wb") as file:
        file.write(public_pem(public_key))
        file.flush()
        os.fsync(file.fileno())
    return True


def load_private_key(path: Path, *, create: bool) -> Ed25519PrivateKey:
    """The key in `path`; generated there (0600, its folder 0700) when missing and
    `create` is true, with its public half beside it (`public_key_file_for`), which is
    what verification reads."""
    if not path.exists():
        if not create:
            raise KeyProblem(f"{path}: no checkpoint key there (DSR_CHECKPOINT_KEY)")
        key = Ed25519PrivateKey.generate()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
            file.flush()
            os.fsync(file.fileno())
        write_public_key(public_key_file_for(path), key.public_key())
        return key
    try:
        loaded = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError, OSError) as error:
        raise KeyProblem(f"{path}: not a readable unencrypted PEM private key ({error})") from None
    if not isinstance(loaded, Ed25519PrivateKey):
        raise KeyProblem(f"{path}: the checkpoint key must be Ed25519, not {type(loaded).__name__}")
    return loaded


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A pinned public key (PEM). A private key file is refused, unread past its header:
    verification never needs the signing key (issue 22, N6)."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise KeyProblem(f"{path}: {error.strerror}") from None
    if b"PRIVATE KEY-----" in data:
        raise KeyProblem(
            f"{path} holds a private key: verify with the public key you pinned "
            "(the worker writes it beside the private key, as <name>.pub.pem, and into "
            "the witness folder)"
        )
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as error:
        raise KeyProblem(f"{path}: not a PEM public key ({error})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise KeyProblem(f"{path}: the checkpoint key must be Ed25519")
    return key


def sign(key: Ed25519PrivateKey, checkpoint: Checkpoint) -> SignedCheckpoint:
    signature = key.sign(checkpoint.statement())
    return SignedCheckpoint(
        checkpoint=checkpoint, signature=base64.b64encode(signature).decode("ascii")
    )


def signature_valid(public_key: Ed25519PublicKey, signed: SignedCheckpoint) -> bool:
    if signed.checkpoint.key_id != key_id(public_key):
        return False
    try:
        public_key.verify(
            base64.b64decode(signed.signature, validate=True), signed.checkpoint.statement()
        )
    except (InvalidSignature, ValueError):
        return False
    return True
