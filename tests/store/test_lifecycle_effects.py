"""Effects of the lifecycle activities against the real store: invoices settle once,
erasure reaches earlier copies and crypto-shreds the subject's key (old copies, backups
included, open as erased; the subject's maildrop files go), retried investigations return
what is on record."""

from __future__ import annotations

import shutil
from pathlib import Path

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError

from activities.lifecycle_activities import LifecycleActivities
from domain.decisions import Findings, Outcome
from domain.events import EventType
from domain.messages import CarryOut, Decide, RecordByOperator, RequestStep
from domain.redaction import MARKER
from domain.requests import RequestKind, SuspensionAction, SuspensionGround, parse_submission
from mail.maildrop import MaildropSender, maildrop_name
from store.events import EventStore
from store.intake import IntakeStore
from store.outbox import OutgoingNotice
from store.review import review_document
from store.sealing import ERASED, key_of, vault_of
from tests.support.builders import EMAIL, NAME, POLICY, T0
from tests.support.sealing import opened, register_email, sealed

PHONE = "090-9999-0000"


async def _submit(
    pool: asyncpg.Pool, request_id: str, subject_id: str, kind: str, details: dict
) -> None:
    await IntakeStore(pool).record_submission(
        parse_submission(
            {
                "request_id": request_id,
                "kind": kind,
                "subject_id": subject_id,
                "requester": {"name": NAME, "email": EMAIL},
                "details": details,
            }
        ),
        POLICY,
    )


def _step(request_id: str, kind: RequestKind, key: str) -> RequestStep:
    return RequestStep(request_id=request_id, kind=kind, idempotency_key=key, occurred_at=T0)


async def test_an_invoice_settles_once_and_a_second_settlement_is_refused(
    pool: asyncpg.Pool, unique: str
) -> None:
    rid = f"fee-{unique}"
    await _submit(pool, rid, f"s-{unique}", "disclosure", {})
    lifecycle = LifecycleActivities(pool, EventStore(pool))
    invoice = await lifecycle.issue_invoice(_step(rid, RequestKind.DISCLOSURE, f"{rid}:inv"))
    paid = RecordByOperator(
        request_id=rid,
        event=EventType.PAYMENT_RECORDED,
        payload={"invoice_id": invoice.invoice_id, "amount_yen": 1000, "reference": "r1"},
        operator="cashier",
        idempotency_key=f"{rid}:paid",
        occurred_at=T0,
    )
    await lifecycle.settle_invoice(paid)
    await lifecycle.settle_invoice(paid)  # a retry after the effect: nothing more
    lapsed = paid.model_copy(
        update={"event": EventType.INVOICE_LAPSED, "idempotency_key": f"{rid}:lapsed"}
    )
    with pytest.raises(ApplicationError, match="no longer open") as refused:
        await lifecycle.settle_invoice(lapsed)
    assert refused.value.non_retryable
    assert await pool.fetchval("SELECT status FROM invoices WHERE request_id=$1", rid) == "paid"
    types = [e.type for e in await EventStore(pool).events(rid)]
    assert types.count(EventType.PAYMENT_RECORDED) == 1
    assert EventType.INVOICE_LAPSED not in types


async def _item(pool: asyncpg.Pool, subject_id: str) -> int:
    """An item obtained wrongfully (Article 8 ¶1), sealed as the stores seal it."""
    [value] = await sealed(pool, subject_id, PHONE)
    return await pool.fetchval(
        "INSERT INTO personal_data (subject_id, category, field, value, lawfully_obtained)"
        " VALUES ($1, 'contact', 'phone', $2, false) RETURNING item_id",
        subject_id,
        value,
    )


async def _notice(
    pool: asyncpg.Pool,
    request_id: str,
    subject_id: str,
    notice: str,
    body: str,
    status: str = "pending",
) -> str:
    recipient, subject_line, sealed_body = await sealed(pool, subject_id, EMAIL, "s", body)
    key = f"{request_id}:{notice}"
    await pool.execute(
        "INSERT INTO notifications (idempotency_key, request_id, notice, recipient,"
        " subject_line, body, status) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        key,
        request_id,
        notice,
        recipient,
        subject_line,
        sealed_body,
        status,
    )
    return key


def _erasure(request_id: str, item: int) -> CarryOut:
    return CarryOut(
        request_id=request_id,
        kind=RequestKind.SUSPENSION,
        decision=Decide(outcome=Outcome.ERASED, operator="op-1"),
        findings=Findings(
            requested_action=SuspensionAction.ERASE,
            requested_grounds=(SuspensionGround.OBTAINED_WRONGFULLY,),
            obtained_wrongfully=1,
            items_in_breach=(item,),
        ),
        idempotency_key=f"{request_id}:act",
        occurred_at=T0,
    )


