"""Intake's writes: subject, request and details in one transaction, idempotent on the
request id, the requester's name, e-mail and details sealed under the subject's key; the
operators' answers and notes sealed too, answers withdrawn only while no event refers to
them; and the identity check comparing addresses by their blind indexes."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest

from domain.chain import GENESIS_HASH
from domain.events import EventType
from domain.requests import fingerprint, workflow_id_for
from store.events import EventStore, UnknownRequest
from store.identity_checks import registration_matched
from store.intake import (
    ConflictingSubmission,
    IntakeStore,
    RequestSummary,
    keyed_fingerprint,
)
from store.sealing import key_of, vault_of
from tests.support.builders import EMAIL, NAME, POLICY, TEXT, event, parsed
from tests.support.sealing import assert_sealed, opened, register_email


async def _counts(pool: asyncpg.Pool, request_id: str, subject_id: str) -> dict[str, int]:
    return {
        "subjects": await pool.fetchval(
            "SELECT count(*) FROM subjects WHERE subject_id = $1", subject_id
        ),
        "requests": await pool.fetchval(
            "SELECT count(*) FROM requests WHERE request_id = $1", request_id
        ),
        "details": await pool.fetchval(
            "SELECT count(*) FROM request_details WHERE request_id = $1", request_id
        ),
    }


async def _details(pool: asyncpg.Pool, request_id: str) -> tuple[str, str, object]:
    """The requester's name, e-mail and details as stored, opened."""
    row = await pool.fetchrow(
        "SELECT requester_name, requester_email, details FROM request_details"
        " WHERE request_id = $1",
        request_id,
    )
    async with pool.acquire() as connection:
        vault = vault_of(connection)
        return (
            vault.open(row["requester_name"]),
            vault.open(row["requester_email"]),
            vault.open_json(row["details"]),
        )


async def test_a_submission_writes_subject_request_and_details(
    pool: asyncpg.Pool, unique: str
) -> None:
    request_id, subject_id = f"inq-{unique}", f"subj-{unique}"
    submission = parsed("inquiry", request_id, subject_id)
    recorded = await IntakeStore(pool).record_submission(submission, POLICY)

    assert recorded.created is True
    assert (recorded.request_id, recorded.workflow_id) == (request_id, workflow_id_for(request_id))
    assert (recorded.kind, recorded.subject_id, recorded.status) == (
        "inquiry",
        subject_id,
        "submitted",
    )
    assert await _counts(pool, request_id, subject_id) == {
        "subjects": 1,
        "requests": 1,
        "details": 1,
    }
    request = await pool.fetchrow("SELECT * FROM requests WHERE request_id = $1", request_id)
    assert request["workflow_id"] == workflow_id_for(request_id)
    assert (request["kind"], request["subject_id"], request["status"]) == (
        "inquiry",
        subject_id,
        "submitted",
    )
    async with pool.acquire() as connection:
        vault = vault_of(connection)
    # Keyed: a plain digest would confirm a guessed submission to anyone with a dump.
    assert request["fingerprint"] == keyed_fingerprint(vault, fingerprint(submission))
    assert request["fingerprint"] != fingerprint(submission)
    assert request["deadline_policy_version"] == POLICY
    assert (request["last_seq"], request["last_hash"]) == (0, GENESIS_HASH)
    assert request["step"] is None and request["closed_at"] is None
    # Stored sealed, all three under the subject's one current key, with the e-mail's
    # blind index beside them; opened, they are what was submitted.
    stored = await pool.fetchrow(
        "SELECT requester_name, requester_email, details, requester_email_index"
        " FROM request_details WHERE request_id = $1",
        request_id,
    )
    for column in ("requester_name", "requester_email", "details"):
        assert_sealed(stored[column], NAME, EMAIL, TEXT, "hanako", "Yamada", "purchase")
    current = await pool.fetchval(
        "SELECT key_id FROM subject_keys WHERE subject_id = $1 AND destroyed_at IS NULL", subject_id
    )
    assert {key_of(stored[c]) for c in ("requester_name", "requester_email", "details")} == {
        current
    }
    assert stored["requester_email_index"] == vault.blind_index(EMAIL)
    assert stored["requester_email_index"] == vault.blind_index(f"  {EMAIL.upper()} ")
    assert EMAIL not in stored["requester_email_index"]
    assert await _details(pool, request_id) == (NAME, EMAIL, {"text": TEXT})
    # The request row itself holds nothing personal.
    assert not {NAME, EMAIL, TEXT} & {str(value) for value in request.values()}


