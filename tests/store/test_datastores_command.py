"""`dsr datastores check` and `preview` on the demo organisation, through the API (which
reads the map its settings name): exit 0 when the map fits the live systems, 3 with one
line per finding when it does not; a map that does not validate is refused with one line
per problem before any system is reached. `dsr` is a subprocess holding only DSR_URL and
DSR_TOKEN."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml

from domain.authority import Role
from domain.inventory import parse_inventory
from interfaces.api.services import Services
from store.accounts import Accounts
from store.inventory import InventoryStore
from tests.support.cli import Dsr, cli_settings, served
from tests.support.demo_map import Demo, demo_organisation
from tests.support.inventory import example
from tests.support.temporal import TEST_ACT_SIGNER

Check = Callable[[Path], Any]


@pytest.fixture
async def demo(postgres_server: str, unique: str, tmp_path: Path) -> AsyncIterator[Demo]:
    async with demo_organisation(postgres_server, unique, tmp_path) as organisation:
        yield organisation


@pytest.fixture
async def operator(pool: asyncpg.Pool, unique: str) -> str:
    return await Accounts(pool).create(f"op-{unique}", (Role.OPERATOR,), "tests")


@pytest.fixture
def dsr_with_map(pool: asyncpg.Pool, operator: str, unique: str, tmp_path: Path) -> Check:
    """`dsr ARGS` against an API whose settings name `map_file` as the data map."""

    def with_map(map_file: Path) -> Any:
        async def run(*argv: str) -> tuple[int, str, str]:
            client: Any = None  # nothing here asks Temporal
            settings = cli_settings(tmp_path, f"datastores-{unique}", DSR_DATASTORES=str(map_file))
            folder = tmp_path / "elsewhere"
            folder.mkdir(exist_ok=True)
            async with served(Services(client, pool, settings, TEST_ACT_SIGNER)) as url:
                return await Dsr(url, operator, folder)(*argv)

        return run

    return with_map


async def _dsr(dsr_with_map: Check, map_file: Path) -> tuple[int, str, str]:
    result: tuple[int, str, str] = await dsr_with_map(map_file)("datastores", "check")
    return result


async def test_the_demo_fits_its_map_and_a_real_mismatch_is_found(
    demo: Demo, dsr_with_map: Check
) -> None:
    code, out, _ = await _dsr(dsr_with_map, demo.map_file)
    assert code == 0, out
    assert "customer-db (postgres): fits the map" in out
    assert "support-desk (http): fits the map" in out

    connection = await asyncpg.connect(demo.superuser_url)
    try:
        await connection.execute("ALTER TABLE login_events DROP COLUMN user_agent")
        await connection.execute("DROP INDEX web_analytics_visitor_email_idx")
    finally:
        await connection.close()
    code, out, _ = await _dsr(dsr_with_map, demo.map_file)
    assert code == 3
    lines = out.strip().splitlines()
    assert any("login_events" in line and "no column 'user_agent'" in line for line in lines)
    assert any("visitor_email" in line and "no index" in line for line in lines)


async def test_a_map_that_does_not_validate_is_refused_one_line_a_problem(
    demo: Demo, dsr_with_map: Check, tmp_path: Path
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
    code, out, err = await _dsr(dsr_with_map, bad)
    assert code == 2 and out == ""
    assert "systems.customer-db.collections.customers.fields.email.category: 'contacts'" in err

    del collections["customers"]["fields"]["email"]["category"]
    collections["customers"]["fields"]["email"]["category"] = "contact"
    bad.write_text(yaml.safe_dump(document))
    code, out, err = await _dsr(dsr_with_map, bad)
    assert code == 2
    assert "collection orphans: no identity reaches it" in err


async def test_a_subject_is_previewed_by_its_fields_or_values(
    demo: Demo, dsr_with_map: Check, pool: asyncpg.Pool, unique: str
) -> None:
    """`dsr datastores preview SUBJECT [--values]`: each system's counts, and each row's
    fields, or with --values what they hold; an unknown subject is refused (exit 2)."""
    inventory = example(unique)
    await InventoryStore(pool).load(parse_inventory(inventory))
    subject = inventory["subjects"][0]["subject_id"]  # Hanako, as the demo holds her
    dsr = dsr_with_map(demo.map_file)
    code, out, err = await dsr("datastores", "preview", subject)
    assert (code, err) == (0, "")
    assert "customer-db: customers 1, " in out
    assert "  customers 42: account_id, address, customer_number, " in out
    assert "Hanako" not in out
    code, out, _ = await dsr("datastores", "preview", subject, "--values")
    assert code == 0 and "full_name=Hanako Yamada" in out
    code, out, _ = await dsr("--output", "json", "datastores", "preview", subject)
    document = {entry["system"]: entry for entry in json.loads(out)}
    assert document["customer-db"]["counts"]["customers"] == 1
    code, out, err = await dsr("datastores", "preview", f"none-{unique}")
    assert (code, out) == (2, "")
    assert err == f"dsr: no subject 'none-{unique}' in the store (load an inventory first)\n"
