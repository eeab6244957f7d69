"""Purposes and the subjects holding items under them, for the purpose-change tests
(Article 4) in the store and workflow suites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from domain.policy_text import DeclaredPurpose, with_article_3
from domain.privacy_policy import PolicyVersion
from domain.purposes import PurposeVersion, Relatedness
from store.privacy_policy import post_policy
from store.purposes import define_purpose, load_register, seed_article_3
from store.sealing import vault_of

# When the tests' purposes were defined (a month before the change they judge).
AT = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
BEFORE = "To send users a monthly newsletter"


BEFORE_JA = "ユーザーに月刊ニュースレターを送付するため"


async def define(pool: asyncpg.Pool, purpose_id: str, text: str = BEFORE) -> None:
    """A purpose of the test's own: changing one of Article 3's would change it for every
    other test sharing the database. It enters the register as Article 3 allows one outside
    its list: incidental to one of its purposes (service e-mails), judged related."""
    judged = AT - timedelta(days=30)
    async with pool.acquire() as connection, connection.transaction():
        await define_purpose(
            connection,
            PurposeVersion(
                purpose_id,
                1,
                text,
                judged,
                incidental_to="service_emails",
                text_ja=BEFORE_JA if text == BEFORE else None,
                judged_by="admin",
            ),
            occurred_at=judged,
            relatedness=Relatedness(
                "admin", judged, "A newsletter is an e-mail about the service's updates."
            ),
        )


async def holders(
    pool: asyncpg.Pool,
    purpose_id: str,
    prefix: str,
    n: int,
    *,
    email: bool = True,
    incidental: bool = False,
) -> list[str]:
    """`n` subjects holding an item under the purpose, each with an e-mail address on
    record (sealed, as the inventory holds it) unless told otherwise."""
    subjects = [f"{prefix}-{i:04d}" for i in range(n)]
    async with pool.acquire() as connection, connection.transaction():
        vault = vault_of(connection)
        for subject_id in subjects:
            await connection.execute("INSERT INTO subjects (subject_id) VALUES ($1)", subject_id)
            address = f"{subject_id}@example.jp"
            [sealed] = await vault.seal_all(connection, subject_id, address)
            purpose = f"incidental:{purpose_id}" if incidental else purpose_id
            if email:
                await connection.execute(
                    """INSERT INTO personal_data (subject_id, category, field, value,
                                                  value_index, purpose)
                       VALUES ($1, 'contact', 'email', $2, $3, $4)""",
                    subject_id,
                    sealed,
                    vault.blind_index(address),
                    purpose,
                )
            else:
                await connection.execute(
                    """INSERT INTO personal_data (subject_id, category, field, value, purpose)
                       VALUES ($1, 'transaction', 'purchases', $2, $3)""",
                    subject_id,
                    sealed,
                    purpose,
                )
    return subjects


# Since when the tests' purpose that includes provision to third parties has been in force.
PROVIDING_SINCE = datetime(2026, 3, 1, tzinfo=UTC)


async def define_in_register(
    pool: asyncpg.Pool,
    purpose_id: str,
    text: str,
    *,
    since: datetime = PROVIDING_SINCE,
    includes_provision: bool = False,
    incidental_to: str | None = None,
    judged_by: str | None = None,
    change_id: str | None = None,
) -> None:
    """A purpose's version put in the register as its route leaves it (C2, C3): a
    purpose that includes provision to third parties enters only through Article 4 (a
    version made by a change, `change_id`) or a new policy, never by an inventory file,
    so the tests record such a version as the change would have left it; `judged_by`
    None with `incidental_to`: a legacy purpose recorded without a judgement. A purpose
    the register holds already is left as it is (the database is shared)."""
    await pool.execute(
        """INSERT INTO purposes (purpose_id, version, text, text_ja, incidental_to,
                                 effective_from, change_id, judged_by, judged_at,
                                 includes_provision)
           VALUES ($1, 1, $2, $2, $3, $4::timestamptz, $5, $6::text,
                   CASE WHEN $6::text IS NULL THEN NULL ELSE $4::timestamptz END, $7)
           ON CONFLICT DO NOTHING""",
        purpose_id,
        text,
        incidental_to,
        since,
        change_id,
        judged_by,
        includes_provision,
    )


async def post_adding_purpose(
    pool: asyncpg.Pool,
    purpose_id: str,
    text: str,
    *,
    at: datetime = PROVIDING_SINCE,
    effective: datetime | None = None,
    text_ja: str = "ユーザーの連絡先を提携先に提供するため",
    includes_provision: bool = True,
    declare: bool = True,
) -> PolicyVersion:
    """A policy version whose Article 3 lists the register's purposes followed by `text`,
    posted at `at` (in force from then, or from `effective`), declaring it as `purpose_id`
    (Article 9 with Article 5 ¶1: the route through a new policy version), or not."""
    await seed_article_3(pool)
    listed = (await load_register(pool)).article_3_list()
    policy = with_article_3(f"Privacy policy adding {purpose_id}\n", (*listed, text), ())
    return await post_policy(
        pool,
        policy.encode(),
        posted_at=at,
        effective_at=effective,
        posted_by="admin",
        new_purpose=DeclaredPurpose(purpose_id, text_ja, includes_provision) if declare else None,
    )
