"""The PostgreSQL connector (connectors/postgres.py) on a real server: a subject's rows
collected from their e-mail and through the foreign key, a plan applied to exactly those
rows and confirmed, the map checked against the live database and the connector's role,
and the failures it reports (unavailable, refused)."""

from __future__ import annotations

import contextlib
import secrets
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import pytest

from connectors.base import Change, Plan, RowChange, SystemRefused, SystemUnavailable
from connectors.postgres import PostgresConnector
from domain.datamap import MASK_TEXT, DataMap, Identity, System
from domain.decisions import Outcome
from domain.fulfilment import SystemItem, plan_for
from tests.support.builders import mapped_field
from tests.support.database import scratch_database

SUBJECT_EMAIL = "hanako@example.test"
SUBJECT_PHONE = "+81 90 1234 5678"
SUBJECT_NAME = "Hanako Yamada"
SUBJECT_ADDRESSES = ("1-2-3 Chiyoda, Tokyo", "4-5-6 Minato, Tokyo")

SCHEMA = """
CREATE TABLE customers (
    id bigint PRIMARY KEY,
    email text,
    phone text,
    full_name text NOT NULL,
    restricted boolean DEFAULT false
);
CREATE TABLE orders (
    id bigint PRIMARY KEY,
    customer_id bigint REFERENCES customers (id),
    address text,
    total int,
    restricted boolean DEFAULT false
);
CREATE INDEX customers_email ON customers (email);
CREATE INDEX orders_customer_id ON orders (customer_id);
"""

CUSTOMERS = [
    (1, SUBJECT_EMAIL, SUBJECT_PHONE, SUBJECT_NAME),
    (2, "taro@example.test", "+81 80 0000 0002", "Taro Suzuki"),
    (3, "jiro@example.test", None, "Jiro Tanaka"),
]
ORDERS = [
    (10, 1, SUBJECT_ADDRESSES[0], 1200),
    (11, 1, SUBJECT_ADDRESSES[1], 3400),
    (20, 2, "7-8-9 Shibuya, Tokyo", 560),
    (21, 2, "7-8-9 Shibuya, Tokyo", 780),
    (40, None, "a guest's address", 90),
]
# Customer 3 has no orders; order 40 is a guest's, reached by no customer.

TOTAL_REASON = "kept 7 years under the Corporation Tax Act"


def map_document() -> dict[str, Any]:
    return {
        "systems": {
            "shop": {
                "kind": "postgres",
                "connection": {"env": "SHOP_DATABASE_URL"},
                "collections": {
                    "customers": {
                        "identities": [{"column": "email", "identity": "email"}],
                        "suspension_flag": "restricted",
                        "fields": {
                            "email": mapped_field(
                                "email", identifies=True, erasure="mask", **{"as": "email"}
                            ),
                            "phone": mapped_field("phone", erasure="set_null", **{"as": "phone"}),
                            "full_name": mapped_field(
                                "full_name", category="identity", erasure="mask", **{"as": "name"}
                            ),
                        },
                    },
                    "orders": {
                        "through": {
                            "collection": "customers",
                            "column": "customer_id",
                            "references": "id",
                        },
                        "suspension_flag": "restricted",
                        "fields": {
                            "address": mapped_field(
                                "address", erasure="delete_row", **{"as": "address"}
                            ),
                            "total": mapped_field(
                                "total",
                                category="transaction",
                                erasure="refuse",
                                reason=TOTAL_REASON,
                                **{"as": "total"},
                            ),
                        },
                    },
                },
            }
        }
    }


def system_of(document: dict[str, Any]) -> System:
    return DataMap.model_validate(document).system("shop")


SYSTEM = system_of(map_document())

# The rights the map needs: SELECT on both tables; UPDATE on the columns an erasure
# (set_null, mask), a correction (every field corrects by update) or the flag writes;
# DELETE on orders (its address is erased by delete_row).
FULL_GRANTS = [
    "GRANT SELECT ON customers, orders TO {role}",
    "GRANT UPDATE (email, phone, full_name, restricted) ON customers TO {role}",
    "GRANT UPDATE (address, total, restricted) ON orders TO {role}",
    "GRANT DELETE ON orders TO {role}",
]

ERASURE = Plan(
    (
        RowChange("customers", "1", Change.SET_NULL, "phone"),
        RowChange("customers", "1", Change.MASK, "full_name"),
        RowChange("orders", "10", Change.DELETE_ROW),
        RowChange("orders", "11", Change.DELETE_ROW),
    )
)


