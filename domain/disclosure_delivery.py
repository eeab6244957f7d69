"""Article 6: how a disclosure reaches the person. The outcome e-mail carries no disclosed
value; it links to the privacy center, where the items are shown, and offered for
download, after a fresh one-time code sent to the address on record is entered.

The rules, pure: how long a link is valid, when it may be opened, how long an opening
lasts, and what a download holds. The store keeps the link's token only as a hash
(store/disclosure_links.py); the pages are interfaces/privacy_center/disclosure.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from domain.deadlines import end_of_local_day
from domain.field_vocabulary import field_label
from domain.requests import DEFAULT_LANGUAGE, Language

# The link's life when no setting says otherwise (DSR_DISCLOSURE_LINK_DAYS).
DEFAULT_LINK_DAYS = 30
MIN_LINK_DAYS, MAX_LINK_DAYS = 1, 365
# How long an entered code opens the disclosure in that browser; never past the link.
OPENED_FOR = timedelta(minutes=15)
# 256 random bits, URL-safe: unguessable, and kept only as its sha256.
TOKEN_BYTES = 32


class LinkState(StrEnum):
    """What a disclosure link may show now."""

    UNKNOWN = "unknown"  # no such link: a 404, like any unknown page
    EXPIRED = "expired"  # past its date: nothing of the items, no code sent
    ERASED = "erased"  # the subject's key was destroyed: nothing is left to show
    OPEN = "open"  # a code may be asked for and, once entered, the items shown


def link_expires_at(issued_at: datetime, days: int, zone: ZoneInfo) -> datetime:
    """When a link issued at `issued_at` stops opening anything: at the end of the local
    day (in `zone`, the notices' zone) `days` after its issue. The e-mail names that day
    ("until 6 January"), and a named day is the whole day (C4; the rule of a person's
    windows, domain/deadlines.end_of_local_day)."""
    if not MIN_LINK_DAYS <= days <= MAX_LINK_DAYS:
        raise ValueError(
            f"a disclosure link is valid for {MIN_LINK_DAYS} to {MAX_LINK_DAYS} days, not {days}"
        )
    if issued_at.tzinfo is None:
        raise ValueError("a link's issue time must carry its time zone")
    return end_of_local_day(issued_at + timedelta(days=days), zone)


def link_state(
    *, found: bool, expires_at: datetime | None, erased: bool, now: datetime
) -> LinkState:
    """Expiry comes before erasure: an expired link says only that it expired."""
    if not found or expires_at is None:
        return LinkState.UNKNOWN
    if now >= expires_at:
        return LinkState.EXPIRED
    if erased:
        return LinkState.ERASED
    return LinkState.OPEN


def opened_until(verified_at: datetime, link_expires: datetime) -> datetime:
    """Until when a code entered at `verified_at` shows the items: OPENED_FOR, and never
    past the link's own expiry."""
    return min(verified_at + OPENED_FOR, link_expires)


def still_open(
    *, verified_at: datetime | None, link_expires: datetime, erased: bool, now: datetime
) -> bool:
    """Whether a browser that entered the code may see the items now."""
    if verified_at is None or erased:
        return False
    return verified_at <= now < opened_until(verified_at, link_expires)


@dataclass(frozen=True)
class DisclosedItem:
    """One item as the page and the download show it (the recipients and purpose are
    those the compiled disclosure names; None where it names none: a disclosure compiled
    without them says nothing of them, rather than "nobody")."""

    category: str
    field: str
    value: str
    use_suspended: bool
    # Where it is kept, when that is one of the organisation's systems (connectors/)
    # rather than the service's own records: so the person sees where their data lives.
    system: str | None
    collection: str | None
    purpose: str | None
    recipients: tuple[Mapping[str, str], ...] | None
    # In the reader's language: the field's name (domain/field_vocabulary.py) and the
    # purpose's text as the register held it when the disclosure was compiled.
    field_name: str = ""
    purpose_text: str | None = None


_RECIPIENT_KEYS = ("partner_id", "name", "relationship", "basis")


def disclosed_items(
    compiled: Iterable[Mapping[str, Any]], language: Language = DEFAULT_LANGUAGE
) -> list[DisclosedItem]:
    """The compiled disclosure's items (store/decision_effects.py), in the shape shown, in
    `language`."""
    return [
        DisclosedItem(
            category=str(item["category"]),
            field=str(item["field"]),
            value=str(item["value"]),
            use_suspended=bool(item.get("suspended")),
            system=item.get("system") or None,
            collection=item.get("collection") or None,
            purpose=item.get("purpose") or None,
            recipients=None
            if item.get("recipients") is None
            else tuple(
                {key: str(r.get(key) or "") for key in _RECIPIENT_KEYS}
                # Review C6: a provision on record the feed withholds, with why.
                | (
                    {"provided": "false", "held_back": str(r["held_back"])}
                    if r.get("held_back")
                    else {}
                )
                for r in item["recipients"]
            ),
            field_name=field_label(str(item["field"]), language),
            purpose_text=(item.get("purpose_text") or {}).get(language.value) or None,
        )
        for item in compiled
    ]


def download_document(
    *, request_id: str, compiled_at: datetime, items: Iterable[DisclosedItem]
) -> dict[str, Any]:
    """The JSON download: what was disclosed, with the request it answers."""
    return {
        "request_id": request_id,
        "compiled_at": compiled_at.isoformat(),
        "items": [
            {
                "category": i.category,
                "field": i.field,
                "field_name": i.field_name,
                "value": i.value,
                "use_suspended": i.use_suspended,
                "system": i.system,
                "collection": i.collection,
                "purpose": i.purpose,
                "purpose_text": i.purpose_text,
                "recipients": None
                if i.recipients is None
                else [
                    dict(r) | ({"provided": False} if r.get("held_back") else {})
                    for r in i.recipients
                ],
            }
            for i in items
        ],
    }


def counts_by_category(compiled: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """What the outcome e-mail may say of the items: how many of each category."""
    counts: dict[str, int] = {}
    for item in compiled:
        category = str(item["category"])
        counts[category] = counts.get(category, 0) + 1
    return counts
