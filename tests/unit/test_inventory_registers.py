"""The inventory's registers (domain/inventory_registers.py): purposes, partners' footings
and subjects' consents parse into the register's records, and every inconsistency is
refused with the path of the entry at fault."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from domain.holdings import ProvisionBasis, Relationship
from domain.inventory import InvalidInventory, parse_inventory
from domain.provision_register import BasisRecord, ConsentRecord, JointUseParticular, OptOutMatter


def subject(**overrides: Any) -> dict[str, Any]:
    return {
        "subject_id": "user-1",
        "name": "Jiro Sato",
        "email": "jiro@example.jp",
        "items": [
            {
                "category": "contact",
                "field": "phone",
                "value": "+81 3-1234-5678",
                "purpose": "important_notices",
                "lawfully_obtained": True,
            }
        ],
    } | overrides


def problems_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInventory) as refused:
        parse_inventory(data)
    return refused.value.problems


OPT_OUT = {
    "partner": "broker-1",
    "relationship": "third_party",
    "legal_basis": "opt_out_notified",
    "opt_out": {
        "matters": [m.value for m in OptOutMatter],
        "announced_at": "2026-04-01",
        "commission_notified_at": "2026-04-15",
    },
}
JOINT = {
    "partner": "group-1",
    "relationship": "joint_use",
    "legal_basis": "not_third_party",
    "joint_use": {
        "items": "name",
        "scope_of_joint_users": "group companies",
        "purpose": "fraud prevention",
        "person_responsible": "Security Office",
    },
}


# Article 3's last line: a purpose incidental to one of Article 3's, its relatedness judged.
JUDGED = {
    "text_ja": "領収書を送付するため",
    "judged_by": "admin",
    "judged_at": "2026-10-01T10:00:00+09:00",
    "related_because": "Receipts are sent for the usage fees we bill.",
}


def test_a_file_of_registers_alone_parses_into_their_records() -> None:
    inventory = parse_inventory(
        {
            "purposes": [
                {"id": "loyalty", "text": "  To grant loyalty points  ", "incidental_to": "billing"}
                | JUDGED,
                {"id": "receipts", "text": "To send receipts", "incidental_to": "billing"} | JUDGED,
            ],
            "provision_bases": [
                OPT_OUT,
                JOINT,
                {
                    "partner": "printer",
                    "relationship": "entrustment",
                    "legal_basis": "not_third_party",
                },
            ],
        }
    )
    assert inventory.subjects == []
    assert [(p.id, p.text, p.incidental_to) for p in inventory.purposes] == [
        ("loyalty", "To grant loyalty points", "billing"),
        ("receipts", "To send receipts", "billing"),
    ]
    opt_out, joint, printer = (b.record() for b in inventory.provision_bases)
    assert opt_out == BasisRecord(
        "broker-1",
        Relationship.THIRD_PARTY,
        ProvisionBasis.OPT_OUT_NOTIFIED,
        frozenset(OptOutMatter),
        date(2026, 4, 1),
        date(2026, 4, 15),
    )
    assert joint.joint_use == {
        JointUseParticular.ITEMS: "name",
        JointUseParticular.SCOPE_OF_JOINT_USERS: "group companies",
        JointUseParticular.PURPOSE: "fraud prevention",
        JointUseParticular.PERSON_RESPONSIBLE: "Security Office",
    }
    assert printer == BasisRecord(
        "printer", Relationship.ENTRUSTMENT, ProvisionBasis.NOT_THIRD_PARTY
    )


def test_an_incomplete_footing_is_accepted_as_what_is_on_record() -> None:
    """`dsr provisions check` reports what is missing; refusing the file would hide it."""
    bare = {
        "partner": "broker-1",
        "relationship": "third_party",
        "legal_basis": "opt_out_notified",
        "opt_out": {"matters": ["items_provided"]},
    }
    half_joint = {**JOINT, "joint_use": {"items": "name"}}
    inventory = parse_inventory({"provision_bases": [bare, half_joint]})
    opt_out, joint = (b.record() for b in inventory.provision_bases)
    assert opt_out.commission_notified_at is None
    assert opt_out.matters_announced == {OptOutMatter.ITEMS_PROVIDED}
    assert set(joint.joint_use) == {JointUseParticular.ITEMS}


def test_consents_and_used_at_parse() -> None:
    given = "2026-05-10T10:00:00+09:00"
    inventory = parse_inventory(
        {
            "subjects": [
                subject(
                    items=[
                        {
                            "category": "contact",
                            "field": "phone",
                            "value": "1",
                            "purpose": "billing",
                            "used_at": "2026-06-01T00:00:00Z",
                            "lawfully_obtained": True,
                        }
                    ],
                    consents=[
                        {
                            "partner": "ad-1",
                            "items": ["phone", "email"],
                            "given_at": given,
                            "withdrawn_at": "2026-07-01T00:00:00Z",
                        }
                    ],
                )
            ]
        }
    )
    person = inventory.subjects[0]
    assert person.items[0].used_at == datetime(2026, 6, 1, tzinfo=UTC)
    assert person.consents[0].record("user-1") == ConsentRecord(
        "user-1",
        "ad-1",
        frozenset({"phone", "email"}),
        datetime.fromisoformat(given),
        datetime(2026, 7, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            {
                "purposes": [
                    {"id": "a", "text": "A", "incidental_to": "billing"} | JUDGED,
                    {"id": "a", "text": "B", "incidental_to": "billing"} | JUDGED,
                ]
            },
            ("purposes.1.id", "repeats the id of purposes.0"),
        ),
        (
            {"purposes": [{"id": "a", "text": "A", "incidental_to": "a"} | JUDGED]},
            (
                "purposes.0.incidental_to",
                "a is not one of Article 3's purposes (account_self_service, billing, "
                "important_notices, prevent_abuse, provide_service, respond_to_inquiries, "
                "service_emails): a purpose is incidental to one of those",
            ),
        ),
        (
            {"purposes": [{"id": "Loyalty!", "text": "A"}]},
            (
                "purposes.0.id",
                "must be a purpose id: 1-64 lowercase letters, digits and _, "
                "starting with a letter",
            ),
        ),
        (
            {"purposes": [{"id": "incidental:billing", "text": "A"}]},
            (
                "purposes.0.id",
                "must be a purpose id: 1-64 lowercase letters, digits and _, "
                "starting with a letter",
            ),
        ),
        (
            {"purposes": [{"id": "a", "text": "two\nlines"}]},
            ("purposes.0.text", "must not contain control or bidirectional override characters"),
        ),
        (
            {"purposes": [{"id": "a", "text": "A", "version": 2}]},
            ("purposes.0.version", "is not a known field"),
        ),
        (
            {"provision_bases": [OPT_OUT, OPT_OUT]},
            ("provision_bases.1.partner", "repeats the partner of provision_bases.0"),
        ),
        (
            {"provision_bases": [{**OPT_OUT, "legal_basis": "consent"}]},
            (
                "provision_bases.0.opt_out",
                "only a legal_basis of opt_out_notified has opt-out matters",
            ),
        ),
        (
            {"provision_bases": [{**JOINT, "relationship": "entrustment"}]},
            ("provision_bases.0.joint_use", "only a joint_use relationship has its particulars"),
        ),
        (
            {"provision_bases": [{**JOINT, "legal_basis": "consent"}]},
            (
                "provision_bases.0.legal_basis",
                "joint_use is not provision to a third party "
                "(Article 5 ¶2): legal_basis must be not_third_party",
            ),
        ),
        (
            {"provision_bases": [{**OPT_OUT, "opt_out": {"matters": ["items_provided"] * 2}}]},
            ("provision_bases.0.opt_out.matters.1", "names a matter twice"),
        ),
        (
            {"provision_bases": [{**OPT_OUT, "opt_out": {"notified": "2026-01-01"}}]},
            ("provision_bases.0.opt_out.notified", "is not a known field"),
        ),
        (
            {"provision_bases": [{**JOINT, "joint_use": {"purpose": ""}}]},
            ("provision_bases.0.joint_use.purpose", "string should have at least 1 character"),
        ),
        (
            {
                "provision_bases": [OPT_OUT],
                "subjects": [
                    subject(
                        provisions=[
                            {
                                "partner": "broker-1",
                                "relationship": "third_party",
                                "legal_basis": "consent",
                                "items": ["phone"],
                            }
                        ]
                    )
                ],
            },
            (
                "subjects.0.provisions.0",
                "is third_party/consent, but provision_bases.0 records the "
                "partner as third_party/opt_out_notified",
            ),
        ),
        (
            {
                "subjects": [
                    subject(
                        consents=[
                            {
                                "partner": "ad-1",
                                "items": ["phone", "fax"],
                                "given_at": "2026-05-10T10:00:00Z",
                            }
                        ]
                    )
                ]
            },
            ("subjects.0.consents.0.items.1", "names fax, which is not an item of this subject"),
        ),
        (
            {
                "subjects": [
                    subject(
                        consents=[
                            {
                                "partner": "ad-1",
                                "items": ["phone"],
                                "given_at": "2026-05-10T10:00:00Z",
                            }
                        ]
                        * 2
                    )
                ]
            },
            (
                "subjects.0.consents.1.partner",
                "repeats the partner of consents.0 (one consent per "
                "partner: the latest the person gave)",
            ),
        ),
        (
            {
                "subjects": [
                    subject(
                        consents=[
                            {
                                "partner": "ad-1",
                                "items": ["phone"],
                                "given_at": "2026-05-10T10:00:00Z",
                                "withdrawn_at": "2026-05-09T10:00:00Z",
                            }
                        ]
                    )
                ]
            },
            ("subjects.0.consents.0.withdrawn_at", "is before given_at"),
        ),
        (
            {
                "subjects": [
                    subject(
                        consents=[
                            {
                                "partner": "ad-1",
                                "items": ["phone"],
                                "given_at": "2026-05-10T10:00:00",
                            }
                        ]
                    )
                ]
            },
            ("subjects.0.consents.0.given_at", "input should have timezone info"),
        ),
        (
            {
                "subjects": [
                    subject(
                        consents=[
                            {
                                "partner": "ad 1",
                                "items": ["phone"],
                                "given_at": "2026-05-10T10:00:00Z",
                            }
                        ]
                    )
                ]
            },
            (
                "subjects.0.consents.0.partner",
                "must be 1-128 letters, digits and . _ : -, starting with a letter or digit",
            ),
        ),
    ],
)
def test_inconsistent_registers_are_refused_with_their_path(
    data: dict[str, Any], expected: tuple[str, str]
) -> None:
    assert expected in problems_of(data)


def test_a_provision_with_a_bad_footing_is_refused_once_not_also_as_a_mismatch() -> None:
    data = {
        "provision_bases": [OPT_OUT],
        "subjects": [
            subject(
                provisions=[
                    {
                        "partner": "broker-1",
                        "relationship": "third_party",
                        "legal_basis": "not_third_party",
                        "items": ["phone"],
                    }
                ]
            )
        ],
    }
    assert problems_of(data) == [
        (
            "subjects.0.provisions.0.legal_basis",
            "a third_party provision needs consent, "
            "opt_out_notified or one of Article 5's exceptions, not not_third_party",
        )
    ]


def test_a_purpose_outside_article_3_enters_only_as_incidental_with_its_judgement() -> None:
    """N2: a load could define any purpose (`sell_to_data_brokers`), which then made its
    items "within purpose". A purpose outside Article 3 is refused unless it is incidental
    to one of Article 3's purposes with who judged it related, when and why."""
    assert problems_of(
        {"purposes": [{"id": "sell_to_data_brokers", "text": "To sell browsing history"}]}
    ) == [
        (
            "purposes.0.incidental_to",
            "sell_to_data_brokers is not one of Article 3's purposes: a load adds a purpose "
            "only as incidental to one of them (incidental_to, judged_by, judged_at, "
            "related_because); any other purpose of use is Article 4's change of a purpose "
            "(`dsr purposes change`) or a new policy",
        )
    ]
    unjudged = {"id": "points", "text": "To grant points", "incidental_to": "billing"}
    assert problems_of({"purposes": [unjudged]}) == [
        (
            f"purposes.0.{name}",
            "is required for an incidental purpose: who judged it related, when, and why",
        )
        for name in ("judged_by", "judged_at", "related_because")
    ] + [("purposes.0.text_ja", "is required: a purpose is published in Japanese too")]
    [judged] = parse_inventory({"purposes": [unjudged | JUDGED]}).purposes
    relatedness = judged.relatedness()
    assert relatedness is not None and relatedness.judged_by == "admin"


