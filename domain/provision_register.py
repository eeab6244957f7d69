"""Article 5 as a register: the footing of provision to each partner, and consent given and
withdrawn per subject, partner and items. What each footing needs on
record:

- Consent: the subject's consent to that partner, covering the items, given and not
  withdrawn.
- Opt-out (Art 5 ¶1, last case): the five matters notified or announced in advance, and
  the notification to the Personal Information Protection Commission, both with dates.
  The purpose of use that includes the provision must be in force in Article 3's register
  (none of the seven purposes the policy lists includes it), and no item obtained by
  wrongful means goes by opt-out (APPI Art 27(2)).
- Joint use (Art 5 ¶2): the items, the scope of joint users, their purpose and the person
  responsible, notified in advance or easily known.
- Entrustment (Art 5 ¶2): the handling entrusted and the purpose of use it is necessary to
  achieve. Business succession is recorded as such; the exceptions of Art 5 ¶1 (life,
  public health, authorities) need no more than the basis itself.

A partner's footing on record is the register's; a provision's own relationship and basis
(what the inventory listed with it) stand only for a partner the register has no footing
for. Where both exist and differ, that is a finding too, and the register's is judged.

The rule itself is domain/provision_rule.py."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from domain.events import PayloadValue
from domain.holdings import ProvisionBasis, Relationship


class OptOutMatter(StrEnum):
    """Article 5 ¶1: what must be notified or announced in advance for opt-out provision."""

    PROVISION_IN_PURPOSE = "provision_in_purpose"
    ITEMS_PROVIDED = "items_provided"
    MEANS_OF_PROVISION = "means_of_provision"
    STOPS_ON_REQUEST = "stops_on_request"
    HOW_TO_REQUEST = "how_to_request"


class JointUseParticular(StrEnum):
    """Article 5 ¶2: what joint use must have made known in advance."""

    ITEMS = "items"
    SCOPE_OF_JOINT_USERS = "scope_of_joint_users"
    PURPOSE = "purpose"
    PERSON_RESPONSIBLE = "person_responsible"


class EntrustmentParticular(StrEnum):
    """Article 5 ¶2, first case: the handling entrusted, and the purpose of use it is
    necessary to achieve ("within the scope necessary to achieve the purpose of use")."""

    HANDLING = "handling"
    PURPOSE = "purpose"


@dataclass(frozen=True)
class BasisRecord:
    """A partner's footing as recorded: for opt-out, the matters announced (with when),
    when the Commission was notified and the purpose of use that includes the provision;
    for joint use and entrustment, their particulars, each with the text made known (the
    organisation's texts, not personal data)."""

    partner_id: str
    relationship: Relationship
    legal_basis: ProvisionBasis
    matters_announced: frozenset[OptOutMatter] = frozenset()
    matters_announced_at: date | None = None
    commission_notified_at: date | None = None
    joint_use: Mapping[JointUseParticular, str] = field(default_factory=dict)
    provision_purpose: str | None = None
    entrustment: Mapping[EntrustmentParticular, str] = field(default_factory=dict)

    def payload(self) -> dict[str, PayloadValue]:
        """The `provision_basis.recorded` event's payload: flat, and nothing personal. The
        keys added with issue 24 appear only when set, so a record made before them keeps
        its digest."""
        added: dict[str, PayloadValue] = {}
        if self.provision_purpose is not None:
            added["provision_purpose"] = self.provision_purpose
        for particular, text in sorted(self.entrustment.items()):
            added[f"entrustment_{particular.value}"] = text
        return added | {
            "partner_id": self.partner_id,
            "relationship": self.relationship.value,
            "legal_basis": self.legal_basis.value,
            "matters_announced": ",".join(sorted(m.value for m in self.matters_announced)),
            "matters_announced_at": _iso(self.matters_announced_at),
            "commission_notified_at": _iso(self.commission_notified_at),
            **{f"joint_use_{p.value}": self.joint_use.get(p) for p in JointUseParticular},
        }

    def digest(self) -> str:
        """What the record says, hashed: part of its event's idempotency key."""
        return _digest(self.payload())


@dataclass(frozen=True)
class ConsentRecord:
    subject_id: str
    partner_id: str
    data_items: frozenset[str]
    given_at: datetime
    withdrawn_at: datetime | None = None

    @property
    def standing(self) -> bool:
        return self.withdrawn_at is None

    def given_payload(self, version: int) -> dict[str, PayloadValue]:
        """The `consent.given` event's payload: ids, the items' field names and the time."""
        return {
            "subject_id": self.subject_id,
            "partner_id": self.partner_id,
            "items": ",".join(sorted(self.data_items)),
            "given_at": self.given_at.isoformat(),
            "version": version,
        }

    def digest(self) -> str:
        return _digest({"items": sorted(self.data_items), "given_at": self.given_at.isoformat()})


@dataclass(frozen=True)
class ItemUses:
    """One of the subject's items a provision names: its field and every (purpose, since)
    it was used under, the current use last (what Article 8 judges it by)."""

    field: str
    uses: tuple[tuple[str | None, datetime], ...]

    @property
    def purpose(self) -> str | None:
        return self.uses[-1][0] if self.uses else None


@dataclass(frozen=True)
class ProvisionOnRecord:
    provision_id: int
    subject_id: str
    partner_id: str
    relationship: Relationship
    legal_basis: ProvisionBasis
    data_items: frozenset[str]
    stopped: bool = False
    # Of `data_items`, those the subject's items of which were not lawfully obtained.
    unlawful_items: frozenset[str] = frozenset()
    # The subject's items of `data_items`, each with its uses (an opt-out carries only
    # those held for its purpose and never used beyond purpose, C2).
    held: tuple[ItemUses, ...] = ()


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _digest(content: Mapping[str, object]) -> str:
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:24]