def _with_login(url: str, user: str, password: str) -> str:
    """The same server, database and query (a socket's directory, sslmode) as another role,
    as store/privileges.py `with_user` rebuilds it, with a password in case the server asks
    for one (the embedded server and a local one trust their clients)."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    login = f"{quote(user, safe='')}:{quote(password, safe='')}"
    return urlunsplit(parts._replace(netloc=f"{login}@{host}"))


@dataclass
class Shop:
    """The test's own database: its superuser URL, a superuser connection to arrange and
    inspect it, and a way to make login roles of limited rights in it."""

    url: str
    admin: asyncpg.Connection
    make_role: Callable[[str, list[str]], Awaitable[str]]

    async def others(self) -> tuple[list[str], list[str]]:
        """Every row that is not the subject's, as PostgreSQL renders it."""
        customers = await self.admin.fetch(
            "SELECT row_to_json(t)::text AS r FROM customers t WHERE id <> 1 ORDER BY id"
        )
        orders = await self.admin.fetch(
            """SELECT row_to_json(t)::text AS r FROM orders t
                WHERE customer_id IS DISTINCT FROM 1 ORDER BY id"""
        )
        return [r["r"] for r in customers], [r["r"] for r in orders]

    async def everything(self) -> list[str]:
        rows = await self.admin.fetch(
            """SELECT 'c' || row_to_json(t)::text || xmin::text AS r FROM customers t
               UNION ALL
               SELECT 'o' || row_to_json(t)::text || xmin::text FROM orders t ORDER BY 1"""
        )
        return [r["r"] for r in rows]


@pytest.fixture
async def shop(postgres_server: str) -> AsyncIterator[Shop]:
    roles: list[str] = []
    async with scratch_database(postgres_server, "conn") as url:
        async for shop in _shop_in(url, roles):
            yield shop
    server = await asyncpg.connect(postgres_server)
    try:
        for role in roles:
            await server.execute(f'DROP ROLE IF EXISTS "{role}"')
    finally:
        await server.close()


async def _shop_in(url: str, roles: list[str]) -> AsyncIterator[Shop]:
    """The shop's tables and rows in the scratch database at `url`, and its roles (named
    in `roles`, for the caller to drop once the database is gone)."""
    name = urlsplit(url).path.lstrip("/")
    admin = await asyncpg.connect(url)

    async def make_role(suffix: str, grants: list[str]) -> str:
        role, password = f"{name}_{suffix}", secrets.token_hex(16)
        roles.append(role)
        await admin.execute(
            f'CREATE ROLE "{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE '
            f"PASSWORD '{password}'"
        )
        for grant in grants:
            await admin.execute(grant.format(role=f'"{role}"'))
        return _with_login(url, role, password)

    try:
        await admin.execute(SCHEMA)
        await admin.executemany(
            "INSERT INTO customers (id, email, phone, full_name) VALUES ($1, $2, $3, $4)",
            CUSTOMERS,
        )
        await admin.executemany(
            "INSERT INTO orders (id, customer_id, address, total) VALUES ($1, $2, $3, $4)",
            ORDERS,
        )
        yield Shop(url=url, admin=admin, make_role=make_role)
    finally:
        await admin.close()


@contextlib.asynccontextmanager
async def connected(url: str, system: System = SYSTEM) -> AsyncIterator[PostgresConnector]:
    connector = PostgresConnector("shop", system, url=url)
    try:
        yield connector
    finally:
        await connector.close()


@pytest.fixture
async def connector(shop: Shop) -> AsyncIterator[PostgresConnector]:
    async with connected(shop.url) as connector:
        yield connector


def _closed_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Collection ------------------------------------------------------------------------------


async def test_collect_finds_the_subjects_customer_and_orders_through_the_key(
    connector: PostgresConnector,
) -> None:
    collected = await connector.collect({Identity.EMAIL: [SUBJECT_EMAIL]})
    assert collected.counts == {"customers": 1, "orders": 2}
    rows = {(row.collection, row.key): row for row in collected.rows}
    assert set(rows) == {("customers", "1"), ("orders", "10"), ("orders", "11")}
    assert rows[("customers", "1")].values == {
        "email": SUBJECT_EMAIL,
        "phone": SUBJECT_PHONE,
        "full_name": SUBJECT_NAME,
    }
    # Values as text, the int column's too.
    assert rows[("orders", "10")].values == {"address": SUBJECT_ADDRESSES[0], "total": "1200"}
    assert rows[("orders", "11")].values == {"address": SUBJECT_ADDRESSES[1], "total": "3400"}
    assert not any(row.restricted for row in collected.rows)
    # The customer comes first: the walk's order.
    assert collected.rows[0].collection == "customers"


