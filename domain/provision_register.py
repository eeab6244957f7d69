"""Article 5 as a register: the footing of provision to each partner, and consent given and
withdrawn per subject, partner and items. `provision_findings` reads them against the
provisions on record and reports every provision with no valid basis: a compliance
finding for the operator (`dsr provisions check`), not a crash.

- Consent: the subject's consent to that partner, covering the items, given and not
  withdrawn.
- Opt-out (Art 5 ¶1, last case): the five matters notified or announced in advance, and
  the notification to the Personal Information Protection Commission, both with dates.
- Joint use (Art 5 ¶2): the items, the scope of joint users, their purpose and the person
  responsible, notified in advance or easily known.
- Entrustment and business succession are recorded as such; the exceptions of Art 5 ¶1
  (life, public health, authorities) need no more than the basis itself.

A partner's footing on record is the register's; a provision's own relationship and basis
(what the inventory listed with it) stand only for a partner the register has no footing
for. Where both exist and differ, that is a finding too, and the register's is judged."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
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


@dataclass(frozen=True)
class BasisRecord:
    """A partner's footing as recorded: for opt-out, the matters announced (with when) and
    when the Commission was notified; for joint use, its particulars, each with the text
    made known (the organisation's texts, not personal data)."""

    partner_id: str
    relationship: Relationship
    legal_basis: ProvisionBasis
    matters_announced: frozenset[OptOutMatter] = frozenset()
    matters_announced_at: date | None = None
    commission_notified_at: date | None = None
    joint_use: Mapping[JointUseParticular, str] = field(default_factory=dict)

    def payload(self) -> dict[str, PayloadValue]:
        """The `provision_basis.recorded` event's payload: flat, and nothing personal."""
        return {
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
class ProvisionOnRecord:
    provision_id: int
    subject_id: str
    partner_id: str
    relationship: Relationship
    legal_basis: ProvisionBasis
    data_items: frozenset[str]
    stopped: bool = False


class FindingKind(StrEnum):
    NO_CONSENT = "no_consent"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    CONSENT_NOT_COVERING_ITEMS = "consent_not_covering_items"
    OPT_OUT_NO_COMMISSION_NOTIFICATION = "opt_out_no_commission_notification"
    OPT_OUT_MATTERS_MISSING = "opt_out_matters_missing"
    JOINT_USE_PARTICULARS_MISSING = "joint_use_particulars_missing"
    NO_BASIS_RECORDED = "no_basis_recorded"
    FOOTING_DIFFERS = "footing_differs"


@dataclass(frozen=True)
class ProvisionFinding:
    provision_id: int
    subject_id: str
    partner_id: str
    kind: FindingKind
    detail: str


def footing(
    provision: ProvisionOnRecord, basis: BasisRecord | None
) -> tuple[Relationship, ProvisionBasis]:
    """The partner's footing on record: the register's, else the provision's own."""
    if basis is not None:
        return basis.relationship, basis.legal_basis
    return provision.relationship, provision.legal_basis


def provision_findings(
    provisions: Iterable[ProvisionOnRecord],
    bases: Iterable[BasisRecord],
    consents: Iterable[ConsentRecord],
) -> list[ProvisionFinding]:
    """Every provision still running with no valid basis on record, with what is missing."""
    by_partner = {b.partner_id: b for b in bases}
    by_pair = {(c.subject_id, c.partner_id): c for c in consents}
    findings: list[ProvisionFinding] = []
    for provision in provisions:
        if provision.stopped:
            continue
        for kind, detail in _problems(
            provision,
            by_partner.get(provision.partner_id),
            by_pair.get((provision.subject_id, provision.partner_id)),
        ):
            findings.append(
                ProvisionFinding(
                    provision.provision_id, provision.subject_id, provision.partner_id, kind, detail
                )
            )
    return findings


def _problems(
    provision: ProvisionOnRecord, basis: BasisRecord | None, consent: ConsentRecord | None
) -> list[tuple[FindingKind, str]]:
    relationship, legal_basis = footing(provision, basis)
    problems: list[tuple[FindingKind, str]] = []
    if (relationship, legal_basis) != (provision.relationship, provision.legal_basis):
        problems.append(
            (
                FindingKind.FOOTING_DIFFERS,
                f"listed as {provision.relationship.value}/"
                f"{provision.legal_basis.value}, but the partner's footing on "
                f"record is {relationship.value}/{legal_basis.value}",
            )
        )
    if relationship is Relationship.JOINT_USE:
        missing = [p for p in JointUseParticular if not (basis and basis.joint_use.get(p))]
        if missing:
            problems.append(
                (
                    FindingKind.JOINT_USE_PARTICULARS_MISSING,
                    "joint use without "
                    + ", ".join(m.value for m in missing)
                    + " on record (Article 5 ¶2)",
                )
            )
        return problems
    if relationship is not Relationship.THIRD_PARTY:
        return problems  # entrustment, business succession: recorded as such
    match legal_basis:
        case ProvisionBasis.CONSENT:
            problems += _consent_problems(provision, consent)
        case ProvisionBasis.OPT_OUT_NOTIFIED:
            problems += _opt_out_problems(basis)
        case ProvisionBasis.NOT_THIRD_PARTY:
            problems.append(
                (
                    FindingKind.NO_BASIS_RECORDED,
                    "a third party recorded as not a "
                    "third party: name the relationship (entrustment, succession, "
                    "joint use) or the basis",
                )
            )
        case _:
            pass  # the exceptions of Art 5 ¶1 rest on the basis itself
    return problems


def _consent_problems(
    provision: ProvisionOnRecord, consent: ConsentRecord | None
) -> list[tuple[FindingKind, str]]:
    if consent is None:
        return [
            (
                FindingKind.NO_CONSENT,
                "provided on consent, but no consent of the person to this partner is on record",
            )
        ]
    if not consent.standing:
        return [
            (
                FindingKind.CONSENT_WITHDRAWN,
                "provided on consent, but the person "
                f"withdrew it on {consent.withdrawn_at:%Y-%m-%d}",
            )
        ]
    uncovered = sorted(provision.data_items - consent.data_items)
    if uncovered:
        return [
            (
                FindingKind.CONSENT_NOT_COVERING_ITEMS,
                "the consent does not cover " + ", ".join(uncovered),
            )
        ]
    return []


def _opt_out_problems(basis: BasisRecord | None) -> list[tuple[FindingKind, str]]:
    problems: list[tuple[FindingKind, str]] = []
    if basis is None or basis.commission_notified_at is None:
        problems.append(
            (
                FindingKind.OPT_OUT_NO_COMMISSION_NOTIFICATION,
                "opt-out provision with no notification to the Personal "
                "Information Protection Commission on record",
            )
        )
    missing = [m for m in OptOutMatter if basis is None or m not in basis.matters_announced]
    if missing:
        problems.append(
            (
                FindingKind.OPT_OUT_MATTERS_MISSING,
                "opt-out provision without "
                + ", ".join(m.value for m in missing)
                + " notified or announced in advance on record",
            )
        )
    elif basis is not None and basis.matters_announced_at is None:
        problems.append(
            (
                FindingKind.OPT_OUT_MATTERS_MISSING,
                "opt-out provision whose matters have no date of notification or "
                "announcement on record",
            )
        )
    return problems


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _digest(content: Mapping[str, object]) -> str:
    encoded = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:24]
