"""The personal values tests submit, and one check that none of them shows where it must
not (Temporal's history, logs, metrics, failures)."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from typing import Any

PERSONAL = {
    "name": "Hanako Yamada-Testperson",
    "email": "hanako.testperson@example.jp",
    "text": "Which partners receive my transaction records (secret-inquiry-marker)?",
    "answer": "Only partners you consented to (secret-answer-marker).",
}

# What the operators write and the subject holds: personal too, and kept out of Temporal.
REASON = "Disclosing this would reveal another customer's dispute (secret-reason-marker)."
MEASURE = "Your record is flagged do-not-contact in every system (secret-measure-marker)."
HELD_VALUES = {
    "name": "Hanako Yamada-Testperson",
    "phone": "090-1234-5678",
    "address": "1-2-3 Minato, Tokyo",
    "bank_account": "MUFG 1234567",
    "purchases": "37 orders since 2019",
    "segment": "frequent-night-buyer",
    "ad_profile": "lookalike-audience-7",
}
STATEMENT = "My phone number changed last spring (secret-statement-marker)."
ALL_PERSONAL = [*PERSONAL.values(), REASON, MEASURE, STATEMENT, *HELD_VALUES.values()]
# The new values of a correction are personal data too.
NEW_PHONE = "03-5555-0000-secret-phone-marker"
NEW_NICKNAME = "secret-nickname-marker"
IN_PLAY = [*ALL_PERSONAL, NEW_PHONE, NEW_NICKNAME]
# Fragments of those that survive any quoting or escaping a renderer might apply to a value.
FRAGMENTS = [
    "testperson",
    "secret-inquiry-marker",
    "secret-answer-marker",
    "secret-reason-marker",
    "secret-phone-marker",
    "secret-nickname-marker",
    "090-1234-5678",
    "mufg",
    "minato",
]


def readable_history(history_json: str) -> str:
    """A Temporal history (SDK or `temporal workflow show -o json`) with every payload's
    base64 `data` decoded, so a search sees what the payloads really carry."""
    decoded: list[str] = [history_json]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "metadata" in node and isinstance(node.get("data"), str):
                try:
                    decoded.append(base64.b64decode(node["data"]).decode("utf-8", "replace"))
                except ValueError:
                    decoded.append(node["data"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(history_json))
    return "\n".join(decoded)


def leaks(
    text: str, values: Iterable[str] = PERSONAL.values(), *, fragments: Iterable[str] = ()
) -> list[str]:
    """Which of the personal `values` appear in `text`, and which `fragments` (lower case:
    pieces that survive any quoting or escaping) appear in it in any case. `[]`: none."""
    lowered = text.lower()
    return [v for v in values if v in text] + [f for f in fragments if f in lowered]
