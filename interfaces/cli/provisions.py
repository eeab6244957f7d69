"""`dsr provisions check`: every provision of personal data to a partner that has no valid
basis on record under Article 5 (domain/provision_rule.py), as a compliance finding, from
the API (`GET /api/v1/provisions/findings`). The check changes nothing; what it finds is
already kept from partners, since the `provision_feed` view, which is what provision to
partners reads, carries only what the same rule allows (migration 0023).

Exit status: 0 when every running provision has its basis on record; 3 when there are
findings (as an audit that found something, `dsr audit`), with the findings on standard
output all the same; 2 when the account may not read them, 1 when the service cannot be
reached. Reading them takes an account holding the operator, auditor or admin role: the
findings name subjects and partners."""

from __future__ import annotations

from typing import Any

import typer

from interfaces.cli.client import ApiDiverged
from interfaces.cli.options import output, run
from interfaces.cli.output import emit

app = typer.Typer(help="Article 5: provision of personal data to partners.", no_args_is_help=True)


class ProvisionFindings(ApiDiverged):
    """The check found provisions without a valid basis: exit status 3, as an audit's."""


@app.command("check")
def check() -> None:
    """Report every provision with no valid basis on record (exit status 3 if any).

    Role: operator or auditor."""
    document = run(lambda api: api.get("/provisions/findings"))
    emit(output(), document, table(document["findings"]))
    if document["findings"]:
        raise ProvisionFindings()


HEADINGS = ("provision", "subject", "partner", "finding", "detail")


def table(findings: list[dict[str, Any]]) -> str:
    """The findings as a text table, one line each, or a line saying there are none."""
    if not findings:
        return "every running provision has a valid basis on record (Article 5)"
    rows = [
        HEADINGS,
        *(
            (str(f["provision_id"]), f["subject_id"], f["partner_id"], f["kind"], f["detail"])
            for f in findings
        ),
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADINGS) - 1)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    provisions = len({f["provision_id"] for f in findings})
    return "\n".join(
        [
            *lines,
            f"{_count(len(findings), 'finding')} on "
            f"{_count(provisions, 'provision')} with no valid basis on record "
            "(Article 5)",
        ]
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
