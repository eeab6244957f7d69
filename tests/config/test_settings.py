"""Settings from the environment: sensible defaults, and a bad value stops start-up with one
line that starts with the variable's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from runtime.settings import Settings, SettingsError, load_settings
from tests.support.config import refusal

VARIABLES = [
    "TEMPORAL_ADDRESS",
    "TEMPORAL_NAMESPACE",
    "DSR_TASK_QUEUE",
    "DATABASE_URL",
    "DSR_DATA_DIR",
    "DSR_LOG_FORMAT",
    "DSR_TEMPORAL_PORT",
    "DSR_UI_PORT",
    "DSR_METRICS_PORT",
    "DSR_METRICS_HOST",
    "DSR_TRACING",
    "DSR_OWNER_DATABASE_URL",
    "DSR_API_DATABASE_URL",
    "DSR_CHECKPOINT_KEY",
    "DSR_CHECKPOINT_PUBLIC_KEY",
    "DSR_WITNESS_DIR",
    "DSR_CHECKPOINT_EVERY",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's own environment must not leak into these tests."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


def test_defaults() -> None:
    settings = load_settings()
    assert isinstance(settings, Settings)
    assert settings.temporal.task_queue == "dsr"
    assert settings.local.data_dir == Path(".dsr")
    assert settings.temporal.namespace == "default"
    assert settings.observability.log_format == "auto"
    assert settings.local.temporal_port == 7233
    assert settings.local.ui_port == 8233
    assert settings.temporal.address is None
    assert settings.database.url is None
    assert settings.temporal.embedded is True
    assert settings.database.embedded is True


def test_external_servers_turn_off_the_embedded_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", "temporal:7233")
    monkeypatch.setenv("DATABASE_URL", "postgresql://dsr:secret@app-db:5432/dsr")
    settings = load_settings()
    assert settings.temporal.address == "temporal:7233"
    assert settings.database.url == "postgresql://dsr:secret@app-db:5432/dsr"
    assert settings.temporal.embedded is False
    assert settings.database.embedded is False


def test_every_variable_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    values = {
        "TEMPORAL_NAMESPACE": "dsr-prod",
        "DSR_TASK_QUEUE": "dsr.v2",
        "DSR_DATA_DIR": "/var/dsr",
        "DSR_LOG_FORMAT": "json",
        "DSR_TEMPORAL_PORT": "17233",
        "DSR_UI_PORT": "18233",
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.temporal.namespace == "dsr-prod"
    assert settings.temporal.task_queue == "dsr.v2"
    assert settings.local.data_dir == Path("/var/dsr")
    assert settings.observability.log_format == "json"
    assert settings.local.temporal_port == 17233
    assert settings.local.ui_port == 18233


@pytest.mark.parametrize("name", ["TEMPORAL_ADDRESS", "DATABASE_URL"])
def test_empty_address_means_embedded(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "")
    settings = load_settings()
    assert settings.temporal.embedded is True
    assert settings.database.embedded is True


@pytest.mark.parametrize(
    "address",
    [
        "temporal:7233",
        "localhost:1",
        "10.0.0.5:7233",
        "[::1]:7233",
        "temporal.internal.example:65535",
    ],
)
def test_host_port_addresses_are_accepted(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    monkeypatch.setenv("TEMPORAL_ADDRESS", address)
    assert load_settings().temporal.address == address


@pytest.mark.parametrize(
    "address",
    [
        "localhost",
        "temporal:",
        ":7233",
        "http://temporal:7233",
        "temporal:port",
        "temporal :7233",
        "temporal:123456",
    ],
)
def test_temporal_address_without_a_port_is_refused(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    message = refusal(monkeypatch, "TEMPORAL_ADDRESS", address)
    assert "host:port" in message


@pytest.mark.parametrize("address", ["temporal:7233\n", "temporal:99999", "temporal:0"])
def test_temporal_address_with_an_impossible_port_is_refused(
    monkeypatch: pytest.MonkeyPatch, address: str
) -> None:
    # A trailing newline (a secret read from a file) or a port outside 1-65535 cannot be
    # connected to; it must stop start-up here, not fail later inside the client.
    refusal(monkeypatch, "TEMPORAL_ADDRESS", address)


@pytest.mark.parametrize("url", ["postgresql://u@h:5432/db", "postgres://h/db"])
def test_postgres_urls_are_accepted(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("DATABASE_URL", url)
    assert load_settings().database.url == url


@pytest.mark.parametrize(
    "url",
    ["mysql://u@h:3306/db", "sqlite:///dsr.db", "h:5432/db", "POSTGRESQL://h/db"],
)
def test_other_database_urls_are_refused(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    message = refusal(monkeypatch, "DATABASE_URL", url)
    assert "postgresql://" in message


@pytest.mark.parametrize("value", ["xml", "JSON", "text", ""])
def test_unknown_log_format_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    message = refusal(monkeypatch, "DSR_LOG_FORMAT", value)
    assert "json" in message


@pytest.mark.parametrize("value", ["auto", "json", "console"])
def test_known_log_formats(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DSR_LOG_FORMAT", value)
    assert load_settings().observability.log_format == value


@pytest.mark.parametrize("value", ["dsr queue", " dsr", "dsr/1", "", "q" * 201])
def test_bad_task_queue_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    refusal(monkeypatch, "DSR_TASK_QUEUE", value)


@pytest.mark.parametrize("value", ["my namespace", "ns/1", ""])
def test_bad_namespace_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    refusal(monkeypatch, "TEMPORAL_NAMESPACE", value)


@pytest.mark.parametrize("name", ["DSR_TEMPORAL_PORT", "DSR_UI_PORT"])
@pytest.mark.parametrize("value", ["0", "65536", "-1", "http", "7233.5"])
def test_bad_ports_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    refusal(monkeypatch, name, value)


def test_first_bad_variable_is_the_one_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSR_LOG_FORMAT", "xml")
    monkeypatch.setenv("DSR_UI_PORT", "nope")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert str(caught.value).split(":", 1)[0] in {"DSR_LOG_FORMAT", "DSR_UI_PORT"}
    assert isinstance(caught.value, ValueError)


def test_names_are_case_sensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("temporal_address", "not-an-address")
    monkeypatch.setenv("dsr_task_queue", "other")
    settings = load_settings()
    assert settings.temporal.embedded is True
    assert settings.temporal.task_queue == "dsr"


def test_unrelated_variables_are_ignored(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSR_SOMETHING_ELSE", "whatever")
    assert load_settings().temporal.task_queue == "dsr"


def test_metrics_are_served_on_localhost_9464_and_tracing_is_off_by_default() -> None:
    settings = load_settings()
    assert settings.observability.metrics_port == 9464
    assert settings.observability.metrics_address() == "127.0.0.1:9464"
    assert settings.observability.tracing == "off"


def test_metrics_port_0_serves_no_metrics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSR_METRICS_PORT", "0")
    assert load_settings().observability.metrics_address() is None


@pytest.mark.parametrize(
    ("host", "address"), [("0.0.0.0", "0.0.0.0:19464"), ("::1", "[::1]:19464")]
)
def test_metrics_host_and_port(monkeypatch: pytest.MonkeyPatch, host: str, address: str) -> None:
    monkeypatch.setenv("DSR_METRICS_HOST", host)
    monkeypatch.setenv("DSR_METRICS_PORT", "19464")
    assert load_settings().observability.metrics_address() == address


@pytest.mark.parametrize("value", ["65536", "-1", "metrics", ""])
def test_bad_metrics_port_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    refusal(monkeypatch, "DSR_METRICS_PORT", value)


@pytest.mark.parametrize("value", ["localhost", "127.0.0.1:9464", "", "10.0.0.300"])
def test_metrics_host_must_be_an_ip_address(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    assert "IP address" in refusal(monkeypatch, "DSR_METRICS_HOST", value)


@pytest.mark.parametrize("value", ["console", "otlp"])
def test_tracing_modes(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("DSR_TRACING", value)
    assert load_settings().observability.tracing == value


@pytest.mark.parametrize("value", ["on", "jaeger", "OTLP", ""])
def test_unknown_tracing_mode_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    assert "otlp" in refusal(monkeypatch, "DSR_TRACING", value)


def test_the_checkpoint_key_and_witness_live_under_the_data_folder_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DSR_DATA_DIR", "/srv/dsr")
    settings = load_settings()
    assert settings.checkpoint_key_file() == Path("/srv/dsr/keys/checkpoint-ed25519.pem")
    assert settings.witness_folder() == Path("/srv/dsr/witness")
    assert settings.checkpoint_public_key_file() == Path("/srv/dsr/keys/checkpoint-ed25519.pub.pem")
    assert settings.schedules.checkpoint_every.total_seconds() == 60
    monkeypatch.setenv("DSR_CHECKPOINT_KEY", "/run/secrets/checkpoint_key")
    monkeypatch.setenv("DSR_WITNESS_DIR", "/mnt/witness")
    monkeypatch.setenv("DSR_CHECKPOINT_EVERY", "15m")
    settings = load_settings()
    assert settings.checkpoint_key_file() == Path("/run/secrets/checkpoint_key")
    assert settings.witness_folder() == Path("/mnt/witness")
    assert settings.checkpoint_public_key_file() == Path("/run/secrets/checkpoint_key.pub.pem")
    monkeypatch.setenv("DSR_CHECKPOINT_PUBLIC_KEY", "/etc/dsr/checkpoint.pub.pem")
    assert load_settings().checkpoint_public_key_file() == Path("/etc/dsr/checkpoint.pub.pem")
    assert settings.schedules.checkpoint_every.total_seconds() == 900


@pytest.mark.parametrize("value", ["30s", "0m", "25h", "soon", "1d"])
def test_a_checkpoint_interval_out_of_range_is_refused(
    monkeypatch: pytest.MonkeyPatch,
    value: str,
) -> None:
    assert "DSR_CHECKPOINT_EVERY: must be" in refusal(monkeypatch, "DSR_CHECKPOINT_EVERY", value)


def test_an_owner_url_needs_the_runtime_url(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(monkeypatch, "DSR_OWNER_DATABASE_URL", "postgresql://dsr_owner@db/dsr")
    assert "set DATABASE_URL too" in message
    assert "must be a postgresql:// URL" in refusal(
        monkeypatch, "DSR_OWNER_DATABASE_URL", "mysql://dsr_owner@db/dsr"
    )
    monkeypatch.setenv("DATABASE_URL", "postgresql://dsr_runtime@db/dsr")
    monkeypatch.setenv("DSR_OWNER_DATABASE_URL", "postgresql://dsr_owner@db/dsr")
    assert load_settings().database.owner_url == "postgresql://dsr_owner@db/dsr"


def test_the_api_has_a_database_url_of_its_own(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's role (issue 21): read alone, as the standalone API holds it without the
    worker's DATABASE_URL."""
    assert load_settings().database.api_url is None
    assert "must be a postgresql:// URL" in refusal(
        monkeypatch, "DSR_API_DATABASE_URL", "mysql://dsr_api@db/dsr"
    )
    monkeypatch.setenv("DSR_API_DATABASE_URL", "postgresql://dsr_api@db/dsr")
    settings = load_settings()
    assert settings.database.api_url == "postgresql://dsr_api@db/dsr"
    assert settings.database.url is None
