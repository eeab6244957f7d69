"""The inventory: what the organisation holds about each subject and to whom it provides it,
as an operator loads it into the store (`dsr inventory load FILE`, docs/inventory.md).

Pure: the file's JSON is validated here; `store/inventory.py` writes it. The
purposes are recorded as they are, not as they should be: an item whose purpose is not in
Article 3's register (as it stood when the item was used) is how the inventory says an item
is used beyond purpose (Article 8). The same file may define purposes (Article 3), record
each partner's footing (Article 5: the opt-out matters and the Commission's notification,
the particulars of joint use) and each subject's consents to partners.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from domain.field_vocabulary import is_identification_code
from domain.holdings import INCIDENTAL_PREFIX, ProvisionBasis, Purpose, Relationship
from domain.inventory_registers import (
    PROVISION_PURPOSE_REFUSED,
    ConsentEntry,
    FieldName,
    Problems,
    ProvisionBasisRecord,
    PurposeRecord,
    Strict,
    footing_problems,
    printable,
)
from domain.requests import DataCategory, Email, Identifier, Line, field_path, too_deep

PURPOSE_PATTERN = rf"^({re.escape(INCIDENTAL_PREFIX)})?[a-z][a-z0-9_]{{0,63}}$"

# The subject's name and registered e-mail are personal data like any other item; these are
# the purposes they are held for when the file does not list them itself. The e-mail is
# what identity verification matches a requester against (Article 3: "to respond to
# inquiries from users (including identity verification)").
NAME_FIELD, EMAIL_FIELD = "name", "email"
NAME_PURPOSE = Purpose.PROVIDE_SERVICE.value
EMAIL_PURPOSE = Purpose.RESPOND_TO_INQUIRIES.value

ItemValue = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
    AfterValidator(printable),
]
PurposeId = Annotated[str, StringConstraints(pattern=PURPOSE_PATTERN)]


class HeldItemRecord(Strict):
    """One item of personal data. `purpose` must be given, even as null: leaving it out by
    accident would otherwise record the item as used beyond purpose. `lawfully_obtained`
    must be given too: Article 8's "acquired by deceit or other wrongful means" rests on it,
    and an inventory that does not say how an item was obtained must not presume it lawful
    (docs/policy-interpretation.md)."""

    category: DataCategory
    field: FieldName
    value: ItemValue
    purpose: PurposeId | None
    source: Identifier = "registration"
    lawfully_obtained: bool
    # Since when the item is used for its purpose (Article 8 judges against the purposes
    # in force then); unset: since it was acquired, or since the purpose changed.
    used_at: AwareDatetime | None = None
    # False: held in a form that does not identify the person (analytics keyed by a cookie,
    # say), which Article 6 ¶2 leaves out of a disclosure; unset: held under their identity.
    identifying: bool = True


class ProvisionRecord(Strict):
    """Provision of some of the subject's items to a partner, and its footing (Article 5)."""

    partner: Identifier
    relationship: Relationship
    legal_basis: ProvisionBasis
    items: Annotated[list[FieldName], Field(min_length=1, max_length=100)]


