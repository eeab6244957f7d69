"""Crypto-shredding on a real database (store/shredding.py): a subject's key is replaced,
the values kept are sealed again under the new one, the values to forget stay under the
old one, and once the old key is destroyed every copy taken before (a backup, a dump)
opens as erased."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import asyncpg
import pytest

from domain.redaction import MARKER, Redaction
from domain.requests import workflow_id_for
from store.sealing import ERASED, Vault, key_of, vault_of
from store.shredding import (
    SEALED,
    Shredded,
    destroy_shredded_keys,
    shred_subject_key,
)
from tests.support.temporal import eventually

NAME = "Shreddy Testperson"
EMAIL = "shreddy.testperson@example.jp"
PHONE = "090-7777-1234"
ADDRESS = "9-9-9 Shibuya, Tokyo"
# The columns of texts a redaction reaches.
TEXTS = {"details", "body", "items", "submission"}
# Where a copy sits: (table, row key, column).
Place = tuple[str, str, str]


async def _request(
    connection: asyncpg.Connection, subject_id: str, request_id: str, kind: str, text: str
) -> None:
    """A request of the subject, its details sealed, a notice, an answer, a note and a
    disclosure, each carrying `text` (the phone number among them)."""
    vault = vault_of(connection)
    await connection.execute(
        """INSERT INTO requests (request_id, workflow_id, kind, subject_id, fingerprint,
                                 deadline_policy_version)
           VALUES ($1, $2, $3, $4, 'fp', 'test-policy')""",
        request_id,
        workflow_id_for(request_id),
        kind,
        subject_id,
    )
    name, email, details, body, items = await vault.seal_all(
        connection,
        subject_id,
        NAME,
        EMAIL,
        json.dumps({"text": text}),
        f"Dear {NAME}, about {text}",
        json.dumps([{"field": "phone", "value": PHONE}]),
    )
    await connection.execute(
        """INSERT INTO request_details (request_id, requester_name, requester_email, details,
                                        requester_email_index)
           VALUES ($1, $2, $3, $4, $5)""",
        request_id,
        name,
        email,
        details,
        vault.blind_index(EMAIL),
    )
    await connection.execute(
        """INSERT INTO notifications (idempotency_key, request_id, notice, recipient,
                                      subject_line, body)
           VALUES ($1, $2, 'outcome', $3, $4, $5)""",
        f"n-{request_id}",
        request_id,
        email,
        await vault.seal(connection, subject_id, "Your request"),
        body,
    )
    await connection.execute(
        """INSERT INTO answers (answer_id, request_id, body, operator)
           VALUES (gen_random_uuid(), $1, $2, 'op-1')""",
        request_id,
        await vault.seal(connection, subject_id, f"We call {PHONE} (answer)"),
    )
    await connection.execute(
        """INSERT INTO operator_notes (note_id, request_id, purpose, body, operator)
           VALUES (gen_random_uuid(), $1, 'reason', $2, 'op-1')""",
        request_id,
        await vault.seal(connection, subject_id, f"Checked {PHONE} (note)"),
    )
    await connection.execute(
        "INSERT INTO disclosures (request_id, items, compiled_at) VALUES ($1, $2, now())",
        request_id,
        items,
    )


async def _subject(
    pool: asyncpg.Pool, subject_id: str, *requests: str, name: str | None = NAME
) -> None:
    """A subject with a name, an e-mail and a phone on record, and `requests` (ids)."""
    async with pool.acquire() as connection, connection.transaction():
        vault = vault_of(connection)
        await connection.execute("INSERT INTO subjects (subject_id) VALUES ($1)", subject_id)
        if name is not None:
            await connection.execute(
                "UPDATE subjects SET name = $2 WHERE subject_id = $1",
                subject_id,
                await vault.seal(connection, subject_id, name),
            )
        email, phone = await vault.seal_all(connection, subject_id, EMAIL, PHONE)
        await connection.executemany(
            """INSERT INTO personal_data (subject_id, category, field, value, value_index)
               VALUES ($1, 'contact', $2, $3, $4)""",
            [
                (subject_id, "email", email, vault.blind_index(EMAIL)),
                (subject_id, "phone", phone, None),
            ],
        )
        for request_id in requests:
            await _request(
                connection,
                subject_id,
                request_id,
                "inquiry",
                f"my phone {PHONE} and my address {ADDRESS}",
            )


async def _copies(pool: asyncpg.Pool, subject_id: str) -> dict[Place, str]:
    """Every sealed value of the subject as stored now: what a backup would hold."""
    copies: dict[Place, str] = {}
    async with pool.acquire() as connection:
        for sealed in SEALED:
            for row in await connection.fetch(sealed.rows_of_subject, subject_id):
                for column in sealed.columns:
                    if row[column] is not None:
                        copies[(sealed.table, str(row["row_key"]), column)] = row[column]
    return copies


def _opened(vault: Vault, copies: dict[Place, str]) -> dict[Place, str]:
    return {place: vault.open(value) for place, value in copies.items()}


async def _shred(pool: asyncpg.Pool, subject_id: str, **options: object) -> Shredded:
    async with pool.acquire() as connection, connection.transaction():
        return await shred_subject_key(connection, subject_id, **options)  # type: ignore[arg-type]


async def _blocked(pool: asyncpg.Pool, connection: asyncpg.Connection) -> None:
    """Until the connection's backend waits on a lock (rather than sleeping in the hope
    that it does by then)."""
    pid = connection.get_server_pid()

    async def wait_event() -> str | None:
        return await pool.fetchval(
            "SELECT wait_event_type FROM pg_stat_activity WHERE pid = $1", pid
        )

    await eventually(wait_event, lambda event: event == "Lock", within=10)


async def _current_keys(pool: asyncpg.Pool, subject_id: str) -> list[str]:
    return [
        row["key_id"]
        for row in await pool.fetch(
            "SELECT key_id FROM subject_keys WHERE subject_id = $1 AND destroyed_at IS NULL",
            subject_id,
        )
    ]


async def test_shredding_replaces_the_key_keeps_the_values_and_erases_every_old_copy(
    pool: asyncpg.Pool, vault: Vault, keyring_dir: Path, unique: str
) -> None:
    sid = f"shred-{unique}"
    await _subject(pool, sid, f"a-{unique}", f"b-{unique}")
    backup = await _copies(pool, sid)
    before = _opened(vault, backup)
    [old] = await _current_keys(pool, sid)
    assert {key_of(value) for value in backup.values()} == {old}
    # Nothing in plain: the backup is ciphertext only.
    assert not [v for v in backup.values() if PHONE in v or EMAIL in v or NAME in v]

    shredded = await _shred(pool, sid)

    assert shredded.destroyed_key == old and shredded.new_key not in (None, old)
    assert (shredded.resealed, shredded.forgotten) == (len(backup), 0)
    assert await _current_keys(pool, sid) == [shredded.new_key]
    assert await pool.fetchval(
        "SELECT destroyed_at IS NOT NULL FROM subject_keys WHERE key_id = $1", old
    )
    kept = await _copies(pool, sid)
    assert kept.keys() == backup.keys()
    assert {key_of(value) for value in kept.values()} == {shredded.new_key}
    assert _opened(vault, kept) == before
    # Committed but not yet destroyed in the keyring: the old copies still open.
    assert _opened(vault, backup) == before

    vault.keyring.destroy(old)

    assert not (keyring_dir / f"{old}.key").exists()
    assert set(_opened(vault, backup).values()) == {ERASED}
    assert _opened(vault, await _copies(pool, sid)) == before
    # The subject's next value is sealed under the new key.
    async with pool.acquire() as connection, connection.transaction():
        assert key_of(await vault.seal(connection, sid, "later")) == shredded.new_key


async def test_a_shredding_rolled_back_loses_nothing(
    pool: asyncpg.Pool, vault: Vault, unique: str
) -> None:
    sid = f"shred-rb-{unique}"
    await _subject(pool, sid, f"a-{unique}")
    backup = await _copies(pool, sid)
    [old] = await _current_keys(pool, sid)
    with pytest.raises(RuntimeError, match="recording the event failed"):
        async with pool.acquire() as connection, connection.transaction():
            await shred_subject_key(connection, sid)
            raise RuntimeError("recording the event failed")
    assert await _current_keys(pool, sid) == [old]
    assert await _copies(pool, sid) == backup
    assert set(_opened(vault, backup).values()) != {ERASED}


async def test_forgotten_requests_stay_under_the_destroyed_key_and_the_others_are_kept(
    pool: asyncpg.Pool, vault: Vault, unique: str
) -> None:
    sid, forgotten, kept = f"shred-fg-{unique}", f"gone-{unique}", f"kept-{unique}"
    await _subject(pool, sid, forgotten, kept)
    backup = await _copies(pool, sid)
    before = _opened(vault, backup)

    shredded = await _shred(pool, sid, forget_requests=frozenset({forgotten}))
    assert shredded.destroyed_key is not None
    await destroy_shredded_keys_of(pool)

    after = _opened(vault, await _copies(pool, sid))
    of_forgotten = await _places_of_request(pool, forgotten)
    assert of_forgotten and shredded.forgotten == len(of_forgotten)
    assert shredded.resealed == len(backup) - len(of_forgotten)
    for place, text in after.items():
        assert text == (ERASED if place in of_forgotten else before[place]), place
    # The subject's own data (name, personal_data) belongs to no request: it is kept.
    assert after[("subjects", sid, "name")] == NAME
    assert sorted(v for (table, _, _), v in after.items() if table == "personal_data") == sorted(
        [EMAIL, PHONE]
    )


async def destroy_shredded_keys_of(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as connection:
        await destroy_shredded_keys(connection)


async def _places_of_request(pool: asyncpg.Pool, request_id: str) -> set[Place]:
    """The places of a request's sealed values."""
    subject = await pool.fetchval(
        "SELECT subject_id FROM requests WHERE request_id = $1", request_id
    )
    places: set[Place] = set()
    async with pool.acquire() as connection:
        for sealed in SEALED:
            for row in await connection.fetch(sealed.rows_of_subject, subject):
                if row["request_id"] == request_id:
                    places |= {
                        (sealed.table, str(row["row_key"]), c)
                        for c in sealed.columns
                        if row[c] is not None
                    }
    return places


