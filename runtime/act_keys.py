"""The act keys: the API signs operators' acts with an Ed25519 private key, the worker
verifies them with public keys listed by key id (domain/authority.py).

- the signing key: DSR_ACT_SIGNING_KEY, a PEM private key file (0600) that only the API's
  process reads; unset, `<DSR_DATA_DIR>/keys/act-signing-ed25519.pem`;
- the public keys: DSR_ACT_PUBLIC_KEYS, a folder of `<key id>.pub` PEM files or a
  comma-separated list of such files, all the worker reads; unset,
  `<DSR_DATA_DIR>/keys/act-public/`.

On the embedded default (neither variable set) `make run` makes the pair at first start
(`ensure_act_key_pair`). `rotate_act_key` (`dsr-admin keys rotate`) makes a new pair: the
new private key replaces the old, the new public key is listed beside the old ones, so acts
signed just before the rotation are still taken; an old public key is retired by deleting
its file.
"""

from __future__ import annotations

import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from domain.authority import ActSigner, act_key_id
from runtime.settings import Settings

PUBLIC_SUFFIX = ".pub"


class ActKeyProblem(ValueError):
    """An act key cannot be used; the message names the file."""


def signing_key_file(settings: Settings) -> Path:
    return (
        settings.api.act_signing_key or settings.local.data_dir / "keys" / "act-signing-ed25519.pem"
    )


def public_key_sources(settings: Settings) -> list[Path]:
    """The folder, or the files, DSR_ACT_PUBLIC_KEYS names (the data folder's by default)."""
    listed = settings.api.act_public_keys.strip()
    if not listed:
        return [settings.local.data_dir / "keys" / "act-public"]
    return [Path(part.strip()) for part in listed.split(",") if part.strip()]


def _write_new(path: Path, data: bytes) -> None:
    """Write `data` to a new file of mode 0600 (its folder 0700), then rename it into place."""
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    for folder in reversed(missing):  # each folder made here is 0700, not the umask's
        folder.mkdir(mode=0o700, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.new")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    os.replace(draft, path)


def _private_pem(key: Ed25519PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _public_folder(settings: Settings) -> Path:
    sources = public_key_sources(settings)
    if len(sources) != 1 or sources[0].is_file() or sources[0].suffix == PUBLIC_SUFFIX:
        raise ActKeyProblem(
            "DSR_ACT_PUBLIC_KEYS lists files: new public keys are written to a folder; "
            "point DSR_ACT_PUBLIC_KEYS at one (or leave it unset) to make or rotate keys here"
        )
    return sources[0]


def generate_act_key_pair(settings: Settings) -> str:
    """A new pair: the private key at the signing key's place (replacing any there), the
    public key as `<key id>.pub` in the public keys' folder. Returns the new key id."""
    return install_act_key(settings, Ed25519PrivateKey.generate())


def install_act_key(settings: Settings, key: Ed25519PrivateKey) -> str:
    """Put `key` at the signing key's place and list its public key; returns its id."""
    folder = _public_folder(settings)
    key_id = act_key_id(key.public_key())
    # The public key first: a signer is never in place before its key is listed.
    _write_new(folder / f"{key_id}{PUBLIC_SUFFIX}", public_pem(key.public_key()))
    _write_new(signing_key_file(settings), _private_pem(key))
    return key_id


def ensure_act_key_pair(settings: Settings) -> str | None:
    """Make the pair when there is no signing key yet (first start, `dsr-admin setup`);
    returns the new key id, or None when a signing key exists. A signing key whose public
    key is not listed gets it listed."""
    path = signing_key_file(settings)
    if not path.exists():
        return generate_act_key_pair(settings)
    signer = load_act_signer(settings)
    folder = _public_folder(settings)
    listed = folder / f"{signer.key_id}{PUBLIC_SUFFIX}"
    if not listed.exists():
        _write_new(listed, public_pem(signer.public_key))
    return None


def rotate_act_key(settings: Settings) -> str:
    """`dsr-admin keys rotate`: a new pair; the old public key stays listed (delete its
    `.pub` file to retire it once no act signed with it can still arrive). Returns the new
    key id. The API signs with the new key once restarted; workers list it at their next
    start (or at once, if they share the folder and are restarted)."""
    return generate_act_key_pair(settings)


def load_act_signer(settings: Settings) -> ActSigner:
    """The API's signer, from DSR_ACT_SIGNING_KEY (or the data folder's key)."""
    path = signing_key_file(settings)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ActKeyProblem(
            f"{path}: no act signing key there (DSR_ACT_SIGNING_KEY); `make run` makes one "
            "on the embedded default, `dsr-admin setup` elsewhere"
        ) from None
    except OSError as error:
        raise ActKeyProblem(f"{path}: {error.strerror}") from None
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as error:
        raise ActKeyProblem(f"{path}: not an unencrypted PEM private key ({error})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ActKeyProblem(f"{path}: the act signing key must be Ed25519")
    return ActSigner(key)


def _public_files(source: Path) -> list[Path]:
    if source.is_dir():
        return sorted(p for p in source.iterdir() if p.name.endswith(PUBLIC_SUFFIX))
    return [source]


def load_act_public_keys(settings: Settings) -> dict[str, Ed25519PublicKey]:
    """The public keys the worker verifies acts with, by key id. Each file's name must be
    its key's id (`<key id>.pub`), so a misplaced key is noticed at start-up."""
    keys: dict[str, Ed25519PublicKey] = {}
    for source in public_key_sources(settings):
        if not source.exists():
            raise ActKeyProblem(
                f"{source}: no act public keys there (DSR_ACT_PUBLIC_KEYS); `make run` makes "
                "them on the embedded default, `dsr-admin setup` elsewhere"
            )
        for path in _public_files(source):
            try:
                key = serialization.load_pem_public_key(path.read_bytes())
            except OSError as error:
                raise ActKeyProblem(f"{path}: {error.strerror}") from None
            except ValueError as error:
                raise ActKeyProblem(f"{path}: not a PEM public key ({error})") from None
            if not isinstance(key, Ed25519PublicKey):
                raise ActKeyProblem(f"{path}: an act public key must be Ed25519")
            key_id = act_key_id(key)
            if path.name != f"{key_id}{PUBLIC_SUFFIX}":
                raise ActKeyProblem(f"{path}: this key's id is {key_id}; name it {key_id}.pub")
            keys[key_id] = key
    if not keys:
        raise ActKeyProblem(
            f"{', '.join(map(str, public_key_sources(settings)))}: no act public key "
            "(`<key id>.pub`) listed"
        )
    return keys
