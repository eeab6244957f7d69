"""N7 (the refund) through the API and the store: `POST /api/v1/requests/{id}/refund` as
the cashier records that a late fee was refunded (invoice `refunded`, `payment.refunded`,
the person told), and refuses with the reason, writing nothing, otherwise."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from domain.authority import Role
from interfaces.api.services import Services
from runtime.settings import Settings
from store.accounts import Accounts
from tests.support.api import bearer, make_app
from tests.support.builders import late_fee_request
from tests.support.privacy_center import Center
from tests.support.temporal import TEST_ACT_SIGNER

REFUND = {"paid_on": "2026-03-02", "reference": "refund-77"}


@pytest.fixture
async def http(api_pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    """The API on its own database role (issue 21): the act's events go through its door."""
    client: Any = None  # the act is a store act: no workflow is asked
    app = make_app(
        Services(client, api_pool, Settings(DSR_DATA_DIR=str(tmp_path)), TEST_ACT_SIGNER)
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        yield http


async def _written(pool: asyncpg.Pool, request_id: str) -> tuple[str, int, int]:
    """The invoice's status, and how many events and notifications the request has."""
    return (
        await pool.fetchval("SELECT status FROM invoices WHERE request_id = $1", request_id),
        await pool.fetchval(
            "SELECT count(*) FROM request_events WHERE request_id = $1", request_id
        ),
        await pool.fetchval("SELECT count(*) FROM notifications WHERE request_id = $1", request_id),
    )


async def test_n7_the_cashier_records_a_late_fees_refund(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    owner_pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
) -> None:
    """N7: 200 for the cashier: the invoice is refunded, `payment.refunded` carries the
    invoice, amount and day (no personal data, not the reference), and the person's
    e-mail says 1,000 yen was refunded on the day; 403 for an operator; 409 run again."""
    address = f"refund-{unique}@example.jp"
    request_id, invoice_id = await late_fee_request(pool, unique, email=address)
    accounts = Accounts(owner_pool)
    cashier = await accounts.create(f"cash-{unique}", (Role.CASHIER,), created_by="tests")
    operator = await accounts.create(f"op-{unique}", (Role.OPERATOR,), created_by="tests")
    url = f"/api/v1/requests/{request_id}/refund"
    body = {"invoice_id": invoice_id, **REFUND}

    forbidden = await http.post(url, json=body, headers=bearer(operator))
    assert forbidden.status_code == 403
    assert await _written(pool, request_id) == ("refund_due", 0, 0)

    done = await http.post(url, json=body, headers=bearer(cashier))
    assert done.status_code == 200, done.text
    reply = done.json()
    assert reply["amount_yen"] == 1000 and reply["refunded_on"] == "2026-03-02"
    assert "was recorded; the invoice is refunded; the person was told" in reply["message"]
    invoice = await pool.fetchrow(
        "SELECT status, refunded_on, refund_reference FROM invoices WHERE invoice_id = $1",
        invoice_id,
    )
    assert invoice["status"] == "refunded" and str(invoice["refunded_on"]) == "2026-03-02"
    assert "refund-77" not in invoice["refund_reference"]  # sealed under the subject's key
    [event] = await pool.fetch(
        "SELECT payload, actor FROM request_events WHERE request_id = $1 AND type = $2",
        request_id,
        "payment.refunded",
    )
    payload = (
        json.loads(event["payload"]) if isinstance(event["payload"], str) else event["payload"]
    )
    assert payload == {"invoice_id": invoice_id, "amount_yen": 1000, "refunded_on": "2026-03-02"}
    assert event["actor"] == f"cash-{unique}"
    center = Center(http, tmp_path / "maildrop", pool, unique)
    [mail] = [m for m in center.mails() if m["subject"].startswith("Your disclosure fee has")]
    assert mail["to"] == address
    assert f"1,000 yen (invoice {invoice_id}) was paid back to you on 2 March 2026" in mail["body"]

    again = await http.post(url, json=body, headers=bearer(cashier))
    assert again.status_code == 409
    assert "was recorded already" in again.json()["detail"]
    assert "Nothing was written" in again.json()["detail"]


async def test_n7_a_refund_is_refused_and_nothing_written(
    http: httpx.AsyncClient, pool: asyncpg.Pool, owner_pool: asyncpg.Pool, unique: str
) -> None:
    """N7: an invoice of another request, one not refund_due, a request not closed yet,
    a refund dated before the payment: 409 with the reason, nothing written; 404 for no
    such request."""
    cashier = await Accounts(owner_pool).create(f"cash-{unique}", (Role.CASHIER,), created_by="t")
    mine, _ = await late_fee_request(pool, unique, email=f"a-{unique}@example.jp")
    _, theirs = await late_fee_request(pool, unique, email=f"b-{unique}@example.jp")
    still_open, open_invoice = await late_fee_request(
        pool, unique, email=f"c-{unique}@example.jp", closed=False
    )

    async def refused(request_id: str, invoice_id: str, **changes: str) -> str:
        reply = await http.post(
            f"/api/v1/requests/{request_id}/refund",
            json={"invoice_id": invoice_id, **REFUND, **changes},
            headers=bearer(cashier),
        )
        assert reply.status_code == 409, reply.text
        return reply.json()["detail"]

    assert f"invoice {theirs} belongs to another request" in await refused(mine, theirs)
    assert "is not closed yet" in await refused(still_open, open_invoice)
    detail = await refused(mine, f"inv-{mine}", paid_on="2026-02-01")
    assert "is before the fee was paid (2026-02-20)" in detail
    await pool.execute("UPDATE invoices SET status = 'paid' WHERE invoice_id = $1", f"inv-{mine}")
    assert "is paid, not refund_due" in await refused(mine, f"inv-{mine}")
    assert await _written(pool, mine) == ("paid", 0, 0)
    assert await _written(pool, still_open) == ("refund_due", 0, 0)
    missing = await http.post(
        f"/api/v1/requests/none-{unique}/refund",
        json={"invoice_id": theirs, **REFUND},
        headers=bearer(cashier),
    )
    assert missing.status_code == 404
