"""The PostgreSQL connector: one of the organisation's databases, through asyncpg.

Identifiers come from the data map, checked by its patterns and quoted here; every value is
a parameter. A subject's rows are collected in one read-only snapshot, walking the map's
collections in dependency order (those found from identities, then each through the keys
of the one it is reached through); a plan is applied in one transaction, in the order the
plan gives (deletions child first), and confirmed by a second query.

The role the connector's URL logs in as needs no more than this (docs/connectors.md):
SELECT on every mapped table, UPDATE on the columns an erasure, a correction or a
suspension's flag writes, DELETE on the tables a field of which is erased by `delete_row`.
`check` reports each of those rights it lacks.
"""

from __future__ import annotations

from itertools import groupby
from typing import Any

import asyncpg

from connectors.base import (
    Change,
    Collected,
    FoundRow,
    Identities,
    Plan,
    RowChange,
    SystemRefused,
    SystemUnavailable,
)
from connectors.postgres_schema import quoted, schema_findings
from domain.datamap import MASK_TEXT, Collection, System


def _unavailable(name: str, error: BaseException) -> SystemUnavailable:
    return SystemUnavailable(f"{name}: cannot be reached ({type(error).__name__})")


class PostgresConnector:
    """One PostgreSQL database of the data map, with a small pool of its own."""

    def __init__(self, name: str, system: System, *, url: str) -> None:
        self.name = name
        self.system = system
        self._url = url
        self._pool: asyncpg.Pool | None = None
        self._types: dict[tuple[str, str], str] = {}

    async def _open(self) -> asyncpg.Pool:
        if self._pool is None:
            try:
                self._pool = await asyncpg.create_pool(
                    self._url,
                    min_size=0,
                    max_size=self.system.concurrency,
                    command_timeout=30,
                    server_settings={"application_name": "dsr-connector"},
                )
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
                raise _failure(self.name, error) from None
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    # Collection ---------------------------------------------------------------------

    async def collect(self, identities: Identities) -> Collected:
        pool = await self._open()
        try:
            async with pool.acquire() as connection:
                async with connection.transaction(isolation="repeatable_read", readonly=True):
                    return await self._collect(connection, identities)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            raise _failure(self.name, error) from None

    async def _collect(self, connection: Any, identities: Identities) -> Collected:
        found: list[FoundRow] = []
        counts: dict[str, int] = {}
        reached: dict[str, list[asyncpg.Record]] = {}
        needed = self._referenced_columns()
        for name, collection in self.system.walk():
            table = quoted(collection.table_of(name))
            columns = [f"{quoted(collection.key)}::text AS key"] + [
                f"{quoted(rule.column)}::text AS {quoted('f_' + field)}"
                for field, rule in collection.fields.items()
            ]
            columns += [f"{quoted(c)} AS {quoted('r_' + c)}" for c in sorted(needed.get(name, ()))]
            flag = collection.suspension_flag
            columns.append(f"coalesce({quoted(flag)}, false) AS restricted" if flag else "false")
            if collection.through is None:
                conditions, values = [], []
                for match in collection.identities:
                    if identities.get(match.identity):
                        values.append(list(identities[match.identity]))
                        conditions.append(f"{quoted(match.column)} = ANY(${len(values)}::text[])")
                if not conditions:
                    counts[name] = 0
                    reached[name] = []
                    continue
                where = " OR ".join(conditions)
            else:
                through = collection.through
                parent = [r["r_" + through.references] for r in reached[through.collection]]
                parent = [value for value in parent if value is not None]
                if not parent:
                    counts[name] = 0
                    reached[name] = []
                    continue
                values = [parent]
                where = f"{quoted(through.column)} = ANY($1)"
            rows = await connection.fetch(
                f"SELECT {', '.join(columns)} FROM {table} WHERE {where}", *values
            )
            reached[name] = rows
            counts[name] = len(rows)
            found += [
                FoundRow(
                    name,
                    row["key"],
                    {field: row["f_" + field] for field in collection.fields},
                    restricted=bool(flag) and row["restricted"],
                )
                for row in rows
            ]
        return Collected(rows=found, counts=counts)

    def _referenced_columns(self) -> dict[str, set[str]]:
        """Per collection, the columns other collections are reached through."""
        needed: dict[str, set[str]] = {}
        for collection in self.system.collections.values():
            if collection.through is not None:
                needed.setdefault(collection.through.collection, set()).add(
                    collection.through.references
                )
        return needed

    # Changes ------------------------------------------------------------------------

    async def apply(self, plan: Plan, identities: Identities | None = None) -> None:
        pool = await self._open()
        try:
            async with pool.acquire() as connection, connection.transaction():
                for (collection, change, field, value), group in groupby(
                    plan.changes, key=lambda c: (c.collection, c.change, c.field, c.value)
                ):
                    keys = [c.key for c in group]
                    await self._change(connection, collection, change, field, value, keys)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            raise _failure(self.name, error) from None

    async def _change(
        self,
        connection: Any,
        name: str,
        change: Change,
        field: str | None,
        value: str | None,
        keys: list[str],
    ) -> None:
        collection = self.system.collections[name]
        table = quoted(collection.table_of(name))
        match_keys = await self._key_match(connection, name, collection)
        if change is Change.DELETE_ROW:
            await connection.execute(f"DELETE FROM {table} WHERE {match_keys}", keys)
            return
        if change is Change.FLAG:
            assert collection.suspension_flag is not None
            column, new = collection.suspension_flag, "true"
            await connection.execute(
                f"UPDATE {table} SET {quoted(column)} = {new}"
                f" WHERE {match_keys} AND {quoted(column)} IS NOT TRUE",
                keys,
            )
            return
        assert field is not None
        column = collection.fields[field].column
        new_value = {Change.SET_NULL: None, Change.MASK: MASK_TEXT, Change.UPDATE: value}[change]
        column_type = await self._type_of(connection, collection.table_of(name), column)
        await connection.execute(
            f"UPDATE {table} SET {quoted(column)} = $2::text::{column_type}"
            f" WHERE {match_keys} AND {quoted(column)} IS DISTINCT FROM $2::text::{column_type}",
            keys,
            new_value,
        )

    async def _key_match(self, connection: Any, name: str, collection: Collection) -> str:
        key_type = await self._type_of(connection, collection.table_of(name), collection.key)
        # The keys travel as text and are cast to the key's type, so the index is used.
        return f"{quoted(collection.key)} = ANY($1::text[]::{key_type}[])"

    async def _type_of(self, connection: Any, table: str, column: str) -> str:
        cached = self._types.get((table, column))
        if cached is None:
            cached = await connection.fetchval(
                """SELECT format_type(atttypid, atttypmod) FROM pg_attribute
                    WHERE attrelid = to_regclass($1) AND attname = $2 AND NOT attisdropped""",
                quoted(table),
                column,
            )
            if cached is None:
                raise SystemRefused(f"{self.name}: {table}.{column} does not exist")
            self._types[(table, column)] = cached
        return cached

    async def confirm(self, plan: Plan, identities: Identities | None = None) -> list[str]:
        pool = await self._open()
        problems: list[str] = []
        try:
            async with pool.acquire() as connection:
                for position, change in enumerate(plan.changes, start=1):
                    if not await self._holds(connection, change):
                        where = f" on {change.field}" if change.field else ""
                        problems.append(
                            f"{self.name}.{change.collection}: change {position} "
                            f"({change.change.value}{where}) is not so"
                        )
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as error:
            raise _failure(self.name, error) from None
        return problems

    async def _holds(self, connection: Any, change: RowChange) -> bool:
        collection = self.system.collections[change.collection]
        table = quoted(collection.table_of(change.collection))
        match_keys = await self._key_match(connection, change.collection, collection)
        if change.change is Change.DELETE_ROW:
            condition = "true"
            values: list[object] = [[change.key]]
        elif change.change is Change.FLAG:
            assert collection.suspension_flag is not None
            condition = f"{quoted(collection.suspension_flag)} IS NOT TRUE"
            values = [[change.key]]
        else:
            assert change.field is not None
            column = quoted(collection.fields[change.field].column)
            new_value = {Change.SET_NULL: None, Change.MASK: MASK_TEXT}.get(
                change.change, change.value
            )
            column_type = await self._type_of(
                connection,
                collection.table_of(change.collection),
                collection.fields[change.field].column,
            )
            # Compared as the column's type, as it was written (a date given as 1990/2/3
            # is held as 1990-02-03).
            condition = f"{column} IS DISTINCT FROM $2::text::{column_type}"
            values = [[change.key], new_value]
        left = await connection.fetchval(
            f"SELECT count(*) FROM {table} WHERE {match_keys} AND {condition}", *values
        )
        return int(left) == 0

    # The map against the live database ----------------------------------------------

    async def check(self) -> list[str]:
        try:
            pool = await self._open()
            async with pool.acquire() as connection:
                return await schema_findings(
                    connection, self.name, self.system, self._referenced_columns()
                )
        except (SystemUnavailable, SystemRefused) as error:
            return [str(error)]
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
            return [str(_failure(self.name, error))]


def _failure(name: str, error: BaseException) -> SystemUnavailable | SystemRefused:
    """Unavailable for what may pass (the server down or restarting, a dropped connection,
    a timeout, a conflict with another transaction); refused for what retrying cannot
    mend (rights, a missing table or column, a constraint the map's action breaks)."""
    if isinstance(error, _TRANSIENT):
        return _unavailable(name, error)
    # A data exception's message (SQLSTATE class 22) quotes the value ("invalid input
    # syntax for type date: ..."), and this text reaches Temporal's history: then only its
    # class and code. The others name tables, columns and rights, never a row's value
    # (asyncpg keeps values in the error's `detail`, which is not shown).
    code = getattr(error, "sqlstate", None) or ""
    if code.startswith("22"):
        return SystemRefused(f"{name}: {type(error).__name__} (SQLSTATE {code})")
    return SystemRefused(f"{name}: {type(error).__name__}: {error}")


_TRANSIENT = (
    OSError,
    TimeoutError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.QueryCanceledError,
    asyncpg.exceptions.ConnectionFailureError,
)
