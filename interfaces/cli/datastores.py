"""`dsr datastores`: the organisation's systems of the data map (docs/connectors.md).

- `check`: the map against the live systems, a line per finding; exit 3 when there is any.
- `preview SUBJECT`: what a request of SUBJECT would collect from each system now.
- `demo`: the demo organisation, Sesenergy, in the embedded PostgreSQL of `make run`, and
  its data map as <data dir>/datastores.yaml (restart `make run` to use it).
"""

from __future__ import annotations

import argparse
from typing import Any

from connectors.datamap_file import InvalidDataMap
from interfaces.cli.records import emit
from runtime.settings import Settings
from service import datastores
from service.requests import Refused, connections


class MapMismatch(Exception):
    """The map does not fit the live systems (exit 3), the findings printed already."""


def add_parsers(commands: Any) -> None:
    top = commands.add_parser(
        "datastores", help="the organisation's systems of the data map (docs/connectors.md)"
    )
    actions = top.add_subparsers(dest="datastores_command", required=True)
    actions.add_parser(
        "check",
        help="check the data map against the live systems; exit 3 on any finding",
    )
    sub = actions.add_parser(
        "preview", help="what a request of SUBJECT would collect from each system now"
    )
    sub.add_argument("subject_id", metavar="SUBJECT")
    sub.add_argument(
        "--values", action="store_true", help="show the values found, not only the fields"
    )
    sub = actions.add_parser(
        "demo",
        help="create the demo organisation (Sesenergy) in the embedded PostgreSQL and its "
        "data map; restart `make run` to use it",
    )
    sub.add_argument("--customers", type=int, default=200, help="how many customers (default 200)")
    for command in actions.choices.values():
        command.add_argument("--output", choices=("text", "json"), default=argparse.SUPPRESS)


async def run(args: argparse.Namespace, settings: Settings) -> None:
    output = getattr(args, "output", "text")
    try:
        if args.datastores_command == "check":
            await _check(output, settings)
        elif args.datastores_command == "preview":
            await _preview(output, settings, args.subject_id, values=args.values)
        else:
            demo = await datastores.create_demo(settings, args.customers)
            emit(
                output,
                {
                    "data_map": str(demo.data_map),
                    "rows": demo.rows,
                    "support_desk": demo.support_desk_url,
                },
                f"Sesenergy created: {sum(demo.rows.values())} rows in "
                + ", ".join(f"{t} {n}" for t, n in demo.rows.items())
                + f"\ndata map: {demo.data_map}\nrestart `make run` to use it "
                "(it serves the support desk at " + demo.support_desk_url + ")",
            )
    except InvalidDataMap as error:
        raise Refused(
            f"the data map {error.path} is refused:\n" + "\n".join(error.problems)
        ) from None


async def _check(output: str, settings: Settings) -> None:
    results = await datastores.check(settings)
    lines = []
    for result in results:
        if result.findings:
            lines += [f"{result.system}: {finding}" for finding in result.findings]
        else:
            lines.append(f"{result.system} ({result.kind}): fits the map")
    emit(
        output,
        [{"system": r.system, "kind": r.kind, "findings": r.findings} for r in results],
        "\n".join(lines) or "the data map names no system",
    )
    if any(result.findings for result in results):
        raise MapMismatch


async def _preview(output: str, settings: Settings, subject_id: str, *, values: bool) -> None:
    async with connections(settings, temporal=False) as (_, pool):
        previews = await datastores.preview(settings, pool, subject_id)
    document: list[dict[str, Any]] = []
    lines = []
    for preview in previews:
        if preview.collected is None:
            document.append({"system": preview.system, "problem": preview.problem})
            lines.append(f"{preview.system}: {preview.problem}")
            continue
        rows: list[dict[str, Any]] = [
            {
                "collection": row.collection,
                "key": row.key,
                "fields": dict(row.values) if values else sorted(row.values),
                "restricted": row.restricted,
            }
            for row in preview.collected.rows
        ]
        document.append(
            {"system": preview.system, "counts": dict(preview.collected.counts), "rows": rows}
        )
        lines.append(
            f"{preview.system}: "
            + ", ".join(f"{c} {n}" for c, n in preview.collected.counts.items())
        )
        for row in rows:
            fields = row["fields"]
            shown = (
                ", ".join(f"{k}={v}" for k, v in fields.items())
                if isinstance(fields, dict)
                else ", ".join(fields)
            )
            lines.append(f"  {row['collection']} {row['key']}: {shown}")
    emit(output, document, "\n".join(lines))
