"""docs/configuration.md, made from the settings' models: a table per concern of each
variable, its default and its description. `python -m runtime.settings.reference` writes it;
tests/unit/test_configuration_reference.py fails when the file and the models differ."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from pydantic.fields import FieldInfo

from domain.durations import spoken_duration
from runtime.settings import Settings

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "configuration.md"

_HEADER = """\
# Configuration

The service reads its settings from environment variables; each has a default that suits
development on one machine (embedded Temporal and PostgreSQL under `DSR_DATA_DIR`). A bad
value stops start-up with one line that names the variable. An empty value counts as unset
for the addresses, the TLS and the mail variables.

This file is generated from the settings' models (`runtime/settings/`): change a field's
`description=` there and run `python -m runtime.settings.reference`.
"""


def _default(field: FieldInfo) -> str:
    value = field.get_default(call_default_factory=True)
    if value is None or value == "":
        return "(unset)"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, timedelta):
        return f"`{spoken_duration(value)}`"
    return f"`{value}`"


def _cell(text: str) -> str:
    # `<DSR_DATA_DIR>` would be read as an HTML tag, and a bar would end the cell.
    return text.replace("<", "\\<").replace("|", "\\|").replace("\n", " ")


def render() -> str:
    """The reference as Markdown."""
    parts = [_HEADER]
    for concern in Settings.concerns().values():
        title = (concern.__doc__ or concern.__name__).strip().splitlines()[0]
        rows = ["| Variable | Default | Description |", "| --- | --- | --- |"]
        for field in concern.model_fields.values():
            if not field.description:
                raise ValueError(f"{field.validation_alias} has no description")
            rows.append(
                f"| `{field.validation_alias}` | {_default(field)} | {_cell(field.description)} |"
            )
        parts.append(f"## {title}\n\n" + "\n".join(rows) + "\n")
    return "\n".join(parts)


def main(argv: list[str]) -> int:
    """Write the reference, or with --check say whether the file is up to date."""
    text = render()
    if "--check" in argv:
        current = DOCUMENT.read_text(encoding="utf-8") if DOCUMENT.exists() else ""
        if current != text:
            print(
                f"{DOCUMENT} is out of date: run python -m runtime.settings.reference",
                file=sys.stderr,
            )
            return 1
        return 0
    DOCUMENT.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
