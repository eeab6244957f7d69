"""Sesenergy's support desk: the demo's HTTP system, a small service of its own.

It stands in for a SaaS support desk so the HTTP connector (connectors/http.py) has a real
system to find, erase, suspend and correct a subject's records in, over the same wire
contract a real service would offer. Its records live in PostgreSQL, in the schema
`support_desk` of the database it is given (the demo's organisation database), so a test
or the demo can look behind the API and see that exactly the subject's rows changed.

- `GET /subjects/{email}`: the subject's tickets and chat transcripts, found by their
  contact e-mail; 404 when there are none.
- `POST /subjects/{email}/erase|suspend|correct`: a list of changes, made in one
  transaction, each only to a row of that subject (a key of anyone else's row is skipped),
  each a no-op when already made; answered with how many rows changed.

Every request carries `Authorization: Bearer <token>` (401 otherwise). Collections and
fields are checked against a fixed allow-list, and the SQL is chosen from statements
written here: nothing a request sends is put into SQL text, its values are parameters.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import socket
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

import asyncpg
import uvicorn
from asyncpg.pool import PoolConnectionProxy
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from domain.datamap import MASK_TEXT

SCHEMA = "support_desk"
HANAKO_ID = 42
HANAKO_EMAIL = "hanako@example.jp"

Connection = asyncpg.Connection | PoolConnectionProxy

_SCHEMA_SQL = """
CREATE SCHEMA IF NOT EXISTS support_desk;
CREATE TABLE IF NOT EXISTS support_desk.tickets (
    id            text PRIMARY KEY,
    contact_email text,
    subject       text,
    body          text,
    opened_at     timestamptz,
    restricted    boolean NOT NULL DEFAULT false
);
CREATE TABLE IF NOT EXISTS support_desk.chat_transcripts (
    id            text PRIMARY KEY,
    contact_email text,
    transcript    text,
    at            timestamptz,
    restricted    boolean NOT NULL DEFAULT false
);
CREATE INDEX IF NOT EXISTS tickets_contact_email_idx
    ON support_desk.tickets (contact_email);
CREATE INDEX IF NOT EXISTS chat_transcripts_contact_email_idx
    ON support_desk.chat_transcripts (contact_email);
"""


async def create_support_desk_schema(connection: Connection) -> None:
    """The schema and its two tables; running it again changes nothing."""
    await connection.execute(_SCHEMA_SQL)


# Customer <id>'s e-mail address, as the organisation's demo database has it.
_EMAIL = f"""CASE WHEN c = {HANAKO_ID} THEN '{HANAKO_EMAIL}'
                  ELSE 'customer' || c || '@example.com' END"""

_SEED_TICKETS = f"""
INSERT INTO support_desk.tickets (id, contact_email, subject, body, opened_at)
SELECT 'T-' || lpad(c::text, 6, '0') || '-' || n,
       {_EMAIL},
       (ARRAY['Question about my bill', 'Meter reading', 'Moving house',
              'Change of tariff'])[1 + (c + n) % 4],
       CASE WHEN c = {HANAKO_ID} AND n = 1
            THEN 'Hello, this is Hanako Yamada. My bill for March looks too high; my '
                 'customer number is 42 and I can be reached at 090-1234-5678.'
            WHEN c = {HANAKO_ID}
            THEN 'Hello again, Hanako here: I am moving to 2-3-1 Marunouchi on 1 May.'
            ELSE 'Hello, this is customer ' || c || '. I have a question about ticket '
                 || n || '.' END,
       timestamptz '2024-01-01 09:00+00' + (c % 365) * interval '1 day'
                                         + n * interval '1 hour'
  FROM generate_series(1, $1::int) AS c,
       LATERAL generate_series(1, CASE WHEN c = {HANAKO_ID} THEN 2
                                       WHEN c % 10 = 0 THEN 2
                                       WHEN c % 10 = 1 THEN 1
                                       ELSE 0 END) AS n
ON CONFLICT (id) DO NOTHING
"""

_SEED_CHATS = f"""
INSERT INTO support_desk.chat_transcripts (id, contact_email, transcript, at)
SELECT 'C-' || lpad(c::text, 6, '0') || '-1',
       {_EMAIL},
       CASE WHEN c = {HANAKO_ID}
            THEN 'Hanako: Can I pay by card? Agent: Yes, in the customer portal.'
            ELSE 'Customer ' || c || ': When is my next reading? Agent: Next month.' END,
       timestamptz '2024-02-01 12:00+00' + (c % 300) * interval '1 day'
  FROM generate_series(1, $1::int) AS c
 WHERE c = {HANAKO_ID} OR c % 20 = 7
