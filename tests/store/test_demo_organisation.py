"""The demo organisation's customer database (connectors/demo/organisation.py) and its data
map: built on a real PostgreSQL server, the same rows in every build, and a connector role
with the rights the map's actions need and none besides."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib.resources import files
from pathlib import Path

import asyncpg
import pytest

from connectors.datamap_file import read_data_map, secret_of
from connectors.demo.organisation import (
    DATABASE_SYSTEM,
    HANAKO_EMAIL,
    HANAKO_ID,
    HANAKO_ROWS,
    HANAKO_SUBJECT,
    SUPPORT_DESK_SYSTEM,
    TABLES,
    DemoDatabase,
    connector_grants,
    connector_role,
    create_demo_database,
    drop_demo_database,
    template_map,
    write_demo_map,
)
from connectors.postgres import PostgresConnector
from domain.datamap import Erasure, Identity, Suspension
from domain.holdings import within_purpose
from store.privileges import with_database

CUSTOMERS = 500

# Customer 42's rows, table by table, found as the organisation's own queries find them.
HANAKO_QUERIES = {
    "customers": "SELECT count(*) FROM customers WHERE account_id = $1",
    "contracts": """SELECT count(*) FROM contracts ct JOIN customers c ON c.id = ct.customer_id
                     WHERE c.account_id = $1""",
    "payments": """SELECT count(*) FROM payments p JOIN contracts ct ON ct.id = p.contract_id
                     JOIN customers c ON c.id = ct.customer_id WHERE c.account_id = $1""",
    "marketing_consents": """SELECT count(*) FROM marketing_consents m
                              JOIN customers c ON c.id = m.customer_id WHERE c.account_id = $1""",
    "login_events": """SELECT count(*) FROM login_events l
                        JOIN customers c ON c.id = l.customer_id WHERE c.account_id = $1""",
    "web_analytics": """SELECT count(*) FROM web_analytics w
                         JOIN customers c ON c.email = w.visitor_email WHERE c.account_id = $1""",
}


@pytest.fixture(scope="module")
async def demo_name(postgres_server: str) -> AsyncIterator[str]:
    name = f"sesenergy_{uuid.uuid4().hex[:12]}"
    yield name
    await drop_demo_database(postgres_server, database=name)


@pytest.fixture(scope="module")
async def demo(postgres_server: str, demo_name: str) -> DemoDatabase:
    return await create_demo_database(postgres_server, database=demo_name, customers=CUSTOMERS)


@pytest.fixture(scope="module")
async def superuser(
    postgres_server: str, demo_name: str, demo: DemoDatabase
) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(with_database(postgres_server, demo_name))
    yield connection
    await connection.close()


@pytest.fixture
async def as_connector(demo: DemoDatabase) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(demo.url)
    yield connection
    await connection.close()


# The map ------------------------------------------------------------------------------


def test_the_template_validates_as_a_data_map() -> None:
    template = Path(str(files("connectors.demo").joinpath("datastores.yaml")))
    data_map = read_data_map(template)
    assert set(data_map.systems) == {DATABASE_SYSTEM, SUPPORT_DESK_SYSTEM}
    assert set(data_map.system(DATABASE_SYSTEM).collections) == set(TABLES)
    desk = data_map.system(SUPPORT_DESK_SYSTEM)
    # The support desk service is built to these names: they may not drift.
    assert {name: set(c.fields) for name, c in desk.collections.items()} == {
        "tickets": {"subject", "body", "contact_email"},
        "chat_transcripts": {"transcript"},
    }


def test_only_the_web_analytics_are_used_beyond_article_3s_purposes() -> None:
    database = template_map().system(DATABASE_SYSTEM)
    beyond = {
        (name, field)
        for name, collection in database.collections.items()
        for field, rule in collection.fields.items()
        if not all(within_purpose(purpose) for purpose in rule.purposes)
    }
    assert ("web_analytics", "page") in beyond
    assert {name for name, _ in beyond} == {"web_analytics"}


def test_every_field_of_a_flagged_collection_is_flagged_or_refused_with_a_reason() -> None:
    for system in template_map().systems.values():
        for collection in system.collections.values():
            for rule in collection.fields.values():
                if rule.suspension is Suspension.REFUSE:
                    assert rule.reason
                elif system.kind.value == "postgres":
                    assert collection.suspension_flag is not None


def test_records_kept_under_the_tax_law_refuse_an_erasure() -> None:
    payments = template_map().system(DATABASE_SYSTEM).collections["payments"].fields
    for field in ("paid_on", "amount_yen"):
        assert payments[field].erasure is Erasure.REFUSE
        assert "7 years" in (payments[field].reason or "")


def test_the_grants_follow_the_map() -> None:
    grants = connector_grants(template_map().system(DATABASE_SYSTEM), "r")
    assert 'GRANT DELETE ON "login_events" TO "r"' in grants
    assert 'GRANT DELETE ON "web_analytics" TO "r"' in grants
    assert not any(g.startswith('GRANT DELETE ON "customers"') for g in grants)
    update = next(g for g in grants if g.startswith("GRANT UPDATE") and '"customers"' in g)
    assert '"processing_restricted"' in update and '"created_at"' not in update


def test_the_written_map_names_secret_files_and_holds_no_secret(tmp_path: Path) -> None:
    database_url_file = tmp_path / "secrets" / "database-url"
    desk_url_file = tmp_path / "secrets" / "desk url with spaces"
    desk_token_file = tmp_path / "secrets" / 'desk "token"'
    database_url_file.parent.mkdir()
    database_url_file.write_text("postgresql://someone:pw@db.example:5432/sesenergy\n")
    desk_token_file.write_text("Bearer s3cret\n")
    written = tmp_path / "datastores.yaml"

    write_demo_map(
        written,
        database_url_file=database_url_file,
        support_desk_url_file=desk_url_file,
        support_desk_token_file=desk_token_file,
    )

    text = written.read_text()
    assert "://" not in text and "s3cret" not in text and "{database_url_file}" not in text
    data_map = read_data_map(written)
    database = data_map.system(DATABASE_SYSTEM)
    desk = data_map.system(SUPPORT_DESK_SYSTEM)
    assert database.connection is not None and database.connection.env is None
    assert database.connection.secret_file == str(database_url_file)
    assert desk.connection is not None and desk.connection.secret_file == str(desk_url_file)
    assert desk.auth is not None and desk.auth.secret_file == str(desk_token_file)
    assert secret_of(database.connection).startswith("postgresql://someone:")
    assert secret_of(desk.auth) == "Bearer s3cret"


# The database -------------------------------------------------------------------------


async def test_the_rows_returned_are_the_tables_rows(
    demo: DemoDatabase, superuser: asyncpg.Connection
) -> None:
    assert set(demo.rows) == set(TABLES)
    for table in TABLES:
        assert demo.rows[table] == await superuser.fetchval(f'SELECT count(*) FROM "{table}"')
    assert demo.rows["customers"] == CUSTOMERS
    # About ten rows a customer in all.
    assert 9 * CUSTOMERS <= demo.total_rows <= 12 * CUSTOMERS


async def test_hanako_has_the_same_rows_in_every_build(superuser: asyncpg.Connection) -> None:
    hanako = await superuser.fetchrow("SELECT * FROM customers WHERE id = $1", HANAKO_ID)
    assert hanako is not None
    assert (hanako["account_id"], hanako["customer_number"], hanako["full_name"]) == (
        HANAKO_SUBJECT,
        "C-0000042",
        "Hanako Yamada",
    )
    assert hanako["email"] == HANAKO_EMAIL
    assert hanako["phone"] == "+81 90-1234-5678"
    assert hanako["address"] == "1-2-3 Jingumae, Shibuya-ku, Tokyo 150-0001"
    assert str(hanako["date_of_birth"]) == "1988-04-12"
    counts = {
        table: await superuser.fetchval(query, HANAKO_SUBJECT)
        for table, query in HANAKO_QUERIES.items()
    }
    assert counts == HANAKO_ROWS
    other = await superuser.fetchrow("SELECT account_id, email FROM customers WHERE id = 7")
    assert other is not None and tuple(other) == ("user-7", "customer7@example.com")


async def test_the_same_size_builds_the_same_rows(postgres_server: str) -> None:
    name = f"sesenergy_{uuid.uuid4().hex[:12]}"
    digests = []
    try:
        for _ in range(2):
            await create_demo_database(postgres_server, database=name, customers=60)
            connection = await asyncpg.connect(with_database(postgres_server, name))
            try:
                digests.append(
                    [
                        await connection.fetchval(
                            f"SELECT md5(string_agg(t::text, ',' ORDER BY id)) FROM \"{table}\" t"
                        )
                        for table in TABLES
                    ]
                )
            finally:
                await connection.close()
    finally:
        await drop_demo_database(postgres_server, database=name)
    assert digests[0] == digests[1]


async def test_too_few_customers_or_a_strange_name_is_refused(postgres_server: str) -> None:
    with pytest.raises(ValueError, match="at least 42"):
        await create_demo_database(postgres_server, database="sesenergy_small", customers=41)
    with pytest.raises(ValueError, match="not a demo database name"):
        await create_demo_database(postgres_server, database='x"; DROP', customers=100)


# The connector's role -----------------------------------------------------------------


async def _rolled_back(connection: asyncpg.Connection, statement: str) -> str:
    """Run a statement and undo it, so the module's tests share an unchanged database."""
    transaction = connection.transaction()
    await transaction.start()
    try:
        return await connection.execute(statement)
    finally:
        await transaction.rollback()


