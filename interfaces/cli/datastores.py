"""`dsr datastores`: the organisation's systems of the data map (docs/connectors.md), as
the API sees them (`/api/v1/datastores`; it reads the map DSR_DATASTORES names beside it).

- `check`: the map against the live systems, a line per finding; exit 3 when there is any.
- `preview SUBJECT`: what a request of SUBJECT would collect from each system now.

The demo organisation is made beside the servers: `dsr-admin datastores demo`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from interfaces.cli.client import ApiDiverged
from interfaces.cli.options import output, run
from interfaces.cli.output import emit

app = typer.Typer(
    help="The organisation's systems of the data map (docs/connectors.md).",
    no_args_is_help=True,
)


class MapMismatch(ApiDiverged):
    """The map does not fit the live systems (exit 3), the findings printed already."""


@app.command("check")
def check() -> None:
    """Check the data map against the live systems; exit 3 on any finding.

    Role: operator or auditor."""
    results = run(lambda api: api.get("/datastores/check"))
    lines = []
    for result in results:
        if result["findings"]:
            lines += [f"{result['system']}: {finding}" for finding in result["findings"]]
        else:
            lines.append(f"{result['system']} ({result['kind']}): fits the map")
    emit(output(), results, "\n".join(lines) or "the data map names no system")
    if any(result["findings"] for result in results):
        raise MapMismatch()


@app.command("preview")
def preview(
    subject_id: Annotated[
        str, typer.Argument(metavar="SUBJECT", help="The subject, as the store knows it.")
    ],
    values: Annotated[
        bool, typer.Option("--values", help="Show the values found, not only the fields.")
    ] = False,
) -> None:
    """What a request of SUBJECT would collect from each system now (role: operator)."""
    document = run(lambda api: api.get(f"/datastores/preview/{subject_id}", values=values))
    emit(output(), document, render(document))


def render(document: list[dict[str, Any]]) -> str:
    lines = []
    for entry in document:
        if "problem" in entry:
            lines.append(f"{entry['system']}: {entry['problem']}")
            continue
        lines.append(
            f"{entry['system']}: " + ", ".join(f"{c} {n}" for c, n in entry["counts"].items())
        )
        for row in entry["rows"]:
            fields = row["fields"]
            shown = (
                ", ".join(f"{k}={v}" for k, v in fields.items())
                if isinstance(fields, dict)
                else ", ".join(fields)
            )
            lines.append(f"  {row['collection']} {row['key']}: {shown}")
    return "\n".join(lines)