def test_c3_a_purpose_including_provision_never_enters_by_a_file() -> None:
    """C3 (review of issue 24): the example defined `browsing_data_to_partners` (a sale to
    partners) as "incidental to provide_service" with its own judgement, with no Article 4
    notice and no policy version. A file that marks a purpose as including provision, or
    that names a purpose it defines itself as an opt-out's purpose, is refused, with where
    and why; the same footing naming a purpose the file does not define loads (and is found
    by `dsr provisions check` when no such purpose is in force)."""
    sale = {
        "id": "browsing_data_to_partners",
        "text": "To provide users' browsing history to marketing partners",
        "incidental_to": "provide_service",
    } | JUDGED
    why = (
        "browsing_data_to_partners would include provision to third parties: Article 3 lists "
        "no such purpose, and one enters the register only through an Article 4 change or a "
        "new version of the policy, never as a purpose incidental to Article 3's on an "
        "inventory file's say-so (docs/policy-interpretation.md)"
    )
    assert problems_of({"purposes": [sale | {"includes_provision": True}]}) == [
        ("purposes.0.includes_provision", why)
    ]
    footing = OPT_OUT | {"opt_out": OPT_OUT["opt_out"] | {"purpose": sale["id"]}}
    assert problems_of({"purposes": [sale], "provision_bases": [footing]}) == [
        ("provision_bases.0.opt_out.purpose", why)
    ]
    [basis] = parse_inventory({"provision_bases": [footing]}).provision_bases
    assert basis.record().provision_purpose == "browsing_data_to_partners"
