"""The `provision_feed` view, which is what provision to partners reads (migration 0016),
carries only what Article 5 gives a basis for, by the rule of domain/provision_rule.py:
the review's probe (S) of N1 reproduced through the real inventory load, the withdrawal of
a consent ending a provision, and the view held to `may_provide` on one table of cases."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.holdings import ProvisionBasis, Relationship
from domain.inventory import parse_inventory
from domain.provision_register import BasisRecord, OptOutMatter
from domain.provision_rule import may_provide, purposes_including_provision
from store.inventory import InventoryStore
from store.provision_check import provisions_on_record, purposes_in_force
from store.provisions import (
    record_basis,
    stored_bases,
    stored_consents,
    withdraw_standing_consents,
)

GIVEN = "2026-05-10T10:00:00+09:00"
WITHDRAWN = "2026-06-01T00:00:00Z"
MATTERS = [m.value for m in OptOutMatter]
# Article 5 ¶1's first matter: a purpose of use in force that includes the provision.
PROVIDING = {
    "id": "partners_provision",
    "text": "To provide users' contact details to marketing partners (provision to third parties)",
}
JOINT = {
    "items": "e-mail address",
    "scope_of_joint_users": "group companies",
    "purpose": "fraud prevention",
    "person_responsible": "Security Office",
}
ENTRUSTED = {"handling": "printing and posting", "purpose": "billing"}
OPT_OUT = {
    "matters": MATTERS,
    "announced_at": "2026-04-01",
    "commission_notified_at": "2026-04-15",
    "purpose": PROVIDING["id"],
}

# Each case: the partner's name, its provision (relationship, basis, items), the footing on
# record (None: none), the subject's consent to it (None: none), and what the feed carries.
CASES: list[tuple[str, tuple[str, str, list[str]], dict[str, Any] | None, Any, set[str]]] = [
    # N1: the review's probe (S).
    ("adnet", ("third_party", "consent", ["email", "segment"]), {}, None, set()),
    ("broker", ("third_party", "consent", ["browsing"]), {}, "withdrawn", set()),
    (
        "optco",
        ("third_party", "opt_out_notified", ["email"]),
        {"opt_out": OPT_OUT | {"commission_notified_at": None}},
        None,
        set(),
    ),
    # Valid ones.
    (
        "okads",
        ("third_party", "consent", ["email", "segment"]),
        {},
        ["email", "segment"],
        {
            "email",
            "segment",
        },
    ),
    ("partial", ("third_party", "consent", ["email", "segment"]), {}, ["email"], {"email"}),
    (
        "okbroker",
        ("third_party", "opt_out_notified", ["email", "browsing"]),
        {"opt_out": OPT_OUT},
        None,
        {"email"},  # N10: browsing was not lawfully obtained (APPI Art 27(2))
    ),
    ("police", ("third_party", "cooperation_with_authorities", ["email"]), {}, None, {"email"}),
    # N10: no purpose that includes provision, or one of Article 3's seven.
    (
        "nopurpose",
        ("third_party", "opt_out_notified", ["email"]),
        {"opt_out": OPT_OUT | {"purpose": None}},
        None,
        set(),
    ),
    (
        "billingpurpose",
        ("third_party", "opt_out_notified", ["email"]),
        {"opt_out": OPT_OUT | {"purpose": "billing"}},
        None,
        set(),
    ),
    (
        "fewmatters",
        ("third_party", "opt_out_notified", ["email"]),
        {"opt_out": OPT_OUT | {"matters": MATTERS[:4]}},
        None,
        set(),
    ),
    # N5: joint use and entrustment stand as "not a third party" only with their
    # particulars on record.
    ("group", ("joint_use", "not_third_party", ["email"]), {"joint_use": JOINT}, None, {"email"}),
    (
        "grouplabel",
        ("joint_use", "not_third_party", ["email"]),
        {"joint_use": {"items": "e-mail address"}},
        None,
        set(),
    ),
    (
        "printer",
        ("entrustment", "not_third_party", ["email"]),
        {"entrustment": ENTRUSTED},
        None,
        {"email"},
    ),
    ("printerlabel", ("entrustment", "not_third_party", ["email"]), {}, None, set()),
    ("successor", ("business_succession", "not_third_party", ["email"]), {}, None, {"email"}),
    # No footing on record at all: the provision's own is judged.
    ("unregistered", ("third_party", "consent", ["email"]), None, ["email"], {"email"}),
]


def case_inventory(unique: str) -> dict[str, Any]:
    """One subject of the test's own provided to every partner of CASES, through the real
    inventory file: items e-mail, segment and browsing (not lawfully obtained)."""
    bases: list[dict[str, Any]] = []
    provisions: list[dict[str, Any]] = []
    consents: list[dict[str, Any]] = []
    for name, (relationship, basis, items), footing, consent, _ in CASES:
        partner = f"{name}-{unique}"
        provisions.append(
            {"partner": partner, "relationship": relationship, "legal_basis": basis, "items": items}
        )
        if footing is not None:
            base: dict[str, Any] = {
                "partner": partner,
                "relationship": relationship,
                "legal_basis": basis,
            }
            bases.append(base | footing)
        if consent == "withdrawn":
            consents.append(
                {"partner": partner, "items": items, "given_at": GIVEN, "withdrawn_at": WITHDRAWN}
            )
        elif consent is not None:
            consents.append({"partner": partner, "items": consent, "given_at": GIVEN})
    for base in bases:
        opt_out = base.get("opt_out")
        if opt_out is not None:
            base["opt_out"] = {k: v for k, v in opt_out.items() if v is not None}
    return {
        "purposes": [PROVIDING],
        "provision_bases": bases,
        "subjects": [
            {
                "subject_id": f"sub-{unique}",
                "name": "Jiro Sato",
                "email": f"jiro-{unique}@example.jp",
                "items": [
                    {
                        "category": "characteristic",
                        "field": "segment",
                        "value": "frequent buyer",
                        "purpose": "provide_service",
                    },
                    {
                        "category": "history",
                        "field": "browsing",
                        "value": "/shop/bikes",
                        "purpose": "provide_service",
                        "lawfully_obtained": False,
                    },
                ],
                "provisions": provisions,
                "consents": consents,
            }
        ],
    }


async def fed(pool: asyncpg.Pool, unique: str) -> set[tuple[str, str]]:
    rows = await pool.fetch(
        "SELECT partner_id, field FROM provision_feed WHERE subject_id = $1",
        f"sub-{unique}",
    )
    return {(r["partner_id"].removesuffix(f"-{unique}"), r["field"]) for r in rows}


async def by_rule(pool: asyncpg.Pool, unique: str) -> set[tuple[str, str]]:
    """What domain/provision_rule.py's `may_provide` allows each provision of the subject,
    from the same records the view reads."""
    subject = f"sub-{unique}"
    async with pool.acquire() as connection:
        held = {
            r["field"]
            for r in await connection.fetch(
                "SELECT field FROM personal_data WHERE subject_id = $1 AND suspended_at IS NULL",
                subject,
            )
        }
        provisions = [p for p in await provisions_on_record(connection) if p.subject_id == subject]
        bases = await stored_bases(connection, [p.partner_id for p in provisions])
        consents = await stored_consents(connection, [subject])
        purposes = purposes_including_provision(await purposes_in_force(connection))
    allowed: set[tuple[str, str]] = set()
    for provision in provisions:
        basis = bases.get(provision.partner_id)
        consent = consents.get((subject, provision.partner_id))
        items = may_provide(
            provision,
            basis.basis if basis else None,
            consent.consent if consent else None,
            provision_purposes=purposes,
        )
        partner = provision.partner_id.removesuffix(f"-{unique}")
        allowed |= {(partner, item) for item in items & held}
    return allowed


async def test_n1_the_feed_carries_nothing_without_a_basis_and_the_valid_ones(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N1 (the review's probe S): a consent provision with no consent, one whose consent
    was withdrawn, and an opt-out with no Commission date are absent from the feed; the
    provisions with a valid basis are there, each with the items it may carry."""
    await InventoryStore(pool).load(parse_inventory(case_inventory(unique)))
    carried = await fed(pool, unique)
    expected = {(name, item) for name, *_, items in CASES for item in items}
    assert carried == expected
    for absent in ("adnet", "broker", "optco"):
        assert not any(partner == absent for partner, _ in carried), absent
    assert {("okads", "email"), ("okads", "segment"), ("police", "email")} <= carried


