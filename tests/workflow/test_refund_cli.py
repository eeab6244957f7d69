"""N7 (the refund) on the command line: `dsr record-refund ID --invoice INV --paid-on DATE
--reference REF` as the cashier records the refund of a late fee and tells the person;
another account, or an invoice not refund_due, exits 2 with the reason and writes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from domain.authority import Role
from store.accounts import Accounts
from tests.support.builders import late_fee_request
from tests.support.privacy_center import Center


async def test_n7_dsr_record_refund(
    dsr: Any,
    pool: asyncpg.Pool,
    owner_pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """N7: the cashier's command prints the refund recorded and the person's e-mail (in
    Japanese, their language) is in the maildrop; an operator is refused (exit 2), and so
    is the same refund recorded twice."""
    address = f"cli-{unique}@example.jp"
    request_id, invoice_id = await late_fee_request(pool, unique, email=address, language="ja")
    accounts = Accounts(owner_pool)
    cashier = await accounts.create(f"cash-{unique}", (Role.CASHIER,), "test")
    operator = await accounts.create(f"op-{unique}", (Role.OPERATOR,), "test")
    argv = ("record-refund", request_id, "--invoice", invoice_id)
    argv += ("--paid-on", "2026-03-02", "--reference", "refund-77")
    center = Center(None, tmp_path / "maildrop", pool, unique)

    code, _out, err = await dsr(*argv, token=operator)
    assert code == 2 and "does not hold the cashier role" in err
    assert await pool.fetchval("SELECT status FROM invoices WHERE invoice_id = $1", invoice_id) == (
        "refund_due"
    )

    code, out, err = await dsr("--output", "json", *argv, token=cashier)
    assert code == 0, err
    document = json.loads(out.strip().splitlines()[-1])
    assert document["refunded_on"] == "2026-03-02" and document["amount_yen"] == 1000
    [mail] = [m for m in center.mails() if m["subject"].startswith("開示手数料のご返金")]
    assert mail["to"] == address
    assert (
        f"2026年3月2日に、請求書{invoice_id}の手数料1,000円を全額ご返金いたしました" in mail["body"]
    )

    code, _out, err = await dsr(*argv, token=cashier)
    assert code == 2 and "was recorded already" in err
    assert len([m for m in center.mails() if m["subject"].startswith("開示手数料")]) == 1
