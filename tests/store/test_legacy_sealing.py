"""A database from before sealing (migrations up to 0009, personal data in plain, JSON in
jsonb) is migrated to 0010 and sealed by store/legacy_sealing.py as the worker does at
start: every value sealed under its subject's key, the blind indexes filled in, the
privacy center's outbox given its subjects, and a second run finds nothing left."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from domain.requests import workflow_id_for
from store.database import create_pool, migration_files
from store.legacy_sealing import seal_plaintext_left
from store.privileges import prepare_store
from store.sealing import PREFIX, Vault, key_of
from store.shredding import SEALED
from tests.support.database import Roles, database_with_roles

BEFORE_SEALING = "0010"
NAME = "Legacy Testperson"
EMAIL = "Legacy.Testperson@Example.JP"  # on record as the person typed it
GIVEN_EMAIL = " legacy.testperson@example.jp"  # as given on a request
PHONE = "03-4444-0000-legacy-phone"
OTHER_EMAIL = "other.legacy@example.jp"
DETAILS = {"text": "Who gets my records? (legacy-inquiry-marker)"}
ITEMS = [{"category": "contact", "field": "phone", "value": PHONE}]
FORM = {"requester": {"name": NAME, "email": EMAIL}, "details": {"text": "legacy-form-marker"}}
PLAIN = [
    NAME,
    EMAIL,
    PHONE,
    OTHER_EMAIL,
    "legacy-inquiry-marker",
    "legacy-answer-marker",
    "legacy-note-marker",
    "legacy-notice-marker",
    "legacy-code-marker",
    "legacy-form-marker",
    "legacy-subject-line",
]


@pytest.fixture
async def before_sealing(postgres_server: str) -> AsyncIterator[tuple[Roles, asyncpg.Connection]]:
    """A database of its own (the sealing reaches every table, so the suite's shared one
    stays out of it), migrated as the service was before 0010, as its owner."""
    async with database_with_roles(postgres_server, "dsr_legacy", migrated=False) as roles:
        owner = await asyncpg.connect(roles.owner_url)
        try:
            # What store.database.apply_migrations records, so it goes on from 0010.
            await owner.execute(
                """CREATE TABLE schema_migrations (version text PRIMARY KEY,
                       checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"""
            )
            for version, sql in migration_files():
                if version >= BEFORE_SEALING:
                    break
                async with owner.transaction():
                    await owner.execute(sql)
                    await owner.execute(
                        "INSERT INTO schema_migrations (version, checksum) VALUES ($1, $2)",
                        version,
                        hashlib.sha256(sql.encode()).hexdigest(),
                    )
            yield roles, owner
        finally:
            await owner.close()


async def _plain_store(
    owner: asyncpg.Connection, sid: str, other: str, *, stray_notice: bool = False
) -> dict[str, Any]:
    """What the service stored in plain before 0010, for two subjects; with a code sent to
    an address no longer on record (erased since) if `stray_notice`."""
    rid, challenge = f"legacy-{sid}", uuid.uuid4()
    await owner.execute(
        "INSERT INTO subjects (subject_id, name) VALUES ($1, $2), ($3, NULL)", sid, NAME, other
    )
    await owner.executemany(
        """INSERT INTO personal_data (subject_id, category, field, value)
           VALUES ($1, 'contact', $2, $3)""",
        [(sid, "email", EMAIL), (sid, "phone", PHONE), (other, "email", OTHER_EMAIL)],
    )
    await owner.execute(
        """INSERT INTO requests (request_id, workflow_id, kind, subject_id, fingerprint,
                                 deadline_policy_version)
           VALUES ($1, $2, 'inquiry', $3, 'fp', 'test-policy')""",
        rid,
        workflow_id_for(rid),
        sid,
    )
    await owner.execute(
        """INSERT INTO request_details (request_id, requester_name, requester_email, details)
           VALUES ($1, $2, $3, $4::jsonb)""",
        rid,
        NAME,
        GIVEN_EMAIL,
        json.dumps(DETAILS),
    )
    await owner.execute(
        """INSERT INTO answers (answer_id, request_id, body, operator)
           VALUES (gen_random_uuid(), $1, 'legacy-answer-marker', 'op-1')""",
        rid,
    )
    await owner.execute(
        """INSERT INTO operator_notes (note_id, request_id, purpose, body, operator)
           VALUES (gen_random_uuid(), $1, 'reason', 'legacy-note-marker', 'op-1')""",
        rid,
    )
    await owner.execute(
        """INSERT INTO notifications (idempotency_key, request_id, notice, recipient,
                                      subject_line, body)
           VALUES ($1, $2, 'outcome', $3, 'legacy-subject-line', 'legacy-notice-marker')""",
        f"n-{rid}",
        rid,
        GIVEN_EMAIL.strip(),
    )
    await owner.execute(
        "INSERT INTO disclosures (request_id, items, compiled_at) VALUES ($1, $2::jsonb, now())",
        rid,
        json.dumps(ITEMS),
    )
    await owner.execute(
        """INSERT INTO privacy_center_challenges (challenge_id, address_hash, subject_id, kind,
               language, submission, code_hash, expires_at)
           VALUES ($1, 'h', $2, 'inquiry', 'en', $3::jsonb, 'c', now() + interval '1 hour')""",
        challenge,
        sid,
        json.dumps(FORM),
    )
    await owner.executemany(
        """INSERT INTO privacy_center_notices (idempotency_key, purpose, recipient,
                                               subject_line, body)
           VALUES ($1, 'one_time_code', $2, 'legacy-subject-line', 'legacy-code-marker')""",
        [
            (f"pc-{sid}-1", EMAIL.lower()),
            (f"pc-{sid}-2", OTHER_EMAIL.upper()),
            *([(f"pc-{sid}-3", "nobody-on-record@example.jp")] if stray_notice else []),
        ],
    )
    return {"request": rid, "challenge": challenge}


async def _sealed_columns(pool: asyncpg.Pool) -> dict[tuple[str, str], list[str]]:
    """Every value of every sealed column, as stored."""
    values: dict[tuple[str, str], list[str]] = {}
    for sealed in SEALED:
        for column in sealed.columns:
            values[(sealed.table, column)] = [
                row[0]
                for row in await pool.fetch(
                    f"SELECT {column} FROM {sealed.table} WHERE {column} IS NOT NULL"
                )
            ]
    return values


@pytest.mark.parametrize("stray_notice", [False, True], ids=["matched", "stray-notice"])
async def test_a_database_from_before_sealing_is_sealed_once(
    before_sealing: tuple[Roles, asyncpg.Connection],
    vault: Vault,
    unique: str,
    stray_notice: bool,
) -> None:
    """As the worker does it: the runtime role's pool, after `dsr-admin setup` migrated."""
    roles, owner = before_sealing
    sid, other = f"old-{unique}", f"old-other-{unique}"
    made = await _plain_store(owner, sid, other, stray_notice=stray_notice)
    applied = await prepare_store(roles.runtime_url, roles.owner_url)
    assert applied[0] == "0010_sealed_personal_data"
    pool = await create_pool(roles.runtime_url, max_size=2, vault=vault)
    try:
        plain = await _sealed_columns(pool)
        in_plain = sum(len(v) for v in plain.values())
        # Only the notices a subject's address matches can be sealed (a stray one's three
        # values are dropped); the two registered e-mails and the request's get an index.
        expected = in_plain - (3 if stray_notice else 0) + 3

        assert await seal_plaintext_left(pool) == expected
        assert await seal_plaintext_left(pool) == 0  # idempotent: nothing left

        stored = await _sealed_columns(pool)
        unsealed = {
            place: [v for v in values if not v.startswith(f"{PREFIX}.")]
            for place, values in stored.items()
        }
        assert {place: v for place, v in unsealed.items() if v} == {}
        dumped = json.dumps(list(stored.values())).lower()
        assert [value for value in PLAIN if value.lower() in dumped] == []
        await _check_opened(pool, vault, sid, other, made)
    finally:
        await pool.close()


async def _check_opened(
    pool: asyncpg.Pool, vault: Vault, sid: str, other: str, made: dict[str, Any]
) -> None:
    """Each value opens as it was stored, under its own subject's key, and the indexes
    match the e-mails whatever their case and spacing."""
    keys = {
        row["subject_id"]: row["key_id"]
        for row in await pool.fetch(
            "SELECT subject_id, key_id FROM subject_keys WHERE destroyed_at IS NULL"
        )
    }
    assert keys.keys() == {sid, other} and keys[sid] != keys[other]
    index = vault.blind_index(EMAIL)
    assert index == vault.blind_index(GIVEN_EMAIL)

    subject = await pool.fetchval("SELECT name FROM subjects WHERE subject_id = $1", sid)
    assert key_of(subject) == keys[sid] and vault.open(subject) == NAME
    assert await pool.fetchval("SELECT name FROM subjects WHERE subject_id = $1", other) is None

    held = {
        (row["subject_id"], row["field"]): row
        for row in await pool.fetch(
            "SELECT subject_id, field, value, value_index FROM personal_data"
        )
    }
    assert vault.open(held[(sid, "email")]["value"]) == EMAIL
    assert held[(sid, "email")]["value_index"] == index
    assert vault.open(held[(sid, "phone")]["value"]) == PHONE
    assert held[(sid, "phone")]["value_index"] is None  # an index for e-mails only
    assert key_of(held[(other, "email")]["value"]) == keys[other]
    assert held[(other, "email")]["value_index"] == vault.blind_index(OTHER_EMAIL)
    assert (
        await pool.fetchval(
            "SELECT subject_id FROM personal_data WHERE field = 'email' AND value_index = $1",
            vault.blind_index("LEGACY.TESTPERSON@example.jp"),
        )
        == sid
    )

    details = await pool.fetchrow(
        "SELECT * FROM request_details WHERE request_id = $1", made["request"]
    )
    assert vault.open(details["requester_name"]) == NAME
    assert vault.open(details["requester_email"]) == GIVEN_EMAIL
    assert details["requester_email_index"] == index
    assert vault.open_json(details["details"]) == DETAILS  # jsonb once, sealed JSON now
    items = await pool.fetchval(
        "SELECT items FROM disclosures WHERE request_id = $1", made["request"]
    )
    assert vault.open_json(items) == ITEMS
    form = await pool.fetchval(
        "SELECT submission FROM privacy_center_challenges WHERE challenge_id = $1",
        made["challenge"],
    )
    assert key_of(form) == keys[sid] and vault.open_json(form) == FORM
    for table in ("answers", "operator_notes"):
        body = await pool.fetchval(
            f"SELECT body FROM {table} WHERE request_id = $1", made["request"]
        )
        assert key_of(body) == keys[sid] and vault.open(body).startswith("legacy-")
    notice = await pool.fetchrow(
        "SELECT * FROM notifications WHERE request_id = $1", made["request"]
    )
    assert [vault.open(notice[c]) for c in ("recipient", "subject_line", "body")] == [
        GIVEN_EMAIL.strip(),
        "legacy-subject-line",
        "legacy-notice-marker",
    ]

    # The privacy center's outbox: each notice given the subject whose address on record
    # it went to (whatever the case), sealed under that subject's key; the one no address
    # matches cannot be sealed, and is gone.
    notices = {
        row["idempotency_key"]: row
        for row in await pool.fetch("SELECT * FROM privacy_center_notices")
    }
    assert set(notices) == {f"pc-{sid}-1", f"pc-{sid}-2"}
    for key, subject, address in (
        (f"pc-{sid}-1", sid, EMAIL.lower()),
        (f"pc-{sid}-2", other, OTHER_EMAIL.upper()),
    ):
        row = notices[key]
        assert row["subject_id"] == subject and key_of(row["recipient"]) == keys[subject]
        assert vault.open(row["recipient"]) == address
        assert vault.open(row["body"]) == "legacy-code-marker"
