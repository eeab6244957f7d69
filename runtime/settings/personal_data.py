"""Personal data at rest: the key-encryption key and the keyring of subjects' data keys
(store/keyring.py, store/sealing.py; runtime/vault.py opens them). How long it is kept is
in schedules.py."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from runtime.settings.base import Concern


class PersonalDataSettings(Concern):
    """Personal data at rest"""

    key_encryption_key: str | None = Field(
        default=None,
        validation_alias="DSR_KEY_ENCRYPTION_KEY",
        repr=False,
        description="base64 of 32 random bytes: the key that wraps every subject's data "
        "key (openssl rand -base64 32). Unset: <DSR_DATA_DIR>/keys/"
        "key-encryption.key, made on first start.",
    )
    key_encryption_key_path: Path | None = Field(
        default=None,
        validation_alias="DSR_KEY_ENCRYPTION_KEY_FILE",
        description="File holding that key (base64), e.g. a secret file in production; "
        "DSR_KEY_ENCRYPTION_KEY, when set, wins.",
    )
    keyring_dir: Path | None = Field(
        default=None,
        validation_alias="DSR_KEYRING_DIR",
        description="Folder of the subjects' wrapped data keys, shared by the worker and the "
        "API; keep it out of the database's backups (that is what makes an "
        "erasure reach them). Unset: <DSR_DATA_DIR>/keyring.",
    )
