"""Durations as the settings and the record spell them: `30d`, `36h`, `1d12h`."""

from __future__ import annotations

import re
from datetime import timedelta

_DURATION_PART = re.compile(r"(\d{1,6})([a-z])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60}


def parse_duration(text: str, units: str, *, least: timedelta, most: timedelta) -> timedelta:
    """`30d`, `36h`, `1d12h` (in the units allowed) → a duration from `least` to `most`.
    Raises ValueError saying what is wrong, with an example."""
    example = {"dh": "30d or 36h", "hm": "5m or 1h"}.get(units, "30d")
    allowed = " or ".join(units)
    value = text.strip()
    parts = _DURATION_PART.findall(value)
    if (
        not value
        or "".join(n + u for n, u in parts) != value
        or any(u not in units for _, u in parts)
        or len({u for _, u in parts}) != len(parts)
    ):
        raise ValueError(f"must be a whole number of {allowed}, like {example} (got {text[:40]!r})")
    total = timedelta(seconds=sum(int(n) * _UNIT_SECONDS[u] for n, u in parts))
    if not least <= total <= most:
        raise ValueError(
            f"must be from {spoken_duration(least, units)} to "
            f"{spoken_duration(most, units)} "
            f"(got {text!r})"
        )
    return total


def spoken_duration(duration: timedelta, units: str = "dhm") -> str:
    """The duration in the largest unit that divides it: 30d, 36h, 90m."""
    seconds = int(duration.total_seconds())
    for unit in units:
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"
