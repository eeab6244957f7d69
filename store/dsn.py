"""PostgreSQL URLs: the same server as another role, or another database (the roles of
store/privileges.py, which re-exports these)."""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit, urlunsplit


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
