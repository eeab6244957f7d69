"""What `dsr-admin` does, beside the servers: what needs the schema's owner or the service's
own key files, never through the API (issue 21, "administration stays beside the servers").

- `set_up`: on an existing cluster and database (TEMPORAL_ADDRESS, DATABASE_URL), the
  first keys where they are configured (the key-encryption key, the keyring's folder, the
  act key pair where DSR_ACT_SIGNING_KEY names its place), the migrations as the schema's
  owner, the worker's and the API's grants, the search attributes and the namespace's
  retention. Idempotent, and it needs no earlier
  start of the service: on an empty database it makes everything the first start needs.
- `bootstrap_administrator`: the first administrator, as the schema's owner.
- `log_alarms`, `acknowledge_log_alarm`: the checkpoint signer's alarms, read and
  acknowledged as the schema's owner (audit/checkpoints.py, N6).
- `rotate_act_key`: a new act signing key (the signer's runtime/act_keys.py).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg

from domain.authority import Role
from runtime.cluster import connect, connection_security, ensure_retention, ensure_search_attributes
from runtime.servers import running_embedded_postgres
from runtime.settings import Settings, spoken_duration
from service.requests import Refused, Unavailable
from store.accounts import AccountProblem, Accounts
from store.database import create_pool
from store.keyring import KeyringError, load_key_encryption_key
from store.log_alarms import LogAlarm, NoSuchAlarm, acknowledge, open_alarms
from store.log_alarms import alarms as every_alarm
from store.privileges import (
    API_ROLE,
    OWNER_ROLE,
    RolesMisconfigured,
    prepare_store,
    runtime_problems,
    user_of,
    with_user,
)

BOOTSTRAPPED_BY = "dsr-admin accounts bootstrap"


@dataclass
class SetUp:
    """What `set_up` found and did."""

    keys_made: list[str] = field(default_factory=list)
    migrations_applied: list[str] = field(default_factory=list)
    worker_role: str | None = None
    api_role: str | None = None
    search_attributes_added: list[str] = field(default_factory=list)
    retention: str | None = None  # None: the cluster refused; its own retention holds
    role_problems: list[str] = field(default_factory=list)


def _act_keys() -> Any:
    """The signer's module of the act keys (issue 21, branch p21-signer); loaded by name so
    that this module stands until it is merged."""
    try:
        return importlib.import_module("runtime.act_keys")
    except ModuleNotFoundError:
        raise Refused(
            "this build has no Ed25519 act keys yet (runtime/act_keys.py): nothing to make"
        ) from None


def make_first_keys(settings: Settings) -> list[str]:
    """The keys a first start needs, each at its configured place (or the default one under
    DSR_DATA_DIR), made only where missing: the key-encryption key (not when it is given as
    DSR_KEY_ENCRYPTION_KEY), the keyring's folder (0700), and, where DSR_ACT_SIGNING_KEY is
    set, the act signing key and its public key. Returns what was made."""
    made: list[str] = []
    kek = settings.key_encryption_key_file()
    if settings.personal_data.key_encryption_key is None and not kek.exists():
        try:
            load_key_encryption_key(kek, create=True)
        except (KeyringError, OSError) as error:
            raise Refused(f"cannot make the key-encryption key at {kek}: {error}") from None
        made.append(f"key-encryption key {kek}")
    else:
        try:
            load_key_encryption_key(
                kek, text=settings.personal_data.key_encryption_key, create=False
            )
        except KeyringError as error:
            raise Refused(str(error)) from None
    keyring = settings.keyring_folder()
    if not keyring.exists():
        try:
            keyring.mkdir(mode=0o700, parents=True)
        except OSError as error:
            raise Refused(f"cannot make the keyring's folder {keyring}: {error}") from None
        made.append(f"keyring folder {keyring}")
    # The act signing key is the API's alone: made here only where DSR_ACT_SIGNING_KEY
    # names its place (the API's secret store), never by default on the worker's host; on
    # a single host the first start makes the pair itself.
    act_keys = _act_keys_or_none()
    if act_keys is not None and getattr(settings.api, "act_signing_key", None) is not None:
        try:
            key_id = act_keys.ensure_act_key_pair(settings)
        except (act_keys.ActKeyProblem, OSError) as error:
            raise Refused(f"act keys: {error}") from None
        if key_id:
            made.append(f"act signing key {key_id}")
    return made


def _act_keys_or_none() -> Any:
    try:
        return _act_keys()
    except Refused:
        return None


async def set_up(settings: Settings, *, keys: bool = True) -> SetUp:
    """Prepare an existing cluster and database for the service; see the module's text."""
    worker_dsn = settings.database.url
    if worker_dsn is None or settings.temporal.address is None:
        raise Refused(
            "setup prepares an existing cluster and database: set TEMPORAL_ADDRESS and "
            "DATABASE_URL (the worker's role), and DSR_OWNER_DATABASE_URL (`make run` "
            "prepares the embedded ones itself)"
        )
    done = SetUp()
    if keys:
        done.keys_made = make_first_keys(settings)
    api_role = (
        user_of(settings.database.api_url) if settings.database.api_url else None
    ) or API_ROLE
    try:
        done.migrations_applied = await prepare_store(
            worker_dsn, settings.database.owner_url, api=api_role
        )
    except RolesMisconfigured as error:
        raise Refused(str(error)) from None
    except (OSError, asyncpg.PostgresError) as error:
        raise Unavailable(f"cannot reach the database: {error}") from None
    pool = await create_pool(worker_dsn, max_size=1)
    try:
        done.worker_role = await pool.fetchval("SELECT current_user")
        done.role_problems = await runtime_problems(pool)
        if settings.database.owner_url is not None:
            done.api_role = await pool.fetchval(
                "SELECT rolname FROM pg_roles WHERE rolname = $1", api_role
            )
    finally:
        await pool.close()
    address = settings.temporal.address
    try:
        client = await connect(
            address, settings.temporal.namespace, security=connection_security(settings)
        )
    except RuntimeError:
        raise Unavailable(f"cannot reach Temporal at {address}") from None
    done.search_attributes_added = await ensure_search_attributes(
        client, settings.temporal.namespace
    )
    if await ensure_retention(client, settings.temporal.namespace, settings.schedules.retention):
        done.retention = spoken_duration(settings.schedules.retention, "dh")
    return done


