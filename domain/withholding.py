"""Article 6 ¶1: "we may not disclose all or part of it" on one of three grounds. What is
withheld is named part by part: a whole category, or a single item by the investigation's
opaque item id (never its value), each with its ground."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from domain.findings import Findings
from domain.requests import DataCategory


class RefusalGround(StrEnum):
    """Article 6: the only grounds on which all or part of a disclosure may be withheld."""

    RISK_TO_LIFE_BODY_PROPERTY_OR_RIGHTS = "risk_to_life_body_property_or_rights"
    SIGNIFICANT_HINDRANCE_TO_BUSINESS = "significant_hindrance_to_business"
    VIOLATION_OF_OTHER_LAWS = "violation_of_other_laws"


class WithheldPart(BaseModel):
    """One part withheld, with its ground: a category, or one item by its opaque id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: DataCategory | None = None
    item_id: int | None = Field(default=None, ge=1)
    ground: RefusalGround

    @model_validator(mode="after")
    def _one_part(self) -> WithheldPart:
        if (self.category is None) == (self.item_id is None):
            raise ValueError("a withheld part is a category or an item id, one of the two")
        return self

    @property
    def label(self) -> str:
        return self.category.value if self.category is not None else f"item {self.item_id}"


def parse_part(text: str) -> WithheldPart:
    """`CATEGORY=GROUND` or `ITEM_ID=GROUND`, as an operator types it."""
    part, sep, ground = text.partition("=")
    if not sep:
        example = RefusalGround.VIOLATION_OF_OTHER_LAWS.value
        raise ValueError(f"{text[:60]!r}: give PART=GROUND, e.g. 42={example}")
    try:
        named = RefusalGround(ground.strip())
    except ValueError:
        grounds = ", ".join(g.value for g in RefusalGround)
        raise ValueError(f"{ground[:60]!r} is not an Article 6 ground: {grounds}") from None
    part = part.strip()
    if part.isdigit():
        return WithheldPart(item_id=int(part), ground=named)
    try:
        return WithheldPart(category=DataCategory(part), ground=named)
    except ValueError:
        cats = ", ".join(c.value for c in DataCategory)
        raise ValueError(f"{part[:60]!r} is neither an item id nor a category: {cats}") from None


def parts_problem(
    findings: Findings, parts: Iterable[WithheldPart], categories: Iterable[DataCategory]
) -> str | None:
    """Why the parts named cannot be withheld as named, or None: an item must be one the
    investigation found, that identifies the person, asked for, and not in a category
    withheld whole; a part is named once."""
    seen: set[str] = {c.value for c in categories}  # withheld plainly, on the decision's grounds
    whole = set(categories) | {p.category for p in parts if p.category is not None}
    for part in parts:
        if part.label in seen:
            return f"{part.label} is withheld twice; name each part once, with its ground"
        seen.add(part.label)
        if part.item_id is None:
            continue
        category = findings.personal_items.get(part.item_id)
        if category is None:
            return (
                f"item {part.item_id} is not among the items of personal information this "
                "investigation found (`dsr review` lists their ids)"
            )
        if not findings.asked_for(category):
            return f"item {part.item_id} is {category.value}, which the person did not ask for"
        if category in whole:
            return f"item {part.item_id} is {category.value}, which is withheld whole already"
    return None


def withheld_items(parts: Iterable[WithheldPart]) -> frozenset[int]:
    return frozenset(p.item_id for p in parts if p.item_id is not None)


def withheld_categories(parts: Iterable[WithheldPart]) -> frozenset[DataCategory]:
    return frozenset(p.category for p in parts if p.category is not None)


def part_text(part: WithheldPart) -> str:
    """A part as `parse_part` reads it: `CATEGORY=GROUND` or `ITEM_ID=GROUND`."""
    named = part.category.value if part.category is not None else str(part.item_id)
    return f"{named}={part.ground.value}"


def withheld_parts_text(parts: Iterable[WithheldPart]) -> str:
    """The parts as the decision's event records them: ids, categories and grounds only."""
    return ",".join(part_text(p) for p in parts)