class InventorySubject(Strict):
    subject_id: Identifier
    name: Line
    email: Email
    items: Annotated[list[HeldItemRecord], Field(max_length=1000)] = []
    provisions: Annotated[list[ProvisionRecord], Field(max_length=200)] = []
    consents: Annotated[list[ConsentEntry], Field(max_length=200)] = []

    def all_items(self) -> tuple[HeldItemRecord, ...]:
        """The listed items, plus the name (identity) and registered e-mail (contact) when
        the file does not list them: the store must hold what a notice or an identity check
        reads, as items a disclosure, correction or erasure can reach."""
        listed = {item.field for item in self.items}
        implied = []
        if NAME_FIELD not in listed:
            implied.append(
                HeldItemRecord(
                    category=DataCategory.IDENTITY,
                    field=NAME_FIELD,
                    value=self.name,
                    purpose=NAME_PURPOSE,
                    # The name and address the person registered with: given by the person.
                    lawfully_obtained=True,
                )
            )
        if EMAIL_FIELD not in listed:
            implied.append(
                HeldItemRecord(
                    category=DataCategory.CONTACT,
                    field=EMAIL_FIELD,
                    value=self.email,
                    purpose=EMAIL_PURPOSE,
                    lawfully_obtained=True,
                )
            )
        return (*implied, *self.items)

    @model_validator(mode="after")
    def _consistent(self) -> InventorySubject:
        problems = [*self._item_problems(), *self._provision_problems(), *self._consent_problems()]
        if problems:
            raise Problems(problems)
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
                problems.append(
                    (
                        f"{at}.field",
                        f"repeats the {what} of items.{first[item.field]}"
                        " (a field names one item of the subject)",
                    )
                )
                continue
            first[item.field] = index
            if item.field == NAME_FIELD and (
                item.category is not DataCategory.IDENTITY or item.value != self.name
            ):
                problems.append(
                    (
                        at,
                        "the name item must be in category identity and have "
                        "the subject's name as its value",
                    )
                )
            if item.field == EMAIL_FIELD and (
                item.category is not DataCategory.CONTACT
                or item.value.casefold() != self.email.casefold()
            ):
                problems.append(
                    (
                        at,
                        "the email item must be in category contact and have "
                        "the subject's email as its value",
                    )
                )
            if item.field in (NAME_FIELD, EMAIL_FIELD) and not item.identifying:
                problems.append(
                    (f"{at}.identifying", f"the {item.field} item identifies the person")
                )
            elif is_identification_code(item.field) and not item.identifying:
                # Article 1: a personal identification code "can identify a specific
                # individual from that information alone" (old item 37).
                problems.append(
                    (
                        f"{at}.identifying",
                        f"{item.field} is a personal identification code (Article 1): it "
                        "identifies the person by itself",
                    )
                )
        return problems

    def _provision_problems(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        held = {item.field for item in self.all_items()}
        partners: dict[str, int] = {}
        for index, provision in enumerate(self.provisions):
            at = f"provisions.{index}"
            if provision.partner in partners:
                problems.append(
                    (
                        f"{at}.partner",
                        f"repeats the partner of provisions.{partners[provision.partner]}"
                        " (one provision per partner; list all its items there)",
                    )
                )
            else:
                partners[provision.partner] = index
            problems += footing_problems(at, provision.relationship, provision.legal_basis)
            problems += _named_items(at, provision.items, held)
        return problems

    def _consent_problems(self) -> list[tuple[str, str]]:
        problems: list[tuple[str, str]] = []
        held = {item.field for item in self.all_items()}
        partners: dict[str, int] = {}
        for index, consent in enumerate(self.consents):
            at = f"consents.{index}"
            if consent.partner in partners:
                problems.append(
                    (
                        f"{at}.partner",
                        f"repeats the partner of consents.{partners[consent.partner]}"
                        " (one consent per partner: the latest the person gave)",
                    )
                )
            partners.setdefault(consent.partner, index)
            problems += _named_items(at, consent.items, held)
            if consent.withdrawn_at is not None and consent.withdrawn_at < consent.given_at:
                problems.append((f"{at}.withdrawn_at", "is before given_at"))
        return problems


def _named_items(at: str, items: list[str], held: set[str]) -> list[tuple[str, str]]:
    problems: list[tuple[str, str]] = []
    named: set[str] = set()
    for position, field in enumerate(items):
        if field in named:
            problems.append((f"{at}.items.{position}", "names an item twice"))
        elif field not in held:
            problems.append(
                (f"{at}.items.{position}", f"names {field}, which is not an item of this subject")
            )
        named.add(field)
    return problems


class Inventory(Strict):
    purposes: Annotated[list[PurposeRecord], Field(max_length=200)] = []
    provision_bases: Annotated[list[ProvisionBasisRecord], Field(max_length=1000)] = []
    subjects: Annotated[list[InventorySubject], Field(max_length=10_000)] = []

    @model_validator(mode="after")
    def _consistent(self) -> Inventory:
        if not (self.subjects or self.purposes or self.provision_bases):
            raise Problems(
                [("inventory", "names nothing: give subjects, purposes or provision_bases")]
            )
        problems = [
            *_repeats("subjects", [s.subject_id for s in self.subjects], "subject_id"),
            *_repeats("purposes", [p.id for p in self.purposes], "id"),
            *_repeats("provision_bases", [b.partner for b in self.provision_bases], "partner"),
        ]
        problems += self._footing_mismatches()
        problems += self._provision_purposes_defined()
        if problems:
            raise Problems(problems)
        return self

    def _provision_purposes_defined(self) -> list[tuple[str, str]]:
        """C3: an opt-out's purpose is one that includes provision to third parties; the
        file defining it (as incidental) would admit a sale by its own say-so."""
        defined = {p.id for p in self.purposes}
        return [
            (f"provision_bases.{index}.opt_out.purpose", PROVISION_PURPOSE_REFUSED.format(purpose))
            for index, basis in enumerate(self.provision_bases)
            if basis.opt_out is not None and (purpose := basis.opt_out.purpose) in defined
        ]

    def _footing_mismatches(self) -> list[tuple[str, str]]:
        """A provision to a partner whose footing the file records must be on that footing:
        a stop request judges it by the partner's."""
        bases = {
            basis.partner: (index, basis)
            for index, basis in reversed(list(enumerate(self.provision_bases)))
        }
        problems = []
        for s, subject in enumerate(self.subjects):
            for p, provision in enumerate(subject.provisions):
                if provision.partner not in bases or footing_problems(
                    "", provision.relationship, provision.legal_basis
                ):
                    continue
                index, basis = bases[provision.partner]
                if (basis.relationship, basis.legal_basis) != (
                    provision.relationship,
                    provision.legal_basis,
                ):
                    problems.append(
                        (
                            f"subjects.{s}.provisions.{p}",
                            f"is {provision.relationship.value}/"
                            f"{provision.legal_basis.value}, but provision_bases."
                            f"{index} records the partner as "
                            f"{basis.relationship.value}/{basis.legal_basis.value}",
                        )
                    )
        return problems


def _repeats(section: str, keys: list[str], key: str) -> list[tuple[str, str]]:
    first: dict[str, int] = {}
    problems = []
    for index, value in enumerate(keys):
        if value in first:
            problems.append(
                (f"{section}.{index}.{key}", f"repeats the {key} of {section}.{first[value]}")
            )
        else:
            first[value] = index
    return problems


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
    "id": "must be a purpose id: 1-64 lowercase letters, digits and _, starting with a letter",
    "incidental_to": "must be a purpose id: 1-64 lowercase letters, digits and _, starting "
    "with a letter",
}
_MISSING_MESSAGES = {
    "lawfully_obtained": "is required: true, or false for an item obtained by wrongful means "
    "(Article 8); an item is not presumed lawfully obtained",
}
_IDENTIFIER_MESSAGE = "must be 1-128 letters, digits and . _ : -, starting with a letter or digit"


def _problems(error: Any) -> list[tuple[str, str]]:
    loc = [str(part) for part in error["loc"]]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, Problems):
        return [
            (field_path([*loc, *relative.split(".")]), message)
            for relative, message in cause.problems
        ]
    path, kind = field_path(loc) or "inventory", error["type"]
    named = [part for part in loc if not part.isdigit()][-1:] or [""]
    if kind == "missing":
        return [(path, _MISSING_MESSAGES.get(named[0], "is required"))]
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
        problems = list(
            dict.fromkeys(problem for error in exc.errors() for problem in _problems(error))
        )
        if len(problems) > MAX_PROBLEMS:
            # A hostile file can carry thousands of faults; the first ones say enough.
            problems = [
                *problems[:MAX_PROBLEMS],
                ("inventory", f"and {len(problems) - MAX_PROBLEMS} more problems"),
            ]
        raise InvalidInventory(problems) from None
