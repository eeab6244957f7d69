"""`dsr provisions check`: every provision of personal data to a partner that has no valid
basis on record under Article 5 (domain/provision_rule.py), as a compliance finding. The
check changes nothing; what it finds is already kept from partners, since the
`provision_feed` view, which is what provision to partners reads, carries only what the
same rule allows (migration 0023).

Exit status: 0 when every running provision has its basis on record; 3 when there are
findings (as an audit that found something, `dsr audit`), with the findings on standard
output all the same; 2 when the account may not read them, 1 when the database cannot be
reached. Reading them takes a signed-in account holding the operator, auditor or admin
role: the findings name subjects and partners."""

from __future__ import annotations

import argparse
from typing import Any

import asyncpg

from domain.authority import Role
from domain.provision_rule import ProvisionFinding
from interfaces.cli.records import emit
from runtime.settings import Settings
from service.acts import Forbidden
from service.requests import Diverged, Unavailable, connections, signed_in
from store.accounts import Accounts
from store.provision_check import check_provisions

READERS = frozenset({Role.OPERATOR, Role.AUDITOR, Role.ADMIN})
DOING = "dsr provisions check"


class ProvisionFindings(Diverged):
    """The check found provisions without a valid basis: exit status 3, as an audit's."""


def add_parsers(commands: Any) -> None:
    provisions = commands.add_parser(
        "provisions", help="Article 5: provision of personal data to partners"
    )
    sub = provisions.add_subparsers(dest="provisions_command", required=True)
    sub.add_parser(
        "check",
        help="report every provision with no valid basis on record "
        "(exit status 3 when there is any)",
    )
    for command in sub.choices.values():
        command.add_argument("--output", choices=("text", "json"), default=argparse.SUPPRESS)


async def run(args: argparse.Namespace, settings: Settings) -> None:
    async with connections(settings, temporal=False) as (_, pool):
        reader = await signed_in(settings, pool, doing=DOING)
        if not reader.roles & READERS:
            reason = (
                f"account {reader.account} holds none of the roles "
                f"{', '.join(sorted(r.value for r in READERS))}"
            )
            await Accounts(pool).record_refusal(403, reader.account, "CLI", DOING, reason)
            raise Forbidden(reason)
        try:
            findings = await check_provisions(pool)
        except (asyncpg.UndefinedTableError, asyncpg.UndefinedColumnError):
            raise Unavailable(
                "the database's schema is missing or older than this dsr: "
                "apply the migrations with `make run` or `dsr setup`"
            ) from None
    rows = [_row(finding) for finding in findings]
    emit(args.output, {"findings": rows, "count": len(rows)}, table(findings))
    if findings:
        raise ProvisionFindings()


def _row(finding: ProvisionFinding) -> dict[str, object]:
    return {
        "provision_id": finding.provision_id,
        "subject_id": finding.subject_id,
        "partner_id": finding.partner_id,
        "kind": finding.kind.value,
        "detail": finding.detail,
    }


HEADINGS = ("provision", "subject", "partner", "finding", "detail")


def table(findings: list[ProvisionFinding]) -> str:
    """The findings as a text table, one line each, or a line saying there are none."""
    if not findings:
        return "every running provision has a valid basis on record (Article 5)"
    rows = [
        HEADINGS,
        *(
            (str(f.provision_id), f.subject_id, f.partner_id, f.kind.value, f.detail)
            for f in findings
        ),
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADINGS) - 1)]
    lines = [
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in rows
    ]
    provisions = len({f.provision_id for f in findings})
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
