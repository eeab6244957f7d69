"""Sealing without a database: the keyring of data keys, the key-encryption key, the
envelope a sealed value is stored as, the blind index, and the settings of personal data
at rest (store/keyring.py, store/sealing.py, runtime/settings/personal_data.py,
runtime/vault.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from runtime.settings import load_settings
from runtime.vault import open_vault
from store.keyring import (
    KEY_BYTES,
    NONCE_BYTES,
    DirectoryKeyring,
    KeyringError,
    derived_key,
    load_key_encryption_key,
)
from store.sealing import (
    ERASED,
    PREFIX,
    NotSealed,
    Vault,
    VaultMissing,
    key_of,
    open_with,
    seal_with,
    vault_of,
)
from store.shredding import shred_subject_key
from tests.support.config import settings_refused

SECRET = "Hanako Yamada-Sealtest, 1-2-3 Minato (secret-seal-marker)"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def kek() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


@pytest.fixture
def keyring(tmp_path: Path, kek: bytes) -> DirectoryKeyring:
    return DirectoryKeyring(tmp_path / "keyring", kek)


@pytest.fixture
def vault(keyring: DirectoryKeyring, kek: bytes) -> Vault:
    return Vault.of(keyring, kek)


# The keyring.


def test_a_created_key_is_kept_wrapped_in_a_private_file_and_unwraps(
    tmp_path: Path, keyring: DirectoryKeyring
) -> None:
    key_id, key = keyring.create()
    assert len(key) == KEY_BYTES and len(key_id) == 32 and int(key_id, 16) >= 0
    folder = tmp_path / "keyring"
    assert _mode(folder) == 0o700
    file = folder / f"{key_id}.key"
    assert _mode(file) == 0o600
    wrapped = file.read_bytes()
    # Wrapped, not the key itself: nonce, the key encrypted, the tag.
    assert key not in wrapped and len(wrapped) == NONCE_BYTES + KEY_BYTES + 16
    assert keyring.unwrap(key_id) == key
    # Nothing but the key file is left in the folder (no staging file).
    assert [p.name for p in folder.iterdir()] == [file.name]
    other_id, other = keyring.create()
    assert other_id != key_id and other != key


def test_a_destroyed_key_is_gone_and_destroying_it_again_does_nothing(
    tmp_path: Path, keyring: DirectoryKeyring, kek: bytes
) -> None:
    key_id, _ = keyring.create()
    kept_id, kept = keyring.create()
    keyring.destroy(key_id)
    assert keyring.unwrap(key_id) is None
    assert not (tmp_path / "keyring" / f"{key_id}.key").exists()
    keyring.destroy(key_id)  # idempotent: a retention run destroys it again
    keyring.destroy(secrets.token_hex(16))  # never made: nothing to do either
    assert keyring.unwrap(kept_id) == kept
    # Nothing is cached: another process's keyring (the API's) sees it gone too.
    other = DirectoryKeyring(tmp_path / "keyring", kek)
    assert other.unwrap(kept_id) == kept
    keyring.destroy(kept_id)
    assert other.unwrap(kept_id) is None


def test_another_key_encryption_key_is_refused_with_a_clear_error(
    tmp_path: Path, keyring: DirectoryKeyring
) -> None:
    key_id, _ = keyring.create()
    stranger = DirectoryKeyring(tmp_path / "keyring", secrets.token_bytes(KEY_BYTES))
    with pytest.raises(KeyringError) as refused:
        stranger.unwrap(key_id)
    message = str(refused.value)
    assert key_id in message and "DSR_KEY_ENCRYPTION_KEY" in message
    assert "not the one the keys were made with" in message


def test_a_wrapped_key_is_bound_to_its_id(tmp_path: Path, keyring: DirectoryKeyring) -> None:
    """Copying one key's file over another's does not make one subject's key open the
    other's values: the id is authenticated with the wrapped key."""
    first, _ = keyring.create()
    second, _ = keyring.create()
    folder = tmp_path / "keyring"
    (folder / f"{second}.key").write_bytes((folder / f"{first}.key").read_bytes())
    with pytest.raises(KeyringError):
        keyring.unwrap(second)


@pytest.mark.parametrize("key_id", ["../../etc/passwd", "not-hex", "", "a" * 31])
def test_a_key_id_is_never_a_path(keyring: DirectoryKeyring, key_id: str) -> None:
    with pytest.raises(ValueError):
        keyring.unwrap(key_id)


# The key-encryption key.


