"""Purposes and the subjects holding items under them, for the purpose-change tests
(Article 4) in the store and workflow suites."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from domain.purposes import PurposeVersion, Relatedness
from store.purposes import define_purpose
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
