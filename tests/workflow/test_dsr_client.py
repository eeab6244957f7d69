"""Issue 21's first "done when": `dsr` in a clean environment holding only DSR_URL and
DSR_TOKEN (no data folder, no database or Temporal address, no key), run from another
folder, drives a disclosure from submission to close through the API, then `dsr audit
verify`; `dsr login` keeps a token (0600) that later commands use, `dsr logout` forgets it.
"""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import asyncpg

from domain.requests import workflow_id_for
from tests.support.builders import submission
from tests.support.cli import Dsr, last_json
from tests.support.privacy import PERSONAL
from tests.support.scenarios import seed_subject
from tests.support.temporal import Rig, eventually


async def _account(dsr: Dsr, name: str, role: str) -> str:
    code, out, err = await dsr("--output", "json", "accounts", "create", name, "--role", role)
    assert code == 0, err
    made = last_json(out)
    assert made["account"] == name and made["roles"] == [role]
    return str(made["token"])


async def _standing(dsr: Dsr, request_id: str, token: str) -> dict[str, Any]:
    code, out, err = await dsr("--output", "json", "status", request_id, token=token)
    assert code == 0, err
    return dict(last_json(out))


async def test_a_disclosure_from_submission_to_close_with_dsr_alone(
    rig: Rig, pool: asyncpg.Pool, dsr: Dsr, unique: str, tmp_path: Path
) -> None:
    subject = f"s-dsr-{unique}"
    await seed_subject(pool, subject, registered=False)  # so the identity is checked by hand
    intake = await _account(dsr, f"intake-{unique}", "intake")
    operator = await _account(dsr, f"op-{unique}", "operator")
    cashier = await _account(dsr, f"cash-{unique}", "cashier")
    auditor = await _account(dsr, f"audit-{unique}", "auditor")
    rid = f"dsr-dis-{unique}"
    request_file = dsr.folder / "request.json"
    request_file.write_text(
        json.dumps(submission("disclosure", rid, subject, person=PERSONAL)), encoding="utf-8"
    )

    code, out, err = await dsr("--output", "json", "submit", "--json", "request.json", token=intake)
    assert code == 0, err
    assert last_json(out)["workflow_id"] == workflow_id_for(rid)
    code, _, err = await dsr("submit", "--json", "request.json", token=operator)
    assert code == 2 and "does not hold the intake role" in err

    async def standing() -> dict[str, Any]:
        return await _standing(dsr, rid, operator)

    await eventually(standing, lambda view: view["step"] == "verify_identity", within=60)
    code, _, err = await dsr(
        "verify-identity", rid, "--method", "document_check", token="dsr_not-a-token"
    )
    assert code == 2 and "does not sign in" in err
    code, out, err = await dsr("verify-identity", rid, "--method", "document_check", token=operator)
    assert code == 0, err
    assert f"verify-identity recorded for {rid} by op-{unique}" in out

    await eventually(standing, lambda view: view["step"] == "decide", within=60)
    code, out, err = await dsr("decide", rid, "--outcome", "disclosed_in_full", token=operator)
    assert code == 0, err
    view = await eventually(standing, lambda view: view["step"] == "payment", within=60)
    code, out, err = await dsr(
        "record-payment", rid, "--invoice", view["invoice_id"], "--amount", "1000",
        "--reference", f"bank-{unique}", token=cashier,
    )  # fmt: skip
    assert code == 0, err
    closed = await eventually(standing, lambda view: view["status"] == "closed", within=60)
    assert closed["outcome"] == "disclosed_in_full"

    code, out, err = await dsr("list", "--status", "closed", "--limit", "10000", token=auditor)
    assert code == 0 and rid in out and "disclosure" in out, err
    code, out, err = await dsr("show", rid, token=auditor)
    assert code == 0 and "outcome disclosed_in_full" in out and "payment" in out, err
    code, out, err = await dsr("audit", "verify", rid, token=auditor)
    assert code == 0 and f"{rid}: intact (" in out, out + err
    code, out, err = await dsr("audit", "verify", rid, token=operator)
    assert code == 2 and "does not hold the auditor role" in err


async def test_login_keeps_the_token_for_later_commands_and_logout_forgets_it(
    rig: Rig, dsr: Dsr, unique: str, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    bare = {"DSR_TOKEN": "", "XDG_CONFIG_HOME": str(config)}  # no DSR_TOKEN: the saved one
    auditor = await _account(dsr, f"audit-login-{unique}", "auditor")
    kept = config / "dsr" / "token"

    code, _, err = await dsr("login", "--token", "-", stdin="dsr_wrong\n", env=bare)
    assert code == 2 and "does not sign in" in err and not kept.exists()
    code, out, err = await dsr("login", "--token", "-", stdin=f"{auditor}\n", env=bare)
    assert code == 0 and f"as audit-login-{unique} (auditor)" in out, err
    assert kept.read_text().strip() == auditor
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600

    code, out, err = await dsr("--output", "json", "list", "--limit", "1", env=bare)
    assert code == 0, err
    code, _, err = await dsr("accounts", "list", env=bare)
    assert code == 2 and "does not hold the admin role" in err

    code, out, _ = await dsr("logout", env=bare)
    assert code == 0 and not kept.exists()
    code, _, err = await dsr("list", env=bare)
    assert code == 2 and "no token" in err
