"""The notification outbox: one row and one `notice.queued` event per key, personal text
kept in Postgres sealed under the subject's key and opened for the sender, delivery
recorded once; a notice whose recipient was erased is never sent; and the maildrop sender,
idempotent on the key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import asyncpg
import pytest
from structlog.testing import CapturingLogger

from activities import request_activities
from activities.request_activities import RequestActivities
from domain.deadlines import Commitment
from domain.events import EventType, RecordedEvent
from domain.messages import DeliverNotice, QueueNotice
from domain.notices import NoticeFacts, NoticeKind
from domain.requests import parse_submission, workflow_id_for
from mail.maildrop import MaildropSender
from store import outbox as notifications
from store.events import EventStore, UnknownRequest
from store.intake import IntakeStore
from store.notice_facts import notice_facts
from store.outbox import NotificationOutbox, OutgoingNotice, Undeliverable
from store.sealing import ERASED
from tests.support.builders import EMAIL, NAME, T0, TEXT, event, new_request
from tests.support.sealing import assert_sealed, forget_request, opened, sealed

# The receipt's promise: the answer date, which a person reads in Asia/Tokyo.
PROMISE = Commitment(answer_by=datetime(2026, 1, 19, 16, 0, tzinfo=UTC))
DUE = "20 January 2026"


def _outbox(pool: asyncpg.Pool) -> NotificationOutbox:
    return NotificationOutbox(pool, EventStore(pool))


async def _notifications(pool: asyncpg.Pool, request_id: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT * FROM notifications WHERE request_id = $1 ORDER BY notification_id",
        request_id,
    )


def _besides_the_shredding(events: list[RecordedEvent]) -> list[RecordedEvent]:
    """The request's events but retention's own record of its shredding (`forget_request`
    records it, as retention does)."""
    return [e for e in events if e.type is not EventType.PERSONAL_DATA_SHREDDED]


async def _assert_no_personal_data_in_events(
    pool: asyncpg.Pool, request_id: str, *personal: str
) -> None:
    for recorded in await EventStore(pool).events(request_id):
        encoded = json.dumps(recorded.payload, ensure_ascii=False)
        for value in (NAME, EMAIL, TEXT, *personal):
            assert value not in encoded, f"{value!r} in {recorded.type} payload"
            assert value not in recorded.actor


async def test_queueing_twice_with_one_key_writes_one_notice(
    pool: asyncpg.Pool, unique: str
) -> None:
    outbox = _outbox(pool)
    request_id = await new_request(pool, unique)
    key = f"{workflow_id_for(request_id)}:receipt"
    first = await outbox.queue(
        QueueNotice(
            request_id=request_id,
            notice=NoticeKind.RECEIPT,
            idempotency_key=key,
            occurred_at=T0,
            commitment=PROMISE,
        )
    )
    again = await outbox.queue(
        QueueNotice(
            request_id=request_id,
            notice=NoticeKind.RECEIPT,
            idempotency_key=key,
            occurred_at=T0 + timedelta(minutes=5),
            commitment=PROMISE,
        )
    )
    assert again == first

    [row] = await _notifications(pool, request_id)
    assert row["notification_id"] == first
    assert (row["idempotency_key"], row["notice"], row["status"]) == (key, "receipt", "pending")
    # Sealed in the table: none of the notice shows, not even its date or request id.
    for column in ("recipient", "subject_line", "body"):
        assert_sealed(row[column], NAME, EMAIL, DUE, request_id)
    assert await opened(pool, row["recipient"]) == EMAIL
    body, subject_line = (await opened(pool, row["body"]), await opened(pool, row["subject_line"]))
    assert body.startswith(f"Dear {NAME},")
    assert DUE in body and request_id in body
    assert NAME not in subject_line and EMAIL not in subject_line

    events = await EventStore(pool).events(request_id)
    assert [(e.type, e.payload, e.occurred_at) for e in events] == [
        (EventType.NOTICE_QUEUED, {"notice": "receipt", "notification_id": first}, T0),
    ]
    await _assert_no_personal_data_in_events(pool, request_id)


async def test_pending_then_delivered(pool: asyncpg.Pool, unique: str) -> None:
    outbox = _outbox(pool)
    request_id = await new_request(pool, unique)
    key = f"{workflow_id_for(request_id)}:receipt"
    notification_id = await outbox.queue(
        QueueNotice(
            request_id=request_id,
            notice=NoticeKind.RECEIPT,
            idempotency_key=key,
            occurred_at=T0,
            commitment=PROMISE,
        )
    )
    pending = await outbox.pending(notification_id)
    [row] = await _notifications(pool, request_id)
    # Opened for the sender: the notice in plain.
    assert pending == OutgoingNotice(
        notification_id,
        key,
        EMAIL,
        await opened(pool, row["subject_line"]),
        await opened(pool, row["body"]),
    )
    assert pending.body.startswith(f"Dear {NAME},")

    delivered_at = T0 + timedelta(minutes=1)
    await outbox.mark_delivered(
        request_id=request_id, notification_id=notification_id, occurred_at=delivered_at
    )
    # A retried delivery report records nothing more.
    await outbox.mark_delivered(
        request_id=request_id, notification_id=notification_id, occurred_at=delivered_at
    )
    [row] = await _notifications(pool, request_id)
    assert (row["status"], row["delivered_at"]) == ("delivered", delivered_at)
    assert await outbox.pending(notification_id) is None

    events = await EventStore(pool).events(request_id)
    assert [(e.seq, e.type) for e in events] == [
        (1, EventType.NOTICE_QUEUED),
        (2, EventType.NOTICE_DELIVERED),
    ]
    assert events[1].payload == {"notification_id": notification_id}
    assert events[1].occurred_at == delivered_at
    assert (await EventStore(pool).verify(request_id)).intact
    await _assert_no_personal_data_in_events(pool, request_id)


async def test_an_answer_notice_carries_the_recorded_answer(
    pool: asyncpg.Pool, unique: str
) -> None:
    outbox = _outbox(pool)
    request_id = await new_request(pool, unique)
    answer = "We keep purchase history for seven years."
    answer_id = await IntakeStore(pool).store_answer(request_id, answer, "op-7")
    await EventStore(pool).append(
        event(
            request_id,
            EventType.ANSWER_RECORDED,
            actor="op-7",
            answer_id=answer_id,
        )
    )
    notification_id = await outbox.queue(
        QueueNotice(
            request_id=request_id,
            notice=NoticeKind.ANSWER,
            idempotency_key=f"{workflow_id_for(request_id)}:answer",
            occurred_at=T0 + timedelta(minutes=1),
        )
    )
    notice = await outbox.pending(notification_id)
    assert isinstance(notice, OutgoingNotice)
    assert answer in notice.body and NAME in notice.body
    [row] = await _notifications(pool, request_id)
    assert_sealed(row["body"], answer, NAME)
    assert answer not in notice.subject
    await _assert_no_personal_data_in_events(pool, request_id, answer)


async def test_an_answer_notice_without_a_recorded_answer_writes_nothing(
    pool: asyncpg.Pool, unique: str
) -> None:
    outbox = _outbox(pool)
    request_id = await new_request(pool, unique)
    await IntakeStore(pool).store_answer(request_id, "Stored, never recorded.", "op-7")
    with pytest.raises(ValueError, match="answer text"):
        await outbox.queue(
            QueueNotice(
                request_id=request_id,
                notice=NoticeKind.ANSWER,
                idempotency_key=f"{workflow_id_for(request_id)}:answer",
                occurred_at=T0,
            )
        )
    assert await _notifications(pool, request_id) == []
    assert await EventStore(pool).events(request_id) == []


async def test_queueing_for_an_unknown_request_is_refused(pool: asyncpg.Pool, unique: str) -> None:
    missing = f"missing-{unique}"
    with pytest.raises(UnknownRequest):
        await _outbox(pool).queue(
            QueueNotice(
                request_id=missing,
                notice=NoticeKind.RECEIPT,
                idempotency_key=f"{workflow_id_for(missing)}:receipt",
                occurred_at=T0,
            )
        )
    assert (
        await pool.fetchval("SELECT count(*) FROM notifications WHERE request_id = $1", missing)
        == 0
    )


def _notice(key: str, body: str = f"Dear {NAME},\n\nReceived.") -> OutgoingNotice:
    return OutgoingNotice(1, key, EMAIL, "We have received your inquiry", body)


def _maildrop(folder: Path) -> dict[str, dict[str, str]]:
    """Every file in the maildrop folder, by name, decoded."""
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in folder.iterdir()}


async def test_maildrop_sending_twice_leaves_one_file(tmp_path: Path, unique: str) -> None:
    sender = MaildropSender(tmp_path / "maildrop")
    key = f"{workflow_id_for('req-' + unique)}:receipt"
    await sender.send(_notice(key, body="First attempt."))
    await sender.send(_notice(key))

    assert _maildrop(tmp_path / "maildrop") == {
        quote(key, safe="") + ".json": {
            "message_id": key,
            "to": EMAIL,
            "subject": "We have received your inquiry",
            "body": f"Dear {NAME},\n\nReceived.",
        },
    }


async def test_maildrop_keeps_one_file_per_key(tmp_path: Path, unique: str) -> None:
    sender = MaildropSender(tmp_path)
    await sender.send(_notice(f"dsr-a-{unique}:receipt"))
    await sender.send(_notice(f"dsr-a-{unique}:answer", body="日本語の回答"))
    await sender.send(_notice(f"dsr-b-{unique}/receipt"))
    messages = _maildrop(tmp_path)
    assert sorted(messages) == sorted(
        [
            f"dsr-a-{unique}%3Areceipt.json",
            f"dsr-a-{unique}%3Aanswer.json",
            f"dsr-b-{unique}%2Freceipt.json",
        ]
    )
    assert messages[f"dsr-a-{unique}%3Aanswer.json"]["body"] == "日本語の回答"


async def test_maildrop_keeps_apart_keys_that_differ_only_in_separators(tmp_path: Path) -> None:
    """Request ids may contain ':' and '_', so the keys of two requests ("dsr-a:b:…" and
    "dsr-a_b:…") must not land in one file, or one requester's notice replaces the other's."""
    sender = MaildropSender(tmp_path)
    await sender.send(_notice("dsr-a:b:notice:receipt", body="For the requester of a:b."))
    await sender.send(_notice("dsr-a_b:notice:receipt", body="For the requester of a_b."))
    bodies = sorted(message["body"] for message in _maildrop(tmp_path).values())
    assert bodies == ["For the requester of a:b.", "For the requester of a_b."]


def _logs(monkeypatch: pytest.MonkeyPatch) -> CapturingLogger:
    """What the outbox and the delivery log, captured."""
    captured = CapturingLogger()
    monkeypatch.setattr(notifications, "log", captured)
    monkeypatch.setattr(request_activities, "log", captured)
    return captured


def _assert_no_personal_data_in_logs(captured: CapturingLogger, *personal: str) -> None:
    logged = repr(captured.calls)
    for value in (NAME, EMAIL, TEXT, *personal):
        assert value not in logged


@pytest.mark.parametrize("key_destroyed", [True, False], ids=["destroyed", "marked"])
async def test_a_notice_whose_recipient_was_erased_after_it_was_queued_is_not_sent(
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key_destroyed: bool,
) -> None:
    """Also in the moment between a shredding's commit and the key's deletion from the
    keyring (`marked`): the key still opens the address, but it was forgotten."""
    outbox = _outbox(pool)
    folder = tmp_path / "maildrop"
    activities = RequestActivities(pool, EventStore(pool), outbox, MaildropSender(folder))
    request_id = await new_request(pool, unique)
    key = f"{workflow_id_for(request_id)}:receipt"
    notification_id = await outbox.queue(
        QueueNotice(
            request_id=request_id,
            notice=NoticeKind.RECEIPT,
            idempotency_key=key,
            occurred_at=T0,
            commitment=PROMISE,
        )
    )
    await forget_request(pool, request_id, destroy=key_destroyed)
    captured = _logs(monkeypatch)

    assert await outbox.pending(notification_id) == Undeliverable(notification_id, key)
    order = DeliverNotice(
        request_id=request_id,
        notification_id=notification_id,
        idempotency_key=key,
        occurred_at=T0 + timedelta(minutes=1),
    )
    await activities.deliver_notice(order)
    await activities.deliver_notice(order)  # a retry finds no one either

    assert not folder.exists()  # nothing written, to "[erased]" or anyone
    [row] = await _notifications(pool, request_id)
    assert row["status"] == "undeliverable"  # not delivered, and not claimed to be
    if key_destroyed:
        assert await opened(pool, row["recipient"]) == ERASED
    events = _besides_the_shredding(await EventStore(pool).events(request_id))
    assert [e.type for e in events] == [
        EventType.NOTICE_QUEUED,
        EventType.NOTICE_UNDELIVERABLE,
    ]  # once, retried
    assert events[1].payload == {"notification_id": notification_id, "reason": "recipient_erased"}
    assert [(c.method_name, c.args, c.kwargs) for c in captured.calls] == [
        (
            "warning",
            ("notice not delivered: its recipient was erased",),
            {"notification_id": notification_id},
        ),
    ] * 2
    _assert_no_personal_data_in_logs(captured)


@pytest.mark.parametrize("key_destroyed", [True, False], ids=["destroyed", "marked"])
async def test_a_notice_queued_after_its_recipient_was_erased_holds_nothing_and_is_not_sent(
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    key_destroyed: bool,
) -> None:
    outbox = _outbox(pool)
    folder = tmp_path / "maildrop"
    activities = RequestActivities(pool, EventStore(pool), outbox, MaildropSender(folder))
    request_id = await new_request(pool, unique)
    answer = "We keep purchase history for seven years."
    answer_id = await IntakeStore(pool).store_answer(request_id, answer, "op-7")
    recorded = event(request_id, EventType.ANSWER_RECORDED, actor="op-7", answer_id=answer_id)
    await forget_request(pool, request_id, destroy=key_destroyed)
    captured = _logs(monkeypatch)
    key = f"{workflow_id_for(request_id)}:answer"

    # The bookkeeping before the notice is recorded all the same; the notice is queued
    # without being composed, and its event says why it will not be sent.
    await activities.send_notice(
        QueueNotice(
            request_id=request_id,
            notice=NoticeKind.ANSWER,
            idempotency_key=key,
            occurred_at=T0 + timedelta(minutes=1),
            preceding=(recorded,),
        )
    )

    assert not folder.exists()
    [row] = await _notifications(pool, request_id)
    assert row["status"] == "undeliverable"
    # Each column holds the forgotten address, under the old key: nothing sealed anew.
    [address] = await pool.fetch(
        "SELECT requester_email FROM request_details WHERE request_id = $1", request_id
    )
    for column in ("recipient", "subject_line", "body"):
        assert row[column] == address["requester_email"]
        if key_destroyed:
            assert await opened(pool, row[column]) == ERASED
    events = _besides_the_shredding(await EventStore(pool).events(request_id))
    assert [(e.type, e.payload) for e in events] == [
        (EventType.ANSWER_RECORDED, {"answer_id": answer_id}),
        (
            EventType.NOTICE_QUEUED,
            {
                "notice": "answer",
                "notification_id": row["notification_id"],
                "recipient_erased": True,
            },
        ),
        (
            EventType.NOTICE_UNDELIVERABLE,
            {"notification_id": row["notification_id"], "reason": "recipient_erased"},
        ),
    ]
    assert (await EventStore(pool).verify(request_id)).intact
    assert [c.args for c in captured.calls if c.method_name == "warning"] == [
        ("notice queued undeliverable: the requester's address was erased",),
        ("notice not delivered: its recipient was erased",),
    ]
    _assert_no_personal_data_in_logs(captured, answer)
    await _assert_no_personal_data_in_events(pool, request_id, answer)


PHONE, ADDRESS = "090-1234-5678", "1-2-3 Chiyoda, Tokyo"


async def _request(pool: asyncpg.Pool, unique: str, kind: str, details: dict) -> str:
    request_id = f"{kind}-{unique}"
    await IntakeStore(pool).record_submission(
        parse_submission(
            {
                "request_id": request_id,
                "kind": kind,
                "subject_id": f"subj-{unique}",
                "requester": {"name": NAME, "email": EMAIL},
                "details": details,
            }
        ),
        "test-policy",
    )
    return request_id


async def _outcome_notice(pool: asyncpg.Pool, request_id: str) -> str:
    """The outcome notice's body, queued and opened, after checking it is stored sealed."""
    notification_id = await _outbox(pool).queue(
        QueueNotice(
            request_id=request_id,
            notice=NoticeKind.OUTCOME,
            idempotency_key=f"{workflow_id_for(request_id)}:outcome",
            occurred_at=T0 + timedelta(hours=1),
        )
    )
    notice = await _outbox(pool).pending(notification_id)
    assert isinstance(notice, OutgoingNotice)
    [row] = await _notifications(pool, request_id)
    assert_sealed(row["body"], NAME, PHONE, ADDRESS)
    return notice.body