async def test_a_redaction_reaches_every_requests_texts_and_forgets_the_erasing_statement(
    pool: asyncpg.Pool, vault: Vault, unique: str
) -> None:
    """N7: the texts of every request of the subject lose the values, however they were
    written; the erasing request's own statement is not sealed again at all (it goes with
    the old key); names and addresses are kept."""
    sid, erasing, other = f"shred-rd-{unique}", f"erasing-{unique}", f"other-{unique}"
    await _subject(pool, sid, erasing, other)
    before = _opened(vault, await _copies(pool, sid))
    # The e-mail among the values: texts lose it, the addresses notices go to keep it. The
    # values as another hand wrote them: upper case, full width.
    redaction = Redaction(values=(PHONE, EMAIL.upper(), "ＳＨＩＢＵＹＡ", ADDRESS))  # noqa: RUF001

    shredded = await _shred(pool, sid, redaction=redaction, erasing=erasing)
    await destroy_shredded_keys_of(pool)

    after = _opened(vault, await _copies(pool, sid))
    of_other, of_erasing = (
        await _places_of_request(pool, other),
        await _places_of_request(pool, erasing),
    )
    statement = ("request_details", erasing, "details")
    assert after[statement] == ERASED and shredded.forgotten == 1
    texts = {place for place in of_other | of_erasing if place[2] in {"details", "body", "items"}}
    assert {place[0] for place in texts} == {
        "request_details",
        "notifications",
        "answers",
        "operator_notes",
        "disclosures",
    }
    for place in texts - {statement}:
        assert PHONE not in after[place] and EMAIL not in after[place], place
        assert "Shibuya" not in after[place], place
        assert after[place] != before[place] and redaction.marker in after[place], place
    # Overlapping values (the address, its ward) become one marker.
    details = json.loads(after[("request_details", other, "details")])
    assert details == {"text": f"my phone {redaction.marker} and my address {redaction.marker}"}
    for place in (of_other | of_erasing) - texts:  # names, addresses and subject lines
        assert after[place] == before[place], place
    assert after[("request_details", other, "requester_email")] == EMAIL
    assert after[("request_details", erasing, "requester_email")] == EMAIL
    assert after[("subjects", sid, "name")] == NAME
    assert PHONE in [v for (t, _, _), v in after.items() if t == "personal_data"]


