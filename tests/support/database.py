"""PostgreSQL for tests: scratch databases set up as the service sets up its own, the
suite's vault, and what an attacker with a superuser's power does to the record."""

from __future__ import annotations

import base64
import contextlib
import secrets
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from domain.chain import GENESIS_HASH, canonical_encoding, link_hash
from domain.event_log import LOG_GENESIS, log_link
from store.keyring import DirectoryKeyring
from store.privileges import ensure_roles, prepare_store, user_of, with_database, with_user
from store.sealing import Vault

# The suite's key-encryption key: random for each run, never written to the repository.
TEST_KEY_ENCRYPTION_KEY = secrets.token_bytes(32)


def suite_vault(keyring: Path) -> Vault:
    """A vault whose subjects' keys are files in `keyring`, wrapped under the suite's
    key-encryption key."""
    return Vault.of(DirectoryKeyring(keyring, TEST_KEY_ENCRYPTION_KEY), TEST_KEY_ENCRYPTION_KEY)


def vault_environment(keyring: Path) -> dict[str, str]:
    """What `dsr` or the service needs in its environment to open what `suite_vault(keyring)`
    sealed."""
    return {
        "DSR_KEYRING_DIR": str(keyring),
        "DSR_KEY_ENCRYPTION_KEY": base64.b64encode(TEST_KEY_ENCRYPTION_KEY).decode(),
    }


@contextlib.asynccontextmanager
async def scratch_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """A new, empty database on the server for the duration; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield with_database(server_url, name)
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


@dataclass(frozen=True)
class Roles:
    """A scratch database as its kinds of user: the worker's role, the API's role, the
    schema's owner, a superuser (an attacker, or a test arranging what no role of the
    service may do), and `runtime`, a member of both the worker's and the API's roles: the
    one pool most tests give both the worker and the API they run in one process."""

    runtime_url: str
    owner_url: str
    superuser_url: str
    worker_url: str
    api_url: str

    @property
    def api_role(self) -> str:
        return _user(self.api_url)

    @property
    def worker_role(self) -> str:
        return _user(self.worker_url)


def _user(url: str) -> str:
    user = user_of(url)
    assert user is not None
    return user


@contextlib.asynccontextmanager
async def database_with_roles(
    server_url: str, prefix: str, *, migrated: bool = True, strict_clock: bool = False
) -> AsyncIterator[Roles]:
    """A new database set up as the service sets up its own: an owner, a worker's and an
    API's role of its own (the server may be shared; all dropped afterwards), and unless
    `migrated` is false, the migrations applied as the owner and the roles' grants.

    The events' clock check (migration 0032) is widened unless `strict_clock`: workflows
    on the time-skipping server date events days ahead of the database's clock, and the
    builders date them at a fixed past clock in any order. `strict_clock` keeps the
    shipped tolerance (5 minutes ahead, none behind)."""
    suffix = uuid.uuid4().hex[:10]
    owner, worker, api = f"dsr_owner_{suffix}", f"dsr_worker_{suffix}", f"dsr_api_{suffix}"
    runtime = f"dsr_both_{suffix}"
    try:
        async with scratch_database(server_url, prefix) as url:
            await ensure_roles(url, owner=owner, worker=worker, api=api, retire=None)
            admin = await asyncpg.connect(url)
            try:
                await admin.execute(f'CREATE ROLE "{runtime}" LOGIN IN ROLE "{worker}", "{api}"')
            finally:
                await admin.close()
            roles = Roles(
                runtime_url=with_user(url, runtime),
                owner_url=with_user(url, owner),
                superuser_url=url,
                worker_url=with_user(url, worker),
                api_url=with_user(url, api),
            )
            if migrated:
                await prepare_store(roles.worker_url, roles.owner_url, api=api)
                # The suite's one pool also makes the accounts a test acts as, as it goes
                # (tests.support.temporal.actors_standing): that, and only for this
                # test-only role, writes accounts directly. The worker's and the API's
                # roles never may (tests/store/test_role_split.py).
                owner_connection = await asyncpg.connect(roles.owner_url)
                try:
                    await owner_connection.execute(
                        f'GRANT INSERT, UPDATE ON accounts TO "{runtime}"'
                    )
                    await owner_connection.execute(
                        f'GRANT INSERT ON account_changes TO "{runtime}"'
                    )
                    if not strict_clock:
                        await owner_connection.execute(
                            "UPDATE evidence_clock SET max_ahead = interval '1000 years',"
                            " max_behind = interval '1000 years'"
                        )
                finally:
                    await owner_connection.close()
            yield roles
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            for role in (runtime, worker, api, owner):
                await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await admin.close()


async def tamper(
    superuser: asyncpg.Pool,
    sql: str,
    *args: object,
    tables: tuple[str, ...] = ("request_events", "event_log"),
) -> str:
    """Run `sql` as an attacker with a superuser's power would: the tables' triggers
    switched off, the statement run, the triggers switched back as they were, in one
    transaction (nobody else ever sees them off). Returns the statement's status."""
    async with superuser.acquire() as connection, connection.transaction():
        triggers = await connection.fetch(
            """SELECT c.relname AS table_name, t.tgname, t.tgenabled::text AS tgenabled
                 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                WHERE c.relname = ANY ($1) AND NOT t.tgisinternal""",
            list(tables),
        )
        for t in triggers:
            await connection.execute(
                f'ALTER TABLE "{t["table_name"]}" DISABLE TRIGGER "{t["tgname"]}"'
            )
        status = await connection.execute(sql, *args)
        restore = {"A": "ENABLE ALWAYS", "O": "ENABLE", "R": "ENABLE REPLICA"}
        for t in triggers:
            if t["tgenabled"] != "D":
                await connection.execute(
                    f'ALTER TABLE "{t["table_name"]}" '
                    f'{restore[t["tgenabled"]]} TRIGGER "{t["tgname"]}"'
                )
        return status


