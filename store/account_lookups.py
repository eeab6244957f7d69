"""Whether the store has any account yet: the first account of a database may be made
without an administrator's token (interfaces/cli/accounts.py). The accounts themselves are
store/accounts.py's."""

from __future__ import annotations

import asyncpg


async def any_account(pool: asyncpg.Pool | asyncpg.Connection) -> bool:
    """True once an account exists, disabled or not."""
    return await pool.fetchval("SELECT EXISTS (SELECT 1 FROM accounts)")