async def _form(pool: asyncpg.Pool, subject_id: str, request_id: str | None, text: str) -> str:
    """A privacy center form of the subject (the request it became, if any); its id."""
    challenge = uuid.uuid4()
    async with pool.acquire() as connection, connection.transaction():
        submission = await vault_of(connection).seal_json(
            connection, subject_id, {"details": {"statement": text}}
        )
        await connection.execute(
            """INSERT INTO privacy_center_challenges (challenge_id, address_hash, subject_id,
                   kind, language, submission, code_hash, expires_at, request_id)
               VALUES ($1, 'h', $2, 'suspension', 'en', $3, 'c', now() + interval '1 hour',
                       $4)""",
            challenge,
            subject_id,
            submission,
            request_id,
        )
    return str(challenge)


async def test_the_erasing_statement_and_its_form_are_forgotten_and_other_forms_redacted(
    pool: asyncpg.Pool, vault: Vault, unique: str
) -> None:
    """N7: the erasing request's statement, in its details and in the privacy center's form
    it came from, is left under the old key, and only it; a form not yet sent on (its
    code not entered) loses the value like any text."""
    sid, erasing = f"shred-st-{unique}", f"erasing-{unique}"
    await _subject(pool, sid, erasing)
    own = await _form(pool, sid, erasing, f"Erase {PHONE}, please")
    pending = await _form(pool, sid, None, f"and {PHONE.replace('-', '－')} too")  # noqa: RUF001
    before = _opened(vault, await _copies(pool, sid))
    shredded = await _shred(pool, sid, erasing=erasing, redaction=Redaction((PHONE,)))
    await destroy_shredded_keys_of(pool)
    after = _opened(vault, await _copies(pool, sid))
    statement = {
        ("request_details", erasing, "details"),
        ("privacy_center_challenges", own, "submission"),
    }
    assert {after[place] for place in statement} == {ERASED} and shredded.forgotten == 2
    form = ("privacy_center_challenges", pending, "submission")
    assert json.loads(after[form]) == {"details": {"statement": f"and {MARKER} too"}}
    assert not [place for place, text in after.items() if place[2] in TEXTS and PHONE in text]
    unchanged = {p for p in after if p not in statement and p != form and p[2] not in TEXTS}
    assert unchanged and {p: after[p] for p in unchanged} == {p: before[p] for p in unchanged}