async def rechain(superuser: asyncpg.Pool, request_id: str) -> None:
    """What an attacker who knows the chain does after changing a request's events:
    recompute every hash of the request and the projection's last one."""
    rows = await superuser.fetch(
        "SELECT * FROM request_events WHERE request_id = $1 ORDER BY seq", request_id
    )
    prev = GENESIS_HASH
    for seq, row in enumerate(rows, start=1):
        digest = link_hash(
            prev,
            canonical_encoding(
                request_id=request_id,
                seq=seq,
                type=row["type"],
                payload=row["payload"],
                occurred_at=row["occurred_at"],
                actor=row["actor"],
                idempotency_key=row["idempotency_key"],
            ),
        )
        await tamper(
            superuser,
            """UPDATE request_events SET seq = $3, prev_hash = $4, hash = $5
                                    WHERE request_id = $1 AND seq = $2""",
            request_id,
            row["seq"],
            seq,
            prev,
            digest,
        )
        prev = digest
    await superuser.execute(
        "UPDATE requests SET last_seq = $2, last_hash = $3 WHERE request_id = $1",
        request_id,
        len(rows),
        prev,
    )


async def relog(superuser: asyncpg.Pool) -> None:
    """...and, knowing the log too, rebuild it from the events as they now are."""
    events = await superuser.fetch(
        """SELECT e.request_id, e.seq, e.hash FROM request_events e
             LEFT JOIN event_log l ON l.request_id = e.request_id AND l.seq = e.seq
            ORDER BY l.position NULLS LAST, e.recorded_at, e.seq"""
    )
    await tamper(superuser, "DELETE FROM event_log")
    head = LOG_GENESIS
    for position, row in enumerate(events, start=1):
        head = log_link(head, row["hash"])
        await tamper(
            superuser,
            "INSERT INTO event_log VALUES ($1, $2, $3, $4, $5)",
            position,
            row["request_id"],
            row["seq"],
            row["hash"],
            head,
        )