async def test_the_same_submission_again_reports_the_existing_request(
    pool: asyncpg.Pool, unique: str
) -> None:
    intake = IntakeStore(pool)
    request_id, subject_id = f"inq-{unique}", f"subj-{unique}"
    first = await intake.record_submission(parsed("inquiry", request_id, subject_id), POLICY)
    again = await intake.record_submission(parsed("inquiry", request_id, subject_id), POLICY)
    assert again.created is False
    assert (again.request_id, again.workflow_id, again.kind, again.subject_id, again.status) == (
        first.request_id,
        first.workflow_id,
        first.kind,
        first.subject_id,
        first.status,
    )
    assert await _counts(pool, request_id, subject_id) == {
        "subjects": 1,
        "requests": 1,
        "details": 1,
    }


async def test_a_retry_reports_the_current_status(pool: asyncpg.Pool, unique: str) -> None:
    intake = IntakeStore(pool)
    request_id, subject_id = f"inq-{unique}", f"subj-{unique}"
    await intake.record_submission(parsed("inquiry", request_id, subject_id), POLICY)
    await EventStore(pool).append(event(request_id, EventType.RECEIVED))
    again = await intake.record_submission(parsed("inquiry", request_id, subject_id), POLICY)
    assert (again.created, again.status) == (False, "received")


async def test_a_second_subject_request_reuses_the_subject(pool: asyncpg.Pool, unique: str) -> None:
    intake = IntakeStore(pool)
    subject_id = f"subj-{unique}"
    await intake.record_submission(parsed("inquiry", f"a-{unique}", subject_id), POLICY)
    second = await intake.record_submission(parsed("inquiry", f"b-{unique}", subject_id), POLICY)
    assert second.created is True
    assert (
        await pool.fetchval("SELECT count(*) FROM requests WHERE subject_id = $1", subject_id) == 2
    )
    assert (
        await pool.fetchval("SELECT count(*) FROM subjects WHERE subject_id = $1", subject_id) == 1
    )


@pytest.mark.parametrize(
    "change",
    [
        {"subject_id": "other-{unique}"},
        {"name": "Taro Suzuki"},
        {"email": "taro@example.jp"},
        {"text": "A different question entirely."},
    ],
)
async def test_a_different_submission_under_a_used_id_is_refused(
    pool: asyncpg.Pool, unique: str, change: dict[str, str]
) -> None:
    intake = IntakeStore(pool)
    request_id, subject_id = f"inq-{unique}", f"subj-{unique}"
    await intake.record_submission(parsed("inquiry", request_id, subject_id), POLICY)
    other_subject = f"other-{unique}"
    fields = {"subject_id": subject_id} | {
        field: value.format(unique=unique) for field, value in change.items()
    }

    with pytest.raises(ConflictingSubmission, match=request_id):
        await intake.record_submission(parsed("inquiry", request_id, **fields), POLICY)

    assert await _counts(pool, request_id, subject_id) == {
        "subjects": 1,
        "requests": 1,
        "details": 1,
    }
    assert (
        await pool.fetchval("SELECT count(*) FROM subjects WHERE subject_id = $1", other_subject)
        == 0
    )
    assert await _details(pool, request_id) == (NAME, EMAIL, {"text": TEXT})
    assert (await intake.summary(request_id)).status == "submitted"


async def test_concurrent_identical_submissions_create_one_request(
    pool: asyncpg.Pool, unique: str
) -> None:
    intake = IntakeStore(pool)
    request_id, subject_id = f"inq-{unique}", f"subj-{unique}"
    results = await asyncio.gather(
        *(
            intake.record_submission(parsed("inquiry", request_id, subject_id), POLICY)
            for _ in range(4)
        )
    )
    assert sorted(result.created for result in results) == [False, False, False, True]
    assert {result.workflow_id for result in results} == {workflow_id_for(request_id)}
    assert await _counts(pool, request_id, subject_id) == {
        "subjects": 1,
        "requests": 1,
        "details": 1,
    }


async def test_summary(pool: asyncpg.Pool, unique: str) -> None:
    intake = IntakeStore(pool)
    request_id = f"inq-{unique}"
    await intake.record_submission(parsed("inquiry", request_id, f"subj-{unique}"), POLICY)
    assert await intake.summary(request_id) == RequestSummary(
        request_id,
        workflow_id_for(request_id),
        "inquiry",
        "submitted",
        None,
    )
    with pytest.raises(UnknownRequest):
        await intake.summary(f"missing-{unique}")


async def _answer_exists(pool: asyncpg.Pool, answer_id: str) -> bool:
    return (
        await pool.fetchval(
            "SELECT count(*) FROM answers WHERE answer_id = $1", uuid.UUID(answer_id)
        )
        == 1
    )


