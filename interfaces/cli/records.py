"""Left for the register commands still on argparse (review, inventory, policy, purposes,
provisions, datastores) until they become Typer sub-apps over the API: their `emit` and
`moment`. Nothing else uses it; delete it with the last of them."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from interfaces.cli.output import emit as _emit


def emit(output: str, document: Any, line: str) -> None:
    _emit(output, document, line)


def moment(text: str) -> datetime:
    """An ISO 8601 time with its zone, or a date (midnight UTC)."""
    try:
        value = datetime.fromisoformat(text if "T" in text or " " in text else f"{text}T00:00Z")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 date or time: {text!r} (e.g. 2026-12-01 or 2026-12-24T17:00+09:00)"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give the time zone: {text!r}, e.g. {text}+09:00")
    return value