async def test_erasure_reaches_disclosed_copies_of_the_data(
    pool: asyncpg.Pool, unique: str
) -> None:
    sid, earlier, erasing = f"s-{unique}", f"dis-{unique}", f"era-{unique}"
    await _submit(pool, earlier, sid, "disclosure", {})
    await _submit(
        pool, erasing, sid, "suspension", {"action": "erase", "grounds": ["obtained_wrongfully"]}
    )
    item = await _item(pool, sid)
    kept = {"category": "contact", "field": "email", "value": EMAIL}
    async with pool.acquire() as connection, connection.transaction():
        items = await vault_of(connection).seal_json(
            connection, sid, [{"category": "contact", "field": "phone", "value": PHONE}, kept]
        )
    await pool.execute(
        "INSERT INTO disclosures (request_id, items, compiled_at) VALUES ($1, $2, $3)",
        earlier,
        items,
        T0,
    )
    await _notice(pool, earlier, sid, "outcome", f"phone: {PHONE}\nemail: {EMAIL}", "delivered")
    await _notice(pool, earlier, sid, "answer", f"phone: {PHONE}")
    report = await LifecycleActivities(pool, EventStore(pool)).carry_out(_erasure(erasing, item))
    assert (report.event, report.items_affected) == (EventType.DATA_ERASED, 1)
    assert await pool.fetchval("SELECT count(*) FROM personal_data WHERE subject_id=$1", sid) == 0
    # Only the erased item leaves the earlier copies; the rest of what was sent stays.
    async with pool.acquire() as connection:
        assert vault_of(connection).open_json(
            await pool.fetchval("SELECT items FROM disclosures WHERE request_id=$1", earlier)
        ) == [kept]
    sent = await opened(
        pool,
        await pool.fetchval(
            "SELECT body FROM notifications WHERE request_id=$1 AND notice='outcome'", earlier
        ),
    )
    assert PHONE not in sent and EMAIL in sent and MARKER in sent
    # A notice still waiting goes out after the erasure: it must not carry the value
    # either (the redaction reaches every text of the other requests).
    waiting = await opened(
        pool,
        await pool.fetchval(
            "SELECT body FROM notifications WHERE request_id=$1 AND notice='answer'", earlier
        ),
    )
    assert waiting == f"phone: {MARKER}"


