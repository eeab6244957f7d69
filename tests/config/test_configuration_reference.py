"""docs/configuration.md is made from the settings' models (runtime/settings/reference.py),
never written by hand: it must be what they make now, and every variable must say what it
does."""

from __future__ import annotations

from runtime.settings import Settings
from runtime.settings.reference import DOCUMENT, main, render


def test_the_configuration_reference_is_what_the_models_make() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), (
        "docs/configuration.md is out of date: run python -m runtime.settings.reference"
    )
    assert main(["--check"]) == 0


def test_every_variable_has_a_description_and_a_row() -> None:
    text = render()
    for variable, field in Settings.variables().items():
        assert field.description, f"{variable} has no description"
        assert f"| `{variable}` |" in text


def test_every_concern_has_a_table() -> None:
    text = render()
    for concern in Settings.concerns().values():
        assert concern.__doc__
        assert f"## {concern.__doc__.strip().splitlines()[0]}\n" in text
