"""The inventory format: the example file parses into what it says, every inconsistency is
refused with the path of the entry at fault, and the command refuses an unusable file
before it connects to anything."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.holdings import ProvisionBasis, Relationship, within_purpose
from domain.inventory import (
    EMAIL_PURPOSE,
    NAME_PURPOSE,
    HeldItemRecord,
    InvalidInventory,
    Inventory,
    parse_inventory,
)
from domain.requests import DataCategory
from interfaces.cli.main import main

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory.json"


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))


def subject(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
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
        "provisions": [
            {
                "partner": "ad-network-1",
                "relationship": "third_party",
                "legal_basis": "consent",
                "items": ["phone"],
            }
        ],
    }
    return data | overrides


def problems_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidInventory) as refused:
        parse_inventory(data)
    return refused.value.problems


def test_the_example_parses_into_what_it_says() -> None:
    inventory = parse_inventory(example())
    hanako, taro = inventory.subjects
    assert (hanako.subject_id, hanako.name, hanako.email) == (
        "user-42",
        "Hanako Yamada",
        "hanako@example.jp",
    )
    assert taro.subject_id == "user-7"
    items = hanako.all_items()
    for category in DataCategory:
        assert sum(item.category is category for item in items) >= 2, category
    assert [i.field for i in items if not within_purpose(i.purpose)] == ["browsing_history"]
    assert [i.field for i in items if not i.lawfully_obtained] == ["social_profile"]
    assert any(i.purpose and i.purpose.startswith("incidental:") for i in items)
    footing = {(p.relationship, p.legal_basis) for p in hanako.provisions}
    assert footing == {
        (Relationship.THIRD_PARTY, ProvisionBasis.CONSENT),
        (Relationship.THIRD_PARTY, ProvisionBasis.OPT_OUT_NOTIFIED),
        (Relationship.THIRD_PARTY, ProvisionBasis.COOPERATION_WITH_AUTHORITIES),
        (Relationship.ENTRUSTMENT, ProvisionBasis.NOT_THIRD_PARTY),
        (Relationship.BUSINESS_SUCCESSION, ProvisionBasis.NOT_THIRD_PARTY),
        (Relationship.JOINT_USE, ProvisionBasis.NOT_THIRD_PARTY),
    }
    # Its registers: every partner's footing on record, complete; a consent for the
    # consent-based provision; a purpose of its own, which taro's points are held for, and
    # none that includes the opt-out provision: a file cannot bring one (C3), so the data
    # broker's opt-out names a purpose the register does not hold, and stands on nothing.
    assert {b.partner for b in inventory.provision_bases} == {p.partner for p in hanako.provisions}
    assert [p.id for p in inventory.purposes] == ["loyalty_points"]
    assert [i.purpose for i in taro.items if i.field == "points_balance"] == ["loyalty_points"]
    [consent] = hanako.consents
    assert (consent.partner, set(consent.items)) == (
        "ad-network-1",
        {"interest_segment", "purchases"},
    )


def test_name_and_email_become_items_unless_listed() -> None:
    implied = parse_inventory({"subjects": [subject()]}).subjects[0].all_items()
    assert implied[:2] == (
        HeldItemRecord(
            category=DataCategory.IDENTITY,
            field="name",
            value="Jiro Sato",
            purpose=NAME_PURPOSE,
            lawfully_obtained=True,
        ),
        HeldItemRecord(
            category=DataCategory.CONTACT,
            field="email",
            value="jiro@example.jp",
            purpose=EMAIL_PURPOSE,
            lawfully_obtained=True,
        ),
    )
    assert within_purpose(NAME_PURPOSE) and within_purpose(EMAIL_PURPOSE)
    listed = {
        "category": "contact",
        "field": "email",
        "value": "JIRO@example.jp",
        "purpose": "service_emails",
        "source": "newsletter_form",
        "lawfully_obtained": True,
    }
    only_email = subject(items=[listed], provisions=[])
    items = parse_inventory({"subjects": [only_email]}).subjects[0].all_items()
    assert [(i.field, i.purpose) for i in items] == [
        ("name", NAME_PURPOSE),
        ("email", "service_emails"),
    ]


def test_defaults_and_the_purpose_being_required() -> None:
    item = parse_inventory({"subjects": [subject()]}).subjects[0].items[0]
    assert (item.source, item.lawfully_obtained) == ("registration", True)
    no_purpose = subject(
        items=[{"category": "contact", "field": "phone", "value": "1", "lawfully_obtained": True}]
    )
    assert problems_of({"subjects": [no_purpose]}) == [
        ("subjects.0.items.0.purpose", "is required")
    ]


def test_an_item_that_does_not_say_how_it_was_obtained_is_refused() -> None:
    """Old items 8 and 22 / N17: `lawfully_obtained` defaulted to true, so an inventory
    that omitted it presumed every item lawful, and Article 8's "wrongful means" ground
    could never be found. It is required now; the load says so and loads nothing."""
    silent = subject(
        items=[{"category": "contact", "field": "phone", "value": "1", "purpose": None}]
    )
    assert problems_of({"subjects": [silent]}) == [
        (
            "subjects.0.items.0.lawfully_obtained",
            "is required: true, or false for an item obtained by wrongful means (Article 8); "
            "an item is not presumed lawfully obtained",
        )
    ]
    explicit_null = subject(
        items=[
            {
                "category": "contact",
                "field": "phone",
                "value": "1",
                "purpose": None,
                "lawfully_obtained": True,
            }
        ]
    )
    assert parse_inventory({"subjects": [explicit_null]}).subjects[0].items[0].purpose is None


def test_old37_a_personal_identification_code_is_never_held_as_not_identifying() -> None:
    """Old item 37, Art 1: a personal identification code (driver's license, health
    insurance card, passport, Individual Number...) identifies the person by itself, so an
    inventory may not mark one `identifying: false`."""
    licence = {
        "category": "identity",
        "field": "drivers_license",
        "value": "301234567890",
        "purpose": "provide_service",
        "lawfully_obtained": True,
        "identifying": False,
    }
    assert problems_of({"subjects": [subject(items=[licence], provisions=[])]}) == [
        (
            "subjects.0.items.0.identifying",
            "drivers_license is a personal identification code (Article 1): it identifies "
            "the person by itself",
        )
    ]


def test_n3_an_item_identifies_the_person_unless_marked_and_partners_have_names() -> None:
    """N3: an item is held under the person's identity unless the file says
    `identifying: false`; the name and e-mail always identify. N4: a partner's footing may
    carry the name a disclosure names it by, and the example names every partner."""
    cookie = {
        "category": "history",
        "field": "cookie_views",
        "value": "cookie 7f3a: 14 page views",
        "purpose": "provide_service",
        "lawfully_obtained": True,
        "identifying": False,
    }
    [person] = parse_inventory({"subjects": [subject(items=[cookie], provisions=[])]}).subjects
    assert [i.identifying for i in person.all_items()] == [True, True, False]
    as_name = {**cookie, "category": "identity", "field": "name", "value": "Jiro Sato"}
    assert problems_of({"subjects": [subject(items=[as_name], provisions=[])]}) == [
        ("subjects.0.items.0.identifying", "the name item identifies the person")
    ]
    names = {b.partner: b.name for b in parse_inventory(example()).provision_bases}
    assert names["ad-network-1"] == "Ad Network Inc." and all(names.values())


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            [
                {
                    "category": "contact",
                    "field": "phone",
                    "value": "1",
                    "purpose": None,
                    "lawfully_obtained": True,
                }
            ]
            * 2,
            (
                "subjects.0.items.1.field",
                "repeats the category and field of items.0 (a field names one item of the subject)",
            ),
        ),
        (
            [
                {
                    "category": "contact",
                    "field": "phone",
                    "value": "1",
                    "purpose": None,
                    "lawfully_obtained": True,
                },
                {
                    "category": "identity",
                    "field": "phone",
                    "value": "2",
                    "purpose": None,
                    "lawfully_obtained": True,
                },
            ],
            (
                "subjects.0.items.1.field",
                "repeats the field of items.0 (a field names one item of the subject)",
            ),
        ),
        (
            [
                {
                    "category": "contact",
                    "field": "email",
                    "value": "other@example.jp",
                    "purpose": None,
                    "lawfully_obtained": True,
                }
            ],
            (
                "subjects.0.items.0",
                "the email item must be in category contact and have the "
                "subject's email as its value",
            ),
        ),
        (
            [
                {
                    "category": "contact",
                    "field": "name",
                    "value": "Jiro Sato",
                    "purpose": None,
                    "lawfully_obtained": True,
                }
            ],
            (
                "subjects.0.items.0",
                "the name item must be in category identity and have the "
                "subject's name as its value",
            ),
        ),
    ],
)
def test_inconsistent_items_are_refused(items: list[dict], expected: tuple[str, str]) -> None:
    assert expected in problems_of({"subjects": [subject(items=items, provisions=[])]})


def _provision(**overrides: Any) -> dict[str, Any]:
    return {
        "partner": "p-1",
        "relationship": "third_party",
        "legal_basis": "consent",
        "items": ["phone"],
    } | overrides


@pytest.mark.parametrize(
    ("provisions", "expected"),
    [
        (
            [_provision(), _provision(items=["email"])],
            (
                "subjects.0.provisions.1.partner",
                "repeats the partner of provisions.0 "
                "(one provision per partner; list all its items there)",
            ),
        ),
        (
            [_provision(items=["phone", "bank_account"])],
            (
                "subjects.0.provisions.0.items.1",
                "names bank_account, which is not an item of this subject",
            ),
        ),
        (
            [_provision(items=["phone", "phone"])],
            ("subjects.0.provisions.0.items.1", "names an item twice"),
        ),
        (
            [_provision(legal_basis="not_third_party")],
            (
                "subjects.0.provisions.0.legal_basis",
                "a third_party provision needs consent, "
                "opt_out_notified or one of Article 5's exceptions, not not_third_party",
            ),
        ),
        *[
            (
                [_provision(relationship=relationship, legal_basis="consent")],
                (
                    "subjects.0.provisions.0.legal_basis",
                    f"{relationship} is not provision to a third "
                    "party (Article 5 ¶2): legal_basis must be not_third_party",
                ),
            )
            for relationship in ("entrustment", "business_succession", "joint_use")
        ],
        (
            [_provision(items=[])],
            (
                "subjects.0.provisions.0.items",
                "list should have at least 1 item after validation, not 0",
            ),
        ),
    ],
)
def test_inconsistent_provisions_are_refused(
    provisions: list[dict], expected: tuple[str, str]
) -> None:
    assert expected in problems_of({"subjects": [subject(provisions=provisions)]})


def test_every_exception_of_article_5_is_a_footing_for_a_third_party() -> None:
    for basis in ProvisionBasis:
        data = {"subjects": [subject(provisions=[_provision(legal_basis=basis.value)])]}
        if basis is ProvisionBasis.NOT_THIRD_PARTY:
            assert problems_of(data)
        else:
            assert parse_inventory(data).subjects[0].provisions[0].legal_basis is basis


def test_a_subject_listed_twice_is_refused() -> None:
    data = {"subjects": [subject(), subject(name="Someone Else"), subject(subject_id="user-2")]}
    assert problems_of(data) == [("subjects.1.subject_id", "repeats the subject_id of subjects.0")]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"field": "Phone Number"},
            (
                "subjects.0.items.0.field",
                "must be 1-64 lowercase letters, digits and _, starting with a letter",
            ),
        ),
        (
            {"purpose": "Billing!"},
            (
                "subjects.0.items.0.purpose",
                "must be a purpose id such as billing or incidental:billing "
                "(lowercase letters, digits and _), or null",
            ),
        ),
        ({"value": "   "}, ("subjects.0.items.0.value", "string should have at least 1 character")),
        (
            {"value": "x" * 1001},
            ("subjects.0.items.0.value", "string should have at most 1000 characters"),
        ),
        (
            {"value": "line\nbreak"},
            (
                "subjects.0.items.0.value",
                "must not contain control or bidirectional override characters",
            ),
        ),
        (
            {"value": "evil\u202etxt"},
            (
                "subjects.0.items.0.value",
                "must not contain control or bidirectional override characters",
            ),
        ),
        (
            {"category": "health"},
            (
                "subjects.0.items.0.category",
                "input should be 'identity', 'contact', 'financial', "
                "'transaction', 'history' or 'characteristic'",
            ),
        ),
        (
            {"lawfully_obtained": "perhaps"},
            (
                "subjects.0.items.0.lawfully_obtained",
                "input should be a valid boolean, unable to interpret input",
            ),
        ),
        ({"colour": "red"}, ("subjects.0.items.0.colour", "is not a known field")),
    ],
)
def test_bad_items_are_refused_with_their_path(
    change: dict[str, Any], expected: tuple[str, str]
) -> None:
    item = {
        "category": "contact",
        "field": "phone",
        "value": "1",
        "purpose": None,
        "lawfully_obtained": True,
    } | change
    assert problems_of({"subjects": [subject(items=[item], provisions=[])]}) == [expected]


def test_bad_subjects_and_documents_are_refused() -> None:
    assert problems_of([]) == [("inventory", 'must be a JSON object {"subjects": [...]}')]
    assert problems_of({"subjects": []}) == [
        ("inventory", "names nothing: give subjects, purposes or provision_bases")
    ]
    assert problems_of({"subjects": [subject(subject_id="bad id!", email="no-at-sign")]}) == [
        (
            "subjects.0.subject_id",
            "must be 1-128 letters, digits and . _ : -, starting with a letter or digit",
        ),
        ("subjects.0.email", "is not a valid e-mail address"),
    ]
    deep: Any = "x"
    for _ in range(50):
        deep = [deep]
    assert problems_of({"subjects": deep}) == [("inventory", "is nested more than 8 levels deep")]


def test_a_message_never_echoes_a_hostile_key_and_stops_counting() -> None:
    hostile = "\x1b[31m" + "k" * 500
    refused = problems_of({"subjects": [subject(**{hostile: 1})]})
    assert refused[0][0].startswith('subjects.0."\\u001b[31mkkk') and len(refused[0][0]) <= 160
    many = {"subjects": [subject(subject_id=f"bad id {n}") for n in range(100)]}
    refused = problems_of(many)
    assert len(refused) == 31 and refused[-1] == ("inventory", "and 70 more problems")
    with pytest.raises(InvalidInventory) as error:
        parse_inventory(many)
    assert str(error.value).splitlines()[0] == (
        "subjects.0.subject_id: must be 1-128 letters, digits and . _ : -, "
        "starting with a letter or digit"
    )


@given(
    st.permutations(
        ["identity", "contact", "financial", "transaction", "history", "characteristic"]
    ),
    st.lists(st.booleans(), min_size=6, max_size=6),
)
def test_any_order_of_valid_items_parses_and_keeps_the_items(
    categories: list[str], lawful: list[bool]
) -> None:
    items = [
        {
            "category": c,
            "field": f"f_{c}",
            "value": c.upper(),
            "purpose": "billing",
            "lawfully_obtained": ok,
        }
        for c, ok in zip(categories, lawful, strict=True)
    ]
    parsed = parse_inventory({"subjects": [subject(items=items, provisions=[])]})
    assert isinstance(parsed, Inventory)
    held = parsed.subjects[0].all_items()
    assert [i.field for i in held[2:]] == [f"f_{c}" for c in categories]
    assert [i.lawfully_obtained for i in held[2:]] == lawful


async def test_the_command_refuses_an_unusable_file_before_connecting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # No service anywhere: the refusal must come before any call is tried.
    monkeypatch.setenv("DSR_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("DSR_TOKEN", "dsr_not-a-token")
    not_json = tmp_path / "inventory.json"
    not_json.write_text("{subjects: oops", encoding="utf-8")
    invalid = tmp_path / "invalid.json"
    bad = copy.deepcopy(example())
    bad["subjects"][0]["provisions"][0]["legal_basis"] = "not_third_party"
    invalid.write_text(json.dumps(bad), encoding="utf-8")
    cases = {
        str(tmp_path / "missing.json"): f"cannot read {tmp_path / 'missing.json'}: "
        "No such file or directory",
        str(not_json): f"{not_json}: not valid JSON (Expecting property name enclosed in "
        "double quotes at line 1)",
        str(invalid): f"{invalid}: not a valid inventory (1 problem); nothing was loaded",
    }
    errors = ""
    for file, message in cases.items():
        capsys.readouterr()
        assert main(["inventory", "load", file]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""
        assert captured.err.endswith(f"dsr: {message}\n")
        errors += captured.err.removesuffix(f"dsr: {message}\n")
    assert errors == (
        "dsr: invalid inventory: subjects.0.provisions.0.legal_basis: a third_party provision "
        "needs consent, opt_out_notified or one of Article 5's exceptions, not "
        "not_third_party\n"
    )