def _owner_url(settings: Settings) -> str:
    if settings.database.owner_url:
        return settings.database.owner_url
    if settings.database.url is None:
        embedded = running_embedded_postgres(settings.local.data_dir)
        if embedded is not None:
            return with_user(embedded, OWNER_ROLE)
        raise Unavailable(
            f"the embedded PostgreSQL in {settings.local.data_dir} is not running: start "
            "the service with `make run` (which makes the local administrator itself), or "
            "set DSR_OWNER_DATABASE_URL"
        )
    raise Refused(
        "set DSR_OWNER_DATABASE_URL: the first administrator is made as the schema's owner "
        "(no role of the service may write accounts)"
    )


async def bootstrap_administrator(settings: Settings, name: str) -> str:
    """The first administrator of a database that has no enabled one; returns its token,
    shown once. Refused (nothing written) once an enabled administrator exists: they make
    the others, through the API."""
    try:
        pool = await create_pool(_owner_url(settings), max_size=1)
    except (OSError, asyncpg.PostgresError) as error:
        raise Unavailable(f"cannot reach the database: {error}") from None
    try:
        accounts = Accounts(pool)
        if await accounts.enabled_administrator():
            raise Refused(
                "an enabled administrator exists already: they make accounts "
                "(`dsr accounts create NAME --role admin`); nothing was written"
            )
        try:
            return await accounts.create(name, (Role.ADMIN,), BOOTSTRAPPED_BY)
        except AccountProblem as error:
            raise Refused(str(error)) from None
    finally:
        await pool.close()


def rotate_act_key(settings: Settings) -> tuple[str, Path]:
    """A new act key pair (the signer's `rotate_act_key`); returns its key id and where the
    private key is, for the message."""
    act_keys = _act_keys()
    try:
        key_id = act_keys.rotate_act_key(settings)
        return key_id, act_keys.signing_key_file(settings)
    except (act_keys.ActKeyProblem, OSError) as error:
        raise Refused(f"act keys: {error}") from None


async def log_alarms(settings: Settings, *, only_open: bool) -> list[LogAlarm]:
    """The checkpoint signer's alarms (audit/checkpoints.py), read as the schema's owner."""
    pool = await _owner_pool(settings)
    try:
        return await (open_alarms(pool) if only_open else every_alarm(pool))
    finally:
        await pool.close()


async def acknowledge_log_alarm(
    settings: Settings, alarm_id: int, operator: str, reason: str
) -> LogAlarm:
    """As the schema's owner: an operator has looked at the alarm; the log as it found it
    is the base the signer extends from now (N6). Refused for an unknown alarm, one
    acknowledged already, or without an operator's name and a reason."""
    if not operator.strip() or not reason.strip():
        raise Refused("name the operator (--by) and say why (--reason); nothing was written")
    pool = await _owner_pool(settings)
    try:
        return await acknowledge(pool, alarm_id, operator.strip(), reason.strip())
    except NoSuchAlarm as error:
        raise Refused(f"{error}; nothing was written") from None
    finally:
        await pool.close()


async def _owner_pool(settings: Settings) -> asyncpg.Pool:
    try:
        return await create_pool(_owner_url(settings), max_size=1)
    except (OSError, asyncpg.PostgresError) as error:
        raise Unavailable(f"cannot reach the database: {error}") from None
