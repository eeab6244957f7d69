"""C4 on the command line: `dsr reissue-disclosure-link ID` as an operator issues the link
again and sends its e-mail; another account, or a request without a compiled disclosure,
exits 2 with the reason and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from domain.authority import Role
from store.accounts import Accounts
from tests.support.privacy_center import Center


async def test_c4_dsr_reissue_disclosure_link(
    dsr: Any,
    pool: asyncpg.Pool,
    owner_pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """C4: the operator's command prints the new link's last day; the person's e-mail is in
    the maildrop; an auditor is refused (exit 2) and so is an unknown request."""
    http: Any = None  # the disclosure is made in the store; no page is opened here
    center = Center(http, tmp_path / "maildrop", pool, unique)
    request_id, _body = await center.disclosed(
        f"cli-{unique}@example.jp",
        [{"category": "contact", "field": "phone", "value": "090-2222-3333"}],
    )
    accounts = Accounts(owner_pool)
    operator = await accounts.create(f"op-{unique}", (Role.OPERATOR,), "test")
    auditor = await accounts.create(f"aud-{unique}", (Role.AUDITOR,), "test")

    code, _out, err = await dsr("reissue-disclosure-link", request_id, token=auditor)
    assert code == 2 and "does not hold the operator role" in err
    assert not [m for m in center.mails() if m["subject"].startswith("A new link to your")]

    code, out, err = await dsr(
        "--output", "json", "reissue-disclosure-link", request_id, token=operator
    )
    assert code == 0, err
    document = json.loads(out.strip().splitlines()[-1])
    assert document["request_id"] == request_id
    assert "the old link opens nothing" in document["message"]
    [mail] = [m for m in center.mails() if m["subject"].startswith("A new link to your")]
    assert mail["to"] == f"cli-{unique}@example.jp" and "090-2222-3333" not in mail["body"]

    code, _out, err = await dsr("reissue-disclosure-link", f"none-{unique}", token=operator)
    assert code == 2 and f"no request none-{unique}" in err
