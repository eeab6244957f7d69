"""domain/provision_register.py and domain/provision_rule.py: every provision with no valid
basis on record is a finding of its own kind (the three of issue 10's Done-when among
them), nothing else is, what a provision may carry is what the findings leave, and the
register's payloads are flat and hold nothing personal."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from domain.holdings import ProvisionBasis, Relationship
from domain.identity import ONE_TIME_CODE, REGISTRATION_MATCH, withdraws_consent
from domain.inventory import parse_inventory
from domain.provision_register import (
    BasisRecord,
    ConsentRecord,
    EntrustmentParticular,
    ItemUses,
    JointUseParticular,
    OptOutMatter,
    ProvisionOnRecord,
)
from domain.provision_rule import (
    FindingKind,
    may_provide,
    provision_findings,
    purposes_including_provision,
    standing_footing,
)
from domain.purposes import PurposeRegister, PurposeVersion, article_3_register

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory.json"
GIVEN = datetime(2026, 5, 10, 1, 0, tzinfo=UTC)
THIRD, JOINT = Relationship.THIRD_PARTY, Relationship.JOINT_USE
ALL_MATTERS = frozenset(OptOutMatter)
PARTICULARS = {p: f"the {p.value.replace('_', ' ')}" for p in JointUseParticular}
ENTRUSTED = {p: f"the {p.value}" for p in EntrustmentParticular}
# A purpose in force that includes provision to third parties (Article 5 ¶1, first matter),
# made by an Article 4 change and marked so; one incidental to billing, judged, that does not
# (as `loyalty_points`); and a legacy one marked as providing but never judged related.
PROVIDING, UNRELATED, UNJUDGED = "partners_provision", "loyalty_points", "legacy_sharing"
PROVIDING_SINCE = datetime(2026, 3, 1, tzinfo=UTC)
NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
REGISTER = PurposeRegister.of(
    [
        *article_3_register(),
        PurposeVersion(
            PROVIDING, 1, "To provide", PROVIDING_SINCE, change_id="c-1", includes_provision=True
        ),
        PurposeVersion(
            UNRELATED, 1, "Points", PROVIDING_SINCE, incidental_to="billing", judged_by="admin"
        ),
        PurposeVersion(
            UNJUDGED,
            1,
            "Sharing",
            PROVIDING_SINCE,
            incidental_to="provide_service",
            includes_provision=True,
        ),
    ]
)
PURPOSES = purposes_including_provision(REGISTER, NOW)


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
        "provision_purpose": PROVIDING,
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
    return [
        f.kind for f in provision_findings(provisions, bases, consents, provision_purposes=PURPOSES)
    ]


def test_done_when_an_opt_out_provision_with_no_commission_notification_is_found() -> None:
    basis = opt_out(commission_notified_at=None)
    [finding] = provision_findings(
        [provision(basis=ProvisionBasis.OPT_OUT_NOTIFIED)],
        [basis],
        [],
        provision_purposes=PURPOSES,
    )
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
        (
            [],
            [
                FindingKind.OPT_OUT_NO_COMMISSION_NOTIFICATION,
                FindingKind.OPT_OUT_MATTERS_MISSING,
                FindingKind.OPT_OUT_PURPOSE_MISSING,
            ],
        ),
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
        provision(Relationship.ENTRUSTMENT, ProvisionBasis.NOT_THIRD_PARTY, partner="e"),
        provision(Relationship.BUSINESS_SUCCESSION, ProvisionBasis.NOT_THIRD_PARTY, partner="b"),
        *(
            provision(basis=basis, partner=basis.value)
            for basis in ProvisionBasis
            if basis.exception is not None
        ),
        provision(JOINT, ProvisionBasis.NOT_THIRD_PARTY, partner="j"),
    ]
    joint = BasisRecord("j", JOINT, ProvisionBasis.NOT_THIRD_PARTY, joint_use=PARTICULARS)
    entrusted = BasisRecord(
        "e", Relationship.ENTRUSTMENT, ProvisionBasis.NOT_THIRD_PARTY, entrustment=ENTRUSTED
    )
    assert kinds(provisions, [joint, entrusted]) == []


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
    findings = provision_findings(
        [on_opt_out],
        [opt_out(commission_notified_at=None)],
        [consent()],
        provision_purposes=PURPOSES,
    )
    assert [f.kind for f in findings] == [
        FindingKind.FOOTING_DIFFERS,
        FindingKind.OPT_OUT_NO_COMMISSION_NOTIFICATION,
    ]
    assert findings[0].detail == (
        "listed as third_party/consent, but the partner's footing on "
        "record is third_party/opt_out_notified"
    )
    entrusted = BasisRecord(
        "p-1", Relationship.ENTRUSTMENT, ProvisionBasis.NOT_THIRD_PARTY, entrustment=ENTRUSTED
    )
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
    # C3: Article 3 lists no purpose that includes provision, and a file cannot add one,
    # so the data broker's opt-out stands on nothing: that is the one finding.
    in_force = purposes_including_provision(
        PurposeRegister.of([*article_3_register(), *REGISTER.versions[-2:]]), NOW
    )
    assert [
        (f.partner_id, f.kind)
        for f in provision_findings(provisions, bases, consents, provision_purposes=in_force)
    ] == [("data-broker-2", FindingKind.OPT_OUT_PURPOSE_MISSING)]
    # Without its registers, the provisions the Done-when names are found.
    assert {(f.partner_id, f.kind) for f in provision_findings(provisions, [], [])} == {
        ("ad-network-1", FindingKind.NO_CONSENT),
        ("data-broker-2", FindingKind.OPT_OUT_NO_COMMISSION_NOTIFICATION),
        ("data-broker-2", FindingKind.OPT_OUT_MATTERS_MISSING),
        ("data-broker-2", FindingKind.OPT_OUT_PURPOSE_MISSING),
        ("group-company", FindingKind.JOINT_USE_PARTICULARS_MISSING),
        ("mail-printer", FindingKind.ENTRUSTMENT_SCOPE_MISSING),
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


def test_n10_an_opt_out_needs_a_purpose_in_force_that_includes_provision() -> None:
    """N10: Article 5 ¶1's first matter is "the fact that the provision to a third party is
    included in the purpose of use"; Article 3 lists no such purpose, so an opt-out naming
    none, one not in force, or one of Article 3's seven as the policy states them is
    flagged, and carries nothing."""
    on_opt_out = provision(basis=ProvisionBasis.OPT_OUT_NOTIFIED)
    assert kinds([on_opt_out], [opt_out()]) == []
    for basis in (opt_out(provision_purpose=None), opt_out(provision_purpose="billing")):
        [finding] = provision_findings([on_opt_out], [basis], [], provision_purposes=PURPOSES)
        assert finding.kind is FindingKind.OPT_OUT_PURPOSE_MISSING
        assert "no purpose of use in force in Article 3's register" in finding.detail
        assert may_provide(on_opt_out, basis, None, provision_purposes=PURPOSES) == set()
    assert kinds([on_opt_out], [opt_out()]) == []
    assert [
        f.kind for f in provision_findings([on_opt_out], [opt_out()], [], provision_purposes=None)
    ] == [FindingKind.OPT_OUT_PURPOSE_MISSING]


def test_c2_an_opt_out_purpose_must_be_established_and_marked_as_including_provision() -> None:
    """C2 (review of issue 24), N10: any purpose in force other than Article 3's seven no
    longer qualifies. An unrelated purpose (`loyalty_points`, judged incidental to billing)
    and an unjudged legacy one (not established, domain/purposes.py) carry nothing, and
    neither does a purpose not in force yet; the established one marked as including
    provision does."""
    on_opt_out = provision(basis=ProvisionBasis.OPT_OUT_NOTIFIED)
    assert may_provide(on_opt_out, opt_out(), None, provision_purposes=PURPOSES) == {"phone"}
    for purpose in (UNRELATED, UNJUDGED, "billing", "unknown"):
        basis = opt_out(provision_purpose=purpose)
        [finding] = provision_findings([on_opt_out], [basis], [], provision_purposes=PURPOSES)
        assert finding.kind is FindingKind.OPT_OUT_PURPOSE_MISSING, purpose
        assert f"({purpose} is not established there as one that does)" in finding.detail
        assert may_provide(on_opt_out, basis, None, provision_purposes=PURPOSES) == set()
    before = purposes_including_provision(REGISTER, datetime(2026, 2, 1, tzinfo=UTC))
    assert may_provide(on_opt_out, opt_out(), None, provision_purposes=before) == set()


def test_c2_an_opt_out_carries_only_items_held_for_its_purpose_and_within_it() -> None:
    """C2 (review of issue 24): the feed sold by opt-out an item the service itself found
    used beyond purpose. Now an opt-out carries only items whose own purpose is its
    purpose, within purpose at every use: an item held for another purpose (the e-mail,
    to answer inquiries), one used for the purpose since before it was in force, and one
    relabelled to it from a purpose outside the register (`sell_to_data_brokers`) are
    found and left out; the rest goes."""
    after, before = datetime(2026, 4, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC)
    held = (
        ItemUses("phone", ((PROVIDING, after),)),
        ItemUses("email", (("respond_to_inquiries", before),)),
        ItemUses("habits", ((PROVIDING, before),)),
        ItemUses("browsing", (("sell_to_data_brokers", before), (PROVIDING, after))),
    )
    on_opt_out = ProvisionOnRecord(
        7,
        "s-1",
        "p-1",
        THIRD,
        ProvisionBasis.OPT_OUT_NOTIFIED,
        frozenset(u.field for u in held),
        held=held,
    )
    [finding] = provision_findings([on_opt_out], [opt_out()], [], provision_purposes=PURPOSES)
    assert (finding.kind, finding.items) == (
        FindingKind.OPT_OUT_ITEMS_BEYOND_PURPOSE,
        {"email", "habits", "browsing"},
    )
    assert finding.detail.endswith("so not provided by opt-out: browsing, email, habits")
    assert may_provide(on_opt_out, opt_out(), None, provision_purposes=PURPOSES) == {"phone"}


def test_c3_an_opt_out_announced_before_its_purpose_included_provision_carries_nothing() -> None:
    """C3 (review of issue 24): the example's footing claimed "provision_in_purpose"
    announced on 2026-04-01 for a purpose in force only later. The matters are announced on
    or after the day (in Japan) the purpose began to include provision."""
    on_opt_out = provision(basis=ProvisionBasis.OPT_OUT_NOTIFIED)
    early = opt_out(matters_announced_at=date(2026, 2, 28))
    [finding] = provision_findings([on_opt_out], [early], [], provision_purposes=PURPOSES)
    assert finding.kind is FindingKind.OPT_OUT_ANNOUNCED_BEFORE_PURPOSE
    assert "announced on 2026-02-28, before partners_provision" in finding.detail
    assert may_provide(on_opt_out, early, None, provision_purposes=PURPOSES) == set()
    same_day = opt_out(matters_announced_at=date(2026, 3, 1))
    assert may_provide(on_opt_out, same_day, None, provision_purposes=PURPOSES) == {"phone"}


def test_n10_an_item_not_lawfully_obtained_is_never_provided_by_opt_out() -> None:
    """N10: APPI Art 27(2) bars from opt-out data obtained by wrongful means: the item is
    found and left out of what the provision may carry; the rest still goes."""
    both = frozenset({"phone", "browsing"})
    on_opt_out = ProvisionOnRecord(
        7,
        "s-1",
        "p-1",
        THIRD,
        ProvisionBasis.OPT_OUT_NOTIFIED,
        both,
        unlawful_items=frozenset({"browsing"}),
    )
    [finding] = provision_findings([on_opt_out], [opt_out()], [], provision_purposes=PURPOSES)
    assert (finding.kind, finding.items) == (
        FindingKind.OPT_OUT_ITEMS_NOT_LAWFULLY_OBTAINED,
        {"browsing"},
    )
    assert finding.detail.endswith("(APPI Art 27(2)): browsing")
    assert may_provide(on_opt_out, opt_out(), None, provision_purposes=PURPOSES) == {"phone"}
    # On consent the flag is Article 8's business, not this rule's.
    on_consent = ProvisionOnRecord(
        8, "s-1", "p-1", THIRD, ProvisionBasis.CONSENT, both, unlawful_items=frozenset({"phone"})
    )
    assert may_provide(on_consent, None, consent(data_items=both)) == both


def test_n5_entrustment_without_its_scope_on_record_is_found_and_carries_nothing() -> None:
    """N5: entrustment is not a third party only "within the scope necessary to achieve the
    purpose of use" (Art 5 ¶2): without the handling entrusted and its purpose on record,
    the label alone makes nothing provided."""
    entrusted = provision(Relationship.ENTRUSTMENT, ProvisionBasis.NOT_THIRD_PARTY)
    partial = BasisRecord(
        "p-1",
        Relationship.ENTRUSTMENT,
        ProvisionBasis.NOT_THIRD_PARTY,
        entrustment={EntrustmentParticular.HANDLING: "printing"},
    )
    [finding] = provision_findings([entrusted], [partial], [])
    assert (finding.kind, finding.detail) == (
        FindingKind.ENTRUSTMENT_SCOPE_MISSING,
        "entrustment without purpose on record (Article 5 ¶2)",
    )
    assert may_provide(entrusted, partial, None) == set()
    assert kinds([entrusted]) == [FindingKind.ENTRUSTMENT_SCOPE_MISSING]
    whole = BasisRecord(
        "p-1", Relationship.ENTRUSTMENT, ProvisionBasis.NOT_THIRD_PARTY, entrustment=ENTRUSTED
    )
    assert may_provide(entrusted, whole, None) == {"phone"}


@pytest.mark.parametrize(
    ("on_record", "basis", "consents", "expected"),
    [
        (provision(), None, [], set()),  # N1: no consent on record
        (provision(), None, [consent(withdrawn_at=GIVEN)], set()),  # N1: withdrawn
        (provision(), None, [consent()], {"phone"}),
        (
            provision(items=frozenset({"phone", "email"})),
            None,
            [consent()],
            {"phone"},  # only what the consent covers
        ),
        (provision(stopped=True), None, [consent()], set()),
        (
            provision(basis=ProvisionBasis.OPT_OUT_NOTIFIED),
            opt_out(commission_notified_at=None),
            [],
            set(),
        ),
        (provision(basis=ProvisionBasis.OPT_OUT_NOTIFIED), opt_out(), [], {"phone"}),
        (provision(basis=ProvisionBasis.COOPERATION_WITH_AUTHORITIES), None, [], {"phone"}),
        (provision(basis=ProvisionBasis.NOT_THIRD_PARTY), None, [], set()),
        (provision(JOINT, ProvisionBasis.NOT_THIRD_PARTY), None, [], set()),
        (
            provision(JOINT, ProvisionBasis.NOT_THIRD_PARTY),
            BasisRecord("p-1", JOINT, ProvisionBasis.NOT_THIRD_PARTY, joint_use=PARTICULARS),
            [],
            {"phone"},
        ),
        (provision(), opt_out(), [consent()], set()),  # footing differs
    ],
)
def test_n1_what_a_provision_may_carry_is_what_the_findings_leave(
    on_record: ProvisionOnRecord,
    basis: BasisRecord | None,
    consents: list[ConsentRecord],
    expected: set[str],
) -> None:
    """N1: `may_provide` and `provision_findings` are one rule: a provision with a finding
    of the whole carries nothing; one with none carries all its items."""
    consent_on_record = consents[0] if consents else None
    carried = may_provide(on_record, basis, consent_on_record, provision_purposes=PURPOSES)
    assert carried == expected
    findings = provision_findings(
        [on_record], [basis] if basis else [], consents, provision_purposes=PURPOSES
    )
    if on_record.stopped:  # nothing carried, nothing found: it is stopped
        assert findings == []
        return
    whole = [f for f in findings if not f.items]
    barred = {i for f in findings for i in f.items}
    assert carried == (set() if whole else on_record.data_items - barred)


def test_n5_a_stop_judges_joint_use_and_entrustment_without_particulars_as_third_parties() -> None:
    """N5: "not a third party" is no longer taken from the label: without Article 5 ¶2's
    particulars on record the partner stands as a third party whose basis
    (`not_third_party`) is no exception, so the person's stop request stops it."""
    own = (JOINT, ProvisionBasis.NOT_THIRD_PARTY)
    assert standing_footing(own, None) == (THIRD, ProvisionBasis.NOT_THIRD_PARTY)
    joint = BasisRecord("p-1", JOINT, ProvisionBasis.NOT_THIRD_PARTY, joint_use=PARTICULARS)
    assert standing_footing(own, joint) == own
    entrusted = (Relationship.ENTRUSTMENT, ProvisionBasis.NOT_THIRD_PARTY)
    assert standing_footing(entrusted, None)[0] is THIRD
    whole = BasisRecord(
        "p-1", Relationship.ENTRUSTMENT, ProvisionBasis.NOT_THIRD_PARTY, entrustment=ENTRUSTED
    )
    assert standing_footing(entrusted, whole) == entrusted
    succession = (Relationship.BUSINESS_SUCCESSION, ProvisionBasis.NOT_THIRD_PARTY)
    assert standing_footing(succession, None) == succession
    assert ProvisionBasis.NOT_THIRD_PARTY.exception is None  # so it cannot be continued


def test_n13_only_a_proven_identity_withdraws_consents_on_a_stop() -> None:
    """N13: the privacy center's code or an operator's check withdraws the consents with
    the stop; a typed address matching the registration (whoever records it) does not."""
    assert withdraws_consent(ONE_TIME_CODE)
    assert withdraws_consent("document_check") and withdraws_consent("callback")
    assert not withdraws_consent(REGISTRATION_MATCH)
    assert not withdraws_consent(None)