async def _facts(pool: asyncpg.Pool, request_id: str) -> NoticeFacts:
    async with pool.acquire() as connection:
        return await notice_facts(
            connection,
            QueueNotice(
                request_id=request_id,
                notice=NoticeKind.OUTCOME,
                idempotency_key=f"{workflow_id_for(request_id)}:facts",
                occurred_at=T0,
            ),
        )


async def test_an_outcome_notice_opens_the_disclosure_and_the_reason(
    pool: asyncpg.Pool, unique: str
) -> None:
    request_id = await _request(pool, unique, "disclosure", {"categories": ["contact"]})
    items = [{"category": "contact", "field": "phone", "value": PHONE, "suspended": True}]
    [sealed_items] = await sealed(pool, f"subj-{unique}", json.dumps(items))
    await pool.execute(
        "INSERT INTO disclosures (request_id, items, compiled_at) VALUES ($1, $2, $3)",
        request_id,
        sealed_items,
        T0,
    )
    await EventStore(pool).append(
        event(request_id, EventType.DECISION_RECORDED, outcome="disclosed_in_full")
    )
    body = await _outcome_notice(pool, request_id)
    # Review item 36: the items are delivered through the privacy center; the notice
    # links to them and carries no value.
    assert PHONE not in body and body.startswith(f"Dear {NAME},")
    assert "contact information (1 item)" in body and "/disclosure/" in body

    # Its data forgotten, the facts are gathered without a crash (the outbox composes
    # nothing then: the recipient is forgotten with them).
    await forget_request(pool, request_id)
    assert (await _facts(pool, request_id)).disclosed_items == ()


