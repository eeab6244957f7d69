"""The data map (domain/datamap.py): what a valid map is, the one clear line each problem of
an invalid one gets (`map_problems`), the order its collections are walked in, and reading
it and its connections' secrets from disk (connectors/datamap_file.py)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from connectors.datamap_file import InvalidDataMap, MissingSecret, read_data_map, secret_of
from domain.datamap import Connection, DataMap, Identity, SystemKind, map_problems
from tests.support.builders import mapped_field

Mutation = Callable[[dict[str, Any]], None]


def valid_map() -> dict[str, Any]:
    """A shop's database: customers found by e-mail, their orders through the customer's
    id, and each order's lines through the order's id."""
    return {
        "version": 1,
        "systems": {
            "shop": {
                "kind": "postgres",
                "connection": {"env": "SHOP_DATABASE_URL"},
                "collections": {
                    "customers": {
                        "identities": [{"column": "email", "identity": "email"}],
                        "suspension_flag": "restricted",
                        "fields": {
                            "email": mapped_field("email", identifies=True, **{"as": "email"}),
                            "phone": mapped_field("phone", **{"as": "phone"}),
                        },
                    },
                    "orders": {
                        "through": {
                            "collection": "customers",
                            "column": "customer_id",
                            "references": "id",
                        },
                        "suspension_flag": "restricted",
                        "fields": {"address": mapped_field("address", **{"as": "address"})},
                    },
                    "order_lines": {
                        "through": {
                            "collection": "orders",
                            "column": "order_id",
                            "references": "id",
                        },
                        "suspension_flag": "restricted",
                        "fields": {"note": mapped_field("note")},
                    },
                },
            },
            "helpdesk": {
                "kind": "manual",
                "owner": "support-lead",
                "collections": {
                    "tickets": {
                        "identities": [{"column": "requester", "identity": "email"}],
                        "fields": {"body": mapped_field("body")},
                    }
                },
            },
        },
    }


def _shop(document: dict[str, Any]) -> dict[str, Any]:
    system: dict[str, Any] = document["systems"]["shop"]
    return system


def _collections(document: dict[str, Any]) -> dict[str, Any]:
    collections: dict[str, Any] = _shop(document)["collections"]
    return collections


def problems_of(document: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as raised:
        DataMap.model_validate(document)
    return map_problems(raised.value)


# A valid map ---------------------------------------------------------------------------


def test_a_valid_map_validates() -> None:
    data_map = DataMap.model_validate(valid_map())
    shop = data_map.system("shop")
    assert shop.kind is SystemKind.POSTGRES
    assert shop.connection == Connection(env="SHOP_DATABASE_URL")
    assert shop.collections["customers"].identities[0].identity is Identity.EMAIL
    assert shop.collections["customers"].fields["email"].as_field == "email"
    assert shop.collections["orders"].table_of("orders") == "orders"
    assert data_map.system("helpdesk").owner == "support-lead"


def test_n3_a_mapped_field_identifies_the_person_unless_marked_otherwise() -> None:
    """N3, Art 6 ¶2: a system's field is held under the person's identity (personal
    information) unless the map marks it `identifying: false` (analytics keyed by a
    cookie, say), which a disclosure then leaves out."""
    document = valid_map()
    _collections(document)["order_lines"]["fields"]["note"]["identifying"] = False
    shop = DataMap.model_validate(document).system("shop")
    assert shop.collections["customers"].fields["phone"].identifying is True
    assert shop.collections["order_lines"].fields["note"].identifying is False


def test_c9_a_mapped_field_must_say_whether_it_was_lawfully_obtained() -> None:
    """C9 (review of issue 24), old 8: as in the inventory, a field of the data map is not
    presumed lawfully obtained (Article 8's wrongful-means ground rests on it): a map that
    leaves `lawfully_obtained` out is refused with one line saying so, and one that says
    false holds the field as not lawfully obtained."""
    document = valid_map()
    del _collections(document)["customers"]["fields"]["phone"]["lawfully_obtained"]
    assert problems_of(document) == [
        "systems.shop.collections.customers.fields.phone.lawfully_obtained: is required: "
        "true, or false for a field obtained by wrongful means (Article 8); a field is not "
        "presumed lawfully obtained"
    ]
    document = valid_map()
    _collections(document)["customers"]["fields"]["phone"]["lawfully_obtained"] = False
    customers = DataMap.model_validate(document).system("shop").collections["customers"]
    assert customers.fields["phone"].lawfully_obtained is False
    assert customers.fields["email"].lawfully_obtained is True


def test_old37_a_personal_identification_code_is_never_mapped_as_not_identifying() -> None:
    """Old item 37, Art 1: data such as a driver's license number "can identify a specific
    individual from that information alone": a map may not say a system holds one in a
    form that does not identify the person (Art 6 ¶2 would then leave it out)."""
    document = valid_map()
    phone = _collections(document)["customers"]["fields"]["phone"]
    phone |= {"as": "drivers_license", "identifying": False}
    [problem] = problems_of(document)
    assert "drivers_license is a personal identification code (Article 1)" in problem
    phone["as"] = "phone"  # a telephone number kept apart from the person may be so
    customers = DataMap.model_validate(document).system("shop").collections["customers"]
    assert customers.fields["phone"].identifying is False


def test_an_unknown_system_is_a_lookup_error_naming_it() -> None:
    with pytest.raises(LookupError, match="'billing' is not in the data map"):
        DataMap.model_validate(valid_map()).system("billing")


# An invalid map: one clear line per problem --------------------------------------------


def _unknown_category(d: dict[str, Any]) -> None:
    _collections(d)["customers"]["fields"]["email"]["category"] = "shoe_size"


def _refusal_without_reason(d: dict[str, Any]) -> None:
    _collections(d)["customers"]["fields"]["phone"]["erasure"] = "refuse"


def _unreached_collection(d: dict[str, Any]) -> None:
    _collections(d)["customers"]["identities"] = []
    # Nothing else reaches through customers: it is walked alone.
    del _collections(d)["orders"]
    del _collections(d)["order_lines"]


def _through_unknown(d: dict[str, Any]) -> None:
    del _collections(d)["order_lines"]
    _collections(d)["orders"]["through"]["collection"] = "baskets"


def _through_cycle(d: dict[str, Any]) -> None:
    _collections(d)["orders"]["through"]["collection"] = "order_lines"


def _postgres_without_connection(d: dict[str, Any]) -> None:
    del _shop(d)["connection"]


def _manual_without_owner(d: dict[str, Any]) -> None:
    del d["systems"]["helpdesk"]["owner"]


def _unknown_key(d: dict[str, Any]) -> None:
    _collections(d)["orders"]["colour"] = "blue"


def _http_without_collect(d: dict[str, Any]) -> None:
    d["systems"]["crm"] = {
        "kind": "http",
        "connection": {"env": "CRM_BASE_URL"},
        "operations": {"erase": "DELETE /contacts/{email}"},
        "collections": {
            "contacts": {
                "identities": [{"column": "email", "identity": "email"}],
                "fields": {"email": mapped_field("email")},
            }
        },
    }


def _flag_without_flag_column(d: dict[str, Any]) -> None:
    del _collections(d)["orders"]["suspension_flag"]


@pytest.mark.parametrize(
    ("mutation", "where", "says"),
    [
        (
            _unknown_category,
            "systems.shop.collections.customers.fields.email.category",
            "'shoe_size' is not one of: 'identity', 'contact'",
        ),
        (
            _refusal_without_reason,
            "systems.shop.collections.customers.fields.phone",
            "needs a `reason` the notice can state",
        ),
        (_unreached_collection, "systems.shop", "collection customers: no identity reaches it"),
        (
            _through_unknown,
            "systems.shop",
            "collection orders: `through` names 'baskets', which is not a collection",
        ),
        (_through_cycle, "systems.shop", "`through` forms a cycle"),
        (_postgres_without_connection, "systems.shop", "a postgres system needs a `connection`"),
        (_manual_without_owner, "systems.helpdesk", "a manual system names its `owner`"),
        (_unknown_key, "systems.shop.collections.orders.colour", "is not a key the map knows"),
        (_http_without_collect, "systems.crm", "an http system needs `operations.collect`"),
        (
            _flag_without_flag_column,
            "systems.shop",
            "collection orders: a field suspended by `flag` needs the collection's "
            "`suspension_flag` column",
        ),
    ],
    ids=[
        "unknown-category",
        "refusal-without-reason",
        "unreached-collection",
        "through-unknown-collection",
        "through-cycle",
        "postgres-without-connection",
        "manual-without-owner",
        "unknown-key",
        "http-without-collect",
        "flag-without-suspension-flag",
    ],
)
def test_a_bad_map_is_refused_with_one_clear_line(
    mutation: Mutation, where: str, says: str
) -> None:
    document = valid_map()
    mutation(document)
    problems = problems_of(document)
    assert len(problems) == 1, problems
    line = problems[0]
    assert line.startswith(f"{where}: "), line
    assert says in line
    assert "\n" not in line
    assert not line.startswith("Value error")
    assert "Value error, " not in line


def test_each_problem_of_a_map_gets_its_own_line() -> None:
    document = valid_map()
    _unknown_category(document)
    _manual_without_owner(document)
    _unknown_key(document)
    problems = problems_of(document)
    assert len(problems) == 3
    assert {line.partition(": ")[0] for line in problems} == {
        "systems.shop.collections.customers.fields.email.category",
        "systems.helpdesk",
        "systems.shop.collections.orders.colour",
    }


def test_suspension_flag_is_needed_only_by_postgres_systems() -> None:
    """The manual system's tickets have a flag-suspended field and no flag column: valid."""
    tickets = DataMap.model_validate(valid_map()).system("helpdesk").collections["tickets"]
    assert tickets.suspension_flag is None


def test_a_refusal_with_a_reason_needs_no_suspension_flag() -> None:
    document = valid_map()
    _collections(document)["orders"].pop("suspension_flag")
    _collections(document)["orders"]["fields"]["address"].update(
        suspension="refuse", reason="kept for the tax office"
    )
    # order_lines is reached through orders and keeps its own flag.
    DataMap.model_validate(document)


def test_a_through_to_an_unknown_collection_is_named_where_it_is() -> None:
    """The line names the collection whose `through` is wrong, even when another
    collection reached through that one comes first in the file."""
    document = valid_map()
    # order_lines (through orders) is listed before orders (through an unknown one).
    collections = _collections(document)
    _shop(document)["collections"] = {
        "customers": collections["customers"],
        "order_lines": collections["order_lines"],
        "orders": collections["orders"],
    }
    _collections(document)["orders"]["through"]["collection"] = "baskets"
    assert problems_of(document) == [
        "systems.shop: collection orders: `through` names 'baskets', which is not a "
        "collection of this system"
    ]


def test_an_unreached_collection_is_named_where_it_is() -> None:
    """The line names the collection no identity reaches, even when a collection reached
    through it comes first in the file; it is no cycle."""
    document = valid_map()
    collections = _collections(document)
    customers = collections.pop("customers")
    customers["identities"] = []
    collections["customers"] = customers  # now listed after orders and order_lines
    assert problems_of(document) == [
        "systems.shop: collection customers: no identity reaches it (give `identities` or "
        "`through`)"
    ]


# walk(): dependency order --------------------------------------------------------------


def test_walk_yields_each_collection_after_the_one_it_is_reached_through() -> None:
    document = valid_map()
    collections = _collections(document)
    # Listed child first: the walk reorders them.
    _shop(document)["collections"] = {
        "order_lines": collections["order_lines"],
        "orders": collections["orders"],
        "customers": collections["customers"],
    }
    order = [name for name, _ in DataMap.model_validate(document).system("shop").walk()]
    assert order == ["customers", "orders", "order_lines"]


def test_walk_yields_every_collection_once_with_its_model() -> None:
    shop = DataMap.model_validate(valid_map()).system("shop")
    walked = list(shop.walk())
    assert sorted(name for name, _ in walked) == sorted(shop.collections)
    for name, collection in walked:
        assert collection is shop.collections[name]


def test_walk_places_collections_found_from_identities_first() -> None:
    document = valid_map()
    collections = _collections(document)
    _shop(document)["collections"] = {
        "orders": collections["orders"],
        "customers": collections["customers"],
        "newsletter": {
            "identities": [{"column": "address", "identity": "email"}],
            "suspension_flag": "paused",
            "fields": {"address": mapped_field("address")},
        },
    }
    order = [name for name, _ in DataMap.model_validate(document).system("shop").walk()]
    assert order.index("customers") < order.index("orders")
    assert set(order[:2]) == {"customers", "newsletter"}


# Reading the map's file ----------------------------------------------------------------


def _write_yaml(path: Path, document: dict[str, Any]) -> None:
    path.write_text(yaml.safe_dump(document), encoding="utf-8")


def test_read_data_map_reads_a_valid_file(tmp_path: Path) -> None:
    path = tmp_path / "datastores.yaml"
    _write_yaml(path, valid_map())
    assert read_data_map(path) == DataMap.model_validate(valid_map())


def test_read_data_map_of_an_empty_file_is_an_empty_map(tmp_path: Path) -> None:
    path = tmp_path / "datastores.yaml"
    path.write_text("", encoding="utf-8")
    assert read_data_map(path).systems == {}


def test_read_data_map_of_a_missing_file_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(InvalidDataMap) as raised:
        read_data_map(path)
    assert raised.value.path == path
    assert raised.value.problems == ["no such file (DSR_DATASTORES names the data map)"]
    assert str(path) in str(raised.value)


def test_read_data_map_of_a_file_that_is_not_yaml_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "datastores.yaml"
    path.write_text("systems: [unclosed\n  - {\n", encoding="utf-8")
    with pytest.raises(InvalidDataMap) as raised:
        read_data_map(path)
    assert len(raised.value.problems) == 1
    assert raised.value.problems[0].startswith("not YAML: ")


def test_read_data_map_of_an_invalid_map_lists_its_problems(tmp_path: Path) -> None:
    document = valid_map()
    _manual_without_owner(document)
    _unknown_key(document)
    path = tmp_path / "datastores.yaml"
    _write_yaml(path, document)
    with pytest.raises(InvalidDataMap) as raised:
        read_data_map(path)
    assert sorted(raised.value.problems) == [
        "systems.helpdesk: a manual system names its `owner` (an account)",
        "systems.shop.collections.orders.colour: is not a key the map knows",
    ]
    assert str(raised.value).startswith(f"{path}: ")


def test_read_data_map_of_a_yaml_list_is_invalid(tmp_path: Path) -> None:
    path = tmp_path / "datastores.yaml"
    path.write_text("- shop\n- helpdesk\n", encoding="utf-8")
    with pytest.raises(InvalidDataMap) as raised:
        read_data_map(path)
    assert raised.value.problems


# A connection's secret -----------------------------------------------------------------


def test_secret_of_reads_the_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOP_DATABASE_URL", "  postgresql://shop@db/shop\n")
    assert secret_of(Connection(env="SHOP_DATABASE_URL")) == "postgresql://shop@db/shop"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_secret_of_an_unset_or_empty_variable_is_missing(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("SHOP_DATABASE_URL", raising=False)
    else:
        monkeypatch.setenv("SHOP_DATABASE_URL", value)
    with pytest.raises(MissingSecret, match="SHOP_DATABASE_URL is not set"):
        secret_of(Connection(env="SHOP_DATABASE_URL"))


def test_secret_of_reads_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "shop-url"
    secret.write_text("postgresql://shop@db/shop\n", encoding="utf-8")
    assert secret_of(Connection(secret_file=str(secret))) == "postgresql://shop@db/shop"


def test_secret_of_a_missing_file_is_missing(tmp_path: Path) -> None:
    absent = tmp_path / "absent"
    with pytest.raises(MissingSecret, match="cannot read") as raised:
        secret_of(Connection(secret_file=str(absent)))
    assert str(absent) in str(raised.value)


@pytest.mark.parametrize(
    "connection",
    [{}, {"env": "SHOP_URL", "secret_file": "/run/secrets/shop"}],
    ids=["neither", "both"],
)
def test_a_connection_names_exactly_one_source(connection: dict[str, str]) -> None:
    document = valid_map()
    _shop(document)["connection"] = copy.deepcopy(connection)
    problems = problems_of(document)
    assert len(problems) == 1
    assert problems[0].startswith("systems.shop.connection: give exactly one of `env`")