async def test_an_unrecorded_answer_can_be_withdrawn(pool: asyncpg.Pool, unique: str) -> None:
    intake = IntakeStore(pool)
    request_id = f"inq-{unique}"
    await intake.record_submission(parsed("inquiry", request_id, f"subj-{unique}"), POLICY)
    answer_id = await intake.store_answer(request_id, "We keep it seven years.", "op-7")
    row = await pool.fetchrow(
        "SELECT request_id, body, operator FROM answers WHERE answer_id = $1",
        uuid.UUID(answer_id),
    )
    assert (row["request_id"], row["operator"]) == (request_id, "op-7")
    assert_sealed(row["body"], "seven years")
    assert await opened(pool, row["body"]) == "We keep it seven years."

    await intake.withdraw_answer(answer_id)
    assert not await _answer_exists(pool, answer_id)
    await intake.withdraw_answer(answer_id)  # withdrawing twice is harmless


async def test_a_recorded_answer_is_kept(pool: asyncpg.Pool, unique: str) -> None:
    intake = IntakeStore(pool)
    request_id = f"inq-{unique}"
    await intake.record_submission(parsed("inquiry", request_id, f"subj-{unique}"), POLICY)
    recorded_id = await intake.store_answer(request_id, "The recorded answer.", "op-7")
    refused_id = await intake.store_answer(request_id, "A refused second answer.", "op-8")
    await EventStore(pool).append(
        event(
            request_id,
            EventType.ANSWER_RECORDED,
            actor="op-7",
            answer_id=recorded_id,
        )
    )

    await intake.withdraw_answer(recorded_id)
    await intake.withdraw_answer(refused_id)
    assert await _answer_exists(pool, recorded_id)
    assert not await _answer_exists(pool, refused_id)


async def test_a_note_is_sealed_under_the_request_subject(pool: asyncpg.Pool, unique: str) -> None:
    intake = IntakeStore(pool)
    request_id, subject_id = f"inq-{unique}", f"subj-{unique}"
    await intake.record_submission(parsed("inquiry", request_id, subject_id), POLICY)
    note_id = await intake.store_note(request_id, "reason", "Hanako asked by phone.", "op-7")
    # Sent again under its id (the same act), nothing more is stored.
    assert (
        await intake.store_note(request_id, "reason", "Hanako asked by phone.", "op-7", note_id)
        == note_id
    )
    [row] = await pool.fetch(
        "SELECT purpose, body, operator FROM operator_notes WHERE request_id = $1", request_id
    )
    assert (row["purpose"], row["operator"]) == ("reason", "op-7")
    assert_sealed(row["body"], "Hanako", "phone")
    assert key_of(row["body"]) == await pool.fetchval(
        "SELECT key_id FROM subject_keys WHERE subject_id = $1 AND destroyed_at IS NULL", subject_id
    )
    assert await opened(pool, row["body"]) == "Hanako asked by phone."


async def test_an_answer_or_note_for_an_unknown_request_is_refused(
    pool: asyncpg.Pool, unique: str
) -> None:
    intake = IntakeStore(pool)
    missing = f"missing-{unique}"
    with pytest.raises(UnknownRequest):
        await intake.store_answer(missing, "An answer for no one.", "op-7")
    with pytest.raises(UnknownRequest):
        await intake.store_note(missing, "reason", "A note for no one.", "op-7")
    assert await pool.fetchval("SELECT count(*) FROM answers WHERE request_id = $1", missing) == 0


async def test_a_submission_stored_before_fingerprints_were_keyed_is_still_recognised(
    pool: asyncpg.Pool, unique: str
) -> None:
    intake = IntakeStore(pool)
    submission = parsed("inquiry", f"inq-{unique}", f"subj-{unique}")
    await intake.record_submission(submission, POLICY)
    await pool.execute(
        "UPDATE requests SET fingerprint = $2 WHERE request_id = $1",
        submission.request_id,
        fingerprint(submission),
    )
    again = await intake.record_submission(submission, POLICY)
    assert again.created is False
    with pytest.raises(ConflictingSubmission):
        await intake.record_submission(
            parsed("inquiry", submission.request_id, f"subj-{unique}", name="Taro Suzuki"), POLICY
        )


@pytest.mark.parametrize(
    ("on_record", "given", "matched"),
    [
        (EMAIL, EMAIL, True),
        (EMAIL, f" {EMAIL.upper()} ", True),  # trimmed and case-folded, as before sealing
        (EMAIL, "someone.else@example.jp", False),
        (None, EMAIL, False),  # no address on record
    ],
)
async def test_the_registration_match_compares_blind_indexes(
    pool: asyncpg.Pool, unique: str, on_record: str | None, given: str, matched: bool
) -> None:
    request_id, subject_id = f"inq-{unique}", f"subj-{unique}"
    if on_record is not None:
        await register_email(pool, subject_id, on_record)
    await IntakeStore(pool).record_submission(
        parsed("inquiry", request_id, subject_id, email=given), POLICY
    )
    async with pool.acquire() as connection:
        assert await registration_matched(connection, request_id) is matched
