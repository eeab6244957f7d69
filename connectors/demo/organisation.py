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

import asyncio
import json
import re
import secrets
from collections.abc import AsyncIterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import asyncpg
import yaml

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
        rows = await _fill(first, second, customers)
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


# The fill -----------------------------------------------------------------------------

# Value functions, temporary (each connection's own, gone when it closes) and inlined by
# the planner into the INSERTs that call them.
_FUNCTIONS = """
CREATE FUNCTION pg_temp.pick(id bigint, seed bigint, n integer) RETURNS integer
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (abs(hashint8extended(id, seed) % n))::integer $$;

CREATE FUNCTION pg_temp.email_of(customer bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT CASE WHEN customer = 42 THEN 'hanako@example.jp'
                      ELSE 'customer' || customer || '@example.com' END $$;

CREATE FUNCTION pg_temp.address_of(place bigint) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT (1 + pg_temp.pick(place, 101, 6)) || '-' || (1 + pg_temp.pick(place, 102, 30))
                 || '-' || (1 + pg_temp.pick(place, 103, 20)) || ' ' ||
                 (ARRAY['Jingumae, Shibuya-ku, Tokyo 150-0001',
                        'Ebisu, Shibuya-ku, Tokyo 150-0013',
                        'Nishi-Shinjuku, Shinjuku-ku, Tokyo 160-0023',
                        'Roppongi, Minato-ku, Tokyo 106-0032',
                        'Kichijoji Honcho, Musashino-shi, Tokyo 180-0004',
                        'Minatomirai, Nishi-ku, Yokohama 220-0012',
                        'Umeda, Kita-ku, Osaka 530-0001',
                        'Sakae, Naka-ku, Nagoya 460-0008',
                        'Tenjin, Chuo-ku, Fukuoka 810-0001',
                        'Kita 5-jo Nishi, Chuo-ku, Sapporo 060-0005',
                        'Karasuma, Shimogyo-ku, Kyoto 600-8008',
                        'Ichibancho, Aoba-ku, Sendai 980-0811'])[1 + pg_temp.pick(place, 104, 12)]
       $$;
"""

_CUSTOMERS = """
INSERT INTO customers (id, account_id, customer_number, full_name, email, phone, address,
                       date_of_birth, created_at)
SELECT id,
       'user-' || id,
       'C-' || lpad(id::text, greatest(7, length(id::text)), '0'),
       (ARRAY['Hanako', 'Taro', 'Yui', 'Haruto', 'Sakura', 'Ren', 'Aoi', 'Sota', 'Mei',
              'Yuto', 'Hina', 'Riku', 'Emi', 'Kenji', 'Akiko', 'Hiroshi', 'Yoko', 'Daiki',
              'Naomi', 'Takumi'])[1 + pg_temp.pick(id, 1, 20)]
       || ' ' ||
       (ARRAY['Sato', 'Suzuki', 'Takahashi', 'Tanaka', 'Watanabe', 'Ito', 'Yamamoto',
              'Nakamura', 'Kobayashi', 'Kato', 'Yoshida', 'Yamada', 'Sasaki', 'Yamaguchi',
              'Matsumoto', 'Inoue', 'Kimura', 'Hayashi', 'Shimizu', 'Mori'])
              [1 + pg_temp.pick(id, 2, 20)],
       pg_temp.email_of(id),
       CASE WHEN pg_temp.pick(id, 3, 10) > 0
            THEN '+81 ' || (ARRAY['70', '80', '90'])[1 + pg_temp.pick(id, 4, 3)]
                 || '-' || lpad(pg_temp.pick(id, 5, 10000)::text, 4, '0')
                 || '-' || lpad(pg_temp.pick(id, 6, 10000)::text, 4, '0') END,
       pg_temp.address_of(id),
       date '1940-01-01' + pg_temp.pick(id, 7, 24000),
       timestamptz '2016-04-01 00:00:00+09' + make_interval(secs => pg_temp.pick(id, 8, 290000000))
  FROM generate_series(1, $1::bigint) AS id
"""

