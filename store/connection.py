"""The connection type every store function takes: asyncpg's own, or the proxy a pool lends
(`async with pool.acquire()`). The proxy forwards every call to the connection it wraps but
is not a subclass of it, so a function that accepts both says so."""

from __future__ import annotations

from typing import TypeAlias

import asyncpg
from asyncpg.pool import PoolConnectionProxy

Connection: TypeAlias = asyncpg.Connection | PoolConnectionProxy
