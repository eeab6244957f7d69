"""Issue 21's first acceptance point: `dsr` is a client of the API like any other. It runs
in a clean environment holding only `DSR_URL` and `DSR_TOKEN` (no data folder, no database
or Temporal address, no key file: its home and working folder are empty folders of their
own) and drives a disclosure from submission to close, then `dsr audit verify`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_privacy_center import CenterService
from tests.support.builders import submission
from tests.support.temporal import eventually

pytestmark = pytest.mark.e2e

DSR = Path(sys.executable).parent / "dsr"


@pytest.fixture
def served(tmp_path: Path) -> Iterator[CenterService]:
    service = CenterService(tmp_path / "dsr-data")
    yield service
    service.kill()


class Client:
    """`dsr` as a backend or an operator on another machine would run it."""

    def __init__(self, url: str, home: Path) -> None:
        self.url = url
        self.home = home
        self.folder = home / "work"
        self.folder.mkdir(parents=True)

    def __call__(self, token: str, *args: str) -> subprocess.CompletedProcess[str]:
        # Only what a client is given: the API's address and a token (PATH to find the
        # interpreter, HOME to an empty folder so no saved login or data folder serves).
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "DSR_URL": self.url,
            "DSR_TOKEN": token,
        }
        return subprocess.run(
            [str(DSR), *args],
            cwd=self.folder,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def json(self, token: str, *args: str) -> dict:
        done = self(token, "--output", "json", *args)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)


async def test_dsr_with_only_a_url_and_a_token_drives_a_disclosure_to_its_close(
    served: CenterService, tmp_path: Path, unique: str
) -> None:
    await served.start()
    admin = (served.data_dir / "admin-token").read_text().strip()
    dsr = Client(served.url, tmp_path / "elsewhere")

    def token(name: str, *roles: str) -> str:
        made = dsr.json(admin, "accounts", "create", name, *(f"--role={r}" for r in roles))
        return made["token"]

    intake, operator = token("intake-1", "intake"), token("op-1", "operator")
    cashier, auditor = token("cash-1", "cashier"), token("aud-1", "auditor")

    subject = f"door-{unique}"
    inventory = dsr.folder / "inventory.json"
    inventory.write_text(
        json.dumps(
            {
                "subjects": [
                    {
                        "subject_id": subject,
                        "name": "Hanako Door",
                        "email": "hanako.door@example.jp",
                        "items": [
                            {
                                "category": "contact",
                                "field": "phone",
                                "value": "090-0000-0000",
                                "purpose": "provide_service",
                                "lawfully_obtained": True,
                            }
                        ],
                    }
                ]
            }
        )
    )
    loaded = dsr(admin, "inventory", "load", "inventory.json")  # relative: from its own folder
    assert loaded.returncode == 0, loaded.stderr

    rid = f"dis-{unique}"
    (dsr.folder / "request.json").write_text(
        json.dumps(
            submission(
                "disclosure",
                rid,
                subject,
                name="Hanako Door",
                email="hanako.door@example.jp",
                details={"categories": ["contact"]},
            )
        )
    )
    submitted = dsr(intake, "submit", "--json", "request.json")
    assert submitted.returncode == 0, submitted.stderr

    async def view() -> dict:
        return dsr.json(intake, "status", rid)

    await eventually(view, lambda v: v["step"] == "verify_identity", within=60)
    acted = dsr(operator, "verify-identity", rid, "--method", "document_check")
    assert acted.returncode == 0, acted.stderr
    await eventually(view, lambda v: v["step"] == "decide", within=60)
    acted = dsr(operator, "decide", rid, "--outcome", "disclosed_in_full")
    assert acted.returncode == 0, acted.stderr
    await eventually(view, lambda v: v["step"] == "payment", within=60)
    # A cashier may not decide, and the refusal changes nothing (exit 2).
    refused = dsr(cashier, "decide", rid, "--outcome", "refused")
    assert refused.returncode == 2, refused.stderr
    paid = dsr(
        cashier,
        "record-payment",
        rid,
        "--invoice",
        f"inv-{rid}",
        "--amount",
        "1000",
        "--reference",
        "bank-transfer-1",
    )
    assert paid.returncode == 0, paid.stderr
    closed = await eventually(view, lambda v: v["status"] == "closed", within=60)
    assert closed["outcome"] == "disclosed_in_full"

    verified = dsr(auditor, "audit", "verify", rid)
    assert verified.returncode == 0, verified.stderr + verified.stdout
    assert "intact" in verified.stdout
    # The client's folders hold nothing it was not asked to write: no key, no data folder.
    left = sorted(p.relative_to(dsr.home).as_posix() for p in dsr.home.rglob("*"))
    assert left == ["work", "work/inventory.json", "work/request.json"], left


async def test_dsr_without_a_token_or_with_a_wrong_one_is_refused_with_exit_2(
    served: CenterService, tmp_path: Path
) -> None:
    await served.start()
    dsr = Client(served.url, tmp_path / "elsewhere")
    refused = dsr("dsr_nobody_0000", "list")
    assert refused.returncode == 2
    assert "token" in refused.stderr.lower()


def test_dsr_without_a_service_says_so_with_exit_1(tmp_path: Path) -> None:
    dsr = Client("http://127.0.0.1:9", tmp_path / "elsewhere")
    unreachable = dsr("dsr_any_0000", "list")
    assert unreachable.returncode == 1
    assert "127.0.0.1:9" in unreachable.stderr