def test_a_redaction_replaces_longer_values_first_and_ignores_empty_ones() -> None:
    redaction = Redaction(values=("", "Minato", "1-2-3 Minato, Tokyo"), marker="X")
    assert redaction.apply("at 1-2-3 Minato, Tokyo; Minato ward") == "at X; X ward"
    assert redaction.apply("nothing here") == "nothing here"


async def test_sealing_during_a_shredding_waits_and_ends_under_the_new_key(
    pool: asyncpg.Pool, vault: Vault, unique: str
) -> None:
    sid = f"shred-cc-{unique}"
    await _subject(pool, sid, f"a-{unique}")
    async with pool.acquire() as shredder, pool.acquire() as writer:
        async with shredder.transaction():
            shredded = await shred_subject_key(shredder, sid)

            async def write() -> str:
                async with writer.transaction():
                    sealed = await vault.seal(writer, sid, "written meanwhile")
                    await writer.execute(
                        "UPDATE subjects SET name = $2 WHERE subject_id = $1", sid, sealed
                    )
                    return sealed

            writing = asyncio.create_task(write())
            await _blocked(pool, writer)
            assert not writing.done(), "a value was sealed under a key being replaced"
        sealed = await asyncio.wait_for(writing, 10)
    assert key_of(sealed) == shredded.new_key
    await destroy_shredded_keys_of(pool)
    assert (
        vault.open(await pool.fetchval("SELECT name FROM subjects WHERE subject_id = $1", sid))
        == "written meanwhile"
    )


