"""`dsr datastores check` on the demo organisation: exit 0 when the map fits the live
systems, 3 with one line per finding when it does not; a map that does not validate is
refused with one line per problem before any system is reached."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
import yaml

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
from starter import main
from store.privileges import with_database


@dataclass(frozen=True)
class Demo:
    map_file: Path
    superuser_url: str


@pytest.fixture
async def demo(postgres_server: str, unique: str, tmp_path: Path) -> AsyncIterator[Demo]:
    name = f"demo_{unique}"
    database = await create_demo_database(postgres_server, database=name, customers=100)
    superuser = with_database(postgres_server, name)
    connection = await asyncpg.connect(superuser)
    try:
        await create_support_desk_schema(connection)
        await seed_support_desk(connection, 100)
    finally:
        await connection.close()
    token = secrets.token_urlsafe(12)
    try:
        async with support_desk_serving(superuser, token) as desk_url:
            files = {
                "database_url_file": (tmp_path / "db.url", database.url),
                "support_desk_url_file": (tmp_path / "desk.url", desk_url),
                "support_desk_token_file": (tmp_path / "desk.token", f"Bearer {token}"),
            }
            for path, value in files.values():
                path.write_text(value)
            write_demo_map(
                tmp_path / "datastores.yaml", **{k: path for k, (path, _) in files.items()}
            )
            yield Demo(tmp_path / "datastores.yaml", superuser)
    finally:
        await drop_demo_database(postgres_server, database=name)


async def _dsr(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], map_file: Path
) -> tuple[int, str, str]:
    monkeypatch.setenv("DSR_DATASTORES", str(map_file))
    capsys.readouterr()
    code = await asyncio.to_thread(main, ["datastores", "check"])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_the_demo_fits_its_map_and_a_real_mismatch_is_found(
    demo: Demo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = await _dsr(monkeypatch, capsys, demo.map_file)
    assert code == 0, out
    assert "customer-db (postgres): fits the map" in out
    assert "support-desk (http): fits the map" in out

    connection = await asyncpg.connect(demo.superuser_url)
    try:
        await connection.execute("ALTER TABLE login_events DROP COLUMN user_agent")
        await connection.execute("DROP INDEX web_analytics_visitor_email_idx")
    finally:
        await connection.close()
    code, out, _ = await _dsr(monkeypatch, capsys, demo.map_file)
    assert code == 3
    lines = out.strip().splitlines()
    assert any("login_events" in line and "no column 'user_agent'" in line for line in lines)
    assert any("visitor_email" in line and "no index" in line for line in lines)


async def test_a_map_that_does_not_validate_is_refused_one_line_a_problem(
    demo: Demo,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    document = yaml.safe_load(demo.map_file.read_text())
    collections = document["systems"]["customer-db"]["collections"]
    collections["customers"]["fields"]["email"]["category"] = "contacts"
    collections["orphans"] = {
        "fields": {
            "x": {
                "column": "x",
                "category": "history",
                "purposes": ["billing"],
                "lawfully_obtained": True,
            }
        },
        "suspension_flag": "processing_restricted",
    }
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document))
    code, out, err = await _dsr(monkeypatch, capsys, bad)
    assert code == 2 and out == ""
    assert "systems.customer-db.collections.customers.fields.email.category: 'contacts'" in err

    del collections["customers"]["fields"]["email"]["category"]
    collections["customers"]["fields"]["email"]["category"] = "contact"
    bad.write_text(yaml.safe_dump(document))
    code, out, err = await _dsr(monkeypatch, capsys, bad)
    assert code == 2
    assert "collection orphans: no identity reaches it" in err
