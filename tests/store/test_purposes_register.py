"""store/purposes.py and store/purpose_notices.py on a real database: Article 3's purposes
seeded once, a change recorded with its judgement (the register updated in the same
transaction, or left as it was), the publication, a batch's notices written sealed and
delivered once, and the register streams' chains intact."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from domain.holdings import Purpose
from domain.policy_text import article_3_of
from domain.purposes import NoticeMethod, PurposeChangeProposal, PurposeVersion
from store.intake import IntakeStore
from store.privacy_policy import post_policy
from store.purpose_changes import ChangeIdTaken, record_proposal
from store.purpose_notices import (
    affected_after,
    change_texts,
    mark_delivered,
    pending_notices,
    prepare_notices,
    record_batch,
)
from store.purpose_publication import complete_change, record_publication
from store.purposes import (
    PURPOSES_STREAM,
    change_stream,
    define_purpose,
    load_register,
    seed_article_3,
)
from store.registers import verify_stream
from store.sealing import vault_of
from tests.support.builders import parsed
from tests.support.purposes import AT, BEFORE, BEFORE_JA, define, holders
from tests.support.sealing import destroy_key_recorded, opened


def proposal(change_id: str, purpose_id: str, **changes: object) -> PurposeChangeProposal:
    fields: dict[str, object] = {
        "change_id": change_id,
        "purpose_id": purpose_id,
        "new_text": "To send users a monthly newsletter and service announcements",
        "new_text_ja": "ユーザーに月刊ニュースレターとサービスのお知らせを送付するため",
        "related": True,
        "reason": "Announcements about the same service users receive.",
        "decided_by": "admin",
        "method": NoticeMethod.PUBLISH_AND_NOTIFY,
        "proposed_at": AT,
    }
    return PurposeChangeProposal(**{**fields, **changes})


async def test_article_3_is_seeded_once_whoever_starts_first(pool: asyncpg.Pool) -> None:
    await seed_article_3(pool)
    assert await seed_article_3(pool) == []
    register = await load_register(pool)
    for purpose in Purpose:
        assert register.current(purpose.value) is not None
    keys = await pool.fetch(
        "SELECT idempotency_key FROM register_events WHERE stream = $1 AND type = $2"
        " AND idempotency_key = ANY($3::text[])",
        PURPOSES_STREAM,
        "purpose.defined",
        [f"purposes/defined/{p.value}" for p in Purpose],
    )
    assert len(keys) == len(Purpose)
    async with pool.acquire() as connection:
        assert (await verify_stream(connection, PURPOSES_STREAM)).intact


async def test_an_accepted_change_takes_effect_only_when_it_completes(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N6: the new version was in force at acceptance, before anyone was told. It is put in
    force at completion, after the publication and notices, and (N15) the privacy policy's
    next version is posted with it, its Article 3 written from the register."""
    purpose_id = f"news_{unique}"
    await define(pool, purpose_id)
    change = await record_proposal(pool, proposal(f"c-{unique}", purpose_id), AT)
    assert (change.status, change.from_version, change.to_version) == ("accepted", 1, 2)
    assert change.before_text == BEFORE
    register = await load_register(pool)
    assert register.current(purpose_id).text == BEFORE  # accepted, not yet in force
    # Retried: the same record, nothing appended.
    again = await record_proposal(pool, proposal(f"c-{unique}", purpose_id), AT)
    assert again == change
    # Another change of the purpose waits until this one has taken effect.
    waiting = await record_proposal(pool, proposal(f"d-{unique}", purpose_id), AT)
    assert waiting.status == "refused" and "has not taken effect yet" in waiting.refusal
    await post_policy(
        pool,
        f"Privacy policy {unique}\nArticle 1 (Scope)\n".encode(),
        posted_at=AT - timedelta(days=1),
        effective_at=None,
        posted_by="admin",
    )
    published, done = AT + timedelta(hours=1), AT + timedelta(days=1)
    await record_publication(pool, f"c-{unique}", published)
    assert (await load_register(pool)).current(purpose_id).text == BEFORE
    await complete_change(pool, f"c-{unique}", done, batches=0, unreachable=0)
    await complete_change(pool, f"c-{unique}", done + timedelta(hours=1), batches=0, unreachable=0)
    register = await load_register(pool)
    assert register.in_force(purpose_id, done - timedelta(seconds=1)).text == BEFORE
    current = register.current(purpose_id)
    assert current.text.endswith("service announcements") and current.effective_from == done
    assert current.text_ja == "ユーザーに月刊ニュースレターとサービスのお知らせを送付するため"
    assert current.established and current.change_id == f"c-{unique}"
    policy = await pool.fetchrow(
        "SELECT text, effective_at, posted_by FROM privacy_policy_versions"
        " WHERE purpose_change = $1",
        f"c-{unique}",
    )
    assert policy["effective_at"] == done and policy["posted_by"] == "admin"
    assert f"  - {current.text}" in policy["text"]
    assert article_3_of(policy["text"]) == register.article_3_list()
    types = [
        r["type"]
        for r in await pool.fetch(
            "SELECT type FROM register_events WHERE stream = $1 ORDER BY seq",
            change_stream(f"c-{unique}"),
        )
    ]
    assert types == [
        "purpose_change.proposed",
        "purpose_change.accepted",
        "purpose_change.published",
        "purpose_change.completed",
    ]
    changed = await pool.fetchval(
        "SELECT count(*) FROM register_events WHERE stream = $1 AND type = 'purpose.changed'"
        " AND payload->>'change_id' = $2",
        PURPOSES_STREAM,
        f"c-{unique}",
    )
    assert changed == 1
    with pytest.raises(ChangeIdTaken):
        await record_proposal(pool, proposal(f"c-{unique}", purpose_id, new_text="Other"), AT)
    async with pool.acquire() as connection:
        assert (await verify_stream(connection, change_stream(f"c-{unique}"))).intact
        assert (await verify_stream(connection, PURPOSES_STREAM)).intact


