"""What each kind's form asks, and how a sent form becomes the intake contract's details
(domain/requests.py). Validation is the contract's own: the form is checked with
`parse_submission` before any code is sent, so a person fixes a mistake before waiting for
mail, and nothing is stored for a form that would be refused."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

from domain.field_vocabulary import REGISTRATION_FIELDS, field_label
from domain.requests import (
    CorrectionAction,
    DataCategory,
    InvalidSubmission,
    Language,
    RequestKind,
    SuspensionAction,
    SuspensionGround,
    parse_submission,
)

# In the order the start page lists them: the rights first, the inquiry last.
KINDS = (
    RequestKind.DISCLOSURE,
    RequestKind.CORRECTION,
    RequestKind.SUSPENSION,
    RequestKind.THIRD_PARTY_STOP,
    RequestKind.INQUIRY,
)
CATEGORIES = tuple(DataCategory)
ACTIONS = tuple(CorrectionAction)
SUSPENSION_ACTIONS = tuple(SuspensionAction)
GROUNDS = tuple(SuspensionGround)
CHANGE_ROWS = 3
FIELD_SUGGESTIONS = REGISTRATION_FIELDS  # Article 2, from the one field vocabulary


def field_suggestions(language: Language) -> tuple[tuple[str, str], ...]:
    """The fields a correction form suggests, each with its name in the page's language."""
    return tuple((field, field_label(field, language)) for field in FIELD_SUGGESTIONS)


# Which form field a contract field path is shown against.
_FIELD_LABELS = {
    "requester.name": "name",
    "requester.email": "email",
    "details.text": "text",
    "details.categories": "categories",
    "details.statement": "statement",
    "details.action": "suspension.action",
    "details.grounds": "grounds",
    "details.partners": "partners",
    "details.changes": "changes",
}


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _optional(value: str) -> str | None:
    return value or None


def details_from(kind: RequestKind, form: FormData) -> dict[str, Any]:
    if kind is RequestKind.INQUIRY:
        return {"text": _text(form, "text")}
    if kind is RequestKind.DISCLOSURE:
        chosen = [c for c in form.getlist("categories") if isinstance(c, str)]
        return {"categories": chosen} if chosen else {}
    if kind is RequestKind.CORRECTION:
        changes = []
        for row in range(1, CHANGE_ROWS + 1):
            field = _text(form, f"field_{row}")
            if not field:
                continue
            action = _text(form, f"action_{row}") or CorrectionAction.CORRECT.value
            change: dict[str, Any] = {"field": field.lower(), "action": action}
            if action != CorrectionAction.DELETE.value:
                change["new_value"] = _text(form, f"value_{row}")
            changes.append(change)
        return {"changes": changes, "statement": _text(form, "statement")}
    if kind is RequestKind.SUSPENSION:
        details: dict[str, Any] = {
            "action": _text(form, "action"),
            "grounds": [g for g in form.getlist("grounds") if isinstance(g, str)],
        }
        if statement := _optional(_text(form, "statement")):
            details["statement"] = statement
        return details
    # One recipient a line, as the disclosure names it: a company's name has spaces and
    # commas of its own ("Data Broker Co., Ltd."), so nothing else splits it.
    chosen = [p for p in form.getlist("recipient") if isinstance(p, str) and p]
    typed = [p.strip() for p in _text(form, "partners").splitlines() if p.strip()]
    details = {"partners": list(dict.fromkeys([*chosen, *typed]))}
    if _text(form, "all_third_parties"):
        details["all_third_parties"] = True
    if statement := _optional(_text(form, "statement")):
        details["statement"] = statement
    return details


def check(
    kind: RequestKind, name: str, email: str, details: dict[str, Any], language: str
) -> list[tuple[str, str]]:
    """The contract's problems with this form, as (form field, message); none: it is fine."""
    try:
        parse_submission(
            {
                "request_id": "pc-check",
                "subject_id": "pc-check",
                "kind": kind.value,
                "language": language,
                "requester": {"name": name, "email": email},
                "details": details,
            }
        )
    except InvalidSubmission as error:
        return [(_label(path), message) for path, message in error.problems]
    return []


def _label(path: str) -> str:
    if path.startswith("details.changes"):
        return "changes"
    # A stop request's recipients, one of them, or neither they nor "all" given.
    if path.startswith("details.partners") or path == "details":
        return "partners"
    return _FIELD_LABELS.get(path, "problem.generic")