async def test_collect_counts_none_as_zero(connector: PostgresConnector) -> None:
    nobody = await connector.collect({Identity.EMAIL: ["nobody@example.test"]})
    assert nobody.rows == []
    assert nobody.counts == {"customers": 0, "orders": 0}
    no_orders = await connector.collect({Identity.EMAIL: ["jiro@example.test"]})
    assert [(row.collection, row.key) for row in no_orders.rows] == [("customers", "3")]
    assert no_orders.rows[0].values["phone"] is None
    assert no_orders.counts == {"customers": 1, "orders": 0}


@pytest.mark.parametrize(
    "identities",
    [{}, {Identity.EMAIL: []}, {Identity.PHONE: [SUBJECT_PHONE]}],
    ids=["none", "empty", "an-identity-the-map-does-not-use"],
)
async def test_collect_without_identity_values_finds_nothing(
    connector: PostgresConnector, identities: dict[Identity, list[str]]
) -> None:
    collected = await connector.collect(identities)
    assert collected.rows == []
    assert collected.counts == {"customers": 0, "orders": 0}


async def test_collect_reports_rows_already_restricted(
    shop: Shop, connector: PostgresConnector
) -> None:
    await shop.admin.execute("UPDATE customers SET restricted = true WHERE id = 1")
    await shop.admin.execute("UPDATE orders SET restricted = NULL WHERE id = 10")
    await shop.admin.execute("UPDATE orders SET restricted = true WHERE id = 11")
    collected = await connector.collect({Identity.EMAIL: [SUBJECT_EMAIL]})
    restricted = {(row.collection, row.key): row.restricted for row in collected.rows}
    assert restricted == {("customers", "1"): True, ("orders", "10"): False, ("orders", "11"): True}


# Applying and confirming a plan ----------------------------------------------------------


async def test_an_applied_plan_is_confirmed_and_touches_no_one_else(
    shop: Shop, connector: PostgresConnector
) -> None:
    others_before = await shop.others()
    assert await connector.confirm(ERASURE) != []

    await connector.apply(ERASURE)

    assert await connector.confirm(ERASURE) == []
    subject = await shop.admin.fetchrow("SELECT * FROM customers WHERE id = 1")
    assert subject is not None
    assert subject["phone"] is None
    assert subject["full_name"] == MASK_TEXT
    assert subject["email"] == SUBJECT_EMAIL  # not in the plan
    assert await shop.admin.fetchval("SELECT count(*) FROM orders WHERE customer_id = 1") == 0
    assert await shop.others() == others_before
    collected = await connector.collect({Identity.EMAIL: [SUBJECT_EMAIL]})
    assert collected.counts == {"customers": 1, "orders": 0}


async def test_applying_a_plan_twice_changes_nothing_more(
    shop: Shop, connector: PostgresConnector
) -> None:
    await connector.apply(ERASURE)
    after_once = await shop.everything()  # values and row versions (xmin)
    await connector.apply(ERASURE)
    assert await shop.everything() == after_once
    assert await connector.confirm(ERASURE) == []


async def test_confirm_of_an_unapplied_plan_names_places_never_values(
    connector: PostgresConnector,
) -> None:
    new_email = "hanako.new@example.test"
    plan = Plan(
        (
            RowChange("customers", "1", Change.SET_NULL, "phone"),
            RowChange("customers", "1", Change.MASK, "full_name"),
            RowChange("customers", "1", Change.UPDATE, "email", new_email),
            RowChange("customers", "1", Change.FLAG),
            RowChange("orders", "10", Change.DELETE_ROW),
        )
    )
    lines = await connector.confirm(plan)
    assert lines == [
        "shop.customers: change 1 (set_null on phone) is not so",
        "shop.customers: change 2 (mask on full_name) is not so",
        "shop.customers: change 3 (update on email) is not so",
        "shop.customers: change 4 (flag) is not so",
        "shop.orders: change 5 (delete_row) is not so",
    ]
    values = [SUBJECT_EMAIL, SUBJECT_PHONE, SUBJECT_NAME, *SUBJECT_ADDRESSES, new_email, "1200"]
    for line in lines:
        assert not any(value in line for value in values), line


async def test_confirm_names_only_what_did_not_take(
    shop: Shop, connector: PostgresConnector
) -> None:
    await connector.apply(ERASURE)
    # Someone writes the phone back, and the order comes back.
    await shop.admin.execute("UPDATE customers SET phone = $1 WHERE id = 1", SUBJECT_PHONE)
    await shop.admin.execute(
        "INSERT INTO orders (id, customer_id, address, total) VALUES (11, 1, $1, 1)",
        SUBJECT_ADDRESSES[1],
    )
    assert await connector.confirm(ERASURE) == [
        "shop.customers: change 1 (set_null on phone) is not so",
        "shop.orders: change 4 (delete_row) is not so",
    ]


