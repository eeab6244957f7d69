"""Article 5 ¶1 and ¶2 as one rule over the register (domain/provision_register.py):
`provision_findings` reports every running provision with no valid basis on record, with
what is missing (a compliance finding for the operator, `dsr provisions check`, not a
crash), and `may_provide` reads the same rule the other way: the items a provision may
carry now. The `provision_feed_by_basis` view (store/migrations/0023_opt_out_purpose_items.sql)
expresses this rule in SQL, and tests/store/test_provision_feed.py holds the two to one
table of cases; `provision_feed`, what provision to partners reads, is that feed less the
items a request held back (suspended, or stopped by an alternative measure: migration
0024), which have a basis and are not this rule's to judge."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.holdings import ProvisionBasis, Purpose, Relationship
from domain.provision_register import (
    BasisRecord,
    ConsentRecord,
    EntrustmentParticular,
    JointUseParticular,
    OptOutMatter,
    ProvisionOnRecord,
)
from domain.purposes import PurposeRegister

# Article 3's purposes as the policy lists them (each at its first version): none of them
# includes provision to third parties, so none can carry an opt-out provision.
ARTICLE_3_PURPOSE_IDS = frozenset(p.value for p in Purpose)
# The zone an opt-out's announcement date is read in, against its purpose's start.
POLICY_ZONE = ZoneInfo("Asia/Tokyo")


class FindingKind(StrEnum):
    NO_CONSENT = "no_consent"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    CONSENT_NOT_COVERING_ITEMS = "consent_not_covering_items"
    OPT_OUT_NO_COMMISSION_NOTIFICATION = "opt_out_no_commission_notification"
    OPT_OUT_MATTERS_MISSING = "opt_out_matters_missing"
    OPT_OUT_PURPOSE_MISSING = "opt_out_purpose_missing"
    OPT_OUT_ITEMS_NOT_LAWFULLY_OBTAINED = "opt_out_items_not_lawfully_obtained"
    OPT_OUT_ITEMS_BEYOND_PURPOSE = "opt_out_items_beyond_purpose"
    OPT_OUT_ANNOUNCED_BEFORE_PURPOSE = "opt_out_announced_before_purpose"
    ENTRUSTMENT_SCOPE_MISSING = "entrustment_scope_missing"
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
    items: frozenset[str] = frozenset()  # the items it concerns; empty: the whole provision


# A problem of a provision: its kind, what is wrong, and the items it bars (None: all).
Problem = tuple[FindingKind, str, frozenset[str] | None]


@dataclass(frozen=True)
class ProvisionPurposes:
    """Article 3's register as the opt-out rule reads it at a moment (`at`: now)."""

    register: PurposeRegister
    at: datetime


def purposes_including_provision(register: PurposeRegister, at: datetime) -> ProvisionPurposes:
    """What an opt-out's purpose is judged against (C2): a purpose counts only if its
    version in force at `at` is established (domain/purposes.py) and marked as including
    provision to third parties; none of Article 3's seven is, nor a legacy purpose without
    a judgement, nor an incidental one like `loyalty_points`."""
    return ProvisionPurposes(register, at)


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
    *,
    provision_purposes: ProvisionPurposes | None = None,
) -> list[ProvisionFinding]:
    """Every provision still running with no valid basis on record, with what is missing.
    `provision_purposes`: Article 3's register now (`purposes_including_provision`); an
    opt-out needs a purpose in it that includes provision (None: no purpose does)."""
    by_partner = {b.partner_id: b for b in bases}
    by_pair = {(c.subject_id, c.partner_id): c for c in consents}
    findings: list[ProvisionFinding] = []
    for provision in provisions:
        if provision.stopped:
            continue
        for kind, detail, items in _problems(
            provision,
            by_partner.get(provision.partner_id),
            by_pair.get((provision.subject_id, provision.partner_id)),
            provision_purposes,
        ):
            findings.append(
                ProvisionFinding(
                    provision.provision_id,
                    provision.subject_id,
                    provision.partner_id,
                    kind,
                    detail,
                    items or frozenset(),
                )
            )
    return findings