ON CONFLICT (id) DO NOTHING
"""


async def seed_support_desk(connection: Connection, customers: int) -> None:
    """The desk's records of customers 1..`customers`, in two set-based statements: about
    0.3 tickets and 0.05 chats per customer, and for customer 42 (hanako@example.jp)
    exactly two tickets and one chat. Seeding again adds nothing; a million customers
    take seconds."""
    async with connection.transaction():
        await connection.execute(_SEED_TICKETS, customers)
        await connection.execute(_SEED_CHATS, customers)
    await connection.execute("ANALYZE support_desk.tickets; ANALYZE support_desk.chat_transcripts")


# The allow-list: each collection's table and fields, and which fields a change may write.


@dataclass(frozen=True)
class _Table:
    table: str
    fields: tuple[str, ...]
    text_fields: frozenset[str]  # those a mask or a correction may write


_TABLES: Mapping[str, _Table] = {
    "tickets": _Table(
        "support_desk.tickets",
        ("contact_email", "subject", "body", "opened_at"),
        frozenset({"contact_email", "subject", "body"}),
    ),
    "chat_transcripts": _Table(
        "support_desk.chat_transcripts",
        ("contact_email", "transcript", "at"),
        frozenset({"contact_email", "transcript"}),
    ),
}


def _statements() -> dict[tuple[str, str, str | None], str]:
    """Every statement a change may run, by (collection, change, field), written from the
    allow-list above: $1 the row's key, $2 the value. Each changes a row only when it is
    not so already, so its row count is what it did."""
    statements: dict[tuple[str, str, str | None], str] = {}
    for name, spec in _TABLES.items():
        statements[(name, "delete_row", None)] = f"DELETE FROM {spec.table} WHERE id = $1"
        statements[(name, "flag", None)] = (
            f"UPDATE {spec.table} SET restricted = true WHERE id = $1 AND NOT restricted"
        )
        for field in spec.fields:
            statements[(name, "set_null", field)] = (
                f"UPDATE {spec.table} SET {field} = NULL WHERE id = $1 AND {field} IS NOT NULL"
            )
        for field in spec.text_fields:
            for change in ("mask", "update"):
                statements[(name, change, field)] = (
                    f"UPDATE {spec.table} SET {field} = $2"
                    f" WHERE id = $1 AND {field} IS DISTINCT FROM $2"
                )
    return statements


_STATEMENTS = _statements()


class ChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    collection: Literal["tickets", "chat_transcripts"]
    key: str = Field(min_length=1, max_length=100)
    change: Literal["set_null", "mask", "delete_row", "flag", "update"]
    field: str | None = Field(default=None, max_length=63)
    value: str | None = Field(default=None, max_length=10_000)


class ChangesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: list[ChangeIn] = Field(max_length=10_000)


def _statement(change: ChangeIn) -> tuple[str, list[Any]]:
    """The statement and parameters of one change; 422 naming the change's position's
    names (never its value) when the allow-list has no such change."""
    field = None if change.change in ("delete_row", "flag") else change.field
    statement = _STATEMENTS.get((change.collection, change.change, field))
    if statement is None or (field is None and change.field is not None):
        raise HTTPException(
            422, f"{change.change} on {change.collection}.{change.field} is not a change made here"
        )
    if change.change == "update" and change.value is None:
        raise HTTPException(422, "an update gives its value")
    if change.change == "mask":
        return statement, [change.key, MASK_TEXT]
    if change.change == "update":
        return statement, [change.key, change.value]
    return statement, [change.key]


def _row(collection: str, record: asyncpg.Record) -> dict[str, Any]:
    def wire(value: object) -> object:
        return value.isoformat() if isinstance(value, datetime) else value

    return {
        "key": record["id"],
        "fields": {field: wire(record[field]) for field in _TABLES[collection].fields},
        "restricted": record["restricted"],
    }


def _authorised(request: Request) -> None:
    given = request.headers.get("authorization", "").encode()
    if not secrets.compare_digest(given, request.app.state.authorization):
        raise HTTPException(401, "unauthorised", headers={"WWW-Authenticate": "Bearer"})


def _pool(request: Request) -> asyncpg.Pool:
    pool: asyncpg.Pool = request.app.state.pool
    return pool


# Module-level: FastAPI resolves the routes' annotations (strings here) in this module.
Authorised = Annotated[None, Depends(_authorised)]
Pool = Annotated[asyncpg.Pool, Depends(_pool)]


def support_desk_app(database_url: str, *, token: str) -> FastAPI:
    """The support desk's API over the database at `database_url` (its schema made by
    `create_support_desk_schema`); every request must carry `Bearer <token>`."""

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = await asyncpg.create_pool(
            database_url,
            min_size=1,
            max_size=8,
            command_timeout=30,
            server_settings={"application_name": "support-desk"},
        )
        app.state.pool = pool
        try:
            yield
        finally:
            await pool.close()

    app = FastAPI(
        title="Sesenergy support desk (demo)",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.authorization = f"Bearer {token}".encode()

    @app.exception_handler(OSError)
    @app.exception_handler(asyncpg.InterfaceError)
    @app.exception_handler(asyncpg.CannotConnectNowError)
    @app.exception_handler(asyncpg.TooManyConnectionsError)
    async def unavailable(request: Request, error: Exception) -> JSONResponse:
        """The database is away: 503, which a client retries."""
        return JSONResponse({"detail": "unavailable"}, 503, headers={"Retry-After": "1"})

    @app.get("/subjects/{email:path}")
    async def collect(email: str, _: Authorised, pool: Pool) -> JSONResponse:
        collections: dict[str, list[dict[str, Any]]] = {}
        async with pool.acquire() as connection:
            async with connection.transaction(isolation="repeatable_read", readonly=True):
                for name, spec in _TABLES.items():
                    records = await connection.fetch(
                        f"SELECT id, {', '.join(spec.fields)}, restricted FROM {spec.table}"
                        " WHERE contact_email = $1 ORDER BY id",
                        email,
                    )
                    collections[name] = [_row(name, record) for record in records]
        if not any(collections.values()):
            return JSONResponse({"detail": "no records of this subject"}, 404)
        return JSONResponse({"collections": collections})

    async def change(email: str, changes: ChangesIn, pool: asyncpg.Pool) -> dict[str, int]:
        planned = [(item, *_statement(item)) for item in changes.changes]
        applied = 0
        async with pool.acquire() as connection, connection.transaction():
            # The subject's rows, locked, before any change: a change to a field they are
            # found by (their e-mail masked) does not hide the rest of their rows.
            theirs = {
                (name, record["id"])
                for name, spec in _TABLES.items()
                for record in await connection.fetch(
                    f"SELECT id FROM {spec.table} WHERE contact_email = $1 FOR UPDATE", email
                )
            }
            for item, statement, arguments in planned:
                if (item.collection, item.key) not in theirs:
                    continue
                status = await connection.execute(statement, *arguments)
                applied += int(status.rsplit(" ", 1)[-1])
        return {"applied": applied}

    @app.post("/subjects/{email:path}/erase")
    async def erase(email: str, body: ChangesIn, _: Authorised, pool: Pool) -> dict[str, int]:
        return await change(email, body, pool)

    @app.post("/subjects/{email:path}/suspend")
    async def suspend(email: str, body: ChangesIn, _: Authorised, pool: Pool) -> dict[str, int]:
        return await change(email, body, pool)

    @app.post("/subjects/{email:path}/correct")
    async def correct(email: str, body: ChangesIn, _: Authorised, pool: Pool) -> dict[str, int]:
        return await change(email, body, pool)

    return app


# Serving -----------------------------------------------------------------------------


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, so asyncio sets TCP_NODELAY on each connection it accepts: without it
    # every answer waits out the client's delayed acknowledgement (about 40 ms).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise OSError(
            error.errno, f"cannot serve the support desk on {host}:{port} ({error.strerror})"
        ) from None
    sock.listen(128)
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def support_desk_serving(
    database_url: str, token: str, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[str]:
    """Serve the support desk with uvicorn in this event loop until the block ends (as
    interfaces/api/serving.py serves the API beside the worker); yields its base URL.
    Port 0 takes a free one. No access log: the paths hold e-mail addresses."""
    sock = _bind(host, port)
    bound_host, bound_port = sock.getsockname()[:2]
    app = support_desk_app(database_url, token=token)
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False, lifespan="on"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        # uvicorn sets a flag, not an event, once it listens.
        while not server.started and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        if task.done():
            task.result()  # it failed to start: say why
            raise RuntimeError("the support desk did not start (its database?)")
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        yield f"http://{shown}:{bound_port}"
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        sock.close()


async def serve_support_desk(
    database_url: str, token: str, host: str = "127.0.0.1", port: int = 8090
) -> None:
    """Serve the support desk until cancelled."""
    async with support_desk_serving(database_url, token, host, port):
        await asyncio.Event().wait()
