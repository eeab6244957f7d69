"""The `provision_feed` view, which is what provision to partners reads (migrations 0023, 0024),
carries only what Article 5 gives a basis for, by the rule of domain/provision_rule.py:
the review's probe (S) of N1 reproduced through the real inventory load, the withdrawal of
a consent ending a provision, and the view held to `may_provide` on one table of cases,
among them the opt-out's purpose and items (review of issue 24: C2, C3)."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.holdings import ProvisionBasis, Relationship
from domain.inventory import parse_inventory
from domain.provision_register import BasisRecord, OptOutMatter
from domain.provision_rule import may_provide
from store.inventory import InventoryStore
from store.provision_check import check_provisions, provision_purposes, provisions_on_record
from store.provisions import (
    record_basis,
    stored_bases,
    stored_consents,
    withdraw_standing_consents,
)
from store.purposes import load_register
from tests.support.purposes import PROVIDING_SINCE, define_in_register, post_adding_purpose

GIVEN = "2026-05-10T10:00:00+09:00"
WITHDRAWN = "2026-06-01T00:00:00Z"
MATTERS = [m.value for m in OptOutMatter]
# The test's own purposes (each renamed per test: the register is shared), as their routes
# leave them in the register (tests/support/purposes.py): `providing` includes provision to
# third parties and entered through Article 4 (from 2026-03-01); `unrelated` is incidental
# to billing, judged, and does not include provision (as `loyalty_points`); `unjudged` is a
# legacy purpose marked as including provision but recorded without a judgement.
PROVIDING, UNRELATED, UNJUDGED = "providing", "unrelated", "unjudged"
OWN_PURPOSES = (PROVIDING, UNRELATED, UNJUDGED)
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
    "purpose": PROVIDING,
}

# Each case: the partner's name, its provision (relationship, basis, items), the footing on
# record (None: none), the subject's consent to it (None: none), and what the feed carries.
# The subject's items: email (held to respond to inquiries), segment (provide_service),
# phone (held for `providing` since after it began), browsing (for `providing`, not
# lawfully obtained), habits (for `providing`, used so since before it began: beyond
# purpose), points (for `unrelated`), legacy (for `unjudged`).
CASES: list[tuple[str, tuple[str, str, list[str]], dict[str, Any] | None, Any, set[str]]] = [
    # N1: the review's probe (S).
    ("adnet", ("third_party", "consent", ["email", "segment"]), {}, None, set()),
    ("broker", ("third_party", "consent", ["browsing"]), {}, "withdrawn", set()),
    (
        "optco",
        ("third_party", "opt_out_notified", ["phone"]),
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
        ("third_party", "opt_out_notified", ["phone"]),
        {"opt_out": OPT_OUT},
        None,
        {"phone"},
    ),
    (
        "unlawfulbroker",
        ("third_party", "opt_out_notified", ["phone", "browsing"]),
        {"opt_out": OPT_OUT},
        None,
        {"phone"},  # N10: browsing was not lawfully obtained (APPI Art 27(2))
    ),
    ("police", ("third_party", "cooperation_with_authorities", ["email"]), {}, None, {"email"}),
    # N10: no purpose that includes provision, or one of Article 3's seven.
    (
        "nopurpose",
        ("third_party", "opt_out_notified", ["phone"]),
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
        ("third_party", "opt_out_notified", ["phone"]),
        {"opt_out": OPT_OUT | {"matters": MATTERS[:4]}},
        None,
        set(),
    ),
    # C2: an unrelated purpose, an unjudged one, an item held for another purpose, an item
    # used beyond purpose.
    (
        "unrelatedpurpose",
        ("third_party", "opt_out_notified", ["points"]),
        {"opt_out": OPT_OUT | {"purpose": UNRELATED}},
        None,
        set(),
    ),
    (
        "unjudgedpurpose",
        ("third_party", "opt_out_notified", ["legacy"]),
        {"opt_out": OPT_OUT | {"purpose": UNJUDGED}},
        None,
        set(),
    ),
    (
        "otheritem",
        ("third_party", "opt_out_notified", ["email", "phone"]),
        {"opt_out": OPT_OUT},
        None,
        {"phone"},
    ),
    (
        "beyonditem",
        ("third_party", "opt_out_notified", ["habits", "phone"]),
        {"opt_out": OPT_OUT},
        None,
        {"phone"},
    ),
    # C3: matters announced before the purpose included provision.
    (
        "earlyannounce",
        ("third_party", "opt_out_notified", ["phone"]),
        {"opt_out": OPT_OUT | {"announced_at": "2026-02-20"}},
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


def own(purpose: str, unique: str) -> str:
    """The test's own purpose as the register holds it for this test."""
    return f"{purpose}_{unique}" if purpose in OWN_PURPOSES else purpose


async def register_purposes(pool: asyncpg.Pool, unique: str) -> None:
    """The test's purposes, each as its route leaves it (C1: set up before the load, since
    a load may not bring a purpose that includes provision, C3)."""
    await define_in_register(
        pool,
        own(PROVIDING, unique),
        "To provide users' contact details to marketing partners",
        includes_provision=True,
        change_id=f"chg-{unique}",
    )
    await define_in_register(
        pool,
        own(UNRELATED, unique),
        "To grant users loyalty points for their purchases",
        incidental_to="billing",
        judged_by="admin",
    )
    await define_in_register(
        pool,
        own(UNJUDGED, unique),
        "To share users' data with partners",
        includes_provision=True,
        incidental_to="provide_service",
    )


