"""One settings model, read from the environment. A bad value stops start-up with one
clear line naming the variable."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.deadlines import DeadlinePolicy, parse_overrides, policy_with

_HOST_PORT = re.compile(r"[A-Za-z0-9.\-\[\]:]+:\d{1,5}")


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=True, extra="ignore")

    temporal_address: str | None = Field(
        default=None, validation_alias="TEMPORAL_ADDRESS",
        description="host:port of an existing Temporal frontend; unset starts the dev server.",
    )
    temporal_namespace: str = Field(
        default="default", validation_alias="TEMPORAL_NAMESPACE", pattern=r"^[A-Za-z0-9._-]{1,255}$"
    )
    task_queue: str = Field(
        default="dsr", validation_alias="DSR_TASK_QUEUE", pattern=r"^[A-Za-z0-9._-]{1,200}$"
    )
    database_url: str | None = Field(
        default=None, validation_alias="DATABASE_URL",
        description="postgresql:// URL of an existing database; unset starts embedded PostgreSQL.",
    )
    data_dir: Path = Field(default=Path(".dsr"), validation_alias="DSR_DATA_DIR")
    log_format: Literal["auto", "json", "console"] = Field(
        default="auto", validation_alias="DSR_LOG_FORMAT"
    )
    temporal_port: int = Field(default=7233, ge=1, le=65535, validation_alias="DSR_TEMPORAL_PORT")
    ui_port: int = Field(default=8233, ge=1, le=65535, validation_alias="DSR_UI_PORT")
    deadlines: str = Field(
        default="", validation_alias="DSR_DEADLINES",
        description="Overrides of the deadline policy's durations, e.g. answer=7d,decide=36h.",
    )

    time_zone: str = Field(
        default="Asia/Tokyo", validation_alias="DSR_TIME_ZONE",
        description="The organisation's time zone: dates in notices are written in it.",
    )

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value[:60]!r}; use an IANA name such as "
                             "Asia/Tokyo") from None
        return value

    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @field_validator("deadlines")
    @classmethod
    def _deadline_overrides(cls, value: str) -> str:
        parse_overrides(value)
        return value

    def deadline_policy(self) -> DeadlinePolicy:
        return policy_with(parse_overrides(self.deadlines))

    @field_validator("temporal_address")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not _HOST_PORT.fullmatch(value) or not 1 <= int(value.rsplit(":", 1)[1]) <= 65535:
            raise ValueError("must be host:port with a port from 1 to 65535, e.g. temporal:7233")
        return value

    @field_validator("database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL, e.g. postgresql://user@host:5432/db")
        return value

    @property
    def embedded_temporal(self) -> bool:
        return self.temporal_address is None

    @property
    def embedded_postgres(self) -> bool:
        return self.database_url is None


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        error = exc.errors()[0]
        variable = ".".join(str(part) for part in error["loc"]) or "settings"
        message = str(error["msg"]).removeprefix("Value error, ")
        raise SettingsError(f"{variable}: {message}") from None
