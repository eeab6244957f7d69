"""domain/provision_register.py: every provision with no valid basis on record is a finding
of its own kind (the three of issue 10's Done-when among them), nothing else is, and the
register's payloads are flat and hold nothing personal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain.holdings import ProvisionBasis, Relationship
from domain.inventory import parse_inventory
from domain.provision_register import (
    BasisRecord,
    ConsentRecord,
    FindingKind,
    JointUseParticular,
    OptOutMatter,
    ProvisionOnRecord,
    provision_findings,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory.json"
GIVEN = datetime(2026, 5, 10, 1, 0, tzinfo=UTC)
THIRD, JOINT = Relationship.THIRD_PARTY, Relationship.JOINT_USE
ALL_MATTERS = frozenset(OptOutMatter)
PARTICULARS = {p: f"the {p.value.replace('_', ' ')}" for p in JointUseParticular}


def provision(
    relationship: Relationship = THIRD,
    basis: ProvisionBasis = ProvisionBasis.CONSENT,
    *,
    partner: str = "p-1",
    items: frozenset[str] = frozenset({"phone"}),
    stopped: bool = False,
) -> ProvisionOnRecord:
    return ProvisionOnRecord(7, "s-1", partner, relationship, basis, items, stopped)


def opt_out(**changes: object) -> BasisRecord:
    fields: dict[str, object] = {
        "partner_id": "p-1",
        "relationship": THIRD,
        "legal_basis": ProvisionBasis.OPT_OUT_NOTIFIED,
        "matters_announced": ALL_MATTERS,
        "matters_announced_at": date(2026, 4, 1),
        "commission_notified_at": date(2026, 4, 15),
    }
    return BasisRecord(**(fields | changes))  # type: ignore[arg-type]


def consent(**changes: object) -> ConsentRecord:
    fields: dict[str, object] = {
        "subject_id": "s-1",
        "partner_id": "p-1",
        "data_items": frozenset({"phone"}),
        "given_at": GIVEN,
    }
    return ConsentRecord(**(fields | changes))  # type: ignore[arg-type]


def kinds(
    provisions: Sequence[ProvisionOnRecord],
    bases: Sequence[BasisRecord] = (),
    consents: Sequence[ConsentRecord] = (),
) -> list[FindingKind]:
    return [f.kind for f in provision_findings(provisions, bases, consents)]


def test_done_when_an_opt_out_provision_with_no_commission_notification_is_found() -> None:
    basis = opt_out(commission_notified_at=None)
    [finding] = provision_findings([provision(basis=ProvisionBasis.OPT_OUT_NOTIFIED)], [basis], [])
    assert (finding.kind, finding.provision_id, finding.subject_id, finding.partner_id) == (
        FindingKind.OPT_OUT_NO_COMMISSION_NOTIFICATION,
        7,
        "s-1",
        "p-1",
    )
    assert "Personal Information Protection Commission" in finding.detail


def test_done_when_a_consent_provision_whose_consent_was_withdrawn_is_found() -> None:
    withdrawn = consent(withdrawn_at=datetime(2026, 6, 2, 3, 0, tzinfo=UTC))
    [finding] = provision_findings([provision()], [], [withdrawn])
    assert finding.kind is FindingKind.CONSENT_WITHDRAWN
    assert finding.detail == "provided on consent, but the person withdrew it on 2026-06-02"


def test_done_when_a_joint_use_missing_its_particulars_is_found() -> None:
    partial = BasisRecord(
        "p-1",
        JOINT,
        ProvisionBasis.NOT_THIRD_PARTY,
        joint_use={
            JointUseParticular.ITEMS: "name",
            JointUseParticular.PURPOSE: "fraud prevention",
        },
    )
    [finding] = provision_findings(
        [provision(JOINT, ProvisionBasis.NOT_THIRD_PARTY)], [partial], []
    )
    assert finding.kind is FindingKind.JOINT_USE_PARTICULARS_MISSING
    assert finding.detail == (
        "joint use without scope_of_joint_users, person_responsible on record (Article 5 ¶2)"
    )
    assert kinds([provision(JOINT, ProvisionBasis.NOT_THIRD_PARTY)]) == [
        FindingKind.JOINT_USE_PARTICULARS_MISSING
    ]
    blank = BasisRecord(
        "p-1",
        JOINT,
        ProvisionBasis.NOT_THIRD_PARTY,
        joint_use=PARTICULARS | {JointUseParticular.PURPOSE: ""},
    )
    assert kinds([provision(JOINT, ProvisionBasis.NOT_THIRD_PARTY)], [blank]) == [
        FindingKind.JOINT_USE_PARTICULARS_MISSING
    ]


@pytest.mark.parametrize(
    ("consents", "expected"),
    [
        ([], [FindingKind.NO_CONSENT]),
        ([consent(partner_id="p-2")], [FindingKind.NO_CONSENT]),
        ([consent(subject_id="s-2")], [FindingKind.NO_CONSENT]),
        ([consent(data_items=frozenset({"email"}))], [FindingKind.CONSENT_NOT_COVERING_ITEMS]),
        ([consent(data_items=frozenset({"phone", "email"}))], []),
        ([consent()], []),
    ],
)
def test_consent_provisions(consents: list[ConsentRecord], expected: list[FindingKind]) -> None:
    assert kinds([provision()], [], consents) == expected


@pytest.mark.parametrize(
    ("bases", "expected"),
    [
        ([], [FindingKind.OPT_OUT_NO_COMMISSION_NOTIFICATION, FindingKind.OPT_OUT_MATTERS_MISSING]),
        ([opt_out()], []),
        (
            [opt_out(matters_announced=ALL_MATTERS - {OptOutMatter.HOW_TO_REQUEST})],
            [FindingKind.OPT_OUT_MATTERS_MISSING],
        ),
        ([opt_out(matters_announced_at=None)], [FindingKind.OPT_OUT_MATTERS_MISSING]),
        (
            [opt_out(commission_notified_at=None, matters_announced=frozenset())],
            [FindingKind.OPT_OUT_NO_COMMISSION_NOTIFICATION, FindingKind.OPT_OUT_MATTERS_MISSING],
        ),
    ],
)
def test_opt_out_provisions(bases: list[BasisRecord], expected: list[FindingKind]) -> None:
    assert kinds([provision(basis=ProvisionBasis.OPT_OUT_NOTIFIED)], bases) == expected


def test_what_needs_no_more_than_its_footing_is_no_finding() -> None:
    provisions = [
        provision(Relationship.ENTRUSTMENT, ProvisionBasis.NOT_THIRD_PARTY, partner="a"),
        provision(Relationship.BUSINESS_SUCCESSION, ProvisionBasis.NOT_THIRD_PARTY, partner="b"),
        *(
            provision(basis=basis, partner=basis.value)
            for basis in ProvisionBasis
            if basis.exception is not None
        ),
        provision(JOINT, ProvisionBasis.NOT_THIRD_PARTY, partner="j"),
    ]
    joint = BasisRecord("j", JOINT, ProvisionBasis.NOT_THIRD_PARTY, joint_use=PARTICULARS)
    assert kinds(provisions, [joint]) == []


def test_a_stopped_provision_is_no_finding_whatever_its_basis() -> None:
    assert (
        kinds(
            [
                provision(stopped=True),
                provision(basis=ProvisionBasis.OPT_OUT_NOTIFIED, stopped=True),
            ]
        )
        == []
    )


def test_a_third_party_recorded_as_not_one_is_a_finding() -> None:
    assert kinds([provision(basis=ProvisionBasis.NOT_THIRD_PARTY)]) == [
        FindingKind.NO_BASIS_RECORDED
    ]


def test_the_register_footing_is_judged_and_a_provision_listed_otherwise_is_a_finding() -> None:
    """The partner's footing on record decides; the provision listed on another is told."""
    on_opt_out = provision()  # listed as consent
    findings = provision_findings([on_opt_out], [opt_out(commission_notified_at=None)], [consent()])
    assert [f.kind for f in findings] == [
        FindingKind.FOOTING_DIFFERS,
        FindingKind.OPT_OUT_NO_COMMISSION_NOTIFICATION,
    ]
    assert findings[0].detail == (
        "listed as third_party/consent, but the partner's footing on "
        "record is third_party/opt_out_notified"
    )
    entrusted = BasisRecord("p-1", Relationship.ENTRUSTMENT, ProvisionBasis.NOT_THIRD_PARTY)
    assert kinds([provision()], [entrusted]) == [FindingKind.FOOTING_DIFFERS]


