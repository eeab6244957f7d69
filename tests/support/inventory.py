"""The example inventory (examples/inventory.json), renamed for one test: the database is
shared between tests, and so are its registers."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory.json"


def example(unique: str) -> dict[str, Any]:
    """The example file, its subjects, partners and purposes renamed for this test (the
    database is shared, and so are its registers)."""
    data = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    defined = {purpose["id"] for purpose in data["purposes"]}
    for purpose in data["purposes"]:
        purpose["id"] = f"{purpose['id']}_{unique}"
    for basis in data["provision_bases"]:
        basis["partner"] = partner(basis["partner"], unique)
        if "purpose" in basis.get("opt_out", {}):
            basis["opt_out"]["purpose"] = f"{basis['opt_out']['purpose']}_{unique}"
    for subject in data["subjects"]:
        subject["subject_id"] = f"{subject['subject_id']}-{unique}"
        for item in subject["items"]:
            if item["purpose"] in defined:
                item["purpose"] = f"{item['purpose']}_{unique}"
        for entry in (*subject.get("provisions", ()), *subject.get("consents", ())):
            entry["partner"] = partner(entry["partner"], unique)
    return data


def partner(name: str, unique: str) -> str:
    return f"{name}-{unique}"
