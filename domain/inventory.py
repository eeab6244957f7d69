"""The inventory: what the organisation holds about each subject and to whom it provides it,
as an operator loads it into the store (`dsr inventory load FILE`, docs/inventory.md).

Pure: the file's JSON is validated here; `activities/inventory_store.py` writes it. The
purposes are recorded as they are, not as they should be: an item whose purpose is not one
of Article 3's is how the inventory says an item is used beyond purpose (Article 8).
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from domain.holdings import INCIDENTAL_PREFIX, ProvisionBasis, Purpose, Relationship
from domain.requests import DataCategory, Email, Identifier, Line, field_path, too_deep

FIELD_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
PURPOSE_PATTERN = rf"^({re.escape(INCIDENTAL_PREFIX)})?[a-z][a-z0-9_]{{0,63}}$"

# The subject's name and registered e-mail are personal data like any other item; these are
# the purposes they are held for when the file does not list them itself. The e-mail is
# what identity verification matches a requester against (Article 3: "to respond to
# inquiries from users (including identity verification)").
NAME_FIELD, EMAIL_FIELD = "name", "email"
NAME_PURPOSE = Purpose.PROVIDE_SERVICE.value
EMAIL_PURPOSE = Purpose.RESPOND_TO_INQUIRIES.value

# C0 and C1 controls, the line and paragraph separators and the bidirectional overrides:
# an item's value is one line that displays as what it is.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _printable(value: str) -> str:
    if _UNPRINTABLE.search(value):
        raise ValueError("must not contain control or bidirectional override characters")
    return value


FieldName = Annotated[str, StringConstraints(pattern=FIELD_PATTERN)]
ItemValue = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
    AfterValidator(_printable),
]
PurposeId = Annotated[str, StringConstraints(pattern=PURPOSE_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Problems(ValueError):
    """Cross-field problems of one model, each with its path below that model, so the
    message can point at the very entry instead of at the whole subject."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{path}: {message}" for path, message in problems))


class HeldItemRecord(_Strict):
    """One item of personal data. `purpose` must be given, even as null: leaving it out by
    accident would otherwise record the item as used beyond purpose."""

    category: DataCategory
    field: FieldName
    value: ItemValue
    purpose: PurposeId | None
    source: Identifier = "registration"
    lawfully_obtained: bool = True


class ProvisionRecord(_Strict):
    """Provision of some of the subject's items to a partner, and its footing (Article 5)."""

    partner: Identifier
    relationship: Relationship
    legal_basis: ProvisionBasis
    items: Annotated[list[FieldName], Field(min_length=1, max_length=100)]