def test_the_example_inventory_has_every_basis_on_record() -> None:
    inventory = parse_inventory(json.loads(EXAMPLE.read_text(encoding="utf-8")))
    provisions = [
        ProvisionOnRecord(
            n, s.subject_id, p.partner, p.relationship, p.legal_basis, frozenset(p.items)
        )
        for n, (s, p) in enumerate((s, p) for s in inventory.subjects for p in s.provisions)
    ]
    bases = [b.record() for b in inventory.provision_bases]
    consents = [c.record(s.subject_id) for s in inventory.subjects for c in s.consents]
    assert provision_findings(provisions, bases, consents) == []
    # Without its registers, the provisions the Done-when names are found.
    assert {(f.partner_id, f.kind) for f in provision_findings(provisions, [], [])} == {
        ("ad-network-1", FindingKind.NO_CONSENT),
        ("data-broker-2", FindingKind.OPT_OUT_NO_COMMISSION_NOTIFICATION),
        ("data-broker-2", FindingKind.OPT_OUT_MATTERS_MISSING),
        ("group-company", FindingKind.JOINT_USE_PARTICULARS_MISSING),
    }


def test_payloads_are_flat_and_their_digests_follow_the_content() -> None:
    joint = BasisRecord("j", JOINT, ProvisionBasis.NOT_THIRD_PARTY, joint_use=PARTICULARS)
    for payload in (opt_out().payload(), joint.payload(), consent().given_payload(1)):
        assert all(isinstance(v, str | int | bool) or v is None for v in payload.values())
    assert opt_out().payload()["matters_announced"] == ",".join(sorted(ALL_MATTERS))
    assert opt_out().payload()["commission_notified_at"] == "2026-04-15"
    assert joint.payload()["joint_use_person_responsible"] == "the person responsible"
    assert consent(data_items=frozenset({"phone", "email"})).given_payload(2) == {
        "subject_id": "s-1",
        "partner_id": "p-1",
        "items": "email,phone",
        "given_at": GIVEN.isoformat(),
        "version": 2,
    }
    assert opt_out().digest() == opt_out().digest()
    assert opt_out().digest() != opt_out(commission_notified_at=None).digest()
    assert consent().digest() != consent(data_items=frozenset({"email"})).digest()
    assert consent().digest() == consent(withdrawn_at=GIVEN).digest()  # the same consent
