"""Accounts: a name, roles, and the hash of a bearer token shown once.

Tokens are 32 random bytes (url-safe base64, prefixed `dsr_` so a leaked one is easy to
find in a log or a repository); the store keeps only their sha256, so a copy of the
database lets nobody sign in.

Neither the worker's role nor the API's may write `accounts` (store/privileges.py). The API
makes, disables and re-roles accounts through `Administration`, which calls the database's
functions of migration 0027 with the calling administrator's token: the database itself
checks that it is an enabled administrator's and records that administrator as the one who
acted. `Accounts.create` and `Accounts.disable` write directly and so work only for the
schema's owner: `dsr-admin accounts bootstrap` and the embedded default's local
administrator.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from domain.authority import Role
from store.connection import Connection

ACCOUNT_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")


class AccountProblem(ValueError):
    """An account that cannot be made as asked; the message says why."""


class NotAdministrator(PermissionError):
    """The token given to the database's account functions is not an enabled
    administrator's: nothing was changed."""


class NoSuchAccount(LookupError):
    """The account to disable or re-role does not exist."""


@dataclass(frozen=True)
class Account:
    account: str
    roles: frozenset[Role]

    def holds(self, role: Role) -> bool:
        return role in self.roles or Role.ADMIN in self.roles


def new_token() -> str:
    return "dsr_" + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def create(self, account: str, roles: tuple[Role, ...], created_by: str) -> str:
        """As the schema's owner (the first administrator, the embedded default's local
        one): make the account; returns its token, which is not kept and cannot be shown
        again. The change is recorded in `account_changes` as made by `created_by`."""
        _check_new(account, roles)
        token = new_token()
        async with self._pool.acquire() as connection, connection.transaction():
            try:
                await connection.execute(
                    """INSERT INTO accounts (account, roles, token_hash, created_by)
                       VALUES ($1, $2, $3, $4)""",
                    account,
                    sorted({r.value for r in roles}),
                    token_hash(token),
                    created_by,
                )
            except asyncpg.UniqueViolationError:
                raise AccountProblem(f"account {account} exists already") from None
            await connection.execute(
                """INSERT INTO account_changes (account, change, roles, changed_by)
                   SELECT account, 'made', roles, $2 FROM accounts WHERE account = $1""",
                account,
                created_by,
            )
        return token

    async def authenticate(self, token: str | None) -> Account | None:
        """The enabled account the token belongs to, or None."""
        if not token:
            return None
        row = await self._pool.fetchrow(
            "SELECT account, roles FROM accounts WHERE token_hash = $1 AND disabled_at IS NULL",
            token_hash(token),
        )
        if row is None:
            return None
        return Account(row["account"], frozenset(Role(r) for r in row["roles"]))

    async def enabled_administrator(self) -> bool:
        """True once an enabled account holds the admin role."""
        return bool(
            await self._pool.fetchval(
                """SELECT EXISTS (SELECT 1 FROM accounts
                    WHERE disabled_at IS NULL AND $1 = ANY (roles))""",
                Role.ADMIN.value,
            )
        )

    async def disable(self, account: str) -> bool:
        """As the schema's owner: disable the account directly."""
        status = await self._pool.execute(
            "UPDATE accounts SET disabled_at = now() WHERE account = $1 AND disabled_at IS NULL",
            account,
        )
        return status.endswith(" 1")

    async def exists(self, account: str) -> bool:
        return bool(await self._pool.fetchval("SELECT 1 FROM accounts WHERE account = $1", account))

    async def may(self, account: str, role: Role) -> bool:
        """Whether the account is enabled and holds `role` (or admin)."""
        roles = await self._pool.fetchval(
            "SELECT roles FROM accounts WHERE account = $1 AND disabled_at IS NULL", account
        )
        return roles is not None and (role.value in roles or Role.ADMIN.value in roles)

    async def list(self) -> list[dict]:
        rows = await self._pool.fetch(
            """SELECT account, roles, created_at, created_by, disabled_at FROM accounts
                ORDER BY account"""
        )
        return [dict(row) for row in rows]

    async def count_refusal(self, reason: str, method: str, route: str) -> None:
        """A call refused for want of a token (401), counted in its minute's row for the
        reason, method and route (migration 0035): a flood of them adds a row a minute,
        not a row a call (review N8)."""
        await self._pool.execute(
            """INSERT INTO access_refusal_counts AS c
                   (window_start, status, reason, method, route, refusals)
               VALUES (date_trunc('minute', now()), 401, $1, $2, $3, 1)
               ON CONFLICT (window_start, status, reason, method, route) DO UPDATE
                   SET refusals = c.refusals + 1,
                       last_at = greatest(c.last_at, excluded.last_at)""",
            reason[:200],
            method[:16],
            route[:500],
        )

    async def record_refusal(
        self, status: int, account: str | None, method: str, path: str, reason: str
    ) -> None:
        await self._pool.execute(
            """INSERT INTO access_refusals (status, account, method, path, reason)
               VALUES ($1, $2, $3, $4, $5)""",
            status,
            account,
            method,
            path[:500],
            reason[:500],
        )


