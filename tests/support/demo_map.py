"""The demo organisation (connectors/demo) in a database of the test's own, its support
desk served, and its data map with the secret files it names, for the `dsr datastores`
tests of the API and the command line."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from connectors.demo.organisation import (
    create_demo_database,
    drop_demo_database,
    write_demo_map,
)
from connectors.demo.support_desk import (
    create_support_desk_schema,
    seed_support_desk,
    support_desk_serving,
)
from store.privileges import with_database


@dataclass(frozen=True)
class Demo:
    map_file: Path
    superuser_url: str


@asynccontextmanager
async def demo_organisation(
    postgres_server: str, unique: str, folder: Path, customers: int = 100
) -> AsyncIterator[Demo]:
    name = f"demo_{unique}"
    database = await create_demo_database(postgres_server, database=name, customers=customers)
    superuser = with_database(postgres_server, name)
    connection = await asyncpg.connect(superuser)
    try:
        await create_support_desk_schema(connection)
        await seed_support_desk(connection, customers)
    finally:
        await connection.close()
    token = secrets.token_urlsafe(12)
    try:
        async with support_desk_serving(superuser, token) as desk_url:
            files = {
                "database_url_file": (folder / "db.url", database.url),
                "support_desk_url_file": (folder / "desk.url", desk_url),
                "support_desk_token_file": (folder / "desk.token", f"Bearer {token}"),
            }
            for path, value in files.values():
                path.write_text(value)
            write_demo_map(
                folder / "datastores.yaml", **{k: path for k, (path, _) in files.items()}
            )
            yield Demo(folder / "datastores.yaml", superuser)
    finally:
        await drop_demo_database(postgres_server, database=name)
