"""`dsr inventory load FILE`: load subjects, their personal data and the provisions of it,
and the registers the file defines, through the API (`POST /api/v1/inventory`; role:
admin; format: docs/inventory.md). The file is checked here first, so a bad one is
refused with one line a problem before anything is sent; the service loads it in one
transaction, and loading the same file again changes nothing. On a terminal a progress
bar shows the file going up, then the load."""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TransferSpeedColumn,
)

from domain.inventory import InvalidInventory, parse_inventory
from interfaces.cli.client import Api, ApiRefused, InputRefused
from interfaces.cli.options import output, run
from interfaces.cli.output import console, emit

app = typer.Typer(
    help="Load what is held about subjects (docs/inventory.md).", no_args_is_help=True
)
CHUNK = 64 << 10  # bytes sent at a time, so the bar moves
_LABELS = {422: ("invalid", "not a valid inventory"), 409: ("refused", "conflicts with")}


@app.command("load")
def load(
    file: Annotated[
        str,
        typer.Argument(metavar="FILE", help="The inventory as JSON; - for standard input."),
    ],
) -> None:
    """Add or update subjects, items and provisions from a JSON file.

    Loading the same file again changes nothing. Role: admin."""
    raw = read_inventory(file)  # before anything is sent: bad input writes nothing
    result = run(lambda api: _send(api, file, raw))
    emit(output(), {"file": file, **result}, summary(file, result))


def read_inventory(source: str) -> bytes:
    """The file as sent, once decoded and validated here; any problem is refused with one
    line (the format's problems with one line each on standard error first)."""
    try:
        raw = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as error:
        raise InputRefused(f"cannot read {source}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise InputRefused(f"cannot read {source}: not UTF-8 text") from None
    if not raw.strip():
        raise InputRefused(f"{source}: the file is empty; expected a JSON object")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise InputRefused(
            f"{source}: not valid JSON ({error.msg} at line {error.lineno})"
        ) from None
    except RecursionError:
        raise InputRefused(f"{source}: nested too deeply to be an inventory") from None
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise InputRefused(f"{source}: not usable JSON ({str(error)[:80]})") from None
    try:
        parse_inventory(data)
    except InvalidInventory as error:
        raise _refusal(
            source, error.problems, "not a valid inventory", "invalid", InputRefused
        ) from None
    return raw.encode("utf-8")


async def _send(api: Api, source: str, raw: bytes) -> dict[str, Any]:
    try:
        if not sys.stderr.isatty():
            return await api.upload("/inventory", _chunks(raw, None))
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=console(stderr=True),
            transient=True,
        ) as progress:
            task = progress.add_task(f"sending {source}", total=len(raw))
            return await api.upload("/inventory", _chunks(raw, (progress, task)))
    except ApiRefused as error:
        problems = [
            (str(e.get("field")), str(e.get("message")))
            for e in error.problem.get("errors") or []
            if isinstance(e, dict)
        ]
        if error.status not in _LABELS or not problems:
            raise
        label, what = _LABELS[error.status]
        if error.status == 409:
            what = "conflicts with the registers"
        raise _refusal(source, problems, what, label, ApiRefused, error.status) from None


async def _chunks(raw: bytes, shown: tuple[Progress, Any] | None) -> AsyncIterator[bytes]:
    for start in range(0, len(raw), CHUNK):
        yield raw[start : start + CHUNK]
        if shown is not None:
            progress, task = shown
            progress.advance(task, min(CHUNK, len(raw) - start))
            if start + CHUNK >= len(raw):
                progress.update(task, description="loading (one transaction)")


def _refusal(
    source: str,
    problems: list[tuple[str, str]],
    what: str,
    label: str,
    kind: type[InputRefused] | type[ApiRefused],
    status: int = 422,
) -> InputRefused | ApiRefused:
    """Each problem on its own line on standard error; the refusal's one line to follow."""
    for path, message in problems:
        sys.stderr.write(f"dsr: {label} inventory: {path}: {message}\n")
    message = (
        f"{source}: {what} ({len(problems)} problem"
        f"{'' if len(problems) == 1 else 's'}); nothing was loaded"
    )
    return InputRefused(message) if kind is InputRefused else ApiRefused(message, status)


def summary(source: str, result: dict[str, Any]) -> str:
    kept = f"; {result['kept']} kept as the person's request left them" if result["kept"] else ""
    if not result["changed"]:
        return (
            f"inventory {source}: nothing changed ({result['unchanged']} records already "
            f"as in the file{kept})"
        )
    # The registers' counts only when the file touched them, so a file of subjects alone
    # reads as it always did.
    registers = "".join(
        f"; {part}"
        for part, shown in (
            (f"purposes {result['purposes_added']} added", result["purposes_added"]),
            (
                f"provision bases {result['bases_added']} added, {result['bases_changed']} changed",
                result["bases_added"] or result["bases_changed"],
            ),
            (
                f"consents {result['consents_added']} added, {result['consents_changed']} changed",
                result["consents_added"] or result["consents_changed"],
            ),
        )
        if shown
    )
    return (
        f"inventory {source} loaded: subjects {result['subjects_added']} added, "
        f"{result['subjects_changed']} changed; items {result['items_added']} added, "
        f"{result['items_changed']} changed; provisions {result['provisions_added']} added, "
        f"{result['provisions_changed']} changed{registers}; {result['unchanged']} "
        f"unchanged{kept}"
    )