@dataclass(frozen=True)
class MadeAccount:
    token: str  # shown once, never kept
    created_by: str  # the administrator whose token made it, as the database recorded


class Administration:
    """What an administrator does to accounts, through the database's functions (migration
    0027) with the administrator's own token: the database checks it and records who
    acted. The only way the API's role changes an account."""

    def __init__(self, pool: asyncpg.Pool | Connection, admin_token: str) -> None:
        self._pool = pool
        self._token = admin_token

    async def create(self, account: str, roles: tuple[Role, ...]) -> MadeAccount:
        """Make the account; its token is in the reply, once."""
        _check_new(account, roles)
        token = new_token()
        async with _refused_as_words(account):
            created_by = await self._pool.fetchval(
                "SELECT make_account($1, $2, $3, $4)",
                self._token,
                account,
                sorted({r.value for r in roles}),
                token_hash(token),
            )
        return MadeAccount(token, created_by)

    async def disable(self, account: str) -> bool:
        """Disable the account: True when it was enabled until now, False when it was
        disabled already; NoSuchAccount when there is none."""
        async with _refused_as_words(account):
            return bool(
                await self._pool.fetchval("SELECT disable_account($1, $2)", self._token, account)
            )

    async def set_roles(self, account: str, roles: tuple[Role, ...]) -> bool:
        """Give the account exactly `roles`: True when they changed."""
        if not roles:
            raise AccountProblem("give the account at least one role")
        async with _refused_as_words(account):
            return bool(
                await self._pool.fetchval(
                    "SELECT set_account_roles($1, $2, $3)",
                    self._token,
                    account,
                    sorted({r.value for r in roles}),
                )
            )


def _check_new(account: str, roles: tuple[Role, ...]) -> None:
    if not ACCOUNT_NAME.fullmatch(account):
        raise AccountProblem(
            f"account name {account[:70]!r}: 1-64 lower-case letters, digits and . _ @ -, "
            "starting with a letter or digit"
        )
    if not roles:
        raise AccountProblem("give the account at least one role")


@contextlib.asynccontextmanager
async def _refused_as_words(account: str) -> AsyncIterator[None]:
    try:
        yield
    except asyncpg.InsufficientPrivilegeError:
        raise NotAdministrator(
            "the token is not an enabled administrator's: no account was changed"
        ) from None
    except asyncpg.UniqueViolationError:
        raise AccountProblem(f"account {account} exists already") from None
    except asyncpg.NoDataFoundError:
        raise NoSuchAccount(f"no account {account}") from None


def read_token_file(path: Path) -> str | None:
    """The token in a file such as the local administrator's, or None when there is none."""
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


async def ensure_local_admin(accounts: Accounts, token_file: Path) -> str | None:
    """The embedded default's local administrator: made at the first start, its token left
    in `token_file` (0600) for `dsr` on the same machine. `accounts` on the schema owner's
    connection (neither the worker's role nor the API's may write accounts). Returns the
    account made now, or None when the file's token still signs in."""
    if await accounts.authenticate(read_token_file(token_file)) is not None:
        return None
    for n in range(1, 1000):
        name = "admin" if n == 1 else f"admin-{n}"
        if not await accounts.exists(name):
            break
    token = await accounts.create(name, (Role.ADMIN,), created_by="make run")
    token_file.parent.mkdir(parents=True, exist_ok=True)
    temporary = token_file.with_suffix(".new")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(token + "\n")
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(token_file)
    return name
