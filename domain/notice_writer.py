"""The parts every notice is made of: what kind it is, the facts it states, and the writer
that puts sentences together in the person's language (texts from domain/notice_texts.py),
with dates in the organisation's time zone and fields and categories named in words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.deadlines import Commitment
from domain.decisions import Outcome
from domain.field_vocabulary import field_label, split_item_label
from domain.notice_texts import MONTHS_EN, TEXTS
from domain.requests import DataCategory, Language


class NoticeKind(StrEnum):
    RECEIPT = "receipt"
    ANSWER = "answer"
    IDENTITY_PROOF_REQUESTED = "identity_proof_requested"
    FEE_REQUEST = "fee_request"
    DEADLINE_EXTENDED = "deadline_extended"
    OUTCOME = "outcome"
    CLOSED_IDENTITY_NOT_VERIFIED = "closed_identity_not_verified"
    CLOSED_FEE_UNPAID = "closed_fee_unpaid"


@dataclass(frozen=True)
class NoticeFacts:
    """What a notice states; gathered from the store by the activity that queues it."""

    outcome: Outcome | None = None
    reason: str | None = None
    due_at: datetime | None = None
    commitment: Commitment | None = None
    # Identity (the registration match only proposes; see docs/policy-interpretation.md)
    registration_matched: bool = False
    identity_confirmed: bool = False  # by the privacy center's code, before the receipt
    # Deadline extension
    extended_step: str | None = None
    # Article 6
    refusal_grounds: tuple[str, ...] = ()
    # category, field, value, suspended: the notice counts them by category and never
    # writes a value (the items are delivered through the privacy center, by the link)
    disclosed_items: tuple[tuple[str, str, str, bool], ...] = ()
    disclosure_link: str | None = None  # the privacy center's page of the disclosure
    disclosure_link_expires_at: datetime | None = None
    excluded: dict[str, int] = field(default_factory=dict)  # suspended; ¶2 by count
    withheld: dict[str, int] = field(default_factory=dict)  # ¶1 by count
    to_disclose: dict[str, int] = field(default_factory=dict)  # by count, in a fee request
    # ¶1 part by part (N17): (category, item label or None for the whole category, items,
    # ground); counted in `withheld` too
    withheld_parts: tuple[tuple[str, str | None, int, str], ...] = ()
    included: tuple[str, ...] = ()
    inclusion_reason: str | None = None
    legacy_exclusion: bool = False  # decided before N3: history left out whole

    invoice_id: str | None = None
    amount_yen: int | None = None
    fee_paid: bool = False
    fee_waived_legacy: bool = False  # asked again for what the old ¶2 reading left out (C7)
    paid_late_on: date | None = None  # a payment made after the window (N7): refund due
    # Article 7: (field, action, new value) made; (field, action, why) not made
    changes_made: tuple[tuple[str, str, str | None], ...] = ()
    changes_not_made: tuple[tuple[str, str, str], ...] = ()
    # Article 8
    breaches: tuple[str, ...] = ()
    acted_items: tuple[tuple[str, str], ...] = ()  # (category, field)
    items_left: int = 0
    already_suspended: int = 0
    alternative_ground: str | None = None
    measure: str | None = None
    # Art 8 ¶4 (old item 7): the named measure, applied by the service or confirmed by the
    # account responsible, when (domain/notice_measures.py)
    alternative_measure: str | None = None
    measure_applied: bool = False
    measure_confirmed_by: str | None = None
    measure_confirmed_at: datetime | None = None
    # Article 5
    stopped_partners: tuple[str, ...] = ()
    already_stopped: tuple[str, ...] = ()
    continued_partners: tuple[tuple[str, str], ...] = ()  # (partner, exception)
    not_third_parties: tuple[tuple[str, str], ...] = ()  # (partner, relationship)
    # Art 5 ¶2, as on record: (partner, relationship, ((particular, text), ...))
    particulars: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = ()
    consents_kept: tuple[str, ...] = ()  # stopped, consent kept: a typed address only (N13)
    unknown_partners: tuple[str, ...] = ()
    # The organisation's systems (connectors/): (system, what, detail) each, `what` one of
    # done, nothing, kept, waived, not_reached, owner; detail a count or a reason
    systems: tuple[tuple[str, str, str], ...] = ()


def format_date(moment: datetime | date, zone: ZoneInfo, language: Language) -> str:
    """A date as a person reads it, in the organisation's time zone."""
    local = moment.astimezone(zone) if isinstance(moment, datetime) else moment
    if language is Language.JA:
        return f"{local.year}年{local.month}月{local.day}日"
    return f"{local.day} {MONTHS_EN[local.month - 1]} {local.year}"


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    body: str


class NoticeWriter:
    def __init__(self, language: Language, zone: ZoneInfo) -> None:
        self.texts, self.language, self.zone = TEXTS[language], language, zone
        self.parts: list[str] = []

    def t(self, key: str, **fields: object) -> str:
        return self.texts[key].format(**fields)

    def add(self, key: str, **fields: object) -> None:
        self.parts.append(self.t(key, **fields))

    def date(self, moment: datetime | date) -> str:
        return format_date(moment, self.zone, self.language)

    def join(self, values: Iterable[str]) -> str:
        return self.t("list_sep").join(values)

    def items(self, count: int) -> str:
        return self.t("items_one" if count == 1 else "items", count=count)

    def counted(self, counts: dict[str, int]) -> str:
        """Counts by category, in the categories' own order (identity first)."""
        rank = {c.value: i for i, c in enumerate(DataCategory)}
        return self.join(
            self.t("counted", what=self.t(f"cat.{c}"), items=self.items(n))
            for c, n in sorted(counts.items(), key=lambda kv: (rank.get(kv[0], len(rank)), kv[0]))
        )

    def field(self, label: str) -> str:
        """An item's field as the person reads it, and the system it is kept in, if any."""
        field_, place = split_item_label(label)
        name = field_label(field_, self.language)
        if place is None:
            return name
        return self.t("item.in_system", field=name, system=place[0], collection=place[1])

    def item(self, category: str, label: str, value: str | None = None) -> str:
        """One item on a line of its own: its category, its field and its value, if any."""
        what = self.t(f"cat.{category}")
        if value is None:
            line = self.t("item", category=what, field=self.field(label))
        else:
            line = self.t("item.value", category=what, field=self.field(label), value=value)
        return line[:1].upper() + line[1:]

    def recipient(self, label: str) -> str:
        """A recipient as the store names it, "name (id)", in the language's brackets."""
        name, sep, rest = label.rpartition(" (")
        if not sep or not rest.endswith(")"):
            return label
        return self.t("provision.recipient", name=name, id=rest[:-1])

    def recipients(self, labels: Iterable[str]) -> str:
        return self.join(map(self.recipient, labels))

    def lines(self, heading: str, lines: Iterable[str], **fields: object) -> None:
        self.parts.append(
            self.t(heading, **fields) + "\n" + "\n".join(f"- {line}" for line in lines)
        )
