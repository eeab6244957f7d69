"""Sesenergy's customer database, built on a PostgreSQL server, and its data map.

`create_demo_database` makes the database from `organisation.sql`, fills it with made-up
customers (customer 42 is always Hanako Yamada, the person of examples/inventory.json,
with the rows `HANAKO_ROWS` counts), and creates the login role the service's PostgreSQL
connector uses, with no more rights than the demo map's actions need: the grants are
derived from the map (`connector_grants`), so the map and the rights cannot drift apart.

The fill is set-based: one INSERT ... SELECT over generate_series per table, every value
a function of the row's id through `hashint8extended` (the hash PostgreSQL's hash
partitioning uses, so stable across versions and machines): the same size gives the same
rows, and a million customers (about ten million rows) load in minutes, not hours. The
tables are loaded bare, on two connections at once, and their keys, references and
indexes built afterwards.

`write_demo_map` writes the data map (`datastores.yaml`, a template) naming the files
that hold each connection's secret; the map itself never holds a URL or a token.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import yaml

from connectors.demo.fill import fill
from connectors.postgres_schema import deletes_rows, quoted, written_columns
from domain.datamap import DataMap, System

DATABASE_SYSTEM = "customer-db"
"""The demo map's system for the database this module builds."""

SUPPORT_DESK_SYSTEM = "support-desk"

HANAKO_ID = 42
HANAKO_SUBJECT = "user-42"
HANAKO_EMAIL = "hanako@example.jp"
HANAKO_ROWS = {
    "customers": 1,
    "contracts": 2,
    "payments": 5,
    "marketing_consents": 2,
    "login_events": 3,
    "web_analytics": 2,
}
"""Customer 42's rows per table, the same in every build: what a test may count on."""

TABLES = tuple(HANAKO_ROWS)

_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,58}$")
_AFTER_THE_LOAD = re.compile(r"^-- after the load$", re.MULTILINE)
_PLACEHOLDER = re.compile(r'"\{([a-z_]+)\}"')


@dataclass(frozen=True)
class DemoDatabase:
    """A built demo database: the connector role's URL to it, and its rows per table."""

    url: str
    rows: dict[str, int]

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# The data map -------------------------------------------------------------------------


def _template() -> str:
    return files("connectors.demo").joinpath("datastores.yaml").read_text(encoding="utf-8")


def template_map() -> DataMap:
    """The demo map as its template stands, placeholders unfilled: enough for what does
    not read a secret (the grants, a check of its shape)."""
    return DataMap.model_validate(yaml.safe_load(_template()))


def demo_map_text(
    *, database_url_file: Path, support_desk_url_file: Path, support_desk_token_file: Path
) -> str:
    """The demo map's YAML with each placeholder replaced by its secret file's path.

    The paths are made absolute (the worker may run elsewhere) but not resolved: a mounted
    secret is often a symbolic link that is re-pointed when the secret is rotated. Each is
    written as a JSON string, which is a YAML double-quoted scalar, so any path survives.
    """
    paths = {
        "database_url_file": database_url_file,
        "support_desk_url_file": support_desk_url_file,
        "support_desk_token_file": support_desk_token_file,
    }

    def fill(match: re.Match[str]) -> str:
        try:
            return json.dumps(str(paths[match[1]].absolute()))
        except KeyError:
            raise ValueError(
                f"the demo map's template has an unknown placeholder {match[0]}"
            ) from None

    return _PLACEHOLDER.sub(fill, _template())


def demo_map(
    *, database_url_file: Path, support_desk_url_file: Path, support_desk_token_file: Path
) -> DataMap:
    """The demo map with its secret files' paths filled in, validated."""
    text = demo_map_text(
        database_url_file=database_url_file,
        support_desk_url_file=support_desk_url_file,
        support_desk_token_file=support_desk_token_file,
    )
    return DataMap.model_validate(yaml.safe_load(text))


def write_demo_map(
    path: Path,
    *,
    database_url_file: Path,
    support_desk_url_file: Path,
    support_desk_token_file: Path,
) -> None:
    """Write the demo map to `path`, naming the files that hold the database's URL, the
    support desk's URL and its Authorization header's value. The files themselves are the
    caller's to write (the database's URL is `DemoDatabase.url`)."""
    text = demo_map_text(
        database_url_file=database_url_file,
        support_desk_url_file=support_desk_url_file,
        support_desk_token_file=support_desk_token_file,
    )
    DataMap.model_validate(yaml.safe_load(text))  # never write a map the service rejects
    path.write_text(text, encoding="utf-8")


