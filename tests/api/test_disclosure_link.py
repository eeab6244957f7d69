"""C4 through the API: `POST /api/v1/requests/{id}/disclosure-link` issues a disclosure's
link again as the calling operator, and says why not when it cannot."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from domain.authority import Role
from interfaces.api.services import Services
from runtime.settings import Settings
from store.accounts import Accounts
from store.intake import IntakeStore
from tests.support.api import bearer, make_app
from tests.support.builders import POLICY, parsed
from tests.support.privacy_center import Center
from tests.support.temporal import TEST_ACT_SIGNER


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


async def test_c4_an_operator_reissues_a_link_through_the_api(
    http: httpx.AsyncClient,
    pool: asyncpg.Pool,
    owner_pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
) -> None:
    """C4: 200 with the new link's expiry for an operator, the e-mail in the maildrop;
    403 for an account without the role; 404 for no such request; 409 with the reason
    for a disclosure not compiled."""
    center = Center(http, tmp_path / "maildrop", pool, unique)
    request_id, _body = await center.disclosed(
        f"api-{unique}@example.jp",
        [{"category": "contact", "field": "phone", "value": "090-0000-0000"}],
    )
    accounts = Accounts(owner_pool)
    operator = await accounts.create(f"op-{unique}", (Role.OPERATOR,), created_by="tests")
    auditor = await accounts.create(f"aud-{unique}", (Role.AUDITOR,), created_by="tests")
    url = f"/api/v1/requests/{request_id}/disclosure-link"

    forbidden = await http.post(url, headers=bearer(auditor))
    assert forbidden.status_code == 403
    done = await http.post(url, headers=bearer(operator))
    assert done.status_code == 200, done.text
    reply = done.json()
    assert reply["request_id"] == request_id and "the old link opens nothing" in reply["message"]
    local_end = datetime.fromisoformat(reply["expires_at"]).astimezone(ZoneInfo("Asia/Tokyo"))
    assert (local_end.hour, local_end.minute, local_end.second) == (23, 59, 59)
    mails = [m for m in center.mails() if m["subject"].startswith("A new link to your")]
    assert len(mails) == 1 and "090-0000-0000" not in mails[0]["body"]

    missing = await http.post(
        f"/api/v1/requests/none-{unique}/disclosure-link", headers=bearer(operator)
    )
    assert missing.status_code == 404
    await IntakeStore(pool).record_submission(
        parsed("disclosure", f"dis-open-{unique}", f"subj-open-{unique}"), POLICY
    )
    refused = await http.post(
        f"/api/v1/requests/dis-open-{unique}/disclosure-link", headers=bearer(operator)
    )
    assert refused.status_code == 409
    assert "has no compiled disclosure" in refused.json()["detail"]
