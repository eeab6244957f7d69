"""The service's settings, read from the environment: one model per concern, composed in
`Settings`. A bad value stops start-up with one clear line naming the variable.
docs/configuration.md lists every variable (python -m runtime.settings.reference)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator
from pydantic.fields import FieldInfo

from domain.durations import parse_duration, spoken_duration
from runtime.pem import read_pem
from runtime.settings.api import ApiSettings
from runtime.settings.base import Concern, SettingsError
from runtime.settings.database import DatabaseSettings
from runtime.settings.datastores import DataStoresSettings
from runtime.settings.evidence import EvidenceSettings
from runtime.settings.local import LocalSettings
from runtime.settings.mail import MailSettings
from runtime.settings.observability import ObservabilitySettings
from runtime.settings.personal_data import PersonalDataSettings
from runtime.settings.policy import PolicySettings
from runtime.settings.schedules import DEFAULT_PERSONAL_DATA_RETENTION, ScheduleSettings
from runtime.settings.temporal import TemporalSettings
from runtime.settings.temporal_security import TemporalSecurity

__all__ = [
    "DEFAULT_PERSONAL_DATA_RETENTION",
    "ApiSettings",
    "Concern",
    "DataStoresSettings",
    "DatabaseSettings",
    "EvidenceSettings",
    "LocalSettings",
    "MailSettings",
    "ObservabilitySettings",
    "PersonalDataSettings",
    "PolicySettings",
    "ScheduleSettings",
    "Settings",
    "SettingsError",
    "TemporalSecurity",
    "TemporalSettings",
    "load_settings",
    "parse_duration",
    "spoken_duration",
]


class Settings(BaseModel):
    """Every concern's settings. `Settings(DSR_DATA_DIR=...)` takes values by variable name,
    over the environment; each concern picks its own."""

    model_config = ConfigDict(frozen=True)

    temporal: TemporalSettings
    temporal_security: TemporalSecurity
    database: DatabaseSettings
    local: LocalSettings
    mail: MailSettings
    observability: ObservabilitySettings
    schedules: ScheduleSettings
    api: ApiSettings
    personal_data: PersonalDataSettings
    evidence: EvidenceSettings
    policy: PolicySettings
    datastores: DataStoresSettings

    def __init__(self, **variables: Any) -> None:  # each concern takes the ones it reads
        super().__init__(
            temporal=TemporalSettings(**variables),
            temporal_security=TemporalSecurity(**variables),
            database=DatabaseSettings(**variables),
            local=LocalSettings(**variables),
            mail=MailSettings(**variables),
            observability=ObservabilitySettings(**variables),
            schedules=ScheduleSettings(**variables),
            api=ApiSettings(**variables),
            personal_data=PersonalDataSettings(**variables),
            evidence=EvidenceSettings(**variables),
            policy=PolicySettings(**variables),
            datastores=DataStoresSettings(**variables),
        )

    @classmethod
    def concerns(cls) -> dict[str, type[Concern]]:
        """The concerns' models by attribute, in the order they are read."""
        return {
            name: concern
            for name, field in cls.model_fields.items()
            if isinstance(concern := field.annotation, type) and issubclass(concern, Concern)
        }

    @classmethod
    def variables(cls) -> dict[str, FieldInfo]:
        """Every variable the settings read, with its field."""
        return {
            str(field.validation_alias): field
            for concern in cls.concerns().values()
            for field in concern.model_fields.values()
        }

    @model_validator(mode="after")
    def _across_concerns(self) -> Self:
        self.temporal_security.check(address=self.temporal.address)
        return self

    def pem_files(self) -> list[tuple[str, Path, bool]]:
        """(variable, file, whether it holds a key) of every PEM file the settings name."""
        return self.temporal_security.pem_files() + self.mail.pem_files()

    # Files that default to a place in the data folder.

    def act_window(self) -> timedelta:
        return timedelta(minutes=self.api.act_window)

    def admin_token_file(self) -> Path:
        return self.local.data_dir / "admin-token"

    def checkpoint_key_file(self) -> Path:
        return (
            self.evidence.checkpoint_key or self.local.data_dir / "keys" / "checkpoint-ed25519.pem"
        )

    def datastores_file(self) -> Path | None:
        """The data map in use: DSR_DATASTORES, or the data folder's when there is one."""
        if self.datastores.datastores is not None:
            return self.datastores.datastores
        local = self.local.data_dir / "datastores.yaml"
        return local if local.exists() else None

    def witness_folder(self) -> Path:
        return self.evidence.witness_dir or self.local.data_dir / "witness"

    def key_encryption_key_file(self) -> Path:
        return (
            self.personal_data.key_encryption_key_path
            or self.local.data_dir / "keys" / "key-encryption.key"
        )

    def keyring_folder(self) -> Path:
        return self.personal_data.keyring_dir or self.local.data_dir / "keyring"


def load_settings() -> Settings:
    """The settings from the environment, with the PEM files they name readable and of the
    right kind; a SettingsError of one line, starting with the variable's name, if not."""
    try:
        settings = Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        variable = ".".join(str(part) for part in error["loc"]) or "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{variable}: {message}") from None
    for variable, path, key in settings.pem_files():
        try:
            read_pem(path, key=key)
        except ValueError as error:
            raise SettingsError(f"{variable}: {error}") from None
    return settings
