"""Settings of personal data at rest: the key-encryption key, the keyring of subjects'
data keys, and how long a closed request's personal data is kept (store/keyring.py,
store/shredding.py, activities/retention.py)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, Field, field_validator

from domain.durations import parse_duration
from store.keyring import DirectoryKeyring, load_key_encryption_key
from store.sealing import Vault

# An hour at least, so a slip of the unit cannot shred a request as it closes; ten years
# is past any legal need to keep a request's texts.
PERSONAL_DATA_RETENTION_RANGE = (timedelta(hours=1), timedelta(days=3650))
DEFAULT_PERSONAL_DATA_RETENTION = timedelta(days=365)
SHRED_EVERY_RANGE = (timedelta(minutes=1), timedelta(hours=24))


class PersonalDataSettings(BaseModel):
    data_dir: Path = Field(default=Path(".dsr"), validation_alias="DSR_DATA_DIR")
    key_encryption_key: str | None = Field(
        default=None, validation_alias="DSR_KEY_ENCRYPTION_KEY", repr=False,
        description="base64 of 32 random bytes: the key that wraps every subject's data "
                    "key (openssl rand -base64 32). Unset: <DSR_DATA_DIR>/keys/"
                    "key-encryption.key, made on first start.",
    )
    key_encryption_key_path: Path | None = Field(
        default=None, validation_alias="DSR_KEY_ENCRYPTION_KEY_FILE",
        description="File holding that key (base64), e.g. a secret file in production; "
                    "DSR_KEY_ENCRYPTION_KEY, when set, wins.",
    )
    keyring_dir: Path | None = Field(
        default=None, validation_alias="DSR_KEYRING_DIR",
        description="Folder of the subjects' wrapped data keys, shared by the worker and the "
                    "API; keep it out of the database's backups (that is what makes an "
                    "erasure reach them). Unset: <DSR_DATA_DIR>/keyring.",
    )
    personal_data_retention: str = Field(
        default="365d", validation_alias="DSR_PERSONAL_DATA_RETENTION",
        description="How long after it closes a request's personal data (details, texts, "
                    "notices) is kept before it is shredded; its events, deadlines and "
                    "outcome stay. e.g. 365d or 90d.",
    )
    shred_every: str = Field(
        default="1h", validation_alias="DSR_SHRED_EVERY",
        description="How often the retention schedule looks for closed requests past "
                    "DSR_PERSONAL_DATA_RETENTION, e.g. 1h or 15m.",
    )

    @field_validator("personal_data_retention")
    @classmethod
    def _personal_data_retention(cls, value: str) -> str:
        parse_duration(value, "dh", least=PERSONAL_DATA_RETENTION_RANGE[0],
                       most=PERSONAL_DATA_RETENTION_RANGE[1])
        return value

    @field_validator("shred_every")
    @classmethod
    def _shred_every(cls, value: str) -> str:
        parse_duration(value, "hm", least=SHRED_EVERY_RANGE[0], most=SHRED_EVERY_RANGE[1])
        return value

    def personal_data_retention_period(self) -> timedelta:
        return parse_duration(self.personal_data_retention, "dh",
                              least=PERSONAL_DATA_RETENTION_RANGE[0],
                              most=PERSONAL_DATA_RETENTION_RANGE[1])

    def shred_interval(self) -> timedelta:
        return parse_duration(self.shred_every, "hm", least=SHRED_EVERY_RANGE[0],
                              most=SHRED_EVERY_RANGE[1])

    def key_encryption_key_file(self) -> Path:
        return self.key_encryption_key_path or self.data_dir / "keys" / "key-encryption.key"

    def keyring_folder(self) -> Path:
        return self.keyring_dir or self.data_dir / "keyring"

    def vault(self, *, create: bool = True) -> Vault:
        """The vault the service seals personal data with; on the embedded default its
        key-encryption key is made on first start (`create`: the worker does, the command
        line and the API alone find the one it made)."""
        kek = load_key_encryption_key(
            self.key_encryption_key_file(), text=self.key_encryption_key,
            create=create and self.key_encryption_key_path is None)
        return Vault.of(DirectoryKeyring(self.keyring_folder(), kek), kek)
