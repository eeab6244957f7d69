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

from activities.inventory_store import InventoryLoad, InventoryStore
from domain.inventory import InvalidInventory, Inventory, parse_inventory
from interfaces.cli.records import emit
from runtime.client import Refused, Unavailable, connections
from runtime.settings import Settings


def add_parsers(commands: Any) -> None:
    inventory = commands.add_parser(
        "inventory", help="load what is held about subjects (docs/inventory.md)")
    actions = inventory.add_subparsers(dest="inventory_command", required=True)
    sub = actions.add_parser(
        "load", help="add or update subjects, items and provisions from a JSON file; "
                     "loading the same file again changes nothing")
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
                raise Unavailable("the database has no schema yet: start the service with "
                                  "`make run`, or run `dsr setup`") from None
        emit(args.output,
             {"file": args.file, "subjects": len(inventory.subjects), **asdict(result),
              "changed": result.changed_anything},
             summary(args.file, result))


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
        for path, message in error.problems:
            sys.stderr.write(f"dsr: invalid inventory: {path}: {message}\n")
        raise Refused(f"{source}: not a valid inventory ({len(error.problems)} problem"
                      f"{'' if len(error.problems) == 1 else 's'}); nothing was loaded") from None


def summary(source: str, result: InventoryLoad) -> str:
    kept = (f"; {result.kept} kept as the person's request left them" if result.kept else "")
    if not result.changed_anything:
        return (f"inventory {source}: nothing changed ({result.unchanged} records already "
                f"as in the file{kept})")
    return (f"inventory {source} loaded: subjects {result.subjects_added} added, "
            f"{result.subjects_changed} changed; items {result.items_added} added, "
            f"{result.items_changed} changed; provisions {result.provisions_added} added, "
            f"{result.provisions_changed} changed; {result.unchanged} unchanged{kept}")
