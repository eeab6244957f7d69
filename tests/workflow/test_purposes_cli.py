"""`dsr purposes list` and `dsr purposes change` against the test database and the
time-skipping server, with a worker running the change: an administrator's related change
notifies and says so, an unrelated one exits 2 with the reason, another account or bad
input is refused before anything starts, and the same change id shows the first change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.purpose_changes import PurposeChangeActivities
from domain.authority import Role
from mail.maildrop import MaildropSender
from store.accounts import Accounts
from store.purposes import load_register
from tests.support.cli import Dsr, cli_settings, served_dsr
from tests.support.purposes import BEFORE, define, holders
from tests.support.temporal import act_verification
from workflows.purpose_change import PurposeChange

AFTER = "To send users a monthly newsletter and announcements of the service they use"
REASON = "Announcements of the same service users already receive."


@pytest.fixture
async def purposes_cli(dsr: Dsr, owner_pool: asyncpg.Pool, unique: str) -> Any:
    """`dsr` (a subprocess holding only DSR_URL and DSR_TOKEN) as an account of the given
    role, against the API served over the `rig` worker's task queue: the API signs the
    change for the account, and the worker checks it and runs it."""
    accounts = Accounts(owner_pool)  # no role of the service writes accounts
    tokens = {
        role: await accounts.create(f"{role.value}-{unique}", (role,), "test")
        for role in (Role.ADMIN, Role.OPERATOR)
    }

    async def run(role: Role, *argv: str) -> tuple[int, str, str]:
        """The exit status, the command's output (without its final newline) and errors."""
        code, out, err = await dsr(*argv, token=tokens[role])
        return code, out.removesuffix("\n"), err

    return run


def change(unique: str, *extra: str, change_id: str | None = None) -> list[str]:
    return [
        "purposes",
        "change",
        "--change-id",
        change_id or f"chg-{unique}",
        "--purpose",
        f"news_{unique}",
        "--text",
        AFTER,
        "--text-ja",
        "ユーザーに月刊ニュースレターとサービスのお知らせを送付するため",
        "--reason",
        REASON,
        *extra,
    ]


async def test_an_administrators_related_change_notifies_and_is_listed(
    purposes_cli: Any, pool: asyncpg.Pool, unique: str
) -> None:
    await define(pool, f"news_{unique}")
    await holders(pool, f"news_{unique}", f"s-{unique}", 3)
    code, out, err = await purposes_cli(
        Role.ADMIN, *change(unique, "--related", "--method", "publish_and_notify")
    )
    assert (code, err) == (0, "")
    assert out == (
        f"purpose news_{unique} changed (version 1 → 2) by change chg-{unique}; "
        "published; 3 of 3 affected people notified."
    )
    code, out, _ = await purposes_cli(Role.ADMIN, "purposes", "list")
    assert code == 0
    # The test's purpose is incidental to service e-mails (tests/support/purposes.py).
    assert f"news_{unique} v1 (incidental to service_emails): from " in out
    assert f"news_{unique} v2 (incidental to service_emails): from " in out
    assert f"change chg-{unique}\n    {AFTER}" in out and f"    {BEFORE}" in out
    # Each version's Japanese text, and who judged the incidental purpose related (N2, N14).
    assert "    ユーザーに月刊ニュースレターとサービスのお知らせを送付するため" in out
    assert "    judged related by admin on 2026-05-02: " in out
    # The same change id again shows the change made, and starts nothing.
    code, out, _ = await purposes_cli(
        Role.ADMIN, "--output", "json", *change(unique, "--related", "--method", "notify")
    )
    result = json.loads(out)
    assert (code, result["status"], result["notified"]) == (0, "done", 3)
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM purpose_change_notices WHERE change_id = $1", f"chg-{unique}"
        )
        == 3
    )


async def test_an_unrelated_change_exits_2_with_the_reason(
    purposes_cli: Any, pool: asyncpg.Pool, unique: str
) -> None:
    await define(pool, f"news_{unique}")
    code, out, err = await purposes_cli(
        Role.ADMIN, *change(unique, "--unrelated", "--method", "notify")
    )
    assert code == 2
    assert out == f"purpose change chg-{unique} was recorded as refused."
    assert err.startswith(
        f"dsr: purpose change chg-{unique} refused: the changed purpose "
        "is not reasonably considered to be related"
    )
    assert (await load_register(pool)).current(f"news_{unique}").text == BEFORE


@pytest.mark.parametrize(
    ("role", "argv", "says"),
    [
        (Role.OPERATOR, ["--related", "--method", "notify"], "does not hold the admin role"),
        (
            Role.ADMIN,
            ["--related", "--method", "notify", "--reason", "short"],
            "--reason: string should have at least 10 characters",
        ),
        (
            Role.ADMIN,
            ["--related", "--method", "notify", "--purpose", "no_such_purpose"],
            "--purpose: no_such_purpose is not in the register",
        ),
        (
            Role.ADMIN,
            ["--related", "--method", "notify", "--change-id", "../x"],
            "--change-id: string should match pattern",
        ),
    ],
)
async def test_bad_input_or_another_role_is_refused_before_anything_starts(
    purposes_cli: Any, pool: asyncpg.Pool, unique: str, role: Role, argv: list[str], says: str
) -> None:
    await define(pool, f"news_{unique}")
    code, out, err = await purposes_cli(role, *change(unique), *argv)
    assert (code, out) == (2, "")
    assert err.startswith("dsr: ") and says in err
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM purpose_changes WHERE purpose_id = $1", f"news_{unique}"
        )
        == 0
    )


async def test_a_change_no_worker_has_taken_yet_is_said_to_run(
    pool: asyncpg.Pool,
    owner_pool: asyncpg.Pool,
    unique: str,
    time_skipping_env: WorkflowEnvironment,
    tmp_path: Path,
) -> None:
    await define(pool, f"news_{unique}")
    async with served_dsr(
        time_skipping_env.client,
        pool,
        cli_settings(tmp_path / "api", f"no-worker-{unique}"),
        folder=tmp_path / "elsewhere",
        account=f"nw-admin-{unique}",
        accounts_pool=owner_pool,
    ) as dsr:
        code, out, err = await dsr(
            *change(unique, "--related", "--method", "notify", "--wait", "0.5")
        )
    out = out.removesuffix("\n")
    try:
        assert (code, err) == (0, "")
        assert out == (
            f"purpose change chg-{unique} runs as workflow purpose-change-chg-"
            f"{unique}, waiting for a worker; the Web UI shows its progress."
        )
    finally:
        # A worker then takes it to its end. Terminating it instead would leave its
        # workflow task scheduled on a queue no one polls, which the time-skipping server
        # counts as work in flight: it would stop skipping time for every later test.
        activities = PurposeChangeActivities(
            pool, MaildropSender(tmp_path / "later"), act_verification(pool)
        )
        async with Worker(
            time_skipping_env.client,
            task_queue=f"no-worker-{unique}",
            workflows=[PurposeChange],
            activities=activities.all(),
        ):
            await time_skipping_env.client.get_workflow_handle(
                f"purpose-change-chg-{unique}"
            ).result()
        activities.close()
