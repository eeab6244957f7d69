"""Article 5: which recipients on record a request to stop provision names.

A person names a recipient as the disclosure of their personal information names it (Article
6): by its name ("Ad Network Inc.", 「株式会社アドネット」) or by its id (`ad-network-1`), or asks
for provision to every third party to stop. A name is matched whole, ignoring case, width
(full-width and half-width letters), runs of spaces and punctuation at its end ("Ad
Network Inc" is "Ad Network Inc.", 「株式会社アドネット。」 is 「株式会社アドネット」); it is
never split. Text that matches no recipient on record is only that: no claim is made about
whom it means.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


def _key(text: str) -> str:
    key = " ".join(unicodedata.normalize("NFKC", text).casefold().split())
    while key and unicodedata.category(key[-1]).startswith("P"):
        key = key[:-1].rstrip()
    return key


@dataclass(frozen=True)
class Named:
    """What a stop request's names come to: the partner ids they match, in the order
    named, and the texts that match none."""

    partner_ids: tuple[str, ...]
    unmatched: tuple[str, ...]


def match_recipients(
    named: Iterable[str], recipients: Mapping[str, str | None], *, everyone: bool = False
) -> Named:
    """`recipients`: partner id -> its name on record (None: none recorded). `everyone`:
    the person asked for every recipient; each is matched, in id order, as well as what
    they named."""
    by_key: dict[str, str] = {}
    for partner_id, name in recipients.items():
        by_key.setdefault(_key(partner_id), partner_id)
        if name:
            by_key.setdefault(_key(name), partner_id)
    ids: list[str] = sorted(recipients) if everyone else []
    unmatched: list[str] = []
    for text in named:
        found = by_key.get(_key(text))
        if found is None:
            if text not in unmatched:
                unmatched.append(text)
        elif found not in ids:
            ids.append(found)
    return Named(tuple(ids), tuple(unmatched))