async def test_a_shredding_waits_for_a_sealing_in_progress_and_carries_its_value_over(
    pool: asyncpg.Pool, vault: Vault, unique: str
) -> None:
    """The other way round: a value sealed under the old key, not yet committed, is seen
    by the shredding once committed, so it is not left under the key destroyed."""
    sid = f"shred-cw-{unique}"
    await _subject(pool, sid, f"a-{unique}")
    [old] = await _current_keys(pool, sid)
    async with pool.acquire() as writer, pool.acquire() as shredder:
        async with writer.transaction():
            sealed = await vault.seal(writer, sid, "sealed before the shredding")
            assert key_of(sealed) == old
            await writer.execute("UPDATE subjects SET name = $2 WHERE subject_id = $1", sid, sealed)

            async def shred() -> Shredded:
                async with shredder.transaction():
                    return await shred_subject_key(shredder, sid)

            shredding = asyncio.create_task(shred())
            await _blocked(pool, shredder)
            assert not shredding.done(), "the key was replaced under a sealing in progress"
        shredded = await asyncio.wait_for(shredding, 10)
    await destroy_shredded_keys_of(pool)
    name = await pool.fetchval("SELECT name FROM subjects WHERE subject_id = $1", sid)
    assert key_of(name) == shredded.new_key
    assert vault.open(name) == "sealed before the shredding"


async def test_a_subject_without_a_key_has_nothing_to_shred(
    pool: asyncpg.Pool, unique: str
) -> None:
    sid = f"shred-nk-{unique}"
    await pool.execute("INSERT INTO subjects (subject_id) VALUES ($1)", sid)
    assert await _shred(pool, sid) == Shredded(destroyed_key=None)
    assert await _shred(pool, f"never-seen-{unique}") == Shredded(destroyed_key=None)
    assert await pool.fetchval("SELECT count(*) FROM subject_keys WHERE subject_id = $1", sid) == 0


async def test_forgetting_everything_leaves_no_key_and_the_next_value_gets_a_new_one(
    pool: asyncpg.Pool, vault: Vault, unique: str
) -> None:
    sid, only = f"shred-all-{unique}", f"only-{unique}"
    async with pool.acquire() as connection, connection.transaction():
        await connection.execute("INSERT INTO subjects (subject_id) VALUES ($1)", sid)
        await _request(connection, sid, only, "inquiry", PHONE)
    backup = await _copies(pool, sid)
    shredded = await _shred(pool, sid, forget_requests=frozenset({only}))
    assert shredded.new_key is None and shredded.resealed == 0
    assert shredded.forgotten == len(backup)
    assert await _current_keys(pool, sid) == []
    await destroy_shredded_keys_of(pool)
    assert set(_opened(vault, backup).values()) == {ERASED}
    async with pool.acquire() as connection, connection.transaction():
        fresh = await vault.seal(connection, sid, "new")
    assert key_of(fresh) not in (shredded.destroyed_key, None) and vault.open(fresh) == "new"


async def test_keys_left_by_a_crash_after_the_commit_are_destroyed_by_the_next_run(
    pool: asyncpg.Pool, vault: Vault, keyring_dir: Path, unique: str
) -> None:
    sid = f"shred-crash-{unique}"
    await _subject(pool, sid, f"a-{unique}")
    backup = await _copies(pool, sid)
    # The shredding commits, and the process dies before it destroys the key.
    shredded = await _shred(pool, sid)
    old = shredded.destroyed_key
    assert old is not None and (keyring_dir / f"{old}.key").exists()
    assert NAME in _opened(vault, backup).values()  # still opens: the crash's window

    async with pool.acquire() as connection:
        looked_at = await destroy_shredded_keys(connection)
        assert looked_at >= 1
        assert await destroy_shredded_keys(connection) == looked_at  # again: no error

    assert not (keyring_dir / f"{old}.key").exists()
    assert set(_opened(vault, backup).values()) == {ERASED}
    assert NAME in _opened(vault, await _copies(pool, sid)).values()


def _key_files(keyring_dir: Path) -> set[str]:
    return {path.name for path in keyring_dir.iterdir()}