async def test_n1_the_view_and_the_domain_rule_agree_on_every_case(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N1: the rule lives in domain/provision_rule.py; the view states it in SQL. On the
    table of cases, and after each change of the records, both allow exactly the same."""
    await InventoryStore(pool).load(parse_inventory(case_inventory(unique)))
    assert await fed(pool, unique) == await by_rule(pool, unique)
    subject = f"sub-{unique}"
    # A suspended item (Art 8) leaves both; a stopped provision carries nothing.
    await pool.execute(
        "UPDATE personal_data SET suspended_at = now() WHERE subject_id = $1 AND field = 'segment'",
        subject,
    )
    await pool.execute(
        "UPDATE third_party_provisions SET stopped_at = now()"
        " WHERE subject_id = $1 AND partner_id = $2",
        subject,
        f"police-{unique}",
    )
    after = await fed(pool, unique)
    assert after == await by_rule(pool, unique)
    assert ("okads", "segment") not in after and ("police", "email") not in after
    # A later footing that differs from the provision's own (a file may not say both at
    # once): the provision carries nothing until the record is made whole.
    async with pool.acquire() as connection, connection.transaction():
        partner = f"okads-{unique}"
        stored = (await stored_bases(connection, [partner]))[partner]
        await record_basis(
            connection,
            BasisRecord(
                partner, Relationship.THIRD_PARTY, ProvisionBasis.COOPERATION_WITH_AUTHORITIES
            ),
            stored,
            at=await connection.fetchval("SELECT now()"),
            actor="inventory",
        )
    after = await fed(pool, unique)
    assert after == await by_rule(pool, unique)
    assert not any(partner == "okads" for partner, _ in after)


async def test_n1_a_withdrawal_on_record_stops_the_provision(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N1: a consent withdrawn (by a stop request here; by a file in the probe) ends what
    the feed carries to that partner, and only a consent given later brings it back."""
    store = InventoryStore(pool)
    data = case_inventory(unique)
    await store.load(parse_inventory(data))
    assert ("okads", "email") in await fed(pool, unique)
    async with pool.acquire() as connection, connection.transaction():
        withdrawn = await withdraw_standing_consents(
            connection,
            f"sub-{unique}",
            [f"okads-{unique}"],
            await connection.fetchval("SELECT now()"),
            request_id=f"stop-{unique}",
        )
    assert withdrawn == [f"okads-{unique}"]
    carried = await fed(pool, unique)
    assert not any(partner == "okads" for partner, _ in carried)
    assert carried == await by_rule(pool, unique)
    # The same file again revives nothing: the withdrawal on record stands.
    await store.load(parse_inventory(data))
    assert not any(partner == "okads" for partner, _ in await fed(pool, unique))
