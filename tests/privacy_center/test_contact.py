"""Article 10's CONTACT form, open to anyone (N8): a person without a working registered
address can ask; the code goes to the address they type; the inquiry is a guest's, and the
answer says it carries no personal information about them."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import asyncpg

from activities.retention import PersonalDataRetention
from domain.deadlines import Step
from domain.requests import workflow_id_for
from domain.retention import RetentionRun
from interfaces.privacy_center.challenges import Challenges, Message, derive_key
from service import acts
from service.requests import status
from store.events import EventStore
from store.sealing import Vault
from tests.support.privacy_center import Center
from tests.support.temporal import TEST_ACT_SIGNER, actor, eventually

_VERIFY = re.compile(r"^/verify/([0-9a-f-]{36})\?lang=(ja|en)$")


def _verify_path(response) -> str:
    assert response.status_code == 303, response.text
    assert _VERIFY.match(response.headers["location"]), response.headers["location"]
    return response.headers["location"]


async def test_n8_a_person_without_a_registered_address_can_ask_and_gets_no_personal_data(
    center: Center, unique: str, vault: Vault
) -> None:
    """N8: the CONTACT route was closed to anyone without a working registered address (an
    unknown address silently got nothing). Now the code goes to the address typed, the
    inquiry is made under a guest subject, and the answer says what the person gets."""
    start = await center.http.get("/", params={"lang": "en"})
    assert 'href="/contact?lang=en"' in start.text and "No e-mail address registered" in start.text
    form = await center.http.get("/contact", params={"lang": "ja"})
    assert "メールアドレスのご登録は不要です" in form.text and "個人情報を含めません" in form.text

    stranger = f"partner-data-{unique}@example.jp"
    verify_path = _verify_path(
        await center.contact(
            {"name": "Partner Person", "email": stranger, "text": "Where did you get my data?"}
        )
    )
    [code] = center.codes_to(stranger)  # to the typed address: no registration needed
    done = await center.enter(verify_path, code)
    assert done.status_code == 200, done.text
    request_id = re.search(r"pc-[0-9a-f]{20}", done.text).group(0)
    row = await center.pool.fetchrow(
        """SELECT r.kind, r.subject_id, d.requester_email FROM requests r
             JOIN request_details d USING (request_id) WHERE request_id = $1""",
        request_id,
    )
    assert row["kind"] == "inquiry" and row["subject_id"].startswith("guest-")
    assert vault.open(row["requester_email"]) == stranger
    # Nothing of ours is attached to the guest: it holds no personal data of our records.
    assert not await center.pool.fetchval(
        "SELECT count(*) FROM personal_data WHERE subject_id = $1", row["subject_id"]
    )

    assert center.client is not None
    await eventually(
        lambda: status(request_id, client=center.client, pool=center.pool),
        lambda view: view.step is Step.ANSWER,
    )
    await acts.respond(
        request_id,
        "We received it from a partner under Article 2.",
        actor("op-1"),
        client=center.client,
        pool=center.pool,
    )
    answers = await eventually(lambda: _answer(center, request_id), lambda mails: len(mails) == 1)
    assert answers[0]["to"] == stranger
    body = answers[0]["body"]
    assert "We received it from a partner under Article 2." in body
    assert "this answer contains no personal information about you" in body
    assert f"quoting reference {request_id} with proof of identity" in body


async def test_n8_a_registered_address_on_the_contact_form_stays_the_persons_own(
    center: Center, unique: str
) -> None:
    """N8: the contact form does not turn a user into a guest: a registered address gets
    its code at the address on record, and the inquiry is the subject's."""
    on_record = f"user-{unique}@example.jp"
    subject_id = await center.registered(on_record)
    verify_path = _verify_path(
        await center.contact({"name": "User", "email": on_record, "text": "A question."})
    )
    [code] = center.codes_to(on_record)
    done = await center.enter(verify_path, code)
    request_id = re.search(r"pc-[0-9a-f]{20}", done.text).group(0)
    assert (
        await center.pool.fetchval(
            "SELECT subject_id FROM requests WHERE request_id = $1", request_id
        )
        == subject_id
    )


async def _answer(center: Center, request_id: str) -> list[dict[str, str]]:
    key = f"{workflow_id_for(request_id)}:notice:answer"
    return [m for m in center.mails() if m["message_id"] == key]


async def test_n8_a_contact_form_whose_code_is_never_entered_leaves_no_guest_key(
    pool: asyncpg.Pool, vault: Vault, unique: str
) -> None:
    """N8 (follow-up): a CONTACT form from an address not on record makes a guest subject
    before the code is entered. Once the code expired unentered, the retention run
    destroys the guest's key and withdraws its code message; a guest whose code is still
    valid is left as it is."""
    challenges = Challenges(pool, derive_key(TEST_ACT_SIGNER))
    now = datetime.now(UTC)

    async def contact(address: str, at: datetime) -> str:
        started = await challenges.start(
            kind="inquiry",
            language="en",
            email=address,
            name="Never Entered",
            details={"text": "a question"},
            now=at,
            code_message=lambda code: Message("code", f"your code {code}"),
            any_address=True,
        )
        return await pool.fetchval(
            "SELECT subject_id FROM privacy_center_challenges WHERE challenge_id = $1",
            started.challenge_id,
        )

    abandoned = await contact(f"gone-{unique}@example.jp", now - timedelta(hours=1))
    waiting = await contact(f"wait-{unique}@example.jp", now)
    assert abandoned.startswith("guest-") and waiting.startswith("guest-")
    [key] = await pool.fetch("SELECT key_id FROM subject_keys WHERE subject_id = $1", abandoned)
    assert vault.keyring.unwrap(key["key_id"]) is not None

    retention = PersonalDataRetention(pool, EventStore(pool), timedelta(days=365 * 60))
    counts = await retention.shred_closed_requests(RetentionRun(as_of=now))
    assert counts.requests == 0  # no closed request is old enough: only the guest went

    destroyed = await pool.fetchval(
        "SELECT destroyed_at FROM subject_keys WHERE key_id = $1", key["key_id"]
    )
    assert destroyed is not None and vault.keyring.unwrap(key["key_id"]) is None
    assert not await pool.fetchval(
        "SELECT count(*) FROM privacy_center_notices WHERE subject_id = $1", abandoned
    )
    assert not await pool.fetchval(
        "SELECT count(*) FROM privacy_center_challenges WHERE subject_id = $1", abandoned
    )
    # The guest whose code is still valid keeps its key, its form and its code message.
    assert await pool.fetchval(
        "SELECT count(*) FROM subject_keys WHERE subject_id = $1 AND destroyed_at IS NULL",
        waiting,
    )
    assert await pool.fetchval(
        """SELECT count(*) FROM privacy_center_challenges
            WHERE subject_id = $1 AND submission IS NOT NULL""",
        waiting,
    )
    assert await pool.fetchval(
        "SELECT count(*) FROM privacy_center_notices WHERE subject_id = $1", waiting
    )
