"""`dsr-admin` (issue 21): `setup` on an empty database and a cluster, on the documented
production path, with no earlier start of the service (the key-encryption key it used to
stop for is made), idempotent; `accounts bootstrap` makes the first administrator once."""

from __future__ import annotations

import asyncio
import json
import stat
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from interfaces.admin.main import main
from store.accounts import Accounts
from store.database import create_pool, migration_files
from store.privileges import API_GRANTS
from store.sealing import Vault
from tests.support.database import Roles, database_with_roles

SETTINGS = (
    "DATABASE_URL",
    "DSR_OWNER_DATABASE_URL",
    "DSR_API_DATABASE_URL",
    "TEMPORAL_ADDRESS",
    "DSR_KEY_ENCRYPTION_KEY",
    "DSR_KEY_ENCRYPTION_KEY_FILE",
    "DSR_KEYRING_DIR",
    "DSR_ACT_SIGNING_KEY",
    "DSR_ACT_PUBLIC_KEYS",
)


async def admin(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`dsr-admin ARGV` in this process (its own event loop, in a thread)."""
    capsys.readouterr()
    code = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def answer(out: str) -> dict:
    """The JSON answer: the last line (the log's lines, on stderr under `dsr-admin` itself,
    reach this process's stdout before it)."""
    return json.loads(out.splitlines()[-1])


@pytest.fixture
def production(
    monkeypatch: pytest.MonkeyPatch, time_skipping_env: WorkflowEnvironment, tmp_path: Path
) -> Path:
    """The environment of the documented production path, nothing of the service made yet:
    returns its (empty) data folder."""
    for name in SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(
        "TEMPORAL_ADDRESS", time_skipping_env.client.service_client.config.target_host
    )
    monkeypatch.setenv("DSR_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


async def test_setup_on_an_empty_database_needs_no_first_start_and_is_idempotent(
    postgres_server: str,
    production: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with database_with_roles(postgres_server, "dsr_admin", migrated=False) as roles:
        # The worker's role alone may not migrate: refused, and it says what to run.
        monkeypatch.setenv("DATABASE_URL", roles.worker_url)
        code, _, err = await admin(capsys, "setup", "--no-keys")
        assert code == 2 and "run `dsr-admin setup` with DSR_OWNER_DATABASE_URL" in err
        monkeypatch.setenv("DSR_OWNER_DATABASE_URL", roles.owner_url)
        monkeypatch.setenv("DSR_API_DATABASE_URL", roles.api_url)

        code, out, err = await admin(capsys, "--output", "json", "setup")
        assert code == 0, err
        done = answer(out)
        assert done["migrations_applied"] == [version for version, _ in migration_files()]
        assert (done["worker_role"], done["api_role"]) == (roles.worker_role, roles.api_role)
        assert done["role_problems"] == []
        kek = production / "keys" / "key-encryption.key"
        assert f"key-encryption key {kek}" in done["keys_made"]
        assert stat.S_IMODE(kek.stat().st_mode) == 0o600
        assert stat.S_IMODE((production / "keyring").stat().st_mode) == 0o700
        assert await _api_grants(roles) == {t: sorted(p) for t, p in API_GRANTS.items()}

        kek_before = kek.read_bytes()
        code, out, err = await admin(capsys, "--output", "json", "setup")
        assert code == 0, err
        again = answer(out)
        assert (again["keys_made"], again["migrations_applied"]) == ([], [])
        assert kek.read_bytes() == kek_before


async def test_bootstrap_makes_the_first_administrator_once(
    postgres_server: str,
    vault: Vault,
    production: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    unique: str,
) -> None:
    """On a database of its own: the session's holds the administrators of other tests,
    and disabling them here would disable the accounts every later test acts as."""
    async with database_with_roles(postgres_server, "dsr_bootstrap") as roles:
        monkeypatch.setenv("DATABASE_URL", roles.worker_url)
        code, _, err = await admin(capsys, "accounts", "bootstrap", f"root-{unique}")
        assert code == 2 and "set DSR_OWNER_DATABASE_URL" in err
        monkeypatch.setenv("DSR_OWNER_DATABASE_URL", roles.owner_url)
        owner_pool = await create_pool(roles.owner_url, max_size=1, vault=vault)
        try:
            code, out, err = await admin(
                capsys, "--output", "json", "accounts", "bootstrap", f"root-{unique}"
            )
            assert code == 0, err
            made = answer(out)
            account = await Accounts(owner_pool).authenticate(made["token"])
            assert account is not None and account.account == f"root-{unique}"
            assert (
                await owner_pool.fetchval(
                    "SELECT created_by FROM accounts WHERE account = $1", f"root-{unique}"
                )
                == "dsr-admin accounts bootstrap"
            )
            code, _, err = await admin(capsys, "accounts", "bootstrap", f"again-{unique}")
            assert code == 2 and "an enabled administrator exists already" in err
            assert not await Accounts(owner_pool).exists(f"again-{unique}")
        finally:
            await owner_pool.close()


async def test_setup_outside_an_existing_cluster_is_refused(
    production: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TEMPORAL_ADDRESS")
    code, _, err = await admin(capsys, "setup")
    assert code == 2 and "set TEMPORAL_ADDRESS and DATABASE_URL" in err
    assert not await asyncio.to_thread(production.exists)  # no key made


async def test_the_help_says_where_it_runs_and_the_exit_codes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    for argv in (
        [],
        ["setup"],
        ["accounts", "bootstrap"],
        ["keys", "rotate"],
        ["datastores", "demo"],
    ):
        code, out, _ = await admin(capsys, *argv, "--help")
        assert code == 0
        assert "Exit status: 0 done; 1 a server" in " ".join(out.split())
    _, out, _ = await admin(capsys, "--help")
    assert "Runs where the worker runs" in " ".join(out.split())


async def _api_grants(roles: Roles) -> dict[str, list[str]]:
    connection = await asyncpg.connect(roles.superuser_url)
    try:
        rows = await connection.fetch(
            """SELECT table_name, array_agg(privilege_type::text ORDER BY privilege_type) AS p
                 FROM information_schema.role_table_grants
                WHERE grantee = $1 AND table_schema = 'public' GROUP BY table_name""",
            roles.api_role,
        )
    finally:
        await connection.close()
    return {r["table_name"]: sorted(r["p"]) for r in rows}
