"""Three database roles: the owner, who runs the migrations; the worker's, which appends a
request's events and keeps its working records; and the API's, which takes requests in and
serves people and staff but never writes the evidence of a request (issue 21, review N3).

The owner owns every table, function and trigger; the other two own nothing, so neither
can ALTER a table nor disable a trigger, and their grants below give neither UPDATE,
DELETE or TRUNCATE on the evidence. Neither writes `accounts`: accounts are made, disabled
and given roles through the owner's SECURITY DEFINER functions (migration 0027), which the
API's role alone may call and which check an administrator's token themselves. The API
may not append a request's events (the workflow does, on the worker) but for the few it
records itself, through a function that takes only those, each as the chain's next link
(migration 0028, store/event_door.py); nor mark a subject's key destroyed (only the
worker's shredding does), nor change a key at all: it may add one, to seal a new subject's
data at intake.

What each table allows each role is written here, once: a table missing from this map
stops start-up, so a new table is never granted by accident (nor left unusable).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import asyncpg
import structlog

from store.connection import Connection
from store.database import apply_migrations, create_pool, migration_files
from store.dsn import user_of as user_of
from store.dsn import with_database as with_database
from store.dsn import with_user as with_user

log = structlog.get_logger(__name__)

OWNER_ROLE = "dsr_owner"
WORKER_ROLE = "dsr_worker"
API_ROLE = "dsr_api"
# The one runtime role of the releases before issue 21. A database that still has it keeps
# it only as the role DATABASE_URL names (it then gets the worker's grants); otherwise the
# grants take everything from it (`grant_roles`), and the embedded default retires it.
LEGACY_RUNTIME_ROLE = "dsr_runtime"

Privileges = tuple[str, ...]
_READ: Privileges = ("SELECT",)
_APPEND: Privileges = ("SELECT", "INSERT")
_KEEP: Privileges = ("SELECT", "INSERT", "UPDATE")
_WITHDRAW: Privileges = ("SELECT", "INSERT", "UPDATE", "DELETE")


@dataclass(frozen=True)
class Share:
    """What the worker's role and the API's role may do with one table or view."""

    worker: Privileges
    api: Privileges


def _both(privileges: Privileges) -> Share:
    return Share(privileges, privileges)


GRANTS: dict[str, Share] = {
    # Evidence: appended and read, never changed. A request's events are appended by its
    # workflow alone (intake records the request; the workflow its first event), so the
    # API reads them.
    "request_events": Share(worker=_APPEND, api=_READ),
    "request_histories": Share(worker=_APPEND, api=_READ),
    "request_history_gaps": Share(worker=_APPEND, api=_READ),
    # Refused calls are recorded by the API, which signs callers in.
    "access_refusals": Share(worker=_READ, api=_APPEND),
    # Anonymous 401s, counted per minute, reason and route (N8); a count only grows.
    "access_refusal_counts": Share(worker=_READ, api=_KEEP),
    # The registers: loaded through the API (policy, purposes, provisions, inventory), and
    # a purpose change's run appends on the worker.
    "register_events": _both(_APPEND),
    "privacy_policy_versions": Share(worker=_READ, api=_APPEND),
    # Kept by the owner's triggers alone.
    "event_log": _both(_READ),
    "deadline_compliance": _both(_READ),
    "schema_migrations": _both(_READ),
    # The checkpoint signer's alarms (migration 0031): raised by the worker, acknowledged
    # by an operator as the owner alone (`dsr-admin audit acknowledge-alarm`).
    "log_alarms": Share(worker=_APPEND, api=_READ),
    "log_alarm_acknowledgements": _both(_READ),
    # Projections of the events and the working records of requests: kept by the worker;
    # intake adds a request, its details and a new subject.
    "requests": Share(worker=_KEEP, api=_APPEND),
    "deadlines": Share(worker=_KEEP, api=_READ),
    "subjects": _both(_KEEP),
    "request_details": Share(worker=_KEEP, api=_APPEND),
    # A late fee's refund and a disclosure link issued again are acts on a closed request,
    # taken by the API (service/refunds.py, service/disclosure_links.py): the invoice
    # marked refunded, the notice queued and sent; their events go through the door of
    # migration 0028 (store/event_door.py).
    "invoices": Share(worker=_KEEP, api=("SELECT", "UPDATE")),
    "notifications": _both(_KEEP),
    "disclosures": Share(worker=_KEEP, api=_READ),
    "investigations": Share(worker=_KEEP, api=_READ),
    # The inventory's provisions: loaded through the API, stopped by the worker's effects.
    "third_party_provisions": _both(_KEEP),
    # The identities a request searched each system with (store/systems.py), forgotten
    # once the system's part is confirmed.
    "system_searches": Share(worker=_KEEP, api=_READ),
    # Made, disabled and given roles only through the functions of migration 0027; the
    # API reads them to sign callers in, the worker to check an act's account.
    "accounts": _both(_READ),
    "account_changes": _both(_READ),
    # The privacy center (the API): challenges (a code's attempts, the form until it is
    # entered), the outbox of its codes and links, and the links themselves, never
    # changed. The worker forgets abandoned guests' challenges and messages (N8) and
    # removes a message no subject can be found for (store/legacy_sealing.py); its
    # retention run removes challenges a day old whose code was never entered (N8).
    "privacy_center_challenges": Share(worker=_WITHDRAW, api=_KEEP),
    # (The API removes a pending message whose request's data was erased, too.)
    "privacy_center_notices": _both(_WITHDRAW),
    "privacy_center_status_links": Share(worker=_READ, api=_APPEND),
    # A disclosure's link (Art 6): issued with the notice on the worker, issued again
    # through the API; the newest replaces the old one.
    "privacy_center_disclosure_links": _both(_KEEP),
    # Sealed at intake and by inventory loads (the API); withdrawn when an act is refused
    # (texts), erased on request (Art 8) by the worker.
    "personal_data": Share(worker=_WITHDRAW, api=_KEEP),
    "answers": _both(_WITHDRAW),
    "operator_notes": _both(_WITHDRAW),
    # Which data key is whose; a key is marked destroyed, never removed (store/keyring.py
    # keeps the keys themselves, outside the database). The API adds a new subject's first
    # key when it seals; only the worker's shredding marks one destroyed, through
    # `destroy_subject_key` (WORKER_FUNCTIONS), and only with the event that records it
    # (migration 0032, N3(b)): neither role may UPDATE the table.
    "subject_keys": _both(_APPEND),
    # The tolerance of the events' clock check (migration 0032): the owner's to set.
    "evidence_clock": _both(_READ),
    # The registers' projections (domain/registers.py): a stream's head, the purposes'
    # versions, purpose changes and their notices, consent, provision bases.
    "register_streams": _both(_KEEP),
    "purposes": _both(_KEEP),
    "purpose_changes": _both(_KEEP),
    "purpose_change_notices": Share(worker=_KEEP, api=_READ),
    "consents": _both(_KEEP),
    "provision_bases": _both(_KEEP),
    "partner_names": _both(_KEEP),
    # Views: what provision to partners reads, and the feed by basis it is made from
    # (migration 0024).
    "provision_feed": _both(_READ),
    "provision_feed_by_basis": _both(_READ),
    "logged_events": _both(_READ),
}

WORKER_GRANTS: dict[str, Privileges] = {t: s.worker for t, s in GRANTS.items() if s.worker}
API_GRANTS: dict[str, Privileges] = {t: s.api for t, s in GRANTS.items() if s.api}

# The functions of migrations 0027 (the only way to write `accounts`) and 0028: the API's
# alone.
API_FUNCTIONS = (
    "make_account(text, text, text[], text)",
    "disable_account(text, text)",
    "set_account_roles(text, text, text[])",
    # The API's one door into a request's events (migration 0028, store/event_door.py).
    "append_api_event(text, integer, text, jsonb, timestamptz, text, text, text, text)",
)
# The worker's: marking a subject's key destroyed (migration 0032, store/shredding.py).
WORKER_FUNCTIONS = ("destroy_subject_key(text)",)


class RolesMisconfigured(RuntimeError):
    """The database's roles cannot give the split this module promises; the message says
    what to change."""


class UnclassifiedTable(RolesMisconfigured):
    """A table or view the grants do not mention: say what the runtime may do with it."""


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def ensure_roles(
    superuser_dsn: str,
    *,
    owner: str = OWNER_ROLE,
    worker: str = WORKER_ROLE,
    api: str = API_ROLE,
    retire: str | None = LEGACY_RUNTIME_ROLE,
) -> None:
    """As a superuser (the embedded server's, or a test's): create the three roles if they
    are missing, without any power over the cluster, and hand every object of the schema
    to the owner (a database set up before the roles existed is owned by the superuser).
    `retire`, the one runtime role of before, if it exists, may no longer sign in and holds
    nothing (its grants go at the next `grant_roles`). Idempotent; run before the
    migrations at each start."""
    connection = await asyncpg.connect(superuser_dsn)
    try:
        async with connection.transaction():
            for role in (owner, worker, api):
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
                f"{_ident(worker)}, {_ident(api)}"
            )
            await connection.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            await connection.execute(f"GRANT USAGE, CREATE ON SCHEMA public TO {_ident(owner)}")
            await connection.execute(
                f"GRANT USAGE ON SCHEMA public TO {_ident(worker)}, {_ident(api)}"
            )
            if retire and retire not in (owner, worker, api):
                if await connection.fetchval(
                    "SELECT true FROM pg_roles WHERE rolname = $1", retire
                ):
                    await connection.execute(f"ALTER ROLE {_ident(retire)} NOLOGIN")
                    log.info("the runtime role of before may no longer sign in", role=retire)
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


async def grant_roles(
    owner_pool: asyncpg.Pool, worker: str, api: str | None, *, retire: str | None = None
) -> None:
    """As the owner, after the migrations: the worker's role gets exactly WORKER_GRANTS,
    the API's (when there is one) exactly API_GRANTS and the account functions, and each
    loses whatever else it held; `retire` (the runtime role of before, when it is neither)
    loses everything the owner gave it."""
    if api is not None and api == worker:
        raise RolesMisconfigured(
            f"the worker and the API must connect as different roles, not both as {worker} "
            "(DATABASE_URL and DSR_API_DATABASE_URL)"
        )
    async with owner_pool.acquire() as connection, connection.transaction():
        relations = {
            row["relname"]
            for row in await connection.fetch(
                """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'p')"""
            )
        }
        unclassified = sorted(relations - GRANTS.keys())
        if unclassified:
            raise UnclassifiedTable(
                "store/privileges.py does not say what the worker's and the API's roles may "
                "do with " + ", ".join(unclassified)
            )
        functions = await _present(connection, API_FUNCTIONS)
        worker_functions = await _present(connection, WORKER_FUNCTIONS)
        for name in (worker, api, retire):
            if name is not None and await _role_exists(connection, name):
                await _revoke_all(connection, _ident(name), functions + worker_functions)
        shares = [(worker, WORKER_GRANTS)] + ([(api, API_GRANTS)] if api is not None else [])
        for name, grants in shares:
            role = _ident(name)
            for table, privileges in grants.items():
                if table in relations:
                    await connection.execute(
                        f"GRANT {', '.join(privileges)} ON {_ident(table)} TO {role}"
                    )
            await connection.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}")
        if api is not None:
            for function in functions:
                await connection.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {_ident(api)}")
        for function in worker_functions:
            await connection.execute(f"GRANT EXECUTE ON FUNCTION {function} TO {_ident(worker)}")


async def _present(connection: Connection, wanted: tuple[str, ...]) -> list[str]:
    """The functions of `wanted` this database has (the account functions none before
    migration 0027, `destroy_subject_key` none before 0032)."""
    present = []
    for function in wanted:
        if await connection.fetchval("SELECT to_regprocedure($1) IS NOT NULL", function):
            present.append(function)
    return present


async def _role_exists(connection: Connection, role: str) -> bool:
    return bool(await connection.fetchval("SELECT true FROM pg_roles WHERE rolname = $1", role))


async def _revoke_all(connection: Connection, role: str, functions: list[str]) -> None:
    await connection.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
    await connection.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {role}")
    for function in functions:
        await connection.execute(f"REVOKE ALL ON FUNCTION {function} FROM {role}")


async def runtime_problems(pool: asyncpg.Pool, *, api: bool = False) -> list[str]:
    """What makes the pool's role more than the worker's (or, `api`, the API's) role should
    be: superuser, owner of a table, allowed to change the evidence or to write accounts
    directly; for the API's, also allowed to append a request's events or to change a
    subject's key. Empty when it is what it should be."""
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
        refused = [
            (table, privilege)
            for table in (
                "request_events",
                "event_log",
                "request_histories",
                "deadline_compliance",
                "register_events",
                "account_changes",
            )
            for privilege in ("UPDATE", "DELETE", "TRUNCATE")
        ]
        refused += [("accounts", privilege) for privilege in ("INSERT", "UPDATE", "DELETE")]
        refused += [("subject_keys", "UPDATE"), ("log_alarm_acknowledgements", "INSERT")]
        if api:
            refused += [("request_events", "INSERT")]
        for table, privilege in refused:
            if await connection.fetchval(
                "SELECT to_regclass($1) IS NOT NULL AND has_table_privilege(current_user, $1, $2)",
                table,
                privilege,
            ):
                problems.append(f"{role['rolname']} may {privilege} {table}")
        return problems


async def prepare_store(
    worker_dsn: str, owner_dsn: str | None, *, api: str | None = API_ROLE
) -> list[str]:
    """Migrate as the owner and grant the worker's role (DATABASE_URL's) and the API's role
    (`api`, when the database has it) their shares; returns the migrations applied now.
    Without an owner's URL (DATABASE_URL alone): a role that may create in the schema does
    both, and start-up says what that costs (`runtime_problems`); a worker's role that may
    not (the owner's URL kept away from the worker, `dsr-admin setup` run apart) only
    checks that every migration is in place."""
    if owner_dsn is None:
        worker_pool = await create_pool(worker_dsn, max_size=1)
        try:
            if not await worker_pool.fetchval(
                "SELECT has_schema_privilege(current_user, 'public', 'CREATE')"
            ):
                await _require_migrated(worker_pool)
                return []
            return await apply_migrations(worker_pool)
        finally:
            await worker_pool.close()
    owner_pool = await create_pool(owner_dsn, max_size=1)
    try:
        applied = await apply_migrations(owner_pool)
        worker = await _current_user(worker_dsn)
        owner = await owner_pool.fetchval("SELECT current_user")
        if owner in (worker, api):
            raise RolesMisconfigured(
                f"DSR_OWNER_DATABASE_URL names the role ({owner}) that "
                + ("DATABASE_URL" if owner == worker else "DSR_API_DATABASE_URL")
                + " names too; the schema's owner must be a role of its own"
            )
        if api is not None and not await owner_pool.fetchval(
            "SELECT true FROM pg_roles WHERE rolname = $1", api
        ):
            log.warning(
                "no role for the API: create it (LOGIN, nothing more) and run "
                "`dsr-admin setup` again; until then the API cannot connect",
                role=api,
            )
            api = None
        retire = LEGACY_RUNTIME_ROLE if LEGACY_RUNTIME_ROLE not in (worker, api) else None
        await grant_roles(owner_pool, worker, api, retire=retire)
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
            "not apply them: run `dsr-admin setup` with DSR_OWNER_DATABASE_URL set to the "
            "schema owner's URL first"
        )


async def _current_user(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval("SELECT current_user")
    finally:
        await connection.close()