async def test_erasure_shreds_the_subjects_key_and_withdraws_its_maildrop_files(
    pool: asyncpg.Pool, unique: str, keyring_dir: Path, tmp_path: Path
) -> None:
    """Article 8 erasure as crypto-shredding: the old key is destroyed (on record and in
    the keyring), a copy sealed under it before (as a backup holds it) opens as erased,
    what is kept opens under the new key, the other requests' views and notices say the
    value was erased, the subject's maildrop files still there are named, then removed,
    and the chain verifies. A retry after a crash before the key's destruction destroys
    it, and removes only what the event named."""
    sid, earlier, erasing = f"s-{unique}", f"cor-{unique}", f"era-{unique}"
    await _submit(
        pool,
        earlier,
        sid,
        "correction",
        {
            "statement": "My number changed.",
            "changes": [{"field": "phone", "action": "correct", "new_value": PHONE}],
        },
    )
    await _submit(
        pool, erasing, sid, "suspension", {"action": "erase", "grounds": ["obtained_wrongfully"]}
    )
    await register_email(pool, sid, EMAIL)
    item = await _item(pool, sid)
    maildrop = MaildropSender(tmp_path / "maildrop")
    keys = [
        await _notice(pool, earlier, sid, "outcome", f"phone: {PHONE}", "delivered"),
        await _notice(pool, erasing, sid, "receipt", "received"),
    ]
    for key in [*keys, f"other-{unique}:receipt"]:
        await maildrop.send(OutgoingNotice(1, key, EMAIL, "s", "body"))
    backup = await pool.fetchval("SELECT value FROM personal_data WHERE item_id=$1", item)
    old_key = key_of(backup)
    kept_file = keyring_dir / f"{old_key}.key"
    saved = tmp_path / "saved.key"
    shutil.copy(kept_file, saved)

    lifecycle = LifecycleActivities(pool, EventStore(pool), sender=maildrop)
    report = await lifecycle.carry_out(_erasure(erasing, item))
    assert report.event is EventType.DATA_ERASED
    keys_on_record = {
        row["key_id"]: row["destroyed_at"]
        for row in await pool.fetch(
            "SELECT key_id, destroyed_at FROM subject_keys WHERE subject_id=$1", sid
        )
    }
    assert keys_on_record[old_key] is not None and len(keys_on_record) == 2
    assert not kept_file.exists()
    assert await opened(pool, backup) == ERASED
    email = await pool.fetchrow(
        "SELECT value, value_index FROM personal_data WHERE subject_id=$1 AND field='email'", sid
    )
    assert await opened(pool, email["value"]) == EMAIL and key_of(email["value"]) != old_key
    async with pool.acquire() as connection:
        assert email["value_index"] == vault_of(connection).blind_index(EMAIL)
    shown = await review_document(pool, earlier)
    assert shown["changes"][0]["requested_value"] == MARKER
    notice = await pool.fetchval("SELECT body FROM notifications WHERE idempotency_key=$1", keys[0])
    assert await opened(pool, notice) == f"phone: {MARKER}"
    files = {maildrop_name(key) for key in keys}
    assert {p.name for p in maildrop.folder.iterdir()} == {maildrop_name(f"other-{unique}:receipt")}
    events = await EventStore(pool).events(erasing)
    assert [e.type for e in events][-3:] == [
        EventType.DATA_ERASED,
        EventType.SUBJECT_KEY_SHREDDED,
        EventType.NOTICES_WITHDRAWN,
    ]
    shredded, withdrawn = events[-2].payload, events[-1].payload
    assert shredded["destroyed_key"] == old_key and shredded["new_key"] == key_of(email["value"])
    # The erasing request's own statement (its details) is the one value left under the
    # old key (N7); its review shows it erased, and everything else it needs is kept.
    assert shredded["resealed"] > 0 and shredded["forgotten"] == 1
    assert (await review_document(pool, erasing))["statement"] == ERASED
    assert withdrawn == {"files": ",".join(sorted(files)), "count": 2}
    assert (await EventStore(pool).verify(erasing)).intact
    assert (await EventStore(pool).verify(earlier)).intact

    # A crash after the commit, before the key and the files were gone: the retry finishes.
    shutil.copy(saved, kept_file)
    await maildrop.send(OutgoingNotice(1, keys[0], EMAIL, "s", "body"))  # named: goes
    late = await _notice(pool, earlier, sid, "answer", "later")
    await maildrop.send(OutgoingNotice(2, late, EMAIL, "s", "body"))  # not named: stays
    assert await lifecycle.carry_out(_erasure(erasing, item)) == report
    assert not kept_file.exists() and await opened(pool, backup) == ERASED
    assert maildrop_name(keys[0]) not in {p.name for p in maildrop.folder.iterdir()}
    assert maildrop_name(late) in {p.name for p in maildrop.folder.iterdir()}
    assert len(await EventStore(pool).events(erasing)) == len(events)


async def test_an_erasure_with_no_maildrop_sender_records_no_withdrawal(
    pool: asyncpg.Pool, unique: str
) -> None:
    sid, erasing = f"s-{unique}", f"era-{unique}"
    await _submit(
        pool, erasing, sid, "suspension", {"action": "erase", "grounds": ["obtained_wrongfully"]}
    )
    item = await _item(pool, sid)
    await LifecycleActivities(pool, EventStore(pool), sender=object()).carry_out(
        _erasure(erasing, item)
    )
    types = [e.type for e in await EventStore(pool).events(erasing)]
    assert types[-2:] == [EventType.DATA_ERASED, EventType.SUBJECT_KEY_SHREDDED]


async def test_a_retried_investigation_returns_the_findings_on_record(
    pool: asyncpg.Pool, unique: str
) -> None:
    sid, rid = f"s-{unique}", f"inv-{unique}"
    await _submit(
        pool, rid, sid, "suspension", {"action": "suspend_use", "grounds": ["used_beyond_purpose"]}
    )
    [value] = await sealed(pool, sid, "3 orders")
    await pool.execute(
        "INSERT INTO personal_data (subject_id, category, field, value, purpose)"
        " VALUES ($1, 'transaction', 'purchases', $2, 'resale')",
        sid,
        value,
    )
    lifecycle = LifecycleActivities(pool, EventStore(pool))
    step = _step(rid, RequestKind.SUSPENSION, f"{rid}:investigate")
    first = await lifecycle.investigate(step)
    assert first.findings.used_beyond_purpose == 1
    await pool.execute("UPDATE personal_data SET purpose = 'billing' WHERE subject_id=$1", sid)
    again = await lifecycle.investigate(step)
    assert again == first
    types = [e.type for e in await EventStore(pool).events(rid)]
    assert types.count(EventType.INVESTIGATION_COMPLETED) == 1
