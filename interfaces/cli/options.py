"""What the commands share: running a call against the API, the result format chosen,
the help of an option taken from the API model's field (declared once), and reading a
file or standard input given as an option."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError

from interfaces.cli.client import Api, InputRefused
from interfaces.cli.output import Output, chosen

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def run(work: Callable[[Api], Awaitable[T]]) -> T:
    """Runs `work` with a client of the API the environment names (client.endpoint())."""

    async def connected() -> T:
        async with Api() as api:
            return await work(api)

    return asyncio.run(connected())


def output() -> Output:
    """The result format the root's `--output` chose."""
    return chosen.get()


def about(model: type[BaseModel], field: str) -> str:
    """An option's help: the API model's own description of the field it fills."""
    description = model.model_fields[field].description
    if not description:
        raise LookupError(f"{model.__name__}.{field} has no description to show as help")
    return description


def build(model: type[M], **values: Any) -> M:
    """The API's body for a command, made here first so bad input is refused before
    anything is sent, with the same messages the API would give."""
    try:
        return model(**values)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()
        )
        raise InputRefused(f"invalid input: {problems}") from None


def read_text(source: str) -> str:
    """A text given as a file name, or `-` for standard input."""
    try:
        return sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputRefused(f"cannot read {source}: {error}") from None


def read_json(source: str, what: str = "request") -> Any:
    raw = read_text(source)
    if not raw.strip():
        raise InputRefused(f"{what}: the input is empty; expected a JSON object")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise InputRefused(f"{what}: not valid JSON ({error.msg} at line {error.lineno})") from None
    except RecursionError:
        raise InputRefused(f"{what}: nested too deeply to be a {what}") from None
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise InputRefused(f"{what}: not usable JSON ({str(error)[:80]})") from None


RequestIdArg = Annotated[
    str, typer.Argument(metavar="REQUEST_ID", help="The request's id, as it was submitted.")
]


def moment(text: str) -> datetime:
    """An ISO 8601 time with its zone, or a date (midnight UTC): an option's parser."""
    try:
        value = datetime.fromisoformat(text if "T" in text or " " in text else f"{text}T00:00Z")
    except ValueError:
        raise typer.BadParameter(
            f"not an ISO 8601 date or time: {text!r} (e.g. 2026-12-01 or 2026-12-24T17:00+09:00)"
        ) from None
    if value.tzinfo is None:
        raise typer.BadParameter(f"give the time zone: {text!r}, e.g. {text}+09:00")
    return value
