"""Two database roles: the owner, who runs the migrations, and the runtime role the worker
and the command line use, which may append and read evidence but never change it.

The owner owns every table, function and trigger; the runtime role owns nothing, so it
can neither ALTER a table nor disable a trigger, and its grants below give it no UPDATE,
DELETE or TRUNCATE on the evidence. What each table allows the runtime is written here,
once: a table missing from this map stops start-up, so a new table is never granted by
accident (nor left unusable).
"""

from __future__ import annotations

from importlib import resources
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import asyncpg
import structlog

from store.connection import Connection
from store.database import apply_migrations, create_pool, migration_files

log = structlog.get_logger(__name__)

OWNER_ROLE = "dsr_owner"
RUNTIME_ROLE = "dsr_runtime"

_READ = ("SELECT",)
_APPEND = ("SELECT", "INSERT")
_KEEP = ("SELECT", "INSERT", "UPDATE")
_WITHDRAW = ("SELECT", "INSERT", "UPDATE", "DELETE")

RUNTIME_GRANTS: dict[str, tuple[str, ...]] = {
    # Evidence: appended and read, never changed.
    "request_events": _APPEND,
    "request_histories": _APPEND,
    "request_history_gaps": _APPEND,
    "access_refusals": _APPEND,
    "register_events": _APPEND,
    "privacy_policy_versions": _APPEND,
    # Kept by the owner's triggers alone.
    "event_log": _READ,
    "deadline_compliance": _READ,
    "schema_migrations": _READ,
    # Projections of the events and the working records of requests.
    "requests": _KEEP,
    "deadlines": _KEEP,
    "subjects": _KEEP,
    "request_details": _KEEP,
    "invoices": _KEEP,
    "notifications": _KEEP,
    "disclosures": _KEEP,
    "investigations": _KEEP,
    "third_party_provisions": _KEEP,
    # The identities a request searched each system with (store/systems.py), forgotten
    # once the system's part is confirmed.
    "system_searches": _KEEP,
    # Accounts are made and disabled by an administrator through the service.
    "accounts": _KEEP,
    # The privacy center: challenges (a code's attempts, the form until it is entered),
    # the outbox of its codes and links (a row no subject can be found for, left by a
    # database from before sealing, is removed: store/legacy_sealing.py), and the links
    # themselves, never changed.
    "privacy_center_challenges": _KEEP,
    "privacy_center_notices": _WITHDRAW,
    "privacy_center_status_links": _APPEND,
    # A disclosure's link (Art 6): issued again, the newest replaces the old one.
    "privacy_center_disclosure_links": _KEEP,
    # Withdrawn when an act is refused (texts), erased on request (Art 8).
    "personal_data": _WITHDRAW,
    "answers": _WITHDRAW,
    "operator_notes": _WITHDRAW,
    # Which data key is whose; a key is marked destroyed, never removed (store/keyring.py
    # keeps the keys themselves, outside the database).
    "subject_keys": _KEEP,
    # The registers' projections (domain/registers.py): a stream's head, the purposes'
    # versions, purpose changes and their notices, consent, provision bases.
    "register_streams": _KEEP,
    "purposes": _KEEP,
    "purpose_changes": _KEEP,
    "purpose_change_notices": _KEEP,
    "consents": _KEEP,
    "provision_bases": _KEEP,
    "partner_names": _KEEP,
    # Views: what provision to partners reads, and the feed by basis it is made from
    # (migration 0024).
    "provision_feed": _READ,
    "provision_feed_by_basis": _READ,
    "logged_events": _READ,
}


class RolesMisconfigured(RuntimeError):
    """The database's roles cannot give the split this module promises; the message says
    what to change."""


class UnclassifiedTable(RolesMisconfigured):
    """A table or view the grants do not mention: say what the runtime may do with it."""


def with_user(dsn: str, user: str) -> str:
    """The same server and database, as another role (the embedded server trusts its
    local socket, so no password is involved there)."""
    parts = urlsplit(dsn)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{quote(user, safe='')}@{host}"))


def with_database(dsn: str, database: str) -> str:
    """The same server and role, another database."""
    return urlunsplit(urlsplit(dsn)._replace(path=f"/{quote(database, safe='')}"))


def user_of(dsn: str) -> str | None:
    netloc = urlsplit(dsn).netloc
    if "@" not in netloc:
        return None
    return unquote(netloc.rpartition("@")[0].partition(":")[0]) or None


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def ensure_roles(
    superuser_dsn: str, *, owner: str = OWNER_ROLE, runtime: str = RUNTIME_ROLE
) -> None:
    """As a superuser (the embedded server's, or a test's): create the two roles if they
    are missing, without any power over the cluster, and hand every object of the schema
    to the owner (a database set up before the roles existed is owned by the superuser).
    Idempotent; run before the migrations at each start."""
    connection = await asyncpg.connect(superuser_dsn)
    try:
        async with connection.transaction():
            for role in (owner, runtime):
                exists = await connection.fetchval(
                    "SELECT true FROM pg_roles WHERE rolname = $1", role
                )
                verb = "ALTER" if exists else "CREATE"
                await connection.execute(
                    f"{verb} ROLE {_ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                    "NOREPLICATION NOBYPASSRLS"
                )
            database = _ident(await connection.fetchval("SELECT current_database()"))
            await connection.execute(
                f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {_ident(owner)}, "
                f"{_ident(runtime)}"
            )
            await connection.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            await connection.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {_ident(owner)}")
            await connection.execute(f"GRANT USAGE ON SCHEMA public TO {_ident(runtime)}")
            await _hand_over(connection, owner)
    finally:
        await connection.close()


