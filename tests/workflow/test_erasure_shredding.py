# ruff: noqa: RUF001 - the person wrote the value in full width: that is the test
"""Article 8 erasure through the workflow, as crypto-shredding: the subject's data key is
replaced and the old one destroyed, so every copy sealed under it (a backup's included)
opens as erased; the subject's other requests show the erased values as erased; the
subject's maildrop files still there are named, then removed; the erasure's own notice is
still delivered and says exactly what was erased; every chain still verifies."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Any

import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.lifecycle_activities import LifecycleActivities
from domain.deadlines import Step
from domain.redaction import MARKER
from mail.maildrop import MaildropSender, maildrop_name
from service import acts
from store.events import EventStore
from store.review import review_document
from store.sealing import ERASED, PREFIX, key_of, vault_of
from tests.support.privacy import HELD_VALUES
from tests.support.scenarios import (
    at_step,
    event_types,
    outcome_notice,
    outcome_of,
    seed_subject,
    start,
    verified,
)
from tests.support.sealing import opened, sealed
from tests.support.temporal import actor, faulty_worker

ERASED_VALUES = (HELD_VALUES["segment"], HELD_VALUES["ad_profile"])


def _worker(env: WorkflowEnvironment, pool: asyncpg.Pool, queue: str, maildrop: Path) -> Worker:
    """The real activities, the erasure's withdrawing from the test's maildrop."""
    lifecycle = LifecycleActivities(pool, EventStore(pool), sender=MaildropSender(maildrop))
    return faulty_worker(env.client, pool, queue, maildrop, carry_out=lifecycle.carry_out)


def _files(maildrop: Path) -> set[str]:
    return {path.name for path in maildrop.iterdir()} if maildrop.is_dir() else set()


async def test_an_erasure_shreds_the_key_reaches_every_copy_and_withdraws_the_maildrop(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    keyring_dir: Path,
    dsr: Any,
) -> None:
    client, queue, maildrop = time_skipping_env.client, f"dsr-era-{unique}", tmp_path / "md"
    disclosure, erasure, sid = f"dis-{unique}", f"era-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    async with _worker(time_skipping_env, pool, queue, maildrop):
        # A disclosure in full first: its notice and compiled items hold the values (the
        # person's own history and characteristic items included, N3).
        await start(client, pool, queue, "disclosure", disclosure, sid, {})
        await verified(client, pool, disclosure)
        await at_step(client, pool, disclosure, Step.DECIDE)
        await acts.decide(disclosure, "disclosed_in_full", actor("op-1"), client=client, pool=pool)
        view = await at_step(client, pool, disclosure, Step.PAYMENT)
        await acts.record_payment(
            disclosure,
            view.invoice_id,
            1000,
            "bank-ref-1",
            actor("cashier-1"),
            client=client,
            pool=pool,
        )
        assert await outcome_of(client, disclosure) == "disclosed_in_full"
        # The notice links to the disclosure in the privacy center (review item 36); the
        # compiled items hold the values.
        disclosed = await outcome_notice(pool, disclosure)
        assert "/disclosure/" in disclosed
        assert not any(value in disclosed for value in ERASED_VALUES)
        async with pool.acquire() as connection:
            compiled = vault_of(connection).open_json(
                await pool.fetchval("SELECT items FROM disclosures WHERE request_id=$1", disclosure)
            )
        assert all(value in {i["value"] for i in compiled} for value in ERASED_VALUES)
        # What a backup taken now holds: the notice and the item, sealed under the old key.
        backup_notice = await pool.fetchval(
            "SELECT body FROM notifications WHERE request_id=$1 AND notice='outcome'", disclosure
        )
        backup_item = await pool.fetchval(
            "SELECT value FROM personal_data WHERE subject_id=$1 AND field='segment'", sid
        )
        old_key = key_of(backup_item)
        assert (keyring_dir / f"{old_key}.key").exists()

        await start(
            client,
            pool,
            queue,
            "suspension",
            erasure,
            sid,
            {"action": "erase", "grounds": ["used_beyond_purpose", "obtained_wrongfully"]},
        )
        await verified(client, pool, erasure)
        await at_step(client, pool, erasure, Step.DECIDE)
        before = _files(maildrop)
        await acts.decide(erasure, "erased", actor("op-1"), client=client, pool=pool)
        assert await outcome_of(client, erasure) == "erased"

    # The old key: destroyed on record and gone from the keyring; one current key left.
    keys = await pool.fetch(
        "SELECT key_id, destroyed_at FROM subject_keys WHERE subject_id=$1", sid
    )
    assert {r["key_id"] for r in keys if r["destroyed_at"] is not None} == {old_key}
    assert len([r for r in keys if r["destroyed_at"] is None]) == 1
    assert not (keyring_dir / f"{old_key}.key").exists()
    assert await opened(pool, backup_notice) == ERASED
    assert await opened(pool, backup_item) == ERASED

    # The other request's notice and compiled items show the values as erased; the rest
    # of what was disclosed reads as before, under the new key.
    told = await outcome_notice(pool, disclosure)
    assert not any(value in told for value in ERASED_VALUES) and "/disclosure/" in told
    async with pool.acquire() as connection:
        items = vault_of(connection).open_json(
            await pool.fetchval("SELECT items FROM disclosures WHERE request_id=$1", disclosure)
        )
    fields = {item["field"]: item["value"] for item in items}
    assert fields["phone"] == HELD_VALUES["phone"]
    assert fields["bank_account"] == HELD_VALUES["bank_account"]
    assert not fields.keys() & {"segment", "ad_profile"}

    # The erasure's own notice was delivered after the key changed, and names what went.
    notice = await outcome_notice(pool, erasure)
    assert "Characteristic information / segment" in notice
    assert "Characteristic information / ad_profile" in notice
    assert "the rest of your personal information (7 items)" in notice
    assert not any(value in notice for value in ERASED_VALUES)
    assert (
        await pool.fetchval(
            "SELECT status FROM notifications WHERE request_id=$1 AND notice='outcome'", erasure
        )
        == "delivered"
    )

    # The subject's files that were in the maildrop were named, then removed; what is
    # there now was delivered after the erasure.
    types = await event_types(pool, erasure)
    assert (
        types.index("data.erased")
        < types.index("subject_key.shredded")
        < types.index("notices.withdrawn")
    )
    withdrawn = await pool.fetchval(
        "SELECT payload FROM request_events WHERE request_id=$1 AND type='notices.withdrawn'",
        erasure,
    )
    named = set(withdrawn["files"].split(","))
    assert withdrawn["count"] == len(named) and named == before and len(named) >= 6
    left = _files(maildrop)
    assert not left & named
    outcome_key = await pool.fetchval(
        "SELECT idempotency_key FROM notifications WHERE request_id=$1 AND notice='outcome'",
        erasure,
    )
    assert left == {maildrop_name(outcome_key)}

    for request_id in (disclosure, erasure):
        assert (await EventStore(pool).verify(request_id)).intact
    code, out, _ = await dsr("audit", "verify", disclosure, erasure)
    assert code == 0, out
    assert f"{disclosure}: intact" in out and f"{erasure}: intact" in out


# N7: the review's subject e-1, its inquiry inq-e1 and its erasure era-e1.
CLINIC = "Visited clinic-finder.example on 2026-11-02"
INQUIRY = (
    "Why do you know I visited CLINIC-FINDER.EXAMPLE on 2026-11-02? "
    "(visited clinic-finder.example on 2026-11-02) "
    "私はＶＩＳＩＴＥＤ　ＣＬＩＮＩＣ－ＦＩＮＤＥＲ．ＥＸＡＭＰＬＥ"
    "　ＯＮ　２０２６－１１－０２と書きました。"
)
ANSWER = "We hold 'VISITED CLINIC-FINDER.EXAMPLE ON 2026-11-02' from an advertising partner."
# What the review's opener looked for, read as a person reads it: any case, any width.
NEEDLE = "clinic-finder"


def _reads(text: str) -> str:
    """A text as a person reads it: compatibility forms as what they stand for (full
    width as ASCII), case folded, white space as one space (computed here on the whole
    string, not with the redaction's own reading)."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.split())


async def _readable_copies(superuser_pool: asyncpg.Pool, subject_id: str) -> list[str]:
    """Where the database lets someone holding a dump of it and today's keyring read the
    value: every text, JSON and array column of every table, a sealed value opened with
    its key when the keyring still has it (the subject's keys: no other subject's value
    is opened)."""
    keys = {
        row["key_id"]
        for row in await superuser_pool.fetch(
            "SELECT key_id FROM subject_keys WHERE subject_id = $1", subject_id
        )
    }
    columns = await superuser_pool.fetch(
        """SELECT c.table_schema, c.table_name, c.column_name
             FROM information_schema.columns c
             JOIN information_schema.tables t USING (table_schema, table_name)
            WHERE t.table_type = 'BASE TABLE'
              AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
              AND c.data_type IN ('text', 'character varying', 'json', 'jsonb', 'ARRAY')"""
    )
    found: list[str] = []
    async with superuser_pool.acquire() as connection:
        vault = vault_of(connection)
        for schema, table, column in columns:
            place = f'"{schema}"."{table}"."{column}"'
            for (value,) in await connection.fetch(
                f'SELECT "{column}"::text FROM "{schema}"."{table}" WHERE "{column}" IS NOT NULL'
            ):
                if value.startswith(f"{PREFIX}."):
                    if key_of(value) not in keys:
                        continue
                    value = vault.open(value)
                if NEEDLE in _reads(value):
                    found.append(f"{place}: {value[:120]}")
    return found


async def test_no_copy_of_an_erased_value_stays_readable_in_any_case_or_width(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    superuser_pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
) -> None:
    """N7: an item erased, an inquiry quoting it in capitals and in full width, an answer
    quoting it, an erasure whose statement quotes it. Before, the inquiry's copies and
    the erasing request's statement were sealed again under the live key (exact matching
    missed the first, the statement was spared): a dump opened with the keyring showed
    them. Now the database holds no readable copy in any case or width, and what the
    requests still need reads as before."""
    client, queue, maildrop = time_skipping_env.client, f"dsr-n7-{unique}", tmp_path / "md"
    sid, inquiry, erasure = f"e-1-{unique}", f"inq-e1-{unique}", f"era-e1-{unique}"
    await seed_subject(pool, sid)
    [clinic] = await sealed(pool, sid, CLINIC)
    await pool.execute(
        """INSERT INTO personal_data (subject_id, category, field, value, purpose)
           VALUES ($1, 'history', 'visited_sites', $2, 'resale_to_brokers')""",
        sid,
        clinic,
    )
    async with _worker(time_skipping_env, pool, queue, maildrop):
        await start(client, pool, queue, "inquiry", inquiry, sid, {"text": INQUIRY})
        await at_step(client, pool, inquiry, Step.ANSWER)
        await acts.respond(inquiry, ANSWER, actor("op-1"), client=client, pool=pool)
        assert await outcome_of(client, inquiry) == "answered"

        details = {
            "action": "erase",
            "grounds": ["used_beyond_purpose", "obtained_wrongfully"],
            "statement": f"Erase: {CLINIC}",
        }
        await start(client, pool, queue, "suspension", erasure, sid, details)
        await verified(client, pool, erasure)
        await at_step(client, pool, erasure, Step.DECIDE)
        # What the review's opener found, and more: the item, the inquiry, its answer and
        # the notice quoting it, the erasure's statement.
        before = await _readable_copies(superuser_pool, sid)
        assert len(before) >= 5, before
        assert any("Erase: Visited" in copy for copy in before), before
        await acts.decide(erasure, "erased", actor("op-1"), client=client, pool=pool)
        assert await outcome_of(client, erasure) == "erased"

    assert await _readable_copies(superuser_pool, sid) == []
    # Nor in the maildrop: the inquiry's answer there was withdrawn.
    for path in maildrop.iterdir():
        assert NEEDLE not in _reads(path.read_text(encoding="utf-8")), path.name

    # The inquiry reads as written but for the copies.
    async with pool.acquire() as connection:
        kept = vault_of(connection).open_json(
            await pool.fetchval(
                "SELECT details FROM request_details WHERE request_id = $1", inquiry
            )
        )
    assert kept == {"text": f"Why do you know I {MARKER}? ({MARKER}) 私は{MARKER}と書きました。"}
    # The erasure forgot its own statement, and still told the person what it erased, at
    # the address it was asked from; its chain and the shredding's counts are on record.
    review = await review_document(pool, erasure)
    assert review["statement"] == ERASED
    notice = await outcome_notice(pool, erasure)
    assert "/ visited_sites" in notice and NEEDLE not in _reads(notice)
    row = await pool.fetchrow(
        "SELECT status, recipient FROM notifications WHERE request_id=$1 AND notice='outcome'",
        erasure,
    )
    assert row["status"] == "delivered" and await opened(pool, row["recipient"]) != ERASED
    shredded = await pool.fetchval(
        "SELECT payload FROM request_events WHERE request_id=$1 AND type='subject_key.shredded'",
        erasure,
    )
    assert shredded["forgotten"] == 1
    for request_id in (inquiry, erasure):
        assert (await EventStore(pool).verify(request_id)).intact