def connector_grants(system: System, role: str) -> list[str]:
    """The GRANT statements that give `role` what the connector needs for `system`, no more:
    SELECT on each mapped table; UPDATE on the columns a request may write (erased by
    set_null or mask, corrected, and the suspension flag); DELETE on the tables a field of
    which is erased by delete_row. The PostgreSQL connector's `check` expects exactly these.
    """
    grantee = quoted(role)
    statements = []
    for name, collection in system.collections.items():
        table = quoted(collection.table_of(name))
        statements.append(f"GRANT SELECT ON {table} TO {grantee}")
        written = written_columns(collection)
        if written:
            columns = ", ".join(quoted(column) for column in sorted(written))
            statements.append(f"GRANT UPDATE ({columns}) ON {table} TO {grantee}")
        if deletes_rows(collection):
            statements.append(f"GRANT DELETE ON {table} TO {grantee}")
    return statements


# The database -------------------------------------------------------------------------


def connector_role(database: str) -> str:
    """The login role the service's connector uses for the demo database."""
    return f"{database}_dsr"


async def create_demo_database(
    server_url: str, *, database: str = "sesenergy", customers: int = 200
) -> DemoDatabase:
    """Build the demo database `database` on the server `server_url` names (a superuser's
    URL), replacing one of that name, with `customers` customers (at least 42, so Hanako
    Yamada is among them) and about ten rows per customer in all; create or reset the
    connector's role. Returns the role's URL to the database and the rows per table."""
    _check_name(database)
    if customers < HANAKO_ID:
        raise ValueError(f"the demo needs at least {HANAKO_ID} customers (Hanako is number 42)")
    role = connector_role(database)
    password = secrets.token_hex(24)
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {quoted(database)} WITH (FORCE)")
        await admin.execute(f"CREATE DATABASE {quoted(database)}")
        await _login_role(admin, role, password)
    finally:
        await admin.close()

    owner_url = _url(server_url, database)
    schema = files("connectors.demo").joinpath("organisation.sql").read_text(encoding="utf-8")
    tables, after_the_load = _AFTER_THE_LOAD.split(schema, maxsplit=1)
    async with AsyncExitStack() as stack:
        first = await stack.enter_async_context(_connected(owner_url))
        second = await stack.enter_async_context(_connected(owner_url))
        await first.execute(tables)
        loaded = await fill(first, second, customers)
        rows = {table: loaded[table] for table in TABLES}
        # Index builds sort: give them room (this session's setting only).
        await first.execute("SET maintenance_work_mem = '512MB'")
        await first.execute(after_the_load)
        await first.execute("ANALYZE")
        await first.execute(f"REVOKE CONNECT, TEMPORARY ON DATABASE {quoted(database)} FROM PUBLIC")
        await first.execute(f"GRANT CONNECT ON DATABASE {quoted(database)} TO {quoted(role)}")
        for statement in connector_grants(template_map().system(DATABASE_SYSTEM), role):
            await first.execute(statement)
    return DemoDatabase(url=_url(server_url, database, user=role, password=password), rows=rows)


@asynccontextmanager
async def _connected(url: str) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(url)
    try:
        yield connection
    finally:
        await connection.close()


async def drop_demo_database(server_url: str, *, database: str = "sesenergy") -> None:
    """Drop the demo database and its connector role, if they exist."""
    _check_name(database)
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {quoted(database)} WITH (FORCE)")
        await admin.execute(f"DROP ROLE IF EXISTS {quoted(connector_role(database))}")
    finally:
        await admin.close()


def _check_name(database: str) -> None:
    # Lower case, so the name needs no quoting in a psql session; short enough that the
    # role's name (`<database>_dsr`) stays within PostgreSQL's 63 bytes.
    if not _DATABASE_NAME.fullmatch(database):
        raise ValueError(f"{database!r} is not a demo database name ({_DATABASE_NAME.pattern})")


async def _login_role(admin: asyncpg.Connection, role: str, password: str) -> None:
    """Create the role, or reset it: a login, no power of its own, a new password."""
    exists = await admin.fetchval("SELECT true FROM pg_roles WHERE rolname = $1", role)
    verb = "ALTER" if exists else "CREATE"
    # Utility statements take no parameters; the password is hex, quoted all the same.
    await admin.execute(
        f"{verb} ROLE {quoted(role)} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"
        f" NOREPLICATION NOBYPASSRLS PASSWORD {_literal(password)}"
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _url(server_url: str, database: str, *, user: str | None = None, password: str = "") -> str:
    """The server's URL for another database, and another user if one is given; the host,
    the port and the query (sslmode, a socket's directory) stay as they were."""
    parts = urlsplit(server_url)
    netloc = parts.netloc
    if user is not None:
        login = quote(user, safe="") + (":" + quote(password, safe="") if password else "")
        netloc = f"{login}@{netloc.rpartition('@')[2]}"
    return urlunsplit(parts._replace(netloc=netloc, path="/" + quote(database, safe="")))
