"""Settings refused by `load_settings`, as the settings tests check them."""

from __future__ import annotations

import pytest

from runtime.settings import SettingsError, load_settings


def settings_refused(variable: str) -> str:
    """The settings as the environment now stands are refused with one line that starts
    with the variable's name; returns that line."""
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable}: "), message
    assert "\n" not in message
    return message


def refusal(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> str:
    """The refusal of `value` for the variable `name`."""
    monkeypatch.setenv(name, value)
    return settings_refused(name)