async def test_two_transactions_making_a_subjects_first_key_end_with_one(
    pool: asyncpg.Pool, vault: Vault, keyring_dir: Path, unique: str
) -> None:
    sid = f"shred-first-{unique}"
    await pool.execute("INSERT INTO subjects (subject_id) VALUES ($1)", sid)
    files = _key_files(keyring_dir)
    async with pool.acquire() as first, pool.acquire() as second:
        async with first.transaction():
            made_first = await vault.seal(first, sid, "first")

            async def seal_second() -> str:
                async with second.transaction():
                    return await vault.seal(second, sid, "second")

            sealing = asyncio.create_task(seal_second())
            await _blocked(pool, second)  # waits on the first's uncommitted key row
            assert not sealing.done()
        made_second = await asyncio.wait_for(sealing, 10)
    assert key_of(made_first) == key_of(made_second)
    assert await _current_keys(pool, sid) == [key_of(made_first)]
    # The second transaction's own key was destroyed, not left in the keyring.
    assert _key_files(keyring_dir) - files == {f"{key_of(made_first)}.key"}
    assert vault.open(made_second) == "second"

    racing = f"shred-race-{unique}"
    await pool.execute("INSERT INTO subjects (subject_id) VALUES ($1)", racing)

    async def seal(text: str) -> str:
        async with pool.acquire() as connection, connection.transaction():
            return await vault.seal(connection, racing, text)

    sealed = await asyncio.gather(*(seal(f"v{i}") for i in range(6)))
    assert len({key_of(value) for value in sealed}) == 1
    assert await _current_keys(pool, racing) == [key_of(sealed[0])]
    assert [vault.open(value) for value in sealed] == [f"v{i}" for i in range(6)]


def test_a_redaction_inside_json_leaves_keys_and_structure_whole() -> None:
    """An erased value that is also a key or a fragment of the document's syntax changes
    only the strings that hold it."""
    redaction = Redaction(values=("category", '"'))
    document = json.dumps(
        {"category": "contact", "note": 'my category is "x"', "items": [{"category": "category"}]}
    )
    redacted = json.loads(redaction.apply_json(document))
    marker = redaction.marker
    # A quote is short: only where it stands alone, never the JSON's own quotes.
    assert redacted == {
        "category": "contact",
        "note": f'my {marker} is "x"',
        "items": [{"category": marker}],
    }


async def test_a_purpose_change_notice_is_kept_under_the_new_key(
    pool: asyncpg.Pool, unique: str
) -> None:
    """Article 4's notices are the organisation's record of telling the person: an erasure
    keeps them, sealed again (their key is two columns: the change and the subject)."""
    subject, change = f"pc-subj-{unique}", f"chg-{unique}"
    others = f"pc-other-{unique}"
    await pool.execute(
        """INSERT INTO purpose_changes (change_id, purpose_id, proposed_text, related,
                                        decided_by, reason, method, proposed_at)
           VALUES ($1, 'billing', 'new text', true, 'admin', 'a reason given', 'notify',
                   now())""",
        change,
    )
    for who in (subject, others):
        async with pool.acquire() as connection, connection.transaction():
            await connection.execute("INSERT INTO subjects (subject_id) VALUES ($1)", who)
            recipient, line, body = await vault_of(connection).seal_all(
                connection, who, f"{who}@example.jp", "purpose changed", f"Dear {who}"
            )
            await connection.execute(
                """INSERT INTO purpose_change_notices (change_id, subject_id, recipient,
                                                       subject_line, body)
                   VALUES ($1, $2, $3, $4, $5)""",
                change,
                who,
                recipient,
                line,
                body,
            )
    before = await pool.fetchval(
        "SELECT body FROM purpose_change_notices WHERE subject_id = $1", others
    )
    shredded = await _shred(pool, subject)
    assert shredded.resealed == 3
    async with pool.acquire() as connection:
        vault = vault_of(connection)
        row = await connection.fetchrow(
            "SELECT recipient, body FROM purpose_change_notices WHERE subject_id = $1", subject
        )
        assert vault.open(row["recipient"]) == f"{subject}@example.jp"
        assert key_of(row["body"]) == shredded.new_key
        assert (
            await connection.fetchval(  # the other subject's row was not touched
                "SELECT body FROM purpose_change_notices WHERE subject_id = $1", others
            )
            == before
        )


def test_a_short_erased_value_is_redacted_where_it_stands_alone_only() -> None:
    redaction = Redaction(values=("M", "090-1234"), marker="X")
    assert redaction.apply("My sex: M; phone 090-1234-5678") == "My sex: X; phone X-5678"
