"""`dsr review ID`: what a request asks beside what we hold, for the operator about to
decide it (`GET /api/v1/requests/{id}/review`; role: operator or approver).

The personal data is shown on the operator's terminal, read by the API from PostgreSQL;
it never passes through Temporal."""

from __future__ import annotations

from typing import Any

from interfaces.cli.options import RequestIdArg, output, run
from interfaces.cli.output import emit


def review(request_id: RequestIdArg) -> None:
    """What a request asks beside what we hold, before deciding it.

    Role: operator or approver."""
    document = run(lambda api: api.get(f"/requests/{request_id}/review"))
    emit(output(), document, render(document))


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