# The same person as examples/inventory.json's user-42.
_HANAKO = """
UPDATE customers
   SET full_name = 'Hanako Yamada', email = 'hanako@example.jp', phone = '+81 90-1234-5678',
       address = '1-2-3 Jingumae, Shibuya-ku, Tokyo 150-0001', date_of_birth = date '1988-04-12',
       created_at = timestamptz '2019-03-01 10:00:00+09'
 WHERE id = 42
"""

# Contracts 2c-1 and 2c are customer c's: one, or two (a first one ended, a move or a
# change of plan, and the one running since the day after).
_CONTRACTS = """
INSERT INTO contracts (id, customer_id, plan, supply_address, started_on, ended_on)
SELECT c * 2 - 1 + k,
       c,
       (ARRAY['Standard Electricity', 'Green Electricity 100', 'City Gas',
              'Electricity and Gas Set', 'Night Saver'])[1 + pg_temp.pick(c * 2 - 1 + k, 21, 5)],
       CASE WHEN k = n - 1 THEN pg_temp.address_of(c) ELSE pg_temp.address_of(-c) END,
       CASE WHEN k = 0 THEN started ELSE started + span + 1 END,
       CASE WHEN k = 0 AND n = 2 THEN started + span END
  FROM (SELECT c,
               CASE WHEN c = 42 THEN 2 ELSE 1 + pg_temp.pick(c, 20, 2) END AS n,
               date '2016-04-01' + pg_temp.pick(c, 22, 2500) AS started,
               180 + pg_temp.pick(c, 23, 900) AS span
          FROM generate_series(1, $1::bigint) AS c) AS customer
 CROSS JOIN LATERAL generate_series(0, n - 1) AS k
"""

# Payments 4p-3 .. 4p are contract p's: one to four (customer 42's contracts 83 and 84:
# three and two), by card or by direct debit.
_PAYMENTS = """
INSERT INTO payments (id, contract_id, paid_on, amount_yen, card_last4, bank_account)
SELECT p.id * 4 - 3 + j,
       p.id,
       p.started_on + 30 * (j + 1),
       2000 + 10 * pg_temp.pick(p.id * 4 - 3 + j, 31, 1500),
       CASE WHEN by_card THEN lpad(pg_temp.pick(p.id, 33, 10000)::text, 4, '0') END,
       CASE WHEN NOT by_card
            THEN (ARRAY['MUFG Bank', 'Mizuho Bank', 'SMBC', 'Resona Bank', 'Japan Post Bank'])
                     [1 + pg_temp.pick(p.id, 34, 5)]
                 || ', ' || (ARRAY['Shibuya', 'Shinjuku', 'Umeda', 'Sakae', 'Tenjin'])
                     [1 + pg_temp.pick(p.id, 35, 5)]
                 || ' branch (' || lpad((100 + pg_temp.pick(p.id, 36, 900))::text, 3, '0')
                 || '), ordinary ' || lpad(pg_temp.pick(p.id, 37, 10000000)::text, 7, '0')
       END
  FROM (SELECT id, started_on,
               CASE id WHEN 83 THEN 3 WHEN 84 THEN 2 ELSE 1 + pg_temp.pick(id, 30, 4) END AS m,
               pg_temp.pick(id, 32, 2) = 0 AS by_card
          FROM contracts) AS p
 CROSS JOIN LATERAL generate_series(0, m - 1) AS j
"""

_HANAKO_CONTRACTS = """
UPDATE contracts SET supply_address = '1-2-3 Jingumae, Shibuya-ku, Tokyo 150-0001' WHERE id = 84;
UPDATE payments
   SET card_last4 = NULL, bank_account = 'MUFG Bank, Shibuya branch (135), ordinary 1234567'
 WHERE contract_id IN (83, 84)
"""

