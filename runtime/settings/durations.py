"""Duration fields of the settings: `30d`, `36h`, `1d12h` (domain/durations.py spells
them), typed as timedelta."""

from __future__ import annotations

from datetime import timedelta

from pydantic import BeforeValidator

from domain.durations import parse_duration, spoken_duration


def duration(units: str, *, least: timedelta, most: timedelta) -> BeforeValidator:
    """The validator of a duration field: `Annotated[timedelta, duration("dh", ...)]` reads
    the variable's text in those units and refuses a value outside the bounds."""

    def parse(value: object) -> timedelta:
        if isinstance(value, timedelta):  # the field's default, or a value given in code
            if not least <= value <= most:
                raise ValueError(
                    f"must be from {spoken_duration(least, units)} to "
                    f"{spoken_duration(most, units)}"
                )
            return value
        return parse_duration(str(value), units, least=least, most=most)

    return BeforeValidator(parse)
