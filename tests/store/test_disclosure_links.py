"""Article 6 delivered through the privacy center (review item 36), in PostgreSQL: a
disclosure's link is kept only as its token's hash, issued only when something was
disclosed, replaced when issued again, and expires when the domain says; the code that
opens it goes to the address on record; an erased subject's link is erased."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from zoneinfo import ZoneInfo

import asyncpg

from domain.deadlines import end_of_local_day
from domain.disclosure_delivery import LinkState, link_state
from store import disclosure_links as links
from tests.support.builders import EMAIL, T0, new_request
from tests.support.sealing import register_email, sealed, shred_recorded

SETTINGS = links.LinkSettings(base_url="https://privacy.example.jp/", days=7)
TOKYO = ZoneInfo("Asia/Tokyo")
CARD = "4111 1111 1111 1111"


async def _compiled(pool: asyncpg.Pool, unique: str, items: list[dict]) -> tuple[str, str]:
    request_id = await new_request(pool, unique, "dis")
    subject_id = await pool.fetchval(
        "SELECT subject_id FROM requests WHERE request_id = $1", request_id
    )
    [sealed_items] = await sealed(pool, subject_id, json.dumps(items))
    await pool.execute(
        "INSERT INTO disclosures (request_id, items, compiled_at) VALUES ($1, $2, $3)",
        request_id,
        sealed_items,
        T0,
    )
    return request_id, subject_id


async def _issue(pool: asyncpg.Pool, request_id: str):
    async with pool.acquire() as connection, connection.transaction():
        return await links.issue_for_notice(connection, request_id, T0, SETTINGS, TOKYO)


async def test_item36_a_link_is_kept_as_its_hash_and_expires_after_the_set_days(
    pool: asyncpg.Pool, unique: str
) -> None:
    """Item 36: the token is unguessable (256 bits), written only into the URL, stored
    only as its sha256; the link expires at the end of the day `days` after the notice
    (the day the e-mail names, in the notices' zone: C4)."""
    request_id, _subject = await _compiled(
        pool, unique, [{"category": "financial", "field": "card_number", "value": CARD}]
    )
    issued = await _issue(pool, request_id)
    assert issued is not None
    url, expires_at = issued
    assert url.startswith("https://privacy.example.jp/disclosure/")  # one slash
    token = url.rsplit("/", 1)[1]
    assert len(token) == 43 and expires_at == end_of_local_day(T0 + timedelta(days=7), TOKYO)
    row = await pool.fetchrow(
        "SELECT * FROM privacy_center_disclosure_links WHERE request_id = $1", request_id
    )
    assert row["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert token not in json.dumps({k: str(v) for k, v in dict(row).items()})
    async with pool.acquire() as connection:
        found = await links.link(connection, links.token_hash(token))
        assert await links.link(connection, token) is None  # the token itself finds nothing
    assert found is not None and found["request_id"] == request_id and not found["erased"]
    before = link_state(found=True, expires_at=found["expires_at"], erased=False, now=T0)
    after = link_state(
        found=True,
        expires_at=found["expires_at"],
        erased=False,
        now=expires_at + timedelta(0, 0, 1),
    )
    assert (before, after) == (LinkState.OPEN, LinkState.EXPIRED)


async def test_item36_issued_again_the_newest_link_replaces_the_old(
    pool: asyncpg.Pool, unique: str
) -> None:
    request_id, _subject = await _compiled(
        pool, unique, [{"category": "contact", "field": "phone", "value": "090"}]
    )
    first, _ = await _issue(pool, request_id)
    second, _ = await _issue(pool, request_id)
    async with pool.acquire() as connection:
        old = await links.link(connection, links.token_hash(first.rsplit("/", 1)[1]))
        new = await links.link(connection, links.token_hash(second.rsplit("/", 1)[1]))
    assert old is None and new is not None and first != second


async def test_item36_nothing_disclosed_issues_no_link(pool: asyncpg.Pool, unique: str) -> None:
    request_id, _subject = await _compiled(pool, unique, [])
    assert await _issue(pool, request_id) is None
    assert not await pool.fetchval(
        "SELECT count(*) FROM privacy_center_disclosure_links WHERE request_id = $1", request_id
    )


async def test_item36_the_code_goes_to_the_address_on_record_and_erasure_ends_the_link(
    pool: asyncpg.Pool, unique: str
) -> None:
    """Item 36: the registered address first, else the address the request was verified
    with; once the subject's key is shredded, no address and an erased link."""
    request_id, subject_id = await _compiled(
        pool, unique, [{"category": "contact", "field": "phone", "value": "090"}]
    )
    url, _ = await _issue(pool, request_id)
    async with pool.acquire() as connection:
        assert await links.addressee(connection, request_id) == (subject_id, EMAIL)
    await register_email(pool, subject_id, f"registered-{unique}@example.jp")
    async with pool.acquire() as connection:
        assert await links.addressee(connection, request_id) == (
            subject_id,
            f"registered-{unique}@example.jp",
        )
    async with pool.acquire() as connection, connection.transaction():
        await shred_recorded(connection, subject_id, forget_requests=frozenset({request_id}))
    async with pool.acquire() as connection:
        found = await links.link(connection, links.token_hash(url.rsplit("/", 1)[1]))
        assert found is not None and found["erased"]
        assert await links.items(connection, request_id) is None
