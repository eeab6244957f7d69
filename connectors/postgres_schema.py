"""What the data map asks of a PostgreSQL database's schema and of the connector's role,
checked against the live database (`dsr datastores check`), and the grants that give the
role exactly those rights (the demo's, connectors/demo/organisation.py)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from domain.datamap import Collection, Correction, Erasure, System

TEXT_TYPES = frozenset({"text", "character varying", "character", "citext"})


def is_text(column_type: str) -> bool:
    """`character varying(254)` is text too: the type's name without its length."""
    return column_type.split("(", 1)[0] in TEXT_TYPES


def quoted(identifier: str) -> str:
    """An identifier (`table` or `schema.table`) quoted for SQL: each part in double quotes,
    a double quote inside doubled (the map's patterns allow none, this is the second wall)."""
    return ".".join('"' + part.replace('"', '""') + '"' for part in identifier.split("."))


async def schema_findings(
    connection: Any, system_name: str, system: System, referenced: dict[str, set[str]]
) -> list[str]:
    """Each way the database does not fit the system's map, a line each: tables and
    columns (`referenced`: the columns other collections are reached through), indexes on
    what a subject is found by, text where a value is matched or masked, the role's rights."""
    findings: list[str] = []
    for name, collection in system.collections.items():
        findings += await _check_collection(
            connection, system_name, name, collection, referenced.get(name, set())
        )
    return findings


async def _check_collection(
    connection: Any, system_name: str, name: str, collection: Collection, referenced: set[str]
) -> list[str]:
    table = collection.table_of(name)
    where = f"{system_name}.{name} ({table})"
    if await connection.fetchval("SELECT to_regclass($1)", quoted(table)) is None:
        return [f"{where}: the table does not exist"]
    columns = {
        row["attname"]: row["type"]
        for row in await connection.fetch(
            """SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
                WHERE attrelid = to_regclass($1) AND attnum > 0 AND NOT attisdropped""",
            quoted(table),
        )
    }
    findings = [
        f"{where}: no column {column!r} ({what})"
        for column, what in [
            *_columns_named(collection),
            *((c, "another collection is reached through it") for c in sorted(referenced)),
        ]
        if column not in columns
    ]
    if findings:
        return findings
    for column, what in _looked_up(collection):
        if not await _indexed(connection, table, column):
            findings.append(f"{where}: {column} ({what}) has no index leading with it")
    for match in collection.identities:
        if not is_text(columns[match.column]):
            findings.append(
                f"{where}: identity column {match.column} is {columns[match.column]}, not text"
            )
    if collection.suspension_flag and columns[collection.suspension_flag] != "boolean":
        findings.append(f"{where}: suspension flag {collection.suspension_flag} is not boolean")
    for field, rule in collection.fields.items():
        if rule.erasure is Erasure.MASK and not is_text(columns[rule.column]):
            findings.append(f"{where}: {field} is masked but {rule.column} is not text")
    findings += await _check_rights(connection, table, where, collection)
    return findings


async def _check_rights(
    connection: Any, table: str, where: str, collection: Collection
) -> list[str]:
    findings = []
    if not await connection.fetchval(
        "SELECT has_table_privilege(to_regclass($1), 'SELECT')", quoted(table)
    ):
        findings.append(f"{where}: the connector's role may not SELECT")
    for column in sorted(written_columns(collection)):
        if not await connection.fetchval(
            "SELECT has_column_privilege(to_regclass($1), $2, 'UPDATE')", quoted(table), column
        ):
            findings.append(f"{where}: the connector's role may not UPDATE {column}")
    if deletes_rows(collection):
        if not await connection.fetchval(
            "SELECT has_table_privilege(to_regclass($1), 'DELETE')", quoted(table)
        ):
            findings.append(f"{where}: the connector's role may not DELETE")
    return findings


def _columns_named(collection: Collection) -> Iterable[tuple[str, str]]:
    yield collection.key, "key"
    for match in collection.identities:
        yield match.column, f"identity {match.identity.value}"
    if collection.through is not None:
        yield collection.through.column, f"reached through {collection.through.collection}"
    if collection.suspension_flag is not None:
        yield collection.suspension_flag, "suspension flag"
    for field, rule in collection.fields.items():
        yield rule.column, f"field {field}"


def _looked_up(collection: Collection) -> Iterable[tuple[str, str]]:
    for match in collection.identities:
        yield match.column, f"identity {match.identity.value}"
    if collection.through is not None:
        yield collection.through.column, f"reached through {collection.through.collection}"


def written_columns(collection: Collection) -> set[str]:
    """The columns a request may write, on which the connector's role needs UPDATE: those
    erased by null or mask, those corrected, and the suspension flag."""
    written = {
        rule.column
        for rule in collection.fields.values()
        if rule.erasure in (Erasure.SET_NULL, Erasure.MASK) or rule.correction is Correction.UPDATE
    }
    if collection.suspension_flag is not None:
        written.add(collection.suspension_flag)
    return written


def deletes_rows(collection: Collection) -> bool:
    """Whether a request may delete the collection's rows (the role needs DELETE)."""
    return any(rule.erasure is Erasure.DELETE_ROW for rule in collection.fields.values())


async def _indexed(connection: Any, table: str, column: str) -> bool:
    return bool(
        await connection.fetchval(
            """SELECT EXISTS (
                 SELECT 1 FROM pg_index i
                   JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                  WHERE i.indrelid = to_regclass($1) AND a.attname = $2)""",
            quoted(table),
            column,
        )
    )
