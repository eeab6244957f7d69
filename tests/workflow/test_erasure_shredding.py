"""Article 8 erasure through the workflow, as crypto-shredding: the subject's data key is
replaced and the old one destroyed, so every copy sealed under it (a backup's included)
opens as erased; the subject's other requests show the erased values as erased; the
subject's maildrop files still there are named, then removed; the erasure's own notice is
still delivered and says exactly what was erased; every chain still verifies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.lifecycle_activities import LifecycleActivities
from domain.deadlines import Step
from mail.maildrop import MaildropSender, maildrop_name
from service import acts
from store.events import EventStore
from store.sealing import ERASED, key_of, vault_of
from store.shredding import Redaction
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
from tests.support.sealing import opened
from tests.support.temporal import actor, faulty_worker

ERASED_VALUES = (HELD_VALUES["segment"], HELD_VALUES["ad_profile"])
MARKER = Redaction((), sparing="").marker


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