async def test_flag_sets_the_suspension_flag(shop: Shop, connector: PostgresConnector) -> None:
    others_before = await shop.others()
    plan = Plan(
        (
            RowChange("customers", "1", Change.FLAG),
            RowChange("orders", "10", Change.FLAG),
            RowChange("orders", "11", Change.FLAG),
        )
    )
    await connector.apply(plan)
    assert await connector.confirm(plan) == []
    assert await shop.admin.fetchval("SELECT restricted FROM customers WHERE id = 1") is True
    assert await shop.admin.fetchval(
        "SELECT bool_and(restricted) FROM orders WHERE customer_id = 1"
    )
    assert await shop.others() == others_before
    collected = await connector.collect({Identity.EMAIL: [SUBJECT_EMAIL]})
    assert all(row.restricted for row in collected.rows)


async def test_update_sets_the_new_value(shop: Shop, connector: PostgresConnector) -> None:
    others_before = await shop.others()
    plan = Plan(
        (
            RowChange("customers", "1", Change.UPDATE, "email", "hanako.new@example.test"),
            RowChange("orders", "10", Change.UPDATE, "total", "1300"),  # an int column
        )
    )
    await connector.apply(plan)
    assert await connector.confirm(plan) == []
    assert (
        await shop.admin.fetchval("SELECT email FROM customers WHERE id = 1")
        == "hanako.new@example.test"
    )
    assert await shop.admin.fetchval("SELECT total FROM orders WHERE id = 10") == 1300
    assert await shop.admin.fetchval("SELECT total FROM orders WHERE id = 11") == 3400
    assert await shop.others() == others_before


async def test_an_erasure_planned_from_what_was_collected(
    shop: Shop, connector: PostgresConnector
) -> None:
    """collect ─▶ the items ─▶ plan_for(ERASED) ─▶ apply ─▶ confirm: the orders' totals
    are kept (refused), so the orders stay; the customer's fields are masked or nulled."""
    others_before = await shop.others()
    collected = await connector.collect({Identity.EMAIL: [SUBJECT_EMAIL]})
    items = [
        SystemItem(
            item_id=number,
            collection=row.collection,
            key=row.key,
            system_field=field,
            field=SYSTEM.collections[row.collection].fields[field].as_field or field,
        )
        for number, (row, field) in enumerate(
            ((row, field) for row in collected.rows for field in row.values), start=1
        )
    ]
    part = plan_for(
        SYSTEM, Outcome.ERASED, items, in_breach=frozenset(item.item_id for item in items)
    )
    assert {r.field for r in part.refused} == {"total", "address"}
    await connector.apply(part.plan)
    assert await connector.confirm(part.plan) == []
    subject = await shop.admin.fetchrow("SELECT * FROM customers WHERE id = 1")
    assert subject is not None
    assert (subject["email"], subject["phone"], subject["full_name"]) == (
        MASK_TEXT,
        None,
        MASK_TEXT,
    )
    assert await shop.admin.fetchval("SELECT count(*) FROM orders WHERE customer_id = 1") == 2
    assert await shop.others() == others_before


async def test_a_refused_apply_changes_nothing(shop: Shop) -> None:
    """The plan is one transaction: the phone set to null before the DELETE the role may
    not make is rolled back with it."""
    grants = [g for g in FULL_GRANTS if not g.startswith("GRANT DELETE")]
    url = await shop.make_role("nodelete", grants)
    before = await shop.everything()
    async with connected(url) as connector:
        with pytest.raises(SystemRefused) as raised:
            await connector.apply(ERASURE)
    assert await shop.everything() == before
    message = str(raised.value)
    assert message.startswith("shop: ")
    assert not any(value in message for value in (SUBJECT_PHONE, SUBJECT_NAME, SUBJECT_EMAIL))


# check(): the map against the live database and the role ---------------------------------


async def test_check_finds_nothing_for_a_fitting_map_and_role(
    shop: Shop, connector: PostgresConnector
) -> None:
    assert await connector.check() == []
    url = await shop.make_role("rw", FULL_GRANTS)
    async with connected(url) as limited:
        assert await limited.check() == []
        # And the role can do what the map asks of it.
        collected = await limited.collect({Identity.EMAIL: [SUBJECT_EMAIL]})
        assert collected.counts == {"customers": 1, "orders": 2}
        await limited.apply(ERASURE)
        assert await limited.confirm(ERASURE) == []