def may_provide(
    provision: ProvisionOnRecord,
    basis: BasisRecord | None,
    consent: ConsentRecord | None,
    *,
    provision_purposes: ProvisionPurposes | None = None,
) -> frozenset[str]:
    """Article 5 ¶1 read the other way: the items the provision may carry now. Nothing
    for a stopped provision or one with a problem of the whole provision; otherwise its
    items less those a problem bars (not covered by the consent, not lawfully obtained, not
    held for the opt-out's purpose or used beyond purpose)."""
    if provision.stopped:
        return frozenset()
    barred: set[str] = set()
    for _, _, items in _problems(provision, basis, consent, provision_purposes):
        if items is None:
            return frozenset()
        barred |= items
    return provision.data_items - barred


def held_back(
    provision: ProvisionOnRecord,
    basis: BasisRecord | None,
    consent: ConsentRecord | None,
    *,
    provision_purposes: ProvisionPurposes | None = None,
) -> dict[str, FindingKind]:
    """The items of a running provision the rule withholds, each with the first problem
    that bars it: what a disclosure names as "on record, not provided" (C6), the other
    reading of `may_provide`."""
    reasons: dict[str, FindingKind] = {}
    if provision.stopped:
        return reasons
    for kind, _, items in _problems(provision, basis, consent, provision_purposes):
        for item in sorted(provision.data_items if items is None else items):
            reasons.setdefault(item, kind)
    return reasons


def _problems(
    provision: ProvisionOnRecord,
    basis: BasisRecord | None,
    consent: ConsentRecord | None,
    provision_purposes: ProvisionPurposes | None,
) -> list[Problem]:
    relationship, legal_basis = footing(provision, basis)
    problems: list[Problem] = []
    if (relationship, legal_basis) != (provision.relationship, provision.legal_basis):
        problems.append(
            (
                FindingKind.FOOTING_DIFFERS,
                f"listed as {provision.relationship.value}/"
                f"{provision.legal_basis.value}, but the partner's footing on "
                f"record is {relationship.value}/{legal_basis.value}",
                None,
            )
        )
    if relationship is not Relationship.THIRD_PARTY:
        missing = particulars_missing(relationship, basis)
        if missing:
            kind, what = (
                (FindingKind.JOINT_USE_PARTICULARS_MISSING, "joint use")
                if relationship is Relationship.JOINT_USE
                else (FindingKind.ENTRUSTMENT_SCOPE_MISSING, "entrustment")
            )
            problems.append(
                (kind, f"{what} without {', '.join(missing)} on record (Article 5 ¶2)", None)
            )
        return problems  # business succession: recorded as such
    match legal_basis:
        case ProvisionBasis.CONSENT:
            problems += _consent_problems(provision, consent)
        case ProvisionBasis.OPT_OUT_NOTIFIED:
            problems += _opt_out_problems(provision, basis, provision_purposes)
        case ProvisionBasis.NOT_THIRD_PARTY:
            problems.append(
                (
                    FindingKind.NO_BASIS_RECORDED,
                    "a third party recorded as not a "
                    "third party: name the relationship (entrustment, succession, "
                    "joint use) or the basis",
                    None,
                )
            )
        case _:
            pass  # the exceptions of Art 5 ¶1 rest on the basis itself
    return problems


def standing_footing(
    own: tuple[Relationship, ProvisionBasis], basis: BasisRecord | None
) -> tuple[Relationship, ProvisionBasis]:
    """Article 5 ¶2 (N5): the footing a stop request judges a partner by: the register's
    (else the provision's own), except that a joint use or an entrustment without its
    particulars on record is a third party, so the person's request stops it (its basis,
    `not_third_party`, is none of ¶1's exceptions)."""
    relationship, legal_basis = (basis.relationship, basis.legal_basis) if basis else own
    if particulars_missing(relationship, basis):
        return Relationship.THIRD_PARTY, legal_basis
    return relationship, legal_basis


def particulars_missing(relationship: Relationship, basis: BasisRecord | None) -> list[str]:
    """Article 5 ¶2: what a joint use or an entrustment lacks on record to stand as "not a
    third party"; a partner lacking any is a third party (its provision needs a basis of
    ¶1, and a stop request stops it). Business succession needs nothing more."""
    if relationship is Relationship.JOINT_USE:
        joint: Mapping[JointUseParticular, str] = basis.joint_use if basis else {}
        return [p.value for p in JointUseParticular if not joint.get(p)]
    if relationship is Relationship.ENTRUSTMENT:
        entrusted = basis.entrustment if basis else {}
        return [p.value for p in EntrustmentParticular if not entrusted.get(p)]
    return []


