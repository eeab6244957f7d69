"""One settings model, read from the environment. A bad value stops start-up with one
clear line naming the variable."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.deadlines import DeadlinePolicy, parse_overrides, policy_with
from domain.durations import parse_duration
from runtime.personal_data_settings import PersonalDataSettings

_HOST_PORT = re.compile(r"[A-Za-z0-9.\-\[\]:]+:\d{1,5}")
# Temporal refuses a retention under one hour; ten years is far past any legal need.
RETENTION_RANGE = (timedelta(hours=1), timedelta(days=3650))
# Archiving is a query and a few RPCs: more often than a minute is only load; a day apart
# leaves a window in which a short retention could drop a history before it is archived.
ARCHIVE_EVERY_RANGE = (timedelta(minutes=1), timedelta(hours=24))
# Events appended since the last checkpoint can be changed unseen: a day is the most a
# deployment may leave open (closes sign checkpoints of their own in between).
CHECKPOINT_EVERY_RANGE = (timedelta(minutes=1), timedelta(hours=24))


class SettingsError(ValueError):
    """A setting that cannot be used; the message names the variable."""


class Settings(BaseSettings, PersonalDataSettings):
    model_config = SettingsConfigDict(env_prefix="", case_sensitive=True, extra="ignore")

    temporal_address: str | None = Field(
        default=None, validation_alias="TEMPORAL_ADDRESS",
        description="host:port of an existing Temporal frontend; unset starts the dev server.",
    )
    temporal_namespace: str = Field(
        default="default", validation_alias="TEMPORAL_NAMESPACE", pattern=r"^[A-Za-z0-9._-]{1,255}$"
    )

    # Reaching a secured cluster (README): TLS, mutual TLS and an API key, under the names
    # the SDK's temporalio.envconfig and the `temporal` CLI read, so one set of variables
    # serves both. For TEMPORAL_ADDRESS only: the embedded dev server is plain and local.
    # runtime/cluster.py: connection_security() turns them into the client's options.
    temporal_tls: bool | None = Field(
        default=None, validation_alias="TEMPORAL_TLS",
        description="true: TLS even with nothing else set (the system's roots); false: no "
                    "TLS, even with an API key. Unset: TLS when any TEMPORAL_TLS_* or "
                    "TEMPORAL_API_KEY is set.",
    )
    temporal_tls_server_ca_cert_path: Path | None = Field(
        default=None, validation_alias="TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        description="PEM file of the CA the cluster's certificate must chain to; unset: the "
                    "system's roots.",
    )
    temporal_tls_server_ca_cert_data: str | None = Field(
        default=None, validation_alias="TEMPORAL_TLS_SERVER_CA_CERT_DATA",
        description="The same CA as PEM text, instead of the file.",
    )
    temporal_tls_client_cert_path: Path | None = Field(
        default=None, validation_alias="TEMPORAL_TLS_CLIENT_CERT_PATH",
        description="PEM file of the service's client certificate, for mutual TLS.",
    )
    temporal_tls_client_cert_data: str | None = Field(
        default=None, validation_alias="TEMPORAL_TLS_CLIENT_CERT_DATA",
        description="The same certificate as PEM text, instead of the file.",
    )
    temporal_tls_client_key_data: str | None = Field(
        default=None, validation_alias="TEMPORAL_TLS_CLIENT_KEY_DATA", repr=False,
        description="The client certificate's private key as PEM text, instead of the file.",
    )
    temporal_tls_client_key_path: Path | None = Field(
        # Checked even when unset (_client_key_always_checked): a certificate without its
        # key is refused here.
        default=None, validation_alias="TEMPORAL_TLS_CLIENT_KEY_PATH",
        description="PEM file of the client certificate's private key (unencrypted).",
    )
    temporal_tls_server_name: str | None = Field(
        default=None, validation_alias="TEMPORAL_TLS_SERVER_NAME",
        description="Name the cluster's certificate is checked against (and sent as SNI) "
                    "when it is not the host of TEMPORAL_ADDRESS.",
    )
    temporal_tls_disable_host_verification: bool = Field(
        default=False, validation_alias="TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
        description="Refused when true: the service always checks the cluster's certificate.",
    )
    temporal_api_key: str | None = Field(
        default=None, validation_alias="TEMPORAL_API_KEY", repr=False,
        description="API key sent as a bearer token (Temporal Cloud); implies TLS unless "
                    "TEMPORAL_TLS is false.",
    )

    # Pydantic names an unset field by its Python name, not its variable: the key is always
    # handed in (unset: None), so that its validator refuses a certificate without it under
    # the variable's name. (Imported here, and only for this, to keep to this block.)
    from pydantic import model_validator

    @model_validator(mode="before")
    @classmethod
    def _client_key_always_checked(cls, data: object) -> object:
        if isinstance(data, dict) and "TEMPORAL_TLS_CLIENT_KEY_PATH" not in data:
            return {**data, "TEMPORAL_TLS_CLIENT_KEY_PATH": None}
        return data

    del model_validator

    @field_validator("temporal_tls", "temporal_tls_server_ca_cert_path",
                     "temporal_tls_server_ca_cert_data", "temporal_tls_client_cert_path",
                     "temporal_tls_client_cert_data", "temporal_tls_client_key_data",
                     "temporal_tls_client_key_path", "temporal_tls_server_name",
                     "temporal_tls_disable_host_verification", "temporal_api_key", mode="before")
    @classmethod
    def _temporal_security_text(cls, value: object, info: ValidationInfo) -> object:
        """Empty is unset; booleans as envconfig reads them (true/false/1/0, any case)."""
        if not isinstance(value, str):
            return value
        if value.strip() == "":
            return False if info.field_name == "temporal_tls_disable_host_verification" else None
        if info.field_name in ("temporal_tls", "temporal_tls_disable_host_verification"):
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(f"must be true or false (got {value[:20]!r})")
            return value.lower() in ("true", "1")
        return value

    @field_validator("temporal_tls", "temporal_tls_server_ca_cert_path",
                     "temporal_tls_server_ca_cert_data", "temporal_tls_client_cert_path",
                     "temporal_tls_client_cert_data", "temporal_tls_client_key_data",
                     "temporal_tls_client_key_path", "temporal_tls_server_name",
                     "temporal_tls_disable_host_verification", "temporal_api_key")
    @classmethod
    def _temporal_security(cls, value: object, info: ValidationInfo) -> object:
        name = info.field_name or ""
        if name == "temporal_tls_client_key_path":  # runs even when unset, as None
            has_cert = bool(info.data.get("temporal_tls_client_cert_path")
                            or info.data.get("temporal_tls_client_cert_data"))
            has_key = bool(value or info.data.get("temporal_tls_client_key_data"))
            refused = not {"temporal_tls_client_cert_path", "temporal_tls_client_cert_data",
                           "temporal_tls_client_key_data"} <= info.data.keys()
            if has_cert != has_key and not refused:
                raise ValueError(
                    "a client certificate and its key go together: set TEMPORAL_TLS_CLIENT_"
                    f"{'KEY' if has_cert else 'CERT'}_PATH (or _DATA) too, or neither")
        if value is None or value is False:
            return value
        if name == "temporal_tls_disable_host_verification":
            raise ValueError("is not supported: the service always checks the cluster's "
                             "certificate; set TEMPORAL_TLS_SERVER_NAME to the name it carries "
                             "or TEMPORAL_TLS_SERVER_CA_CERT_PATH to its CA")
        if "temporal_address" in info.data and info.data["temporal_address"] is None:
            raise ValueError("applies only to a cluster at TEMPORAL_ADDRESS; the embedded dev "
                             "server is plain and local: set TEMPORAL_ADDRESS or unset this")
        tls_off = info.data.get("temporal_tls") is False
        if tls_off and name not in ("temporal_tls", "temporal_api_key"):
            raise ValueError("is set, but TEMPORAL_TLS is false: unset one of them")
        if name.endswith("_data") or name.endswith("_path"):
            variable = name.upper()
            twin = (variable.removesuffix("_DATA") + "_PATH" if name.endswith("_data")
                    else variable.removesuffix("_PATH") + "_DATA")
            if info.data.get(twin.lower()) is not None:
                raise ValueError(f"set either this or {twin}, not both")
            if isinstance(value, Path):
                try:
                    pem = value.read_bytes()
                except OSError as error:
                    raise ValueError(f"cannot read {str(value)[:200]}: "
                                     f"{error.strerror or error}") from None
                where = f"{str(value)[:200]} is"
            else:
                pem, where = str(value).encode(), "is"
            key = "_key_" in name
            if key and b"-----BEGIN ENCRYPTED PRIVATE KEY-----" in pem:
                raise ValueError(f"{where} an encrypted key; give the key unencrypted, "
                                 "readable by the service alone")
            block = (rb"-----BEGIN ([A-Z]+ )?PRIVATE KEY-----" if key
                     else rb"-----BEGIN CERTIFICATE-----")
            if not re.search(block, pem):
                raise ValueError(f"{where} not PEM with a "
                                 f"{'PRIVATE KEY' if key else 'CERTIFICATE'} block")
        return value

    task_queue: str = Field(
        default="dsr", validation_alias="DSR_TASK_QUEUE", pattern=r"^[A-Za-z0-9._-]{1,200}$"
    )
    database_url: str | None = Field(
        default=None, validation_alias="DATABASE_URL",
        description="postgresql:// URL of an existing database; unset starts embedded PostgreSQL.",
    )
    owner_database_url: str | None = Field(
        default=None, validation_alias="DSR_OWNER_DATABASE_URL",
        description="postgresql:// URL of the role that owns the schema and runs the "
                    "migrations; DATABASE_URL is then the runtime role, which may append "
                    "and read events but never change them. Unset with DATABASE_URL set: "
                    "one role does both (warned at start-up).",
    )
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

    retention: str = Field(
        default="30d", validation_alias="DSR_RETENTION",
        description="How long the namespace keeps a closed workflow's history, e.g. 30d or "
                    "36h; applied to the namespace at start-up.",
    )
    archive_every: str = Field(
        default="5m", validation_alias="DSR_ARCHIVE_EVERY",
        description="How often the schedule archives closed requests' histories, e.g. 5m.",
    )

    metrics_port: int = Field(
        default=9464, ge=0, le=65535, validation_alias="DSR_METRICS_PORT",
        description="Port of the worker's Prometheus endpoint (/metrics); 0 serves none.",
    )
    metrics_host: str = Field(
        default="127.0.0.1", validation_alias="DSR_METRICS_HOST",
        description="IP address the metrics endpoint binds to; 0.0.0.0 for every interface.",
    )
    tracing: Literal["off", "console", "otlp"] = Field(
        default="off", validation_alias="DSR_TRACING",
        description="OpenTelemetry spans of workflows and activities: off, console (to "
                    "standard output) or otlp (to OTEL_EXPORTER_OTLP_ENDPOINT, over HTTP).",
    )

    workflow_sandbox: bool = Field(
        default=False, validation_alias="DSR_WORKFLOW_SANDBOX",
        description="Run workflow code in the SDK's sandbox. Its checks run in every test "
                    "(the suite's workers and the history replayer keep it on); the service "
                    "runs without its cost (a third of the worker's CPU, 40 ms of each "
                    "request's first task) unless this is true.",
    )

    # Mail (README, *Mail*): notices go to the maildrop folder (the embedded default) or to
    # an SMTP server (mail/smtp.py). The DSR_SMTP_* variables and
    # DSR_MAIL_FROM apply only with DSR_MAIL=smtp; the host, the password and the sender
    # are checked even when unset (handed in as None, so that an error names the variable,
    # as for TEMPORAL_TLS_CLIENT_KEY_PATH above).
    mail: Literal["maildrop", "smtp"] = Field(
        default="maildrop", validation_alias="DSR_MAIL",
        description="Where notices go: maildrop (one file per notice in <DSR_DATA_DIR>/"
                    "maildrop, for a relay to pick up) or smtp (sent to DSR_SMTP_HOST).",
    )
    smtp_host: str | None = Field(
        default=None, validation_alias="DSR_SMTP_HOST",
        description="Name or address of the SMTP server (relay or submission port).",
    )
    smtp_port: int | None = Field(
        default=None, ge=1, le=65535, validation_alias="DSR_SMTP_PORT",
        description="Its port; unset: 587 (starttls), 465 (implicit) or 25 (off).",
    )
    smtp_tls: Literal["starttls", "implicit", "off"] = Field(
        default="starttls", validation_alias="DSR_SMTP_TLS",
        description="starttls (required, never opportunistic), implicit (TLS from the "
                    "first byte) or off (plain, for a relay on this machine).",
    )
    smtp_ca_file: Path | None = Field(
        default=None, validation_alias="DSR_SMTP_CA_FILE",
        description="PEM file of the CA the server's certificate must chain to; unset: the "
                    "system's roots.",
    )
    smtp_username: str | None = Field(
        default=None, validation_alias="DSR_SMTP_USERNAME",
        description="User name to log in with; unset: no login.",
    )
    smtp_password: str | None = Field(
        default=None, validation_alias="DSR_SMTP_PASSWORD", repr=False,
        description="Its password.",
    )
    mail_from: str | None = Field(
        default=None, validation_alias="DSR_MAIL_FROM",
        description="The address notices are sent from, e.g. privacy@example.jp or "
                    "'Privacy Office <privacy@example.jp>'; its domain ends each Message-ID.",
    )

    from pydantic import model_validator

    @model_validator(mode="before")
    @classmethod
    def _mail_always_checked(cls, data: object) -> object:
        if isinstance(data, dict):
            return {"DSR_SMTP_HOST": None, "DSR_SMTP_PASSWORD": None, "DSR_MAIL_FROM": None,
                    **data}
        return data

    del model_validator

    @field_validator("mail", "smtp_host", "smtp_port", "smtp_tls", "smtp_ca_file",
                     "smtp_username", "smtp_password", "mail_from", mode="before")
    @classmethod
    def _mail_text(cls, value: object, info: ValidationInfo) -> object:
        """Empty is unset (the default)."""
        if isinstance(value, str) and value.strip() == "":
            return {"mail": "maildrop", "smtp_tls": "starttls"}.get(info.field_name or "")
        return value

    @field_validator("smtp_host", "smtp_port", "smtp_tls", "smtp_ca_file", "smtp_username",
                     "smtp_password", "mail_from")
    @classmethod
    def _mail_settings(cls, value: object, info: ValidationInfo) -> object:
        if "mail" not in info.data:  # DSR_MAIL itself was refused
            return value
        name = info.field_name or ""
        if info.data["mail"] != "smtp":
            # Unset fields reach here only for those checked by default, as None; an empty
            # DSR_SMTP_TLS is its default.
            if value is not None and not (name == "smtp_tls" and value == "starttls"):
                raise ValueError("applies only with DSR_MAIL=smtp: set DSR_MAIL=smtp or "
                                 "unset this")
            return value
        if name == "smtp_host":
            if value is None:
                raise ValueError("must be set when DSR_MAIL is smtp: the SMTP server's name, "
                                 "e.g. smtp.example.jp")
            if not re.fullmatch(r"[A-Za-z0-9.\-]{1,253}|\[?[0-9A-Fa-f:.]{2,45}\]?", str(value)):
                raise ValueError(f"must be a host name or IP address, without a port (set "
                                 f"DSR_SMTP_PORT for that) (got {str(value)[:60]!r})")
            return str(value).strip("[]")
        if name == "smtp_ca_file" and value is not None:
            if info.data.get("smtp_tls") == "off":
                raise ValueError("is set, but DSR_SMTP_TLS is off: unset one of them")
            try:
                pem = Path(str(value)).read_bytes()
            except OSError as error:
                raise ValueError(f"cannot read {str(value)[:200]}: "
                                 f"{error.strerror or error}") from None
            if b"-----BEGIN CERTIFICATE-----" not in pem:
                raise ValueError(f"{str(value)[:200]} is not PEM with a CERTIFICATE block")
        if name == "smtp_password":
            if (value is None) != (info.data.get("smtp_username") is None):
                raise ValueError("must be set with DSR_SMTP_USERNAME (or unset both)"
                                 if value is None else "is set without DSR_SMTP_USERNAME: "
                                 "set both or neither")
            host = info.data.get("smtp_host")
            if value is not None and info.data.get("smtp_tls") == "off" and host not in (
                    "localhost", "127.0.0.1", "::1"):
                raise ValueError("would be sent in the clear: set DSR_SMTP_TLS to starttls "
                                 "or implicit (off is for a relay on this machine)")
        if name == "mail_from":
            from email.utils import parseaddr  # only here, to keep to this block

            address = parseaddr(str(value or ""))[1]
            local, _, domain = address.rpartition("@")
            if not local or "." not in domain:
                raise ValueError("must be the address notices are sent from, e.g. "
                                 "privacy@example.jp" + (f" (got {str(value)[:60]!r})"
                                                         if value else ", when DSR_MAIL "
                                                         "is smtp"))
        return value

    checkpoint_key: Path | None = Field(
        default=None, validation_alias="DSR_CHECKPOINT_KEY",
        description="PEM file of the Ed25519 key that signs the event log's checkpoints; "
                    "unset: <DSR_DATA_DIR>/keys/checkpoint-ed25519.pem, generated at first "
                    "start.",
    )
    witness_dir: Path | None = Field(
        default=None, validation_alias="DSR_WITNESS_DIR",
        description="Folder the signed checkpoints are written to, outside the database; "
                    "unset: <DSR_DATA_DIR>/witness.",
    )
    checkpoint_every: str = Field(
        default="1m", validation_alias="DSR_CHECKPOINT_EVERY",
        description="How often the event log's head is signed and witnessed (besides at "
                    "every request's close), e.g. 1m or 15m.",
    )

    act_key: Path | None = Field(
        default=None, validation_alias="DSR_ACT_KEY",
        description="File of the secret (32 random bytes) the API and the command line sign "
                    "operators' acts with and the worker verifies them with; unset: "
                    "<DSR_DATA_DIR>/keys/act-hmac.key, generated at first start.",
    )
    api_port: int = Field(
        default=8000, ge=0, le=65535, validation_alias="DSR_API_PORT",
        description="Port of the HTTP API and the privacy center that `make run` serves; "
                    "0 serves none.",
    )
    api_host: str = Field(
        default="127.0.0.1", validation_alias="DSR_API_HOST",
        description="IP address the API binds to; 0.0.0.0 for every interface.",
    )
    public_url: str = Field(
        default="", validation_alias="DSR_PUBLIC_URL",
        description="The privacy center's address as people reach it, for links in notices "
                    "(e.g. https://privacy.example.jp); unset: http://<DSR_API_HOST>:"
                    "<DSR_API_PORT>.",
    )
    token: str | None = Field(
        default=None, validation_alias="DSR_TOKEN",
        description="The `dsr` command line's bearer token (an account's, from `dsr accounts "
                    "create`); unset on the embedded default: the local administrator's, "
                    "from <DSR_DATA_DIR>/admin-token.",
    )

    def act_key_file(self) -> Path:
        return self.act_key or self.data_dir / "keys" / "act-hmac.key"

    def admin_token_file(self) -> Path:
        return self.data_dir / "admin-token"

    def api_url(self) -> str:
        if self.public_url:
            return self.public_url.rstrip("/")
        host = ipaddress.ip_address(self.api_host)
        return f"http://{f'[{host}]' if host.version == 6 else host}:{self.api_port}"

    def checkpoint_key_file(self) -> Path:
        return self.checkpoint_key or self.data_dir / "keys" / "checkpoint-ed25519.pem"

    def witness_folder(self) -> Path:
        return self.witness_dir or self.data_dir / "witness"

    @field_validator("checkpoint_every")
    @classmethod
    def _checkpoint_every(cls, value: str) -> str:
        parse_duration(value, "hm", least=CHECKPOINT_EVERY_RANGE[0],
                       most=CHECKPOINT_EVERY_RANGE[1])
        return value

    def checkpoint_interval(self) -> timedelta:
        return parse_duration(self.checkpoint_every, "hm", least=CHECKPOINT_EVERY_RANGE[0],
                              most=CHECKPOINT_EVERY_RANGE[1])

    @field_validator("metrics_host", "api_host")
    @classmethod
    def _ip_address(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise ValueError(f"must be an IP address such as 127.0.0.1 or 0.0.0.0 "
                             f"(got {value[:60]!r})") from None
        return value

    def metrics_address(self) -> str | None:
        """host:port the Prometheus endpoint binds to, or None when DSR_METRICS_PORT is 0."""
        if self.metrics_port == 0:
            return None
        host = ipaddress.ip_address(self.metrics_host)
        shown = f"[{host}]" if host.version == 6 else str(host)
        return f"{shown}:{self.metrics_port}"

    @field_validator("retention")
    @classmethod
    def _retention(cls, value: str) -> str:
        parse_duration(value, "dh", least=RETENTION_RANGE[0], most=RETENTION_RANGE[1])
        return value

    @field_validator("archive_every")
    @classmethod
    def _archive_every(cls, value: str, info: ValidationInfo) -> str:
        every = parse_duration(value, "hm", least=ARCHIVE_EVERY_RANGE[0],
                               most=ARCHIVE_EVERY_RANGE[1])
        retention = info.data.get("retention")  # absent when DSR_RETENTION was refused
        if retention and 2 * every > parse_duration(retention, "dh", least=RETENTION_RANGE[0],
                                                    most=RETENTION_RANGE[1]):
            raise ValueError(f"must be at most half of DSR_RETENTION ({retention}), or a "
                             "history could be dropped before it is archived")
        return value

    def retention_period(self) -> timedelta:
        return parse_duration(self.retention, "dh", least=RETENTION_RANGE[0],
                              most=RETENTION_RANGE[1])

    def archive_interval(self) -> timedelta:
        return parse_duration(self.archive_every, "hm", least=ARCHIVE_EVERY_RANGE[0],
                              most=ARCHIVE_EVERY_RANGE[1])

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

    @field_validator("database_url", "owner_database_url")
    @classmethod
    def _postgres_url(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("postgresql://", "postgres://")):
            raise ValueError("must be a postgresql:// URL, e.g. postgresql://user@host:5432/db")
        return value

    @field_validator("owner_database_url")
    @classmethod
    def _owner_with_runtime(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value and not info.data.get("database_url"):
            raise ValueError("set DATABASE_URL too (the runtime role); the embedded default "
                             "creates its own two roles")
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