def _refused(
    connection: asyncpg.Connection,
) -> Callable[[str], Awaitable[None]]:
    async def attempt(statement: str) -> None:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await _rolled_back(connection, statement)

    return attempt


async def test_the_role_reads_and_writes_the_mapped_columns(
    demo: DemoDatabase, demo_name: str, as_connector: asyncpg.Connection
) -> None:
    assert await as_connector.fetchval("SELECT current_user") == connector_role(demo_name)
    assert await as_connector.fetchval("SELECT count(*) FROM payments") == demo.rows["payments"]
    for statement in (
        "UPDATE customers SET full_name = '[erased]', phone = NULL WHERE id = 42",
        "UPDATE customers SET processing_restricted = true WHERE id = 42",
        "UPDATE payments SET bank_account = NULL WHERE contract_id = 84",
        "UPDATE contracts SET processing_restricted = true WHERE customer_id = 42",
        "DELETE FROM login_events WHERE customer_id = 42",
        "DELETE FROM web_analytics WHERE visitor_email = 'hanako@example.jp'",
    ):
        assert (await _rolled_back(as_connector, statement)).split()[-1] != "0", statement


async def test_the_role_may_do_nothing_the_map_does_not_need(
    as_connector: asyncpg.Connection,
) -> None:
    refused = _refused(as_connector)
    await refused("UPDATE customers SET created_at = now() WHERE id = 42")  # not mapped
    await refused("UPDATE customers SET account_id = 'user-9999' WHERE id = 42")  # refuses
    await refused("UPDATE payments SET amount_yen = 0 WHERE contract_id = 84")  # kept by law
    await refused("DELETE FROM customers WHERE id = 42")  # no field erased by delete_row
    await refused("DELETE FROM payments WHERE contract_id = 84")
    await refused(
        "INSERT INTO web_analytics (visitor_email, page, viewed_at) VALUES ('a', 'b', now())"
    )
    await refused("CREATE TABLE public.stolen (x text)")
    await refused("CREATE TEMPORARY TABLE stolen (x text)")


async def test_the_postgres_connector_finds_the_map_fits(demo: DemoDatabase) -> None:
    system = template_map().system(DATABASE_SYSTEM)
    connector = PostgresConnector(DATABASE_SYSTEM, system, url=demo.url)
    try:
        assert await connector.check() == []
        collected = await connector.collect(
            {Identity.SUBJECT_ID: [HANAKO_SUBJECT], Identity.EMAIL: [HANAKO_EMAIL]}
        )
    finally:
        await connector.close()
    assert dict(collected.counts) == HANAKO_ROWS