async def test_an_unrelated_change_is_recorded_as_refused_and_changes_nothing(
    pool: asyncpg.Pool, unique: str
) -> None:
    purpose_id = f"news_{unique}"
    await define(pool, purpose_id)
    change = await record_proposal(
        pool,
        proposal(
            f"c-{unique}",
            purpose_id,
            related=False,
            new_text="To sell users' addresses to advertisers",
        ),
        AT,
    )
    assert change.status == "refused" and "not reasonably considered" in change.refusal
    register = await load_register(pool)
    assert [v.version for v in register.versions if v.purpose_id == purpose_id] == [1]
    assert register.current(purpose_id).text == BEFORE
    types = [
        r["type"]
        for r in await pool.fetch(
            "SELECT type FROM register_events WHERE stream = $1 ORDER BY seq",
            change_stream(f"c-{unique}"),
        )
    ]
    assert types == ["purpose_change.proposed", "purpose_change.refused"]
    with pytest.raises(LookupError):
        await record_publication(pool, f"c-{unique}", AT)


async def test_the_publication_is_recorded_once_in_both_languages(
    pool: asyncpg.Pool, unique: str
) -> None:
    purpose_id = f"news_{unique}"
    await define(pool, purpose_id)
    await record_proposal(pool, proposal(f"c-{unique}", purpose_id), AT)
    assert await record_publication(pool, f"c-{unique}", AT) == AT
    assert await record_publication(pool, f"c-{unique}", AT + timedelta(hours=1)) == AT
    text = await pool.fetchval(
        "SELECT publication FROM purpose_changes WHERE change_id = $1", f"c-{unique}"
    )
    assert "利用目的の変更のお知らせ" in text and f"Before: {BEFORE}" in text


