"""`GET /api/v1/datastores/check` and `/datastores/preview/{subject}` on the demo
organisation, as `dsr datastores check|preview` call them: the API reads the map its
settings name; findings per system; what a subject's request would collect, fields or
values; who may call each."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import yaml

from domain.authority import Role
from interfaces.api.services import Services
from runtime.settings import Settings
from store.accounts import Accounts
from tests.support.api import bearer, make_app
from tests.support.demo_map import Demo, demo_organisation
from tests.support.inventory import example
from tests.support.temporal import TEST_ACT_SIGNER


@pytest.fixture
async def demo(postgres_server: str, unique: str, tmp_path: Path) -> AsyncIterator[Demo]:
    async with demo_organisation(postgres_server, unique, tmp_path) as organisation:
        yield organisation


def _app(pool: asyncpg.Pool, tmp_path: Path, map_file: Path | None) -> httpx.AsyncClient:
    client: Any = None  # nothing here asks Temporal
    environment = {"DSR_DATA_DIR": str(tmp_path)}
    if map_file is not None:
        environment["DSR_DATASTORES"] = str(map_file)
    app = make_app(Services(client, pool, Settings(**environment), TEST_ACT_SIGNER))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_the_demo_fits_its_map_and_a_subject_is_previewed(
    demo: Demo, pool: asyncpg.Pool, owner_pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> None:
    accounts = Accounts(owner_pool)  # no role of the service writes accounts
    auditor = await accounts.create(f"aud-{unique}", (Role.AUDITOR,), "tests")
    operator = await accounts.create(f"op-{unique}", (Role.OPERATOR,), "tests")
    admin = await accounts.create(f"adm-{unique}", (Role.ADMIN,), "tests")
    async with _app(pool, tmp_path, demo.map_file) as http:
        checked = await http.get("/api/v1/datastores/check", headers=bearer(auditor))
        assert checked.status_code == 200, checked.text
        systems = {row["system"]: row for row in checked.json()}
        assert systems["customer-db"] == {
            "system": "customer-db",
            "kind": "postgres",
            "findings": [],
        }
        assert systems["support-desk"]["findings"] == []

        inventory = example(unique)
        subject = inventory["subjects"][0]["subject_id"]
        assert (
            await http.post("/api/v1/inventory", json=inventory, headers=bearer(admin))
        ).is_success
        path = f"/api/v1/datastores/preview/{subject}"
        assert (await http.get(path, headers=bearer(auditor))).status_code == 403
        fields = await http.get(path, headers=bearer(operator))
        assert fields.status_code == 200, fields.text
        values = await http.get(path, params={"values": "true"}, headers=bearer(operator))
        by_system = {entry["system"]: entry for entry in values.json()}
        # Hanako (customer 42) is found by the e-mail address the inventory holds.
        assert by_system["customer-db"]["counts"]["customers"] == 1
        [customer] = [r for r in by_system["customer-db"]["rows"] if r["collection"] == "customers"]
        assert customer["fields"]["full_name"] == "Hanako Yamada"
        assert set(by_system) >= {"customer-db", "support-desk"}
        for entry in fields.json():
            for row in entry.get("rows", []):
                assert isinstance(row["fields"], list)
        for entry in values.json():
            for row in entry.get("rows", []):
                assert isinstance(row["fields"], dict)
        missing = await http.get(
            f"/api/v1/datastores/preview/none-{unique}", headers=bearer(operator)
        )
        assert missing.status_code == 404 and "no subject" in missing.json()["detail"]


async def test_no_map_or_a_refused_one_is_409_with_its_problems(
    demo: Demo, pool: asyncpg.Pool, owner_pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> None:
    auditor = await Accounts(owner_pool).create(f"aud-{unique}", (Role.AUDITOR,), "tests")
    intake = await Accounts(owner_pool).create(f"svc-{unique}", (Role.INTAKE,), "tests")
    async with _app(pool, tmp_path / "none", None) as http:
        reply = await http.get("/api/v1/datastores/check", headers=bearer(auditor))
        assert reply.status_code == 409 and "no data map" in reply.json()["detail"]
        assert (
            await http.get("/api/v1/datastores/check", headers=bearer(intake))
        ).status_code == 403
    document = yaml.safe_load(demo.map_file.read_text())
    fields = document["systems"]["customer-db"]["collections"]["customers"]["fields"]
    fields["email"]["category"] = "contacts"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(document))
    async with _app(pool, tmp_path, bad) as http:
        reply = await http.get("/api/v1/datastores/check", headers=bearer(auditor))
        assert reply.status_code == 409
        assert (
            "systems.customer-db.collections.customers.fields.email.category: 'contacts'"
            in reply.json()["detail"]
        )
