"""N6: the privacy center's purposes page, Article 4 ¶2's "publish it on this website":
Article 3's purposes as the register holds them and every published change, in Japanese
and in English, public, served from the store (no workflow needed to read it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from domain.purposes import ARTICLE_3_TEXTS, ARTICLE_3_TEXTS_JA, NoticeMethod, PurposeChangeProposal
from interfaces.api.services import Services
from interfaces.privacy_center.routes import router
from runtime.settings import Settings
from store.purpose_changes import record_proposal
from store.purpose_publication import complete_change, record_publication
from store.purposes import seed_article_3
from tests.support.purposes import AT, BEFORE, BEFORE_JA, define
from tests.support.temporal import TEST_ACT_KEY

AFTER = "To send users a monthly newsletter and announcements of the service they use"
AFTER_JA = "ユーザーに月刊ニュースレターと利用中のサービスのお知らせを送付するため"


@pytest.fixture
async def http(pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    client: Any = None  # the page reads the store only; it never talks to Temporal
    app.state.services = Services(client, pool, Settings(DSR_DATA_DIR=str(tmp_path)), TEST_ACT_KEY)
    app.include_router(router)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


def proposal(change_id: str, purpose_id: str) -> PurposeChangeProposal:
    return PurposeChangeProposal(
        change_id=change_id,
        purpose_id=purpose_id,
        new_text=AFTER,
        new_text_ja=AFTER_JA,
        related=True,
        reason="Announcements of the same service users already receive.",
        decided_by="admin",
        method=NoticeMethod.NOTIFY,
        proposed_at=AT,
    )


async def test_the_purposes_and_their_published_changes_are_on_the_website(
    http: httpx.AsyncClient, pool: asyncpg.Pool, unique: str
) -> None:
    """N6: "publish" was a database row nobody could see. The page shows every purpose and
    each published change, in both languages; a change not yet published is not shown, and
    a published one says whether it is in effect yet."""
    await seed_article_3(pool)
    purpose_id, change_id = f"news_{unique}", f"c-{unique}"
    await define(pool, purpose_id)
    await record_proposal(pool, proposal(change_id, purpose_id), AT)

    start = await http.get("/?lang=ja")
    assert 'href="/purposes?lang=ja"' in start.text  # reached from the privacy center
    page = await http.get("/purposes?lang=ja")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "個人情報の利用目的" in page.text
    for text in ARTICLE_3_TEXTS_JA.values():
        assert text in page.text
    assert BEFORE_JA in page.text  # the test's incidental purpose, judged related
    assert f'id="change-{change_id}"' not in page.text  # accepted, not yet published

    await record_publication(pool, change_id, AT + timedelta(hours=1))
    page = await http.get("/purposes?lang=ja")
    assert f'id="change-{change_id}"' in page.text
    change = page.text[page.text.index(f'id="change-{change_id}"') :]
    change = change[: change.index("</section>")]
    assert BEFORE_JA in change and AFTER_JA in change
    assert "通知が済み次第、適用します。" in change

    await complete_change(pool, change_id, AT + timedelta(days=1), batches=0, unreachable=0)
    page = await http.get("/purposes", headers={"accept-language": "en"})
    change = page.text[page.text.index(f'id="change-{change_id}"') :]
    change = change[: change.index("</section>")]
    assert BEFORE in change and AFTER in change
    assert "In effect since 2 June 2026." in change
    for text in ARTICLE_3_TEXTS.values():
        assert text.replace("'", "&#39;") in page.text
    assert AFTER in page.text.split('id="incidental"')[1]  # the purpose now reads so