async def _hand_over(connection: Connection, owner: str) -> None:
    # The statements come from store/hand_over.sql, which the compose deployment's role
    # script (deploy/postgres/10-dsr-roles.sh) runs as well.
    await connection.execute(
        resources.files("store").joinpath("hand_over.sql").read_text(encoding="utf-8")
    )
    statements = await connection.fetch("SELECT pg_temp.hand_over_statements($1)", owner)
    for (statement,) in statements:
        await connection.execute(statement)
    if statements:
        log.info("schema handed to its owner role", owner=owner, objects=len(statements))


async def grant_runtime(owner_pool: asyncpg.Pool, runtime: str) -> None:
    """As the owner, after the migrations: the runtime role gets exactly RUNTIME_GRANTS,
    and loses whatever else it held."""
    async with owner_pool.acquire() as connection, connection.transaction():
        relations = {
            row["relname"]
            for row in await connection.fetch(
                """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'p')"""
            )
        }
        unclassified = sorted(relations - RUNTIME_GRANTS.keys())
        if unclassified:
            raise UnclassifiedTable(
                "store/privileges.py does not say what the runtime role may do with "
                + ", ".join(unclassified)
            )
        role = _ident(runtime)
        await connection.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
        await connection.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
        for table, privileges in RUNTIME_GRANTS.items():
            if table in relations:
                await connection.execute(
                    f"GRANT {', '.join(privileges)} ON {_ident(table)} TO {role}"
                )
        await connection.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")


async def runtime_problems(pool: asyncpg.Pool) -> list[str]:
    """What makes the pool's role more than a runtime role: superuser, owner of a table,
    or allowed to change the evidence. Empty when it is what it should be."""
    async with pool.acquire() as connection:
        role = await connection.fetchrow(
            "SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
        )
        assert role is not None  # the role this connection signed in as
        problems = []
        if role["rolsuper"]:
            problems.append(f"{role['rolname']} is a superuser")
        owned = await connection.fetch(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                  AND pg_has_role(current_user, c.relowner, 'USAGE') ORDER BY 1"""
        )
        if owned:
            problems.append(f"{role['rolname']} owns " + ", ".join(r["relname"] for r in owned))
        for table in (
            "request_events",
            "event_log",
            "request_histories",
            "deadline_compliance",
            "register_events",
        ):
            for privilege in ("UPDATE", "DELETE", "TRUNCATE"):
                if await connection.fetchval(
                    "SELECT has_table_privilege(current_user, $1, $2)", table, privilege
                ):
                    problems.append(f"{role['rolname']} may {privilege} {table}")
        return problems


async def prepare_store(runtime_dsn: str, owner_dsn: str | None) -> list[str]:
    """Migrate as the owner and grant the runtime role its share; returns the migrations
    applied now. Without an owner's URL (DATABASE_URL alone): a role that may create in the
    schema does both, and start-up says what that costs (`runtime_problems`); a runtime
    role that may not (the owner's URL kept away from the worker, `dsr setup` run apart)
    only checks that every migration is in place."""
    if owner_dsn is None:
        runtime_pool = await create_pool(runtime_dsn, max_size=1)
        try:
            if not await runtime_pool.fetchval(
                "SELECT has_schema_privilege(current_user, 'public', 'CREATE')"
            ):
                await _require_migrated(runtime_pool)
                return []
            return await apply_migrations(runtime_pool)
        finally:
            await runtime_pool.close()
    owner_pool = await create_pool(owner_dsn, max_size=1)
    try:
        applied = await apply_migrations(owner_pool)
        runtime = await _current_user(runtime_dsn)
        if runtime == await owner_pool.fetchval("SELECT current_user"):
            raise RolesMisconfigured(
                f"DATABASE_URL and DSR_OWNER_DATABASE_URL name the same role ({runtime}); "
                "the runtime role must be another one"
            )
        await grant_runtime(owner_pool, runtime)
    finally:
        await owner_pool.close()
    return applied


async def _require_migrated(pool: asyncpg.Pool) -> None:
    shipped = [version for version, _ in migration_files()]
    try:
        recorded = {
            row["version"] for row in await pool.fetch("SELECT version FROM schema_migrations")
        }
    except asyncpg.UndefinedTableError:
        recorded = set()
    missing = [version for version in shipped if version not in recorded]
    if missing:
        raise RolesMisconfigured(
            f"the database lacks migrations {', '.join(missing)} and DATABASE_URL's role may "
            "not apply them: run `dsr setup` with DSR_OWNER_DATABASE_URL set to the schema "
            "owner's URL first"
        )


async def _current_user(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval("SELECT current_user")
    finally:
        await connection.close()