async def test_a_correction_notice_opens_the_new_values(pool: asyncpg.Pool, unique: str) -> None:
    request_id = await _request(
        pool,
        unique,
        "correction",
        {
            "changes": [
                {"field": "address", "action": "correct", "new_value": ADDRESS},
                {"field": "nickname", "action": "delete"},
            ],
            "statement": "I moved.",
        },
    )
    note_id = await IntakeStore(pool).store_note(request_id, "reason", f"Moved; {PHONE}.", "op-7")
    await EventStore(pool).append(
        event(
            request_id,
            EventType.DECISION_RECORDED,
            outcome="correction_made",
            reason_note_id=note_id,
        )
    )
    await EventStore(pool).append(
        event(
            request_id,
            EventType.CORRECTION_APPLIED,
            minutes=1,
            made="address:correct,nickname:delete",
            not_made="",
        )
    )
    body = await _outcome_notice(pool, request_id)
    assert ADDRESS in body and "Nickname: deleted" in body and f"Moved; {PHONE}." in body

    await forget_request(pool, request_id)
    facts = await _facts(pool, request_id)
    # What was made is the event's; the values were sealed: the notice would say erased.
    assert facts.changes_made == (("address", "correct", ERASED), ("nickname", "delete", ERASED))
    assert facts.reason == ERASED


async def test_a_provision_notice_names_the_partners_named(pool: asyncpg.Pool, unique: str) -> None:
    request_id = await _request(
        pool, unique, "third_party_stop", {"partners": ["partner-42", "unknown-7"]}
    )
    await pool.execute(
        "INSERT INTO third_party_provisions (subject_id, partner_id, relationship, legal_basis)"
        " VALUES ($1, 'partner-42', 'entrustment', 'consent')",
        f"subj-{unique}",
    )
    await EventStore(pool).append(
        event(request_id, EventType.DECISION_RECORDED, outcome="no_provision_to_stop")
    )
    facts = await _facts(pool, request_id)
    assert (facts.not_third_parties, facts.unknown_partners) == (
        (("partner-42", "entrustment"),),
        ("unknown-7",),
    )
    await forget_request(pool, request_id)
    facts = await _facts(pool, request_id)
    assert (facts.not_third_parties, facts.unknown_partners) == ((), ())