def test_the_key_encryption_key_is_made_private_on_first_use_and_kept(tmp_path: Path) -> None:
    path = tmp_path / "dsr" / "keys" / "key-encryption.key"
    # Not made where making is not asked for (the API alone): the error says what to set.
    with pytest.raises(KeyringError, match="DSR_KEY_ENCRYPTION_KEY"):
        load_key_encryption_key(path, create=False)
    made = load_key_encryption_key(path)
    assert len(made) == KEY_BYTES and _mode(path) == 0o600
    assert base64.b64decode(path.read_text().strip()) == made
    assert load_key_encryption_key(path) == made
    assert load_key_encryption_key(path, create=False) == made


def test_the_key_encryption_key_from_its_variable_writes_no_file(tmp_path: Path) -> None:
    key, path = secrets.token_bytes(KEY_BYTES), tmp_path / "keys" / "key-encryption.key"
    text = base64.b64encode(key).decode()
    assert load_key_encryption_key(path, text=text) == key
    assert load_key_encryption_key(path, text=f"  {text}\n") == key
    assert not path.exists()


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64 at all!",
        base64.b64encode(b"sixteen bytes!!!").decode(),
        base64.b64encode(bytes(33)).decode(),
        "secret-kek-marker",
    ],
)
def test_bad_key_encryption_key_text_is_refused_naming_the_variable(
    tmp_path: Path, text: str
) -> None:
    with pytest.raises(KeyringError) as refused:
        load_key_encryption_key(tmp_path / "k", text=text)
    message = str(refused.value)
    assert message.startswith("DSR_KEY_ENCRYPTION_KEY ") and "openssl rand -base64 32" in message
    # A secret, even a wrong one, is not repeated into a log line.
    assert not text or text not in message


def test_a_bad_key_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "key-encryption.key"
    path.write_text("short\n")
    with pytest.raises(KeyringError, match=str(path)):
        load_key_encryption_key(path)


# The envelope.


def test_a_sealed_value_is_prefix_key_id_and_nonce_with_ciphertext(
    keyring: DirectoryKeyring,
) -> None:
    key_id, key = keyring.create()
    envelope = seal_with(key_id, key, SECRET)
    prefix, named, body = envelope.split(".", 2)
    assert (prefix, named) == (PREFIX, key_id) and key_of(envelope) == key_id
    raw = base64.urlsafe_b64decode(body)
    assert len(raw) == NONCE_BYTES + len(SECRET.encode()) + 16
    assert "secret-seal-marker" not in envelope and "Minato" not in envelope
    again = seal_with(key_id, key, SECRET)
    assert again != envelope  # a fresh nonce each time: equal values do not show as equal
    assert open_with(key, envelope) == open_with(key, again) == SECRET
    unicode = "山田 花子 — ü"
    assert open_with(key, seal_with(key_id, key, unicode)) == unicode
    assert open_with(key, seal_with(key_id, key, "")) == ""


@pytest.mark.parametrize(
    "stored",
    [
        SECRET,
        "hanako@example.jp",
        "dsr1.only-two",
        "dsr2.abc.def",
        "",
        '{"text": 1}',
    ],
)
def test_a_value_stored_unsealed_is_refused(stored: str) -> None:
    with pytest.raises(NotSealed) as refused:
        key_of(stored)
    if stored:  # the message never repeats what it refused: it may be personal data
        assert stored not in str(refused.value)


def test_a_tampered_value_is_refused(keyring: DirectoryKeyring, vault: Vault) -> None:
    key_id, key = keyring.create()
    envelope = seal_with(key_id, key, SECRET)
    prefix, named, body = envelope.split(".", 2)
    raw = bytearray(base64.urlsafe_b64decode(body))
    raw[NONCE_BYTES + 3] ^= 0x01
    flipped = f"{prefix}.{named}.{base64.urlsafe_b64encode(bytes(raw)).decode()}"
    with pytest.raises(NotSealed, match="altered"):
        open_with(key, flipped)
    with pytest.raises(NotSealed):
        vault.open(flipped)
    # The key id is authenticated too: a value moved under another key's id is refused.
    other_id, other = keyring.create()
    moved = f"{prefix}.{other_id}.{body}"
    with pytest.raises(NotSealed):
        vault.open(moved)
    with pytest.raises(NotSealed):
        open_with(other, moved)


def test_a_value_opens_as_erased_once_its_key_is_destroyed(
    keyring: DirectoryKeyring, vault: Vault
) -> None:
    key_id, key = keyring.create()
    kept_id, kept_key = keyring.create()
    envelope = seal_with(key_id, key, SECRET)
    as_json = seal_with(key_id, key, json.dumps({"items": [SECRET]}))
    kept = seal_with(kept_id, kept_key, "kept")
    assert vault.open(envelope) == SECRET and not vault.is_erased(envelope)
    assert vault.open_json(as_json) == {"items": [SECRET]}
    keyring.destroy(key_id)
    assert vault.open(envelope) == ERASED == "[erased]"
    assert vault.open_optional(envelope) == ERASED and vault.open_optional(None) is None
    assert vault.open_json(as_json) is None and vault.is_erased(envelope)
    assert vault.open(kept) == "kept" and not vault.is_erased(kept)