async def test_a_batch_writes_sealed_notices_once_and_delivers_them_once(
    pool: asyncpg.Pool, unique: str
) -> None:
    purpose_id = f"news_{unique}"
    await define(pool, purpose_id)
    reachable = await holders(pool, purpose_id, f"s-{unique}-a", 3)
    incidental = await holders(pool, purpose_id, f"s-{unique}-b", 1, incidental=True)
    no_address = await holders(pool, purpose_id, f"s-{unique}-c", 1, email=False)
    # One writes in Japanese: their notice is in Japanese, the others' in the default
    # language of every notice, English (N17).
    await IntakeStore(pool).record_submission(
        parsed("inquiry", f"r-{unique}", reachable[0], email=f"{reachable[0]}@example.jp"), "p"
    )
    await pool.execute(
        "UPDATE request_details SET language = 'ja' WHERE request_id = $1", f"r-{unique}"
    )
    change_id = f"c-{unique}"
    await record_proposal(pool, proposal(change_id, purpose_id), AT)
    async with pool.acquire() as connection:
        texts = await change_texts(connection, change_id)
        subjects = await affected_after(connection, purpose_id, None, 10)
        assert subjects == sorted([*reachable, *incidental, *no_address])
        assert await affected_after(connection, purpose_id, subjects[1], 2) == subjects[2:4]
        made = await prepare_notices(connection, change_id, texts, subjects)
        assert sorted(made) == sorted([*reachable, *incidental])
        assert await prepare_notices(connection, change_id, texts, subjects) == {}
        pending, erased = await pending_notices(connection, change_id, subjects)
    assert [n.subject_id for n in pending] == sorted(made) and erased == 0
    japanese = made[reachable[0]]
    assert japanese.recipient == f"{reachable[0]}@example.jp"
    assert japanese.subject_line == "個人情報の利用目的の変更のお知らせ"
    assert f"変更前：{BEFORE_JA}" in japanese.body and "ユーザー 様" in japanese.body  # noqa: RUF001
    english = made[reachable[1]]
    assert "purpose of use" in english.subject_line and "Before: " + BEFORE in english.body
    row = await pool.fetchrow(
        "SELECT * FROM purpose_change_notices WHERE change_id = $1 AND subject_id = $2",
        change_id,
        reachable[1],
    )
    for column in ("recipient", "subject_line", "body"):
        assert row[column].startswith("dsr1.")
    assert await opened(pool, row["recipient"]) == f"{reachable[1]}@example.jp"

    handed = [(s, f"file-{s}") for s in sorted(made)]
    assert await mark_delivered(pool, change_id, handed[:2], AT) == 2
    assert await mark_delivered(pool, change_id, handed, AT) == len(handed) - 2
    assert await mark_delivered(pool, change_id, handed, AT) == 0
    assert await pool.fetchval(
        "SELECT notified FROM purpose_changes WHERE change_id = $1", change_id
    ) == len(handed)
    async with pool.acquire() as connection:
        assert (await pending_notices(connection, change_id, subjects))[0] == []
    assert await record_batch(
        pool, change_id, number=0, after=None, subjects=subjects, occurred_at=AT
    ) == (len(handed), 1)
    assert await record_batch(
        pool, change_id, number=0, after=None, subjects=subjects, occurred_at=AT
    ) == (len(handed), 1)
    payloads = [
        r["payload"]
        for r in await pool.fetch(
            "SELECT payload FROM register_events WHERE stream = $1 AND type = $2",
            change_stream(change_id),
            "purpose_change.notices_sent",
        )
    ]
    assert payloads == [
        {
            "change_id": change_id,
            "batch": 0,
            "after": None,
            "through": subjects[-1],
            "subjects": 5,
            "delivered": 4,
            "unreachable": 1,
        }
    ]
    async with pool.acquire() as connection:
        assert (await verify_stream(connection, change_stream(change_id))).intact


async def erase(pool: asyncpg.Pool, subject_id: str) -> None:
    """The subject's key destroyed, as an erasure does it (with its event): everything
    sealed under it opens as erased."""
    async with pool.acquire() as connection, connection.transaction():
        key_id = await destroy_key_recorded(connection, subject_id)
    async with pool.acquire() as connection:
        vault_of(connection).keyring.destroy(key_id)


async def test_an_erased_address_gets_no_notice(pool: asyncpg.Pool, unique: str) -> None:
    purpose_id = f"news_{unique}"
    await define(pool, purpose_id)
    [kept, erased_before, erased_after] = await holders(pool, purpose_id, f"s-{unique}", 3)
    change_id = f"c-{unique}"
    await record_proposal(pool, proposal(change_id, purpose_id), AT)
    await erase(pool, erased_before)
    async with pool.acquire() as connection:
        texts = await change_texts(connection, change_id)
        made = await prepare_notices(
            connection, change_id, texts, [kept, erased_before, erased_after]
        )
        assert sorted(made) == [kept, erased_after]
    await erase(pool, erased_after)
    async with pool.acquire() as connection:
        pending, erased = await pending_notices(
            connection, change_id, [kept, erased_before, erased_after]
        )
    assert [n.subject_id for n in pending] == [kept] and erased == 1


async def test_a_change_reaches_items_under_a_purpose_the_register_makes_incidental_to_it(
    pool: asyncpg.Pool, unique: str
) -> None:
    """Article 3's "purposes incidental to the above": a purpose defined as incidental to
    the changed one is affected as `incidental:<id>` is."""
    main, side = f"main_{unique}", f"side_{unique}"
    await define(pool, main)
    async with pool.acquire() as connection, connection.transaction():
        await define_purpose(
            connection,
            PurposeVersion(
                side, 1, "follow-up surveys", AT - timedelta(days=30), incidental_to=main
            ),
            occurred_at=AT - timedelta(days=30),
        )
    direct = await holders(pool, main, f"d-{unique}", 2)
    incidental = await holders(pool, side, f"i-{unique}", 2)
    async with pool.acquire() as connection:
        reached = await affected_after(connection, main, None, 100)
    assert set(direct + incidental) <= set(reached)
