"""The data map as an operator uses it: check it against the live systems, preview what a
subject's requests would collect (`dsr datastores`, through the API), and create the demo
organisation (`dsr-admin datastores demo`, beside the servers)."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from connectors.base import Collected, SystemRefused, SystemUnavailable
from connectors.datamap_file import InvalidDataMap, read_data_map
from connectors.demo.organisation import create_demo_database, write_demo_map
from connectors.demo.support_desk import create_support_desk_schema, seed_support_desk
from runtime.connectors import DEMO_FOLDER, open_systems
from runtime.servers import free_port, running_embedded_postgres
from runtime.settings import Settings
from service.requests import Refused, Unavailable
from store.privileges import with_database
from store.systems import identities_of


@dataclass(frozen=True)
class SystemCheck:
    system: str
    kind: str
    findings: list[str] = field(default_factory=list)


def map_path(settings: Settings) -> Path:
    path = settings.datastores_file()
    if path is None:
        raise Refused(
            "no data map: set DSR_DATASTORES to a datastores.yaml, or run "
            "`dsr-admin datastores demo` (docs/connectors.md)"
        )
    return path


async def check(settings: Settings) -> list[SystemCheck]:
    """Each system's findings against the live system: its tables and columns, indexes on
    what a subject is found by, the connector's rights (a manual system has none)."""
    path = map_path(settings)
    data_map = read_data_map(path)  # InvalidDataMap: the map's own problems, one a line
    results: list[SystemCheck] = []
    async with open_systems(path) as systems:
        live = await asyncio.gather(
            *(connector.check() for connector in systems.connectors.values())
        )
        found = dict(zip(systems.connectors, live, strict=True))
        for name, system in data_map.systems.items():
            findings = list(found.get(name, []))
            results.append(SystemCheck(name, system.kind.value, findings))
    return results


class UnknownSubject(Refused):
    """The store holds no such subject; nothing was collected."""


@dataclass(frozen=True)
class Preview:
    system: str
    collected: Collected | None = None
    problem: str | None = None


async def preview(settings: Settings, pool: asyncpg.Pool, subject_id: str) -> list[Preview]:
    """What a request of `subject_id` would collect from each system now: nothing is
    written, no request is made."""
    path = map_path(settings)
    async with pool.acquire() as connection:
        known = await connection.fetchval(
            "SELECT 1 FROM subjects WHERE subject_id = $1", subject_id
        )
        identities = await identities_of(connection, subject_id)
    if not known:
        raise UnknownSubject(f"no subject {subject_id!r} in the store (load an inventory first)")
    previews = []
    async with open_systems(path) as systems:
        for name, system in systems.data_map.systems.items():
            connector = systems.connectors.get(name)
            if connector is None:
                previews.append(Preview(name, problem=f"manual: its owner {system.owner} finds"))
                continue
            try:
                previews.append(Preview(name, await connector.collect(identities)))
            except (SystemUnavailable, SystemRefused) as error:
                previews.append(Preview(name, problem=str(error)))
    return previews


DEMO_DATABASE = "sesenergy"


@dataclass(frozen=True)
class Demo:
    data_map: Path
    rows: dict[str, int]
    support_desk_url: str


async def create_demo(settings: Settings, customers: int) -> Demo:
    """Sesenergy in the embedded PostgreSQL of `make run`, the secret files its map names
    (0600, in <data dir>/demo) and the map in <data dir>/datastores.yaml."""
    server = running_embedded_postgres(settings.local.data_dir)
    if server is None:
        raise Unavailable(
            f"the embedded PostgreSQL in {settings.local.data_dir} is not running: start the "
            "service with `make run` first (the demo organisation lives beside it)"
        )
    database = await create_demo_database(server, database=DEMO_DATABASE, customers=customers)
    # The support desk keeps its records in a schema of the same database, as its own
    # application would; it is served by `make run` when the map names it.
    desk_database = with_database(server, DEMO_DATABASE)
    connection = await asyncpg.connect(desk_database)
    try:
        await create_support_desk_schema(connection)
        await seed_support_desk(connection, customers)
    finally:
        await connection.close()
    folder = settings.local.data_dir / DEMO_FOLDER
    folder.mkdir(mode=0o700, exist_ok=True)
    url = f"http://127.0.0.1:{free_port()}"
    _secret(folder / "support-desk-db.url", desk_database)
    files = {
        "database_url_file": (folder / "customer-db.url", database.url),
        "support_desk_url_file": (folder / "support-desk.url", url),
        "support_desk_token_file": (
            folder / "support-desk.token",
            f"Bearer {secrets.token_urlsafe(24)}",
        ),
    }
    for path, value in files.values():
        _secret(path, value)
    target = settings.local.data_dir / "datastores.yaml"
    write_demo_map(target, **{name: path for name, (path, _) in files.items()})
    read_data_map(target)  # the map written is one the worker reads
    return Demo(target, dict(database.rows), url)


def _secret(path: Path, value: str) -> None:
    """A secret file, readable by its owner only from before its value is written."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(value + "\n", encoding="utf-8")


__all__ = [
    "Demo",
    "InvalidDataMap",
    "Preview",
    "SystemCheck",
    "UnknownSubject",
    "check",
    "create_demo",
    "preview",
]