class InventorySubject(_Strict):
    subject_id: Identifier
    name: Line
    email: Email
    items: Annotated[list[HeldItemRecord], Field(max_length=1000)] = []
    provisions: Annotated[list[ProvisionRecord], Field(max_length=200)] = []

    def all_items(self) -> tuple[HeldItemRecord, ...]:
        """The listed items, plus the name (identity) and registered e-mail (contact) when
        the file does not list them: the store must hold what a notice or an identity check
        reads, as items a disclosure, correction or erasure can reach."""
        listed = {item.field for item in self.items}
        implied = []
        if NAME_FIELD not in listed:
            implied.append(HeldItemRecord(category=DataCategory.IDENTITY, field=NAME_FIELD,
                                          value=self.name, purpose=NAME_PURPOSE))
        if EMAIL_FIELD not in listed:
            implied.append(HeldItemRecord(category=DataCategory.CONTACT, field=EMAIL_FIELD,
                                          value=self.email, purpose=EMAIL_PURPOSE))
        return (*implied, *self.items)

    @model_validator(mode="after")
    def _consistent(self) -> InventorySubject:
        problems = [*self._item_problems(), *self._provision_problems()]
        if problems:
            raise _Problems(problems)
        return self

    def _item_problems(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        first: dict[str, int] = {}
        for index, item in enumerate(self.items):
            at = f"items.{index}"
            # Corrections (Article 7) and provisions name an item by its field alone, so a
            # field is one item of the subject, whatever its category.
            if item.field in first:
                earlier = self.items[first[item.field]]
                what = "category and field" if earlier.category is item.category else "field"
                problems.append((f"{at}.field", f"repeats the {what} of items.{first[item.field]}"
                                 " (a field names one item of the subject)"))
                continue
            first[item.field] = index
            if item.field == NAME_FIELD and (item.category is not DataCategory.IDENTITY
                                             or item.value != self.name):
                problems.append((at, "the name item must be in category identity and have "
                                     "the subject's name as its value"))
            if item.field == EMAIL_FIELD and (item.category is not DataCategory.CONTACT
                                              or item.value.casefold() != self.email.casefold()):
                problems.append((at, "the email item must be in category contact and have "
                                     "the subject's email as its value"))
        return problems

    def _provision_problems(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        held = {item.field for item in self.all_items()}
        partners: dict[str, int] = {}
        for index, provision in enumerate(self.provisions):
            at = f"provisions.{index}"
            if provision.partner in partners:
                problems.append((f"{at}.partner",
                                 f"repeats the partner of provisions.{partners[provision.partner]}"
                                 " (one provision per partner; list all its items there)"))
            else:
                partners[provision.partner] = index
            problems += _footing_problems(at, provision)
            named: set[str] = set()
            for position, field in enumerate(provision.items):
                if field in named:
                    problems.append((f"{at}.items.{position}", "names an item twice"))
                elif field not in held:
                    problems.append((f"{at}.items.{position}",
                                     f"names {field}, which is not an item of this subject"))
                named.add(field)
        return problems


def _footing_problems(at: str, provision: ProvisionRecord) -> list[tuple[str, str]]:
    """Article 5 ¶2: entrustment, business succession and joint use are not provision to a
    third party; provision to a third party needs consent, the opt-out notification or one
    of ¶1's exceptions."""
    not_third_party = provision.legal_basis is ProvisionBasis.NOT_THIRD_PARTY
    if provision.relationship.is_third_party and not_third_party:
        return [(f"{at}.legal_basis", "a third_party provision needs consent, "
                 "opt_out_notified or one of Article 5's exceptions, not not_third_party")]
    if not provision.relationship.is_third_party and not not_third_party:
        return [(f"{at}.legal_basis", f"{provision.relationship.value} is not provision to a "
                 "third party (Article 5 ¶2): legal_basis must be not_third_party")]
    return []


class Inventory(_Strict):
    subjects: Annotated[list[InventorySubject], Field(min_length=1, max_length=10_000)]

    @model_validator(mode="after")
    def _distinct_subjects(self) -> Inventory:
        first: dict[str, int] = {}
        problems = []
        for index, subject in enumerate(self.subjects):
            if subject.subject_id in first:
                problems.append((f"subjects.{index}.subject_id",
                                 f"repeats the subject_id of subjects.{first[subject.subject_id]}"))
            else:
                first[subject.subject_id] = index
        if problems:
            raise _Problems(problems)
        return self


class InvalidInventory(ValueError):
    """An inventory that does not fit the format. `problems` are (field path, message)
    pairs; the message has one per line."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("\n".join(f"{path}: {message}" for path, message in problems))


_PATTERN_MESSAGES = {
    "field": "must be 1-64 lowercase letters, digits and _, starting with a letter",
    "items": "must be a field name: 1-64 lowercase letters, digits and _, starting with a letter",
    "purpose": "must be a purpose id such as billing or incidental:billing "
               "(lowercase letters, digits and _), or null",
}
_IDENTIFIER_MESSAGE = "must be 1-128 letters, digits and . _ : -, starting with a letter or digit"


def _problems(error: Any) -> list[tuple[str, str]]:
    loc = [str(part) for part in error["loc"]]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, _Problems):
        return [(field_path([*loc, *relative.split(".")]), message)
                for relative, message in cause.problems]
    path, kind = field_path(loc) or "inventory", error["type"]
    named = [part for part in loc if not part.isdigit()][-1:] or [""]
    if kind == "missing":
        return [(path, "is required")]
    if kind == "extra_forbidden":
        return [(path, "is not a known field")]
    if kind in ("model_type", "model_attributes_type"):
        return [(path, "must be a JSON object")]
    if kind == "string_pattern_mismatch":
        return [(path, _PATTERN_MESSAGES.get(named[0], _IDENTIFIER_MESSAGE))]
    message = " ".join(str(error["msg"]).removeprefix("Value error, ").split())[:200]
    return [(path, message[:1].lower() + message[1:])]


MAX_DEPTH = 8  # the format is five levels deep; anything far deeper is hostile
MAX_PROBLEMS = 30


def parse_inventory(data: Any) -> Inventory:
    """Validate a decoded JSON value against the format, or raise InvalidInventory."""
    if not isinstance(data, dict) or not data:
        raise InvalidInventory([("inventory", 'must be a JSON object {"subjects": [...]}')])
    if too_deep(data, MAX_DEPTH):
        raise InvalidInventory([("inventory", f"is nested more than {MAX_DEPTH} levels deep")])
    try:
        return Inventory.model_validate(data)
    except ValidationError as exc:
        problems = list(dict.fromkeys(
            problem for error in exc.errors() for problem in _problems(error)))
        if len(problems) > MAX_PROBLEMS:
            # A hostile file can carry thousands of faults; the first ones say enough.
            problems = [*problems[:MAX_PROBLEMS],
                        ("inventory", f"and {len(problems) - MAX_PROBLEMS} more problems")]
        raise InvalidInventory(problems) from None