# Consents 2c-1 and 2c are customer c's: none, one or two channels.
_CONSENTS = """
INSERT INTO marketing_consents (id, customer_id, channel, granted_at, withdrawn_at)
SELECT c * 2 - 1 + k,
       c,
       (ARRAY['email', 'sms', 'post'])[1 + (pg_temp.pick(c, 41, 3) + k) % 3],
       granted + make_interval(days => 40 * k),
       CASE WHEN pg_temp.pick(c * 2 - 1 + k, 43, 5) = 0
            THEN granted + make_interval(days => 40 * k + 1 + pg_temp.pick(c * 2 - 1 + k, 44, 900))
       END
  FROM (SELECT c,
               CASE WHEN c = 42 THEN 2 ELSE pg_temp.pick(c, 40, 3) END AS n,
               timestamptz '2016-04-01 00:00:00+09'
                 + make_interval(secs => pg_temp.pick(c, 42, 280000000)) AS granted
          FROM generate_series(1, $1::bigint) AS c) AS customer
 CROSS JOIN LATERAL generate_series(0, n - 1) AS k
"""

# Login events 5c-4 .. 5c are customer c's: none to five.
_LOGINS = """
INSERT INTO login_events (id, customer_id, at, ip_address, user_agent)
SELECT e,
       c,
       timestamptz '2025-01-01 00:00:00+09' + make_interval(secs => pg_temp.pick(e, 51, 60000000)),
       (ARRAY['203.0.113.', '198.51.100.', '192.0.2.'])[1 + pg_temp.pick(e, 52, 3)]
         || (1 + pg_temp.pick(e, 53, 254)),
       (ARRAY['Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) Safari/604.1',
              'Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36',
              'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) Safari/605.1.15',
              'Mozilla/5.0 (Linux; Android 15; Pixel 9) Chrome/131.0 Mobile Safari/537.36',
              'Sesenergy/4.2 (Android 14)'])[1 + pg_temp.pick(e, 54, 5)]
  FROM (SELECT c, (c - 1) * 5 + k + 1 AS e
          FROM generate_series(1, $1::bigint) AS c
         CROSS JOIN LATERAL generate_series(
                 0, CASE WHEN c = 42 THEN 3 ELSE pg_temp.pick(c, 50, 6) END - 1) AS k) AS login
"""

# Page views 2c-1 and 2c are by customer c's e-mail address: none, one or two.
_WEB = """
INSERT INTO web_analytics (id, visitor_email, page, viewed_at)
SELECT v,
       pg_temp.email_of(c),
       (ARRAY['/', '/plans', '/plans/green-electricity', '/plans/electricity-and-gas',
              '/simulator', '/campaigns/spring', '/support/moving', '/support/faq'])
              [1 + pg_temp.pick(v, 61, 8)],
       timestamptz '2025-01-01 00:00:00+09' + make_interval(secs => pg_temp.pick(v, 62, 60000000))
  FROM (SELECT c, (c - 1) * 2 + k + 1 AS v
          FROM generate_series(1, $1::bigint) AS c
         CROSS JOIN LATERAL generate_series(
                 0, CASE WHEN c = 42 THEN 2 ELSE pg_temp.pick(c, 60, 3) END - 1) AS k) AS page_view
"""


async def _fill(
    first: asyncpg.Connection, second: asyncpg.Connection, customers: int
) -> dict[str, int]:
    """Load every table, the work split evenly over two connections (an INSERT runs on one
    core; two at once use two). Returns the rows per table."""
    rows: dict[str, int] = {}

    async def run(connection: asyncpg.Connection, steps: Sequence[tuple[str, str, bool]]) -> None:
        await connection.execute(_FUNCTIONS)
        for table, statement, counted in steps:
            status = await (
                connection.execute(statement, customers)
                if "$1" in statement
                else connection.execute(statement)
            )
            if counted:
                rows[table] = int(status.rsplit(" ", 1)[1])

    # A task group: should one load fail, the other is cancelled, not left running.
    async with asyncio.TaskGroup() as group:
        group.create_task(
            run(
                first,
                [
                    ("contracts", _CONTRACTS, True),
                    ("payments", _PAYMENTS, True),
                    ("payments", _HANAKO_CONTRACTS, False),
                ],
            )
        )
        group.create_task(
            run(
                second,
                [
                    ("customers", _CUSTOMERS, True),
                    ("customers", _HANAKO, False),
                    ("marketing_consents", _CONSENTS, True),
                    ("login_events", _LOGINS, True),
                    ("web_analytics", _WEB, True),
                ],
            )
        )
    return {table: rows[table] for table in TABLES}
