"""N6: the privacy center's purposes page, Article 4 ¶2's "publish it on this website":
Article 3's purposes as the register holds them and every published change, in Japanese
and in English, public, served from the store (no workflow needed to read it)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from domain.notices import format_date
from domain.purposes import ARTICLE_3_TEXTS, ARTICLE_3_TEXTS_JA, NoticeMethod, PurposeChangeProposal
from domain.requests import Language
from interfaces.api.services import Services
from interfaces.privacy_center.routes import router
from runtime.settings import Settings
from store.privacy_policy import first_posted_at, post_policy
from store.purpose_changes import record_proposal
from store.purpose_publication import complete_change, record_publication
from store.purposes import seed_article_3
from tests.support.purposes import AT, BEFORE, BEFORE_JA, define, post_adding_purpose
from tests.support.temporal import TEST_ACT_SIGNER

ZONE = ZoneInfo("Asia/Tokyo")  # the settings' default notice zone
AFTER = "To send users a monthly newsletter and announcements of the service they use"
AFTER_JA = "ユーザーに月刊ニュースレターと利用中のサービスのお知らせを送付するため"


@pytest.fixture
async def http(pool: asyncpg.Pool, tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    client: Any = None  # the page reads the store only; it never talks to Temporal
    app.state.services = Services(
        client, pool, Settings(DSR_DATA_DIR=str(tmp_path)), TEST_ACT_SIGNER
    )
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


def _article_3_entries(page: str) -> dict[str, str]:
    listed = page.split('id="article-3"', 1)[1].split("</ul>", 1)[0]
    return {
        purpose.value: listed.split(f'data-purpose="{purpose.value}"', 1)[1].split("</li>", 1)[0]
        for purpose in ARTICLE_3_TEXTS
    }


async def test_c12_article_3_is_dated_by_the_policys_first_posting_or_not_at_all(
    http: httpx.AsyncClient, pool: asyncpg.Pool, unique: str
) -> None:
    """C12: the page published 「2000年1月1日から適用」 for Article 3's seven, an invented
    date. They now carry the day the Article 9 register says the policy was first posted,
    and no date while none is recorded; never the register's sentinel."""
    await seed_article_3(pool)
    first = await first_posted_at(pool)
    for language, sentinel in (("ja", "2000年1月1日"), ("en", "1 January 2000")):
        page = (await http.get(f"/purposes?lang={language}")).text
        assert sentinel not in page
        for entry in _article_3_entries(page).values():
            if first is None:
                assert 'class="note"' not in entry, entry
            else:
                assert format_date(first, ZONE, Language(language)) in entry, entry

    posted = datetime(2021, 4, 1, 9, 0, tzinfo=ZONE)  # earlier than any other test's posting
    await post_policy(
        pool, f"first policy {unique}".encode(), posted_at=posted, effective_at=None, posted_by="a"
    )
    first = await first_posted_at(pool)
    assert first is not None and first <= posted
    for language, words in (("ja", "{date}から適用"), ("en", "in force since {date}")):
        page = (await http.get(f"/purposes?lang={language}")).text
        said = words.format(date=format_date(first, ZONE, Language(language)))
        assert all(said in entry for entry in _article_3_entries(page).values()), page


async def test_a_purpose_a_posted_policy_added_is_published_with_article_3(
    http: httpx.AsyncClient, pool: asyncpg.Pool, unique: str
) -> None:
    """Issue 24 (Articles 3, 5 ¶1 and 9): the purpose a posted version of the policy adds
    to Article 3's list is published with Article 3's, in both languages, with the date it
    took effect, not among the incidental purposes."""
    purpose = f"posted_{unique}"
    text = f"To provide users' contact details to partners ({unique})"
    text_ja = f"{unique}の連絡先を提携先に提供するため"
    await post_adding_purpose(pool, purpose, text, at=AT, text_ja=text_ja)
    for language, shown, date in (
        ("ja", text_ja, format_date(AT, ZONE, Language.JA)),
        ("en", text.replace("'", "&#39;"), format_date(AT, ZONE, Language.EN)),
    ):
        page = (await http.get(f"/purposes?lang={language}")).text
        listed = page.split('id="article-3"', 1)[1].split("</ul>", 1)[0]
        entry = listed.split(f'data-purpose="{purpose}"', 1)[1].split("</li>", 1)[0]
        assert shown in entry and date in entry, entry