def case_inventory(unique: str) -> dict[str, Any]:
    """One subject of the test's own provided to every partner of CASES, through the real
    inventory file: its items as CASES' comment lists them, each saying how it was obtained
    (N17); the purposes are the register's (`register_purposes`), not the file's."""
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
            base["opt_out"] = {
                k: own(v, unique) if k == "purpose" else v
                for k, v in opt_out.items()
                if v is not None
            }

    def item(category: str, field: str, purpose: str, **more: Any) -> dict[str, Any]:
        value = f"{field} of Jiro"
        return {
            "category": category,
            "field": field,
            "value": value,
            "purpose": own(purpose, unique),
            "lawfully_obtained": True,
        } | more

    return {
        "provision_bases": bases,
        "subjects": [
            {
                "subject_id": f"sub-{unique}",
                "name": "Jiro Sato",
                "email": f"jiro-{unique}@example.jp",
                "items": [
                    item("characteristic", "segment", "provide_service"),
                    item("contact", "phone", PROVIDING, used_at="2026-03-15T00:00:00+09:00"),
                    item("history", "browsing", PROVIDING, lawfully_obtained=False),
                    item("history", "habits", PROVIDING, used_at="2026-01-15T00:00:00+09:00"),
                    item("transaction", "points", UNRELATED),
                    item("history", "legacy", UNJUDGED),
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
        purposes = await provision_purposes(connection)
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
    provisions with a valid basis are there, each with the items it may carry. C2, C3: an
    opt-out on an unrelated or unjudged purpose, or announced before its purpose included
    provision, carries nothing; one carries neither an item held for another purpose nor
    one used beyond purpose."""
    await register_purposes(pool, unique)
    await InventoryStore(pool).load(parse_inventory(case_inventory(unique)))
    carried = await fed(pool, unique)
    expected = {(name, item) for name, *_, items in CASES for item in items}
    assert carried == expected
    for absent in ("adnet", "broker", "optco"):
        assert not any(partner == absent for partner, _ in carried), absent
    assert {("okads", "email"), ("okads", "segment"), ("police", "email")} <= carried
    for absent in ("unrelatedpurpose", "unjudgedpurpose", "earlyannounce"):
        assert not any(partner == absent for partner, _ in carried), absent
    for broker in ("otheritem", "beyonditem", "unlawfulbroker"):
        assert {item for partner, item in carried if partner == broker} == {"phone"}, broker


async def test_n1_the_view_and_the_domain_rule_agree_on_every_case(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N1: the rule lives in domain/provision_rule.py; the view states it in SQL. On the
    table of cases, and after each change of the records, both allow exactly the same
    (C2: the opt-out's purpose and items too)."""
    await register_purposes(pool, unique)
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
    await register_purposes(pool, unique)
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


async def test_an_opt_out_stands_on_a_purpose_a_posted_policy_added(
    pool: asyncpg.Pool, unique: str
) -> None:
    """Issue 24 (Article 5 ¶1's first matter, "the provision to a third party is included
    in the purpose of use"): no command put such a purpose in the register, so no opt-out
    could stand. A policy version posted with the purpose added to Article 3, declared and
    marked as including provision, records it; an opt-out on it then feeds the item held
    for it since (not the one used so before the purpose was in force), and the check
    reports nothing about the purpose."""
    purpose = f"posted_{unique}"
    version = await post_adding_purpose(
        pool, purpose, f"To provide users' phone numbers to partners ({unique})"
    )
    recorded = (await load_register(pool)).current(purpose)
    assert recorded is not None and recorded.posted_in == version.version
    assert recorded.includes_provision and recorded.established
    assert recorded.effective_from == PROVIDING_SINCE
    assert recorded.text_ja == "ユーザーの連絡先を提携先に提供するため"
    partner = f"postbroker-{unique}"
    item = {"category": "contact", "purpose": purpose, "lawfully_obtained": True}
    await InventoryStore(pool).load(
        parse_inventory(
            {
                "provision_bases": [
                    {
                        "partner": partner,
                        "relationship": "third_party",
                        "legal_basis": "opt_out_notified",
                        "opt_out": OPT_OUT | {"purpose": purpose},
                    }
                ],
                "subjects": [
                    {
                        "subject_id": f"sub-{unique}",
                        "name": "Jiro Sato",
                        "email": f"jiro-{unique}@example.jp",
                        "items": [
                            item
                            | {"field": "phone", "value": "090", "used_at": "2026-03-15T00:00:00Z"},
                            item
                            | {"field": "habits", "value": "x", "used_at": "2026-01-15T00:00:00Z"},
                        ],
                        "provisions": [
                            {
                                "partner": partner,
                                "relationship": "third_party",
                                "legal_basis": "opt_out_notified",
                                "items": ["phone", "habits"],
                            }
                        ],
                    }
                ],
            }
        )
    )
    assert await fed(pool, unique) == {("postbroker", "phone")} == await by_rule(pool, unique)
    findings = [f for f in await check_provisions(pool) if f.subject_id == f"sub-{unique}"]
    # Nothing about the purpose: only the item used before it was in force is found.
    assert [(f.kind.value, f.items) for f in findings] == [
        ("opt_out_items_beyond_purpose", frozenset({"habits"}))
    ]
