"""The `dsr inventory load FILE` command: load subjects, their personal data and the
provisions of it into the store (format: docs/inventory.md). Wired into the command line
by `starter.py` through `add_parsers` and `run`.

Loading needs only the database, so it opens a pool and no Temporal connection. It applies
no migrations: like `dsr list`, it runs where `make run` or `dsr setup` prepared the schema,
and the runtime's database role need not own the tables.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

import asyncpg

from domain.inventory import InvalidInventory, Inventory, parse_inventory
from interfaces.cli.records import emit
from runtime.settings import Settings
from service.requests import Refused, Unavailable, connections
from store.inventory import InventoryLoad, InventoryStore, RegisterConflict


def add_parsers(commands: Any) -> None:
    inventory = commands.add_parser(
        "inventory", help="load what is held about subjects (docs/inventory.md)"
    )
    actions = inventory.add_subparsers(dest="inventory_command", required=True)
    sub = actions.add_parser(
        "load",
        help="add or update subjects, items and provisions from a JSON file; "
        "loading the same file again changes nothing",
    )
    sub.add_argument("file", metavar="FILE", help="inventory JSON; - for stdin")
    for command in actions.choices.values():
        command.add_argument("--output", choices=("text", "json"), default=argparse.SUPPRESS)


async def run(args: argparse.Namespace, settings: Settings) -> None:
    if args.inventory_command == "load":
        inventory = read_inventory(args.file)  # before any connection: bad input writes nothing
        async with connections(settings, temporal=False) as (_, pool):
            try:
                result = await InventoryStore(pool).load(inventory)
            except asyncpg.UndefinedTableError:
                raise Unavailable(
                    "the database has no schema yet: start the service with "
                    "`make run`, or run `dsr setup`"
                ) from None
            except asyncpg.UndefinedColumnError:
                raise Unavailable(
                    "the database's schema is older than this dsr: apply the "
                    "migrations with `make run` or `dsr setup`"
                ) from None
            except RegisterConflict as conflict:
                raise _refusal(
                    args.file, conflict.problems, "conflicts with the registers", "refused"
                ) from None
        emit(
            args.output,
            {
                "file": args.file,
                "subjects": len(inventory.subjects),
                **asdict(result),
                "changed": result.changed_anything,
            },
            summary(args.file, result),
        )


def read_inventory(source: str) -> Inventory:
    """The file, decoded and validated; any problem is refused with one line (the format's
    problems with one line each on standard error first)."""
    try:
        raw = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except OSError as error:
        raise Refused(f"cannot read {source}: {error.strerror or error}") from None
    except UnicodeDecodeError:
        raise Refused(f"cannot read {source}: not UTF-8 text") from None
    if not raw.strip():
        raise Refused(f"{source}: the file is empty; expected a JSON object")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as error:
        raise Refused(f"{source}: not valid JSON ({error.msg} at line {error.lineno})") from None
    except RecursionError:
        raise Refused(f"{source}: nested too deeply to be an inventory") from None
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise Refused(f"{source}: not usable JSON ({str(error)[:80]})") from None
    try:
        return parse_inventory(data)
    except InvalidInventory as error:
        raise _refusal(source, error.problems, "not a valid inventory", "invalid") from None


def _refusal(source: str, problems: list[tuple[str, str]], what: str, label: str) -> Refused:
    """Each problem on its own line on standard error; the refusal's one line to follow."""
    for path, message in problems:
        sys.stderr.write(f"dsr: {label} inventory: {path}: {message}\n")
    return Refused(
        f"{source}: {what} ({len(problems)} problem"
        f"{'' if len(problems) == 1 else 's'}); nothing was loaded"
    )


def summary(source: str, result: InventoryLoad) -> str:
    kept = f"; {result.kept} kept as the person's request left them" if result.kept else ""
    if not result.changed_anything:
        return (
            f"inventory {source}: nothing changed ({result.unchanged} records already "
            f"as in the file{kept})"
        )
    # The registers' counts only when the file touched them, so a file of subjects alone
    # reads as it always did.
    registers = "".join(
        f"; {part}"
        for part, shown in (
            (f"purposes {result.purposes_added} added", result.purposes_added),
            (
                f"provision bases {result.bases_added} added, {result.bases_changed} changed",
                result.bases_added or result.bases_changed,
            ),
            (
                f"consents {result.consents_added} added, {result.consents_changed} changed",
                result.consents_added or result.consents_changed,
            ),
        )
        if shown
    )
    return (
        f"inventory {source} loaded: subjects {result.subjects_added} added, "
        f"{result.subjects_changed} changed; items {result.items_added} added, "
        f"{result.items_changed} changed; provisions {result.provisions_added} added, "
        f"{result.provisions_changed} changed{registers}; {result.unchanged} "
        f"unchanged{kept}"
    )