# The blind index.


@pytest.mark.parametrize(
    "spelling",
    [
        "hanako.testperson@example.jp",
        "Hanako.Testperson@Example.JP",
        "  hanako.testperson@example.jp\n",
        "\tHANAKO.TESTPERSON@EXAMPLE.JP ",
    ],
)
def test_the_blind_index_ignores_case_and_surrounding_space(vault: Vault, spelling: str) -> None:
    assert vault.blind_index(spelling) == vault.blind_index("hanako.testperson@example.jp")


def test_the_blind_index_is_a_keyed_hash_that_tells_addresses_apart(
    tmp_path: Path, vault: Vault, keyring: DirectoryKeyring, kek: bytes
) -> None:
    address = "hanako.testperson@example.jp"
    index = vault.blind_index(address)
    assert len(index) == 64 and int(index, 16) >= 0 and "hanako" not in index
    assert index != vault.blind_index("hanako.testperson@example.com")
    assert index != vault.blind_index("hanako.test person@example.jp")
    # Not a plain hash anyone could compute from a guessed address...
    assert index != hashlib.sha256(address.encode()).hexdigest()
    # ...nor an HMAC under the key-encryption key itself (the index key is derived)...
    assert index != hmac.new(kek, address.encode(), hashlib.sha256).hexdigest()
    # ...and another deployment's key gives another index.
    other = Vault.of(keyring, secrets.token_bytes(KEY_BYTES))
    assert other.blind_index(address) != index
    assert Vault.of(DirectoryKeyring(tmp_path / "again", kek), kek).blind_index(address) == index


def test_derived_keys_differ_by_purpose_and_from_their_source(kek: bytes) -> None:
    index_key = derived_key(kek, "blind index")
    assert len(index_key) == KEY_BYTES and index_key != kek
    assert derived_key(kek, "blind index") == index_key
    assert derived_key(kek, "something else") != index_key


# What needs a transaction or a vault says so.


class _OutsideTransaction:
    """A connection as sealing sees it, outside any transaction (no database needed)."""

    dsr_vault: Vault | None = None

    def is_in_transaction(self) -> bool:
        return False


async def test_sealing_and_shredding_outside_a_transaction_are_refused(vault: Vault) -> None:
    connection = _OutsideTransaction()
    connection.dsr_vault = vault
    with pytest.raises(RuntimeError, match="inside a transaction"):
        await vault.seal(connection, "s-1", SECRET)  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="inside the transaction"):
        await shred_subject_key(connection, "s-1")  # type: ignore[arg-type]


def test_a_connection_without_a_vault_says_how_to_open_one() -> None:
    with pytest.raises(VaultMissing, match="create_pool"):
        vault_of(_OutsideTransaction())  # type: ignore[arg-type]


# The settings of personal data at rest.

