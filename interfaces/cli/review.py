"""`dsr review ID`: the request beside what we hold, for the operator about to decide.

Personal data is shown here, on the operator's terminal, read from Postgres; it never
passes through Temporal."""

from __future__ import annotations

import argparse
from typing import Any

import asyncpg

from interfaces.cli.records import emit
from runtime.settings import Settings
from service.requests import Refused, connections
from store.events import UnknownRequest
from store.review import review_document


def add_parsers(commands: Any) -> None:
    sub = commands.add_parser(
        "review", help="what a request asks beside what we hold, before deciding it"
    )
    sub.add_argument("request_id")


async def run(args: argparse.Namespace, settings: Settings) -> None:
    async with connections(settings, temporal=False) as (_, pool):
        try:
            document = await review_document(pool, args.request_id)
        except UnknownRequest as error:
            raise Refused(str(error)) from None
    emit(args.output, document, render(document))


async def review(pool: asyncpg.Pool, request_id: str) -> str:
    return render(await review_document(pool, request_id))


_LANGUAGES = {"ja": "Japanese", "en": "English"}


def render(document: dict[str, Any]) -> str:
    lines = [
        f"{document['kind']} request {document['request_id']} "
        f"({document['status']}, step {document['step'] or '-'})"
    ]
    if document.get("language"):
        language = _LANGUAGES.get(document["language"], document["language"])
        lines.append(
            f"notices to the person are in {language}: write reasons, measures and answers "
            "in it (they are quoted as written)"
        )
    if document.get("statement"):
        lines.append(f"the person's statement: {document['statement']}")
    if not document["investigated"]:
        lines.append("(not investigated yet: what follows is what we hold now)")
    for number, change in enumerate(document.get("changes", []), start=1):
        effect = (
            "changes it"
            if change["changes_something"]
            else f"changes nothing ({change['why_not'].replace('_', ' ')})"
        )
        lines.append(
            f"{number}. {change['field']} {change['action']}: held "
            f"{change['held_value'] or '(not held)'!s} → requested "
            f"{change['requested_value'] or '(deleted)'!s}; {effect}"
        )
    if "grounds" in document:
        lines.append(
            f"asks to {document['action']} on the grounds {', '.join(document['grounds'])}"
        )
    for item in document.get("items", []):
        if "placement" in item:
            to = "; ".join(
                f"{r['name']} ({r['partner_id']}, {r['relationship']}, {r['basis']})"
                for r in item["recipients"]
            )
            lines.append(
                f"- #{item['item_id']} {item['category']}/{item['field']}: {item['value']} "
                f"[{item['placement']}]"
                + ("" if item["identifying"] else " (held without identifying the person)")
                + (f" provided to: {to}" if to else "")
            )
        else:
            flags = [
                flag
                for flag, on in (
                    ("IN BREACH", item["in_breach"]),
                    ("not lawfully obtained", not item["lawfully_obtained"]),
                    ("suspended", item["suspended"]),
                )
                if on
            ]
            lines.append(
                f"- #{item['item_id']} {item['category']}/{item['field']}: {item['value']} "
                f"(purpose: {item['purpose']})" + (f" [{', '.join(flags)}]" if flags else "")
            )
    if document.get("all_third_parties"):
        lines.append("asks to stop provision to all third parties")
    for partner in document.get("partners", []):
        if partner["relationship"] == "unknown":
            lines.append(f"- {partner['named']!r}: matches no recipient on record")
        else:
            lines.append(
                f"- {partner['name'] or partner['partner_id']} ({partner['partner_id']}): "
                f"{partner['relationship']} on "
                f"{partner['legal_basis']}" + (" (stopped)" if partner["stopped"] else "")
            )
    return "\n".join(lines)
