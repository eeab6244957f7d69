"""The worker's connectors: the data map read and each of its systems opened, once per
worker, closed when it stops (connectors/)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from connectors.base import Connector
from connectors.datamap_file import MissingSecret, read_data_map, secret_of
from connectors.demo.support_desk import support_desk_serving
from connectors.http import HttpConnector
from connectors.postgres import PostgresConnector
from domain.datamap import DataMap, System, SystemKind
from runtime.settings import SettingsError


@dataclass(frozen=True)
class OpenSystems:
    """The data map and a connector for each system that has one (a manual system has
    none: its owner finds and acts)."""

    data_map: DataMap = field(default_factory=DataMap)
    connectors: dict[str, Connector] = field(default_factory=dict)


def connector_for(name: str, system: System) -> Connector | None:
    """The connector of one system, its secrets read now; None for a manual system."""
    try:
        if system.kind is SystemKind.POSTGRES:
            assert system.connection is not None
            return PostgresConnector(name, system, url=secret_of(system.connection))
        if system.kind is SystemKind.HTTP:
            return HttpConnector.from_map(name, system)
    except MissingSecret as error:
        raise SettingsError(f"DSR_DATASTORES: system {name}: {error}") from None
    return None


@asynccontextmanager
async def open_systems(path: Path | None) -> AsyncIterator[OpenSystems]:
    """The systems of the map at `path` (none when it is None), open until the block ends."""
    if path is None:
        yield OpenSystems()
        return
    data_map = read_data_map(path)
    connectors: dict[str, Connector] = {}
    try:
        for name, system in data_map.systems.items():
            connector = connector_for(name, system)
            if connector is not None:
                connectors[name] = connector
        yield OpenSystems(data_map, connectors)
    finally:
        for connector in connectors.values():
            await connector.close()


DEMO_FOLDER = "demo"
"""Where `dsr-admin datastores demo` keeps the demo's secret files, in the data folder."""


def demo_support_desk(data_dir: Path, data_map: DataMap) -> AbstractAsyncContextManager[object]:
    """The demo's support desk, served beside the worker when the map in use names it
    (its URL is the demo's file): the HTTP system of the demo organisation."""
    folder = data_dir / DEMO_FOLDER
    url_file = folder / "support-desk.url"
    named = any(
        system.connection is not None
        and system.connection.secret_file is not None
        and Path(system.connection.secret_file) == url_file
        for system in data_map.systems.values()
    )
    if not (named and url_file.exists()):
        return contextlib.nullcontext()
    port = urlsplit(url_file.read_text(encoding="utf-8").strip()).port or 0
    token = (folder / "support-desk.token").read_text(encoding="utf-8").strip()
    return support_desk_serving(
        (folder / "support-desk-db.url").read_text(encoding="utf-8").strip(),
        token.removeprefix("Bearer "),
        port=port,
    )