def _consent_problems(provision: ProvisionOnRecord, consent: ConsentRecord | None) -> list[Problem]:
    if consent is None:
        return [
            (
                FindingKind.NO_CONSENT,
                "provided on consent, but no consent of the person to this partner is on record",
                None,
            )
        ]
    if not consent.standing:
        return [
            (
                FindingKind.CONSENT_WITHDRAWN,
                "provided on consent, but the person "
                f"withdrew it on {consent.withdrawn_at:%Y-%m-%d}",
                None,
            )
        ]
    uncovered = provision.data_items - consent.data_items
    if uncovered:
        return [
            (
                FindingKind.CONSENT_NOT_COVERING_ITEMS,
                "the consent does not cover " + ", ".join(sorted(uncovered)),
                uncovered,
            )
        ]
    return []


def _opt_out_problems(
    provision: ProvisionOnRecord,
    basis: BasisRecord | None,
    provision_purposes: ProvisionPurposes | None,
) -> list[Problem]:
    problems: list[Problem] = []
    if basis is None or basis.commission_notified_at is None:
        problems.append(
            (
                FindingKind.OPT_OUT_NO_COMMISSION_NOTIFICATION,
                "opt-out provision with no notification to the Personal "
                "Information Protection Commission on record",
                None,
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
                None,
            )
        )
    elif basis is not None and basis.matters_announced_at is None:
        problems.append(
            (
                FindingKind.OPT_OUT_MATTERS_MISSING,
                "opt-out provision whose matters have no date of notification or "
                "announcement on record",
                None,
            )
        )
    purpose = basis.provision_purpose if basis is not None else None
    problems += _opt_out_purpose_problems(provision, basis, purpose, provision_purposes)
    unlawful = provision.data_items & provision.unlawful_items
    if unlawful:
        problems.append(
            (
                FindingKind.OPT_OUT_ITEMS_NOT_LAWFULLY_OBTAINED,
                "not lawfully obtained, so not provided by opt-out (APPI Art 27(2)): "
                + ", ".join(sorted(unlawful)),
                unlawful,
            )
        )
    return problems


def _opt_out_purpose_problems(
    provision: ProvisionOnRecord,
    basis: BasisRecord | None,
    purpose: str | None,
    provision_purposes: ProvisionPurposes | None,
) -> list[Problem]:
    """Article 5 ¶1's first matter (C2, C3): a purpose of use in force, established and
    marked as including provision; its matters announced on or after the purpose began to
    include it; and only items held for that very purpose and never used beyond purpose
    (Article 8, every use counted: relabelling does not wash out a past use)."""
    register = provision_purposes.register if provision_purposes else None
    at = provision_purposes.at if provision_purposes else None
    version = register.providing(purpose, at) if register and at else None
    if purpose is None or register is None or version is None:
        return [
            (
                FindingKind.OPT_OUT_PURPOSE_MISSING,
                "opt-out provision, but no purpose of use in force in Article 3's register "
                "includes provision to third parties"
                + (
                    f" ({purpose} is not established there as one that does)"
                    if purpose is not None
                    else ""
                ),
                None,
            )
        ]
    problems: list[Problem] = []
    since = register.providing_since(purpose) or version.effective_from
    announced = basis.matters_announced_at if basis else None
    if announced is not None and announced < since.astimezone(POLICY_ZONE).date():
        problems.append(
            (
                FindingKind.OPT_OUT_ANNOUNCED_BEFORE_PURPOSE,
                f"opt-out matters announced on {announced:%Y-%m-%d}, before {purpose} "
                f"included provision to third parties ({since.astimezone(POLICY_ZONE):%Y-%m-%d})",
                None,
            )
        )
    beyond = frozenset(
        item.field
        for item in provision.held
        if item.field in provision.data_items
        and (item.purpose != purpose or not register.within_every_use(item.uses))
    )
    if beyond:
        problems.append(
            (
                FindingKind.OPT_OUT_ITEMS_BEYOND_PURPOSE,
                f"not held for {purpose}, or used beyond purpose (Article 8), so not "
                "provided by opt-out: " + ", ".join(sorted(beyond)),
                beyond,
            )
        )
    return problems