async def test_check_finds_a_missing_table(shop: Shop) -> None:
    document = map_document()
    document["systems"]["shop"]["collections"]["invoices"] = {
        "through": {"collection": "customers", "column": "customer_id", "references": "id"},
        "suspension_flag": "restricted",
        "fields": {"amount": mapped_field("amount")},
    }
    async with connected(shop.url, system_of(document)) as connector:
        assert await connector.check() == ["shop.invoices (invoices): the table does not exist"]


async def test_check_finds_a_missing_column(shop: Shop) -> None:
    document = map_document()
    customers = document["systems"]["shop"]["collections"]["customers"]
    customers["fields"]["fax"] = mapped_field("fax", erasure="set_null")
    async with connected(shop.url, system_of(document)) as connector:
        assert await connector.check() == [
            "shop.customers (customers): no column 'fax' (field fax)"
        ]


async def test_check_finds_an_identity_column_without_index(
    shop: Shop, connector: PostgresConnector
) -> None:
    await shop.admin.execute("DROP INDEX customers_email")
    assert await connector.check() == [
        "shop.customers (customers): email (identity email) has no index leading with it"
    ]


async def test_check_finds_a_through_column_without_index(
    shop: Shop, connector: PostgresConnector
) -> None:
    await shop.admin.execute("DROP INDEX orders_customer_id")
    assert await connector.check() == [
        "shop.orders (orders): customer_id (reached through customers) has no index leading with it"
    ]


async def test_check_accepts_text_columns_of_a_bounded_length(
    shop: Shop, connector: PostgresConnector
) -> None:
    """varchar(n) is text to the connector: an identity column and a masked column of that
    type fit the map (format_type names them `character varying(n)`)."""
    await shop.admin.execute(
        "ALTER TABLE customers ALTER email TYPE varchar(254), ALTER full_name TYPE varchar(100)"
    )
    collected = await connector.collect({Identity.EMAIL: [SUBJECT_EMAIL]})
    assert collected.counts == {"customers": 1, "orders": 2}
    assert await connector.check() == []


async def test_check_finds_a_missing_column_a_collection_is_reached_through(shop: Shop) -> None:
    """orders are reached through customers' `number`, which customers lack: collect would
    fail on it, so check names it."""
    document = map_document()
    document["systems"]["shop"]["collections"]["orders"]["through"]["references"] = "number"
    async with connected(shop.url, system_of(document)) as connector:
        findings = await connector.check()
        with pytest.raises(SystemRefused, match="number"):
            await connector.collect({Identity.EMAIL: [SUBJECT_EMAIL]})
    assert len(findings) == 1, findings
    assert "customers" in findings[0]
    assert "'number'" in findings[0]


async def test_check_finds_the_rights_the_role_lacks(shop: Shop) -> None:
    grants = [
        "GRANT SELECT ON customers, orders TO {role}",
        "GRANT UPDATE (email, full_name, restricted) ON customers TO {role}",  # not phone
        "GRANT UPDATE (address, total, restricted) ON orders TO {role}",
        # no DELETE on orders
    ]
    url = await shop.make_role("ro", grants)
    async with connected(url) as connector:
        assert await connector.check() == [
            "shop.customers (customers): the connector's role may not UPDATE phone",
            "shop.orders (orders): the connector's role may not DELETE",
        ]


async def test_check_finds_a_role_that_may_not_select(shop: Shop) -> None:
    url = await shop.make_role("none", [])
    async with connected(url) as connector:
        findings = await connector.check()
    assert "shop.customers (customers): the connector's role may not SELECT" in findings
    assert "shop.orders (orders): the connector's role may not SELECT" in findings
    assert "shop.orders (orders): the connector's role may not DELETE" in findings


# Failures ----------------------------------------------------------------------------------


async def test_a_closed_port_is_unavailable(shop: Shop) -> None:
    url = f"postgresql://nobody@127.0.0.1:{_closed_port()}/conn_absent"
    async with connected(url) as connector:
        with pytest.raises(SystemUnavailable, match=r"^shop: cannot be reached"):
            await connector.collect({Identity.EMAIL: [SUBJECT_EMAIL]})
        findings = await connector.check()
    assert len(findings) == 1
    assert findings[0].startswith("shop: cannot be reached")


async def test_a_role_without_select_is_refused_on_collect(shop: Shop) -> None:
    url = await shop.make_role("noselect", [])
    async with connected(url) as connector:
        with pytest.raises(SystemRefused) as raised:
            await connector.collect({Identity.EMAIL: [SUBJECT_EMAIL]})
    message = str(raised.value)
    assert message.startswith("shop: InsufficientPrivilegeError")
    assert SUBJECT_EMAIL not in message
