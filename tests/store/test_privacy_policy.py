"""Article 9: the privacy policy's versions, as posted, in force from their posting or a
later time, recorded in the register's chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from domain.policy_text import with_article_3
from domain.privacy_policy import PolicyVersion, PostingRefused, in_force, new_version
from store.privacy_policy import STREAM, post_policy, version_in_force
from store.purposes import load_register, seed_article_3
from store.registers import verify_stream
from tests.support.purposes import post_adding_purpose

POSTED = datetime(2031, 4, 1, 9, 0, tzinfo=UTC)  # later than any other test's posting


def test_a_version_takes_effect_on_posting_unless_told_otherwise() -> None:
    first = new_version(b"policy one", POSTED, None, [])
    assert first.effective_at == POSTED
    assert first.version.startswith("2031-04-01.") and len(first.text_sha256) == 64
    later = new_version(
        b"policy two", POSTED + timedelta(days=1), POSTED + timedelta(days=30), [first]
    )
    assert in_force([first, later], POSTED + timedelta(days=10)) == first
    assert in_force([first, later], POSTED + timedelta(days=30)) == later
    assert in_force([first, later], POSTED - timedelta(seconds=1)) is None


@pytest.mark.parametrize(
    ("text", "effective", "says"),
    [
        (b"  \n", None, "empty"),
        (b"policy one", POSTED - timedelta(days=1), "before the posting"),
    ],
)
def test_what_cannot_be_posted_is_refused(
    text: bytes, effective: datetime | None, says: str
) -> None:
    with pytest.raises(PostingRefused, match=says):
        new_version(text, POSTED, effective, [])


def test_the_same_text_again_is_refused() -> None:
    first: PolicyVersion = new_version(b"policy one", POSTED, None, [])
    with pytest.raises(PostingRefused, match=f"version {first.version} already"):
        new_version(b"policy one", POSTED + timedelta(days=1), None, [first])


def test_a_text_posted_earlier_the_same_day_is_refused_not_a_clash_of_names() -> None:
    """One, two, then one again on the same day would name the third as the first; it is
    refused with the reason (the API answered a 500 before: its fuzzing found it)."""
    first = new_version(b"policy one", POSTED, None, [])
    second = new_version(b"policy two", POSTED + timedelta(hours=1), None, [first])
    with pytest.raises(
        PostingRefused, match=f"posted the same day already, as version {first.version}"
    ):
        new_version(b"policy one", POSTED + timedelta(hours=2), None, [first, second])
    again = new_version(b"policy one", POSTED + timedelta(days=1), None, [first, second])
    assert again.version != first.version


async def test_posted_versions_are_recorded_and_chained(pool: asyncpg.Pool, unique: str) -> None:
    text = f"privacy policy {unique}".encode()
    posted = await post_policy(pool, text, posted_at=POSTED, effective_at=None, posted_by="admin")
    amended = await post_policy(
        pool,
        text + b" amended",
        posted_at=POSTED + timedelta(hours=1),
        effective_at=POSTED + timedelta(days=7),
        posted_by="admin",
    )
    assert await version_in_force(pool, POSTED + timedelta(days=1)) == posted.version
    assert await version_in_force(pool, POSTED + timedelta(days=7)) == amended.version
    row = await pool.fetchrow(
        "SELECT text_sha256, posted_by FROM privacy_policy_versions WHERE version = $1",
        amended.version,
    )
    assert (row["text_sha256"], row["posted_by"]) == (amended.text_sha256, "admin")
    async with pool.acquire() as connection:
        verdict = await verify_stream(connection, STREAM)
        assert verdict.intact and verdict.events >= 2
        logged = await connection.fetchval(
            "SELECT count(*) FROM event_log WHERE request_id = $1", f"register/{STREAM}"
        )
    assert logged == verdict.events
    with pytest.raises(PostingRefused):
        await post_policy(
            pool,
            text + b" amended",
            posted_at=POSTED + timedelta(hours=2),
            effective_at=None,
            posted_by="admin",
        )


async def test_a_text_whose_article_3_differs_from_the_register_is_refused(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N15: posting a text with another Article 3 list went through no Article 4 judgement
    and no notice. It is refused, and nothing is recorded; the register's own list posts."""
    await seed_article_3(pool)
    listed = (await load_register(pool)).article_3_list()
    text = with_article_3(f"Privacy policy {unique}\n", listed, ())
    sneaky = text.replace(listed[-1], f"{listed[-1]}\n- To sell browsing history {unique}")
    before = await pool.fetchval("SELECT count(*) FROM privacy_policy_versions")
    with pytest.raises(PostingRefused, match="only through Article 4"):
        await post_policy(pool, sneaky.encode(), posted_at=POSTED, effective_at=None, posted_by="a")
    assert await pool.fetchval("SELECT count(*) FROM privacy_policy_versions") == before
    posted = await post_policy(
        pool, text.encode(), posted_at=POSTED, effective_at=None, posted_by="admin"
    )
    assert (
        await pool.fetchval(
            "SELECT text FROM privacy_policy_versions WHERE version = $1", posted.version
        )
        == text
    )


async def test_a_posting_adds_a_purpose_only_when_it_declares_it(
    pool: asyncpg.Pool, unique: str
) -> None:
    """Issue 24 (Article 9 with Article 5 ¶1): a text adding a purpose to Article 3 without
    declaring it is refused (N15), and so is one declaring an id the register holds;
    nothing is recorded. Declared, the version and the purpose are recorded together, as
    register events: the purpose from the version's effective time, marked as including
    provision, its Japanese text the declared one, its English the text's."""
    purpose, text = f"added_{unique}", f"To provide users' addresses to partners ({unique})"
    at = POSTED + timedelta(days=100)
    versions = await pool.fetchval("SELECT count(*) FROM privacy_policy_versions")
    with pytest.raises(PostingRefused, match="--new-purpose") as refused:
        await post_adding_purpose(pool, purpose, text, at=at, declare=False)
    assert f"not in the register: {text}" in str(refused.value)
    with pytest.raises(PostingRefused, match="holds 'billing' already"):
        await post_adding_purpose(pool, "billing", text, at=at)
    assert await pool.fetchval("SELECT count(*) FROM privacy_policy_versions") == versions
    assert (await load_register(pool)).current(purpose) is None

    version = await post_adding_purpose(
        pool, purpose, text, at=at, effective=at + timedelta(days=30)
    )
    register = await load_register(pool)
    added = register.current(purpose)
    assert added is not None and added.posted_in == version.version
    assert (added.text, added.effective_from, added.includes_provision) == (
        text,
        at + timedelta(days=30),
        True,
    )
    assert register.article_3_list()[-1] == text
    async with pool.acquire() as connection:
        assert (await verify_stream(connection, "purposes")).intact
        defined = await connection.fetchrow(
            """SELECT payload ->> 'posted_in' AS posted_in,
                      (payload ->> 'includes_provision')::boolean AS includes_provision
                 FROM register_events WHERE stream = 'purposes' AND idempotency_key = $1""",
            f"purposes/defined/{purpose}",
        )
    assert tuple(defined) == (version.version, True)
    # The register's list now carries it, so the same list again posts undeclared.
    listed = with_article_3(f"Privacy policy again {unique}\n", register.article_3_list(), ())
    await post_policy(
        pool, listed.encode(), posted_at=at + timedelta(hours=1), effective_at=None, posted_by="a"
    )
