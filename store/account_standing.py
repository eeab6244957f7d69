"""An account as the store knows it now, for the worker's check of an act: its roles and
whether it is enabled. Read only (the worker never writes accounts)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from domain.authority import Role


@dataclass(frozen=True)
class Standing:
    roles: frozenset[Role]
    enabled: bool


async def account_standing(pool: asyncpg.Pool, account: str) -> Standing | None:
    """The account's roles and whether it is enabled; None when there is no such account."""
    row = await pool.fetchrow(
        "SELECT roles, disabled_at IS NULL AS enabled FROM accounts WHERE account = $1",
        account,
    )
    if row is None:
        return None
    known = {r.value for r in Role}
    return Standing(frozenset(Role(r) for r in row["roles"] if r in known), row["enabled"])
