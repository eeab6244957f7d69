"""DSR_RETENTION and DSR_ARCHIVE_EVERY: defaults, the units each accepts, and a bad value
refused with one line naming the variable."""

from __future__ import annotations

from datetime import timedelta

import pytest

from runtime.settings import load_settings
from tests.support.config import refusal


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DSR_RETENTION", "DSR_ARCHIVE_EVERY"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_keep_thirty_days_and_archive_every_five_minutes() -> None:
    settings = load_settings()
    assert settings.schedules.retention == timedelta(days=30)
    assert settings.schedules.archive_every == timedelta(minutes=5)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("30d", timedelta(days=30)),
        ("36h", timedelta(hours=36)),
        ("1h", timedelta(hours=1)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("3650d", timedelta(days=3650)),
        (" 7d ", timedelta(days=7)),
    ],
)
def test_retention_in_days_and_hours(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: timedelta
) -> None:
    monkeypatch.setenv("DSR_RETENTION", value)
    assert load_settings().schedules.retention == expected


@pytest.mark.parametrize("value", ["30", "30m", "2w", "d", "", "-1d", "1.5d", "1h1h", "P30D"])
def test_retention_in_other_forms_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    assert "whole number of d or h" in refusal(monkeypatch, "DSR_RETENTION", value)


@pytest.mark.parametrize("value", ["0h", "0d", "3651d"])
def test_retention_outside_what_temporal_keeps_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    # Temporal refuses a retention under an hour; the setting says so before it is asked.
    assert "from 1h to 3650d" in refusal(monkeypatch, "DSR_RETENTION", value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5m", timedelta(minutes=5)),
        ("1m", timedelta(minutes=1)),
        ("2h", timedelta(hours=2)),
        ("1h30m", timedelta(minutes=90)),
        ("24h", timedelta(hours=24)),
    ],
)
def test_archive_interval_in_hours_and_minutes(
    monkeypatch: pytest.MonkeyPatch, value: str, expected: timedelta
) -> None:
    monkeypatch.setenv("DSR_ARCHIVE_EVERY", value)
    assert load_settings().schedules.archive_every == expected


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
def test_bad_archive_interval_is_refused(
    monkeypatch: pytest.MonkeyPatch, value: str, problem: str
) -> None:
    assert problem in refusal(monkeypatch, "DSR_ARCHIVE_EVERY", value)


def test_archiving_must_come_well_within_the_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DSR_RETENTION", "2h")
    monkeypatch.setenv("DSR_ARCHIVE_EVERY", "1h")
    assert load_settings().schedules.archive_every == timedelta(hours=1)
    message = refusal(monkeypatch, "DSR_ARCHIVE_EVERY", "61m")
    assert "at most half of DSR_RETENTION (2h)" in message