_VARIABLES = (
    "DSR_DATA_DIR",
    "DSR_KEY_ENCRYPTION_KEY",
    "DSR_KEY_ENCRYPTION_KEY_FILE",
    "DSR_KEYRING_DIR",
    "DSR_PERSONAL_DATA_RETENTION",
    "DSR_SHRED_EVERY",
)


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in _VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_personal_data_defaults(environment: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    assert settings.schedules.personal_data_retention == timedelta(days=365)
    assert settings.schedules.shred_every == timedelta(hours=1)
    assert settings.keyring_folder() == Path(".dsr") / "keyring"
    assert settings.key_encryption_key_file() == Path(".dsr") / "keys" / "key-encryption.key"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("365d", timedelta(days=365)),
        ("90d", timedelta(days=90)),
        ("1h", timedelta(hours=1)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("3650d", timedelta(days=3650)),
        (" 30d ", timedelta(days=30)),
    ],
)
def test_personal_data_retention_in_days_and_hours(
    environment: pytest.MonkeyPatch, value: str, expected: timedelta
) -> None:
    environment.setenv("DSR_PERSONAL_DATA_RETENTION", value)
    assert load_settings().schedules.personal_data_retention == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("30", "whole number of d or h"),
        ("90m", "whole number of d or h"),
        ("1y", "whole number of d or h"),
        ("", "whole number of d or h"),
        ("0h", "from 1h to 3650d"),
        ("0d", "from 1h to 3650d"),
        ("3651d", "from 1h to 3650d"),
    ],
)
def test_bad_personal_data_retention_is_refused(
    environment: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    environment.setenv("DSR_PERSONAL_DATA_RETENTION", value)
    assert problem in settings_refused("DSR_PERSONAL_DATA_RETENTION")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1h", timedelta(hours=1)),
        ("15m", timedelta(minutes=15)),
        ("1m", timedelta(minutes=1)),
        ("24h", timedelta(hours=24)),
        ("1h30m", timedelta(minutes=90)),
    ],
)
def test_shred_interval_in_hours_and_minutes(
    environment: pytest.MonkeyPatch, value: str, expected: timedelta
) -> None:
    environment.setenv("DSR_SHRED_EVERY", value)
    assert load_settings().schedules.shred_every == expected


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("30s", "whole number of h or m"),
        ("1d", "whole number of h or m"),
        ("5", "whole number of h or m"),
        ("0m", "from 1m to 24h"),
        ("25h", "from 1m to 24h"),
    ],
)
def test_bad_shred_interval_is_refused(
    environment: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    environment.setenv("DSR_SHRED_EVERY", value)
    assert problem in settings_refused("DSR_SHRED_EVERY")


def test_the_settings_vault_makes_its_key_on_first_start_under_the_data_dir(
    environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    environment.setenv("DSR_DATA_DIR", str(tmp_path / "dsr"))
    settings = load_settings()
    with pytest.raises(KeyringError, match="DSR_KEY_ENCRYPTION_KEY"):
        open_vault(settings, create=False)  # the API alone finds the one the worker made
    vault = open_vault(settings)
    kek_file = tmp_path / "dsr" / "keys" / "key-encryption.key"
    assert _mode(kek_file) == 0o600
    key_id, key = vault.keyring.create()
    assert (tmp_path / "dsr" / "keyring" / f"{key_id}.key").exists()
    reopened = open_vault(load_settings(), create=False)
    assert reopened.open(seal_with(key_id, key, SECRET)) == SECRET
    assert reopened.blind_index("a@b.jp") == vault.blind_index("a@b.jp")


def test_the_settings_vault_from_the_variables(
    environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    kek = secrets.token_bytes(KEY_BYTES)
    text = base64.b64encode(kek).decode()
    environment.setenv("DSR_DATA_DIR", str(tmp_path / "dsr"))
    environment.setenv("DSR_KEY_ENCRYPTION_KEY", text)
    environment.setenv("DSR_KEYRING_DIR", str(tmp_path / "elsewhere"))
    settings = load_settings()
    assert text not in repr(settings)  # the secret stays out of a printed settings object
    vault = open_vault(settings, create=False)
    key_id, _ = vault.keyring.create()
    assert (tmp_path / "elsewhere" / f"{key_id}.key").exists()
    assert not (tmp_path / "dsr").exists()  # no key file made beside the variable's key
    assert vault.blind_index("a@b.jp") == Vault.of(vault.keyring, kek).blind_index("a@b.jp")


def test_a_key_encryption_key_file_is_read_and_never_made(
    environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A secret file (production) is the operator's to provide: a missing one is an error,
    not a new key that would open none of the keys already made."""
    secret = tmp_path / "secrets" / "kek"
    environment.setenv("DSR_DATA_DIR", str(tmp_path / "dsr"))
    environment.setenv("DSR_KEY_ENCRYPTION_KEY_FILE", str(secret))
    with pytest.raises(KeyringError, match=str(secret)):
        open_vault(load_settings())
    assert not secret.exists()
    kek = secrets.token_bytes(KEY_BYTES)
    secret.parent.mkdir()
    secret.write_text(base64.b64encode(kek).decode() + "\n")
    vault = open_vault(load_settings())
    assert vault.blind_index("a@b.jp") == Vault.of(vault.keyring, kek).blind_index("a@b.jp")
    assert not (tmp_path / "dsr" / "keys").exists()


def test_a_bad_key_encryption_key_variable_is_refused_naming_it(
    environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    environment.setenv("DSR_DATA_DIR", str(tmp_path))
    environment.setenv("DSR_KEY_ENCRYPTION_KEY", "secret-but-short")
    with pytest.raises(KeyringError) as refused:
        open_vault(load_settings())
    assert str(refused.value).startswith("DSR_KEY_ENCRYPTION_KEY ")
    assert "secret-but-short" not in str(refused.value)
    assert not os.listdir(tmp_path)


def test_a_key_file_zeroed_by_a_destruction_that_stopped_opens_as_destroyed(tmp_path: Path) -> None:
    """destroy() overwrites, then unlinks: a crash in between leaves zeros, which are a
    destroyed key, not a broken key-encryption key."""
    keyring = DirectoryKeyring(tmp_path, secrets.token_bytes(32))
    key_id, _ = keyring.create()
    path = tmp_path / f"{key_id}.key"
    path.write_bytes(b"\0" * path.stat().st_size)
    assert keyring.unwrap(key_id) is None
