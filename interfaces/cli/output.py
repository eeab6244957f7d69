"""What `dsr` prints: with `--output json` one JSON document per result on standard output
(the shapes scripts read, unchanged), with `--output text` a line, or a Rich table.

Text that is a plain string is written as it is (no Rich markup, no wrapping), so lines
can be read by scripts too; tables and progress bars use Rich, at the terminal's width or,
when standard output is not a terminal, a wide one so nothing is cut.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from contextvars import ContextVar
from enum import StrEnum
from typing import Any

from rich import box
from rich.console import Console, RenderableType
from rich.table import Table

PIPE_WIDTH = 200  # columns of a table written to a file or a pipe


class Output(StrEnum):
    text = "text"
    json = "json"


# The root's `--output`, set before any command runs (per thread: tests run `dsr` in threads).
chosen: ContextVar[Output] = ContextVar("dsr_output", default=Output.text)


def console(*, stderr: bool = False) -> Console:
    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    return Console(
        file=stream,
        width=None if terminal else PIPE_WIDTH,
        highlight=False,
        soft_wrap=not terminal,
    )


def to_json(document: Any) -> str:
    return json.dumps(document, default=str, ensure_ascii=False)


def emit(output: Output | str, data: Any, text: RenderableType | None = None) -> None:
    """Print a result: `data` as JSON with `--output json`; otherwise `text` (a string as
    it is, or a Rich renderable such as `table(...)`), or `data` as JSON when there is none."""
    if Output(output) is Output.json or text is None:
        sys.stdout.write(to_json(data) + "\n")
    elif isinstance(text, str):
        sys.stdout.write(text + "\n")
    else:
        console().print(text)
    sys.stdout.flush()


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str | None = None,
    empty: str | None = None,
) -> RenderableType:
    """A Rich table of `rows` under `columns` (None shows as -); with no rows, `empty`."""
    shown = Table(title=title, box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)
    for column in columns:
        shown.add_column(column, overflow="fold")
    count = 0
    for row in rows:
        shown.add_row(*("-" if cell is None else str(cell) for cell in row))
        count += 1
    if not count and empty is not None:
        return empty
    return shown


def pairs(document: Mapping[str, Any], *, title: str | None = None) -> RenderableType:
    """One record as a two-column table: field, value."""
    return table(("field", "value"), ((k, v) for k, v in document.items()), title=title)


def warn(message: str) -> None:
    sys.stderr.write(f"dsr: {message}\n")
    sys.stderr.flush()
