# ruff: noqa: RUF001 - the Japanese pages are written with full-width punctuation
"""The privacy center end to end, below the browser: forms, the one-time code sent to the
address on record, the lock after three wrong codes, submission and the status link."""

from __future__ import annotations

import json
import re
import uuid
from urllib.parse import urlsplit

import asyncpg

from domain.inventory import parse_inventory
from domain.requests import workflow_id_for
from store.inventory import InventoryStore
from store.sealing import Vault, vault_of
from tests.support.privacy_center import Center
from tests.support.sealing import shred_recorded
from tests.support.temporal import eventually

_VERIFY = re.compile(r"^/verify/([0-9a-f-]{36})\?lang=(ja|en)$")


async def _events(pool: asyncpg.Pool, request_id: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        "SELECT type, payload FROM request_events WHERE request_id = $1 ORDER BY seq", request_id
    )


def _verify_path(response) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert _VERIFY.match(location), location
    return location


async def test_the_code_goes_to_the_address_on_record_and_submits_in_the_chosen_language(
    center: Center, unique: str, vault: Vault
) -> None:
    on_record = f"Hanako.PC-{unique}@example.jp"
    subject_id = await center.registered(on_record)
    typed = on_record.upper()  # the person types it differently; the record decides
    sent = await center.send(
        "disclosure",
        {"name": "山田花子", "email": typed, "categories": ["contact", "transaction"]},
        lang="ja",
    )
    verify_path = _verify_path(sent)
    assert sent.headers["cache-control"] == "no-store"
    mails = center.mails()
    assert [m["to"] for m in mails] == [on_record]  # the address on record, and only it
    assert mails[0]["subject"] == "プライバシーセンターの確認コード"
    [code] = center.codes_to(on_record)
    challenge = await center.pool.fetchrow(
        "SELECT code_hash, submission, address_hash FROM privacy_center_challenges "
        "WHERE challenge_id = $1",
        uuid.UUID(_VERIFY.match(verify_path).group(1)),
    )
    assert code not in challenge["code_hash"] and "@" not in challenge["address_hash"]
    # The form waits sealed under the subject's key, and so does the code's message.
    assert challenge["submission"].startswith("dsr1.")
    assert "山田花子" not in challenge["submission"]
    assert vault.open_json(challenge["submission"])["requester"] == {
        "name": "山田花子",
        "email": on_record,
    }
    notice = await center.pool.fetchrow(
        "SELECT subject_id, recipient, subject_line, body FROM privacy_center_notices "
        "WHERE idempotency_key = $1",
        f"pc-code-{_VERIFY.match(verify_path).group(1)}",
    )
    assert notice["subject_id"] == subject_id
    assert [vault.open(notice[c]) for c in ("recipient", "subject_line", "body")] == [
        on_record,
        mails[0]["subject"],
        mails[0]["body"],
    ]
    assert code not in notice["body"] and on_record not in notice["recipient"]

    done = await center.enter(verify_path, code, lang="ja")
    assert done.status_code == 200, done.text
    assert "お申し出を受け付けました" in done.text
    request_id = re.search(r"受付番号：(pc-[0-9a-f]{20})", done.text).group(1)
    row = await center.pool.fetchrow(
        """SELECT r.kind, r.subject_id, d.language, d.requester_email, d.requester_name,
                  d.details
             FROM requests r JOIN request_details d USING (request_id)
            WHERE request_id = $1""",
        request_id,
    )
    assert (row["kind"], row["subject_id"], row["language"]) == ("disclosure", subject_id, "ja")
    assert (vault.open(row["requester_email"]), vault.open(row["requester_name"])) == (
        on_record,
        "山田花子",
    )
    assert vault.open_json(row["details"])["categories"] == ["contact", "transaction"]
    # The form is forgotten once the request holds it.
    assert (
        await center.pool.fetchval(
            "SELECT submission FROM privacy_center_challenges WHERE request_id = $1", request_id
        )
        is None
    )

    # The identity step takes the code as proof: no operator is asked, no proof requested.
    events = await eventually(
        lambda: _events(center.pool, request_id),
        lambda rows: any(r["type"] == "identity.verified" for r in rows),
    )
    verified = next(r for r in events if r["type"] == "identity.verified")
    assert verified["payload"] == {"method": "one_time_code"}
    assert not any(r["type"] == "identity.registration_checked" for r in events)
    # ...and the receipt does not promise a check the person has already passed.
    receipts = [
        m
        for m in center.mails()
        if m["message_id"] == f"{workflow_id_for(request_id)}:notice:receipt"
    ]
    assert len(receipts) == 1 and "お送りした確認コードにより" in receipts[0]["body"]
    assert "まずご本人であることを確認" not in receipts[0]["body"]

    # The status link, sent to the address on record, shows this request.
    [link_mail] = [m for m in center.mails() if m["message_id"].startswith("pc-status-")]
    assert link_mail["to"] == on_record and request_id in link_mail["subject"]
    url = re.search(r"http://\S+/status/\S+", link_mail["body"]).group(0)
    link_notice = await center.pool.fetchrow(
        "SELECT subject_id, recipient FROM privacy_center_notices WHERE idempotency_key = $1",
        f"pc-status-{request_id}",
    )
    assert link_notice["subject_id"] == subject_id
    assert vault.open(link_notice["recipient"]) == on_record
    status = await center.http.get(urlsplit(url).path)
    assert status.status_code == 200
    assert request_id in status.text and "個人情報の開示請求（第6条）" in status.text
    assert 'id="erased"' not in status.text
    assert status.headers["cache-control"] == "no-store"
    assert status.headers["referrer-policy"] == "same-origin"
    english = await center.http.get(urlsplit(url).path, params={"lang": "en"})
    assert "Where your request stands" in english.text

    # The code is spent.
    again = await center.enter(verify_path, code)
    assert again.status_code == 409 and "already been used" in again.text


async def test_a_status_link_shows_its_own_request_and_nothing_else(
    center: Center, unique: str, vault: Vault
) -> None:
    links = {}
    for who in ("a", "b"):
        address = f"{who}-{unique}@example.com"
        await center.registered(address, subject_id=f"subj-{who}-{unique}")
        verify_path = _verify_path(
            await center.send(
                "inquiry", {"name": f"Person {who}", "email": address, "text": "What do you hold?"}
            )
        )
        [code] = center.codes_to(address)
        done = await center.enter(verify_path, code)
        request_id = re.search(r"Reference: (pc-[0-9a-f]{20})", done.text).group(1)
        [mail] = [
            m
            for m in center.mails()
            if m["to"] == address and m["message_id"].startswith("pc-status-")
        ]
        links[who] = (request_id, urlsplit(re.search(r"http://\S+", mail["body"]).group(0)).path)
    for who, other in (("a", "b"), ("b", "a")):
        page = await center.http.get(links[who][1])
        assert links[who][0] in page.text and links[other][0] not in page.text
        assert "inquiry regarding our Privacy Policy (Article 10)" in page.text
    for wrong in ("/status/" + "A" * 43, "/status/not-a-token", "/status/x"):
        missing = await center.http.get(wrong)
        assert missing.status_code == 404 and "Page not found" in missing.text

    # Once a's request is shredded (its key destroyed), its page says so in both
    # languages and still shows where the request stands; b's is untouched.
    async with center.pool.acquire() as connection, connection.transaction():
        shredded = await shred_recorded(
            connection, f"subj-a-{unique}", forget_requests=frozenset({links["a"][0]})
        )
    # Erased from the commit on, before the key is deleted from the keyring too.
    assert '<dd id="erased">' in (await center.http.get(links["a"][1])).text
    vault.keyring.destroy(shredded.destroyed_key)
    english = await center.http.get(links["a"][1], params={"lang": "en"})
    assert english.status_code == 200 and links["a"][0] in english.text
    assert re.search(
        r'Your personal data in this request</dt><dd id="erased">erased<', english.text
    )
    japanese = await center.http.get(links["a"][1], params={"lang": "ja"})
    assert japanese.status_code == 200 and '<dd id="erased">消去済み<' in japanese.text
    assert 'id="erased"' not in (await center.http.get(links["b"][1])).text


async def test_three_wrong_codes_lock_the_challenge_and_the_address(
    center: Center, unique: str
) -> None:
    address = f"locked-{unique}@example.jp"
    await center.registered(address)
    verify_path = _verify_path(
        await center.send("inquiry", {"name": "Taro", "email": address, "text": "A question."})
    )
    [code] = center.codes_to(address)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    first = await center.enter(verify_path, wrong)
    assert first.status_code == 400 and "try 2 more time(s)" in first.text
    second = await center.enter(verify_path, wrong)
    assert second.status_code == 400 and "try 1 more time(s)" in second.text
    third = await center.enter(verify_path, wrong)
    assert third.status_code == 429 and "locked for 15 minutes" in third.text
    assert 'name="code"' not in third.text
    # Even the right code is refused while it is locked, and nothing was submitted.
    right = await center.enter(verify_path, code)
    assert right.status_code == 429 and "locked" in right.text
    assert (
        await center.pool.fetchval(
            "SELECT request_id FROM privacy_center_challenges WHERE address_hash = "
            "(SELECT address_hash FROM privacy_center_challenges WHERE challenge_id = $1)",
            uuid.UUID(_VERIFY.match(verify_path).group(1)),
        )
        is None
    )
    reopened = await center.http.get(verify_path)
    assert "locked for 15 minutes" in reopened.text and 'name="code"' not in reopened.text
    # A new code for the same address waits for the lock too.
    again = await center.send("inquiry", {"name": "Taro", "email": address, "text": "Again."})
    assert again.status_code == 429 and "locked for a while" in again.text
    assert len(center.codes_to(address)) == 1


async def test_an_unknown_address_gets_the_same_pages_and_no_code(
    center: Center, unique: str
) -> None:
    known = f"known-{unique}@example.jp"
    await center.registered(known)
    unknown = f"nobody-{unique}@example.jp"

    def page_of(text: str) -> str:
        return re.sub(r'value="[^"]+"|/verify/[0-9a-f-]{36}', "", text)

    pages = []
    challenges = []
    for address in (known, unknown):
        verify_path = _verify_path(
            await center.send("disclosure", {"name": "Someone", "email": address})
        )
        challenges.append(uuid.UUID(_VERIFY.match(verify_path).group(1)))
        pages.append(page_of((await center.http.get(verify_path)).text))
        wrong = await center.enter(verify_path, "000000")
        if address == unknown:
            assert wrong.status_code == 400 and "try 2 more time(s)" in wrong.text
    assert pages[0] == pages[1]
    assert [m["to"] for m in center.mails()] == [known]  # nothing went anywhere for unknown
    stored = await center.pool.fetchrow(
        "SELECT subject_id, submission FROM privacy_center_challenges WHERE challenge_id = $1",
        challenges[1],
    )
    assert stored["subject_id"] is None and stored["submission"] is None
    assert not await center.pool.fetchval(
        "SELECT count(*) FROM privacy_center_notices WHERE idempotency_key = $1",
        f"pc-code-{challenges[1]}",
    )


async def test_an_expired_code_is_refused(center: Center, unique: str) -> None:
    address = f"late-{unique}@example.jp"
    await center.registered(address)
    verify_path = _verify_path(
        await center.send(
            "suspension",
            {
                "name": "Late",
                "email": address,
                "action": "suspend_use",
                "grounds": ["used_beyond_purpose"],
            },
        )
    )
    [code] = center.codes_to(address)
    challenge_id = uuid.UUID(_VERIFY.match(verify_path).group(1))
    await center.pool.execute(
        "UPDATE privacy_center_challenges SET expires_at = now() - interval '1 second' "
        "WHERE challenge_id = $1",
        challenge_id,
    )
    late = await center.enter(verify_path, code)
    assert late.status_code == 410 and "expired" in late.text
    assert (
        await center.pool.fetchval(
            "SELECT request_id FROM privacy_center_challenges WHERE challenge_id = $1", challenge_id
        )
        is None
    )


async def test_a_form_with_problems_is_shown_again_and_sends_nothing(
    center: Center, unique: str
) -> None:
    address = f"typo-{unique}@example.jp"
    await center.registered(address)
    before = await center.pool.fetchval("SELECT count(*) FROM privacy_center_challenges")
    bad = await center.send(
        "correction",
        {
            "name": "Typo",
            "email": address,
            "field_1": "phone",
            "action_1": "correct",
            "value_1": "",
            "statement": "",
        },
    )
    assert bad.status_code == 400 and "Please check what you entered" in bad.text
    assert 'value="Typo"' in bad.text  # what was typed is kept
    assert center.mails() == []
    assert await center.pool.fetchval("SELECT count(*) FROM privacy_center_challenges") == before


async def test_a_form_without_its_token_changes_nothing(center: Center, unique: str) -> None:
    address = f"forged-{unique}@example.jp"
    await center.registered(address)
    forged = await center.http.post(
        "/request/inquiry",
        data={"name": "X", "email": address, "text": "Hi", "csrf": "made-up-token-0123456789"},
    )
    assert forged.status_code == 403 and "has expired" in forged.text
    cross_site = await center.send("inquiry", {"name": "X", "email": address, "text": "Hi"})
    assert cross_site.status_code == 303  # the same form from the page itself goes through
    verify_path = cross_site.headers["location"]
    [code] = center.codes_to(address)
    foreign = await center.http.post(
        verify_path.split("?")[0], data={"csrf": "x" * 64, "code": code}
    )
    assert foreign.status_code == 403
    elsewhere = await center.http.post(
        verify_path.split("?")[0],
        headers={"origin": "https://evil.example"},
        data={"csrf": "x", "code": code},
    )
    assert elsewhere.status_code == 403


async def test_codes_for_one_address_are_limited(center: Center, unique: str) -> None:
    address = f"busy-{unique}@example.jp"
    for _ in range(5):
        assert (await center.send("disclosure", {"name": "B", "email": address})).status_code == 303
    limited = await center.send("disclosure", {"name": "B", "email": address})
    assert limited.status_code == 429 and "Too many codes" in limited.text


async def test_pages_in_both_languages(center: Center) -> None:
    english = await center.http.get("/", headers={"accept-language": "en-GB,en;q=0.8"})
    assert "Privacy center" in english.text and 'lang="en"' in english.text
    japanese = await center.http.get("/", headers={"accept-language": "ja,en;q=0.5"})
    assert "プライバシーセンター" in japanese.text and 'lang="ja"' in japanese.text
    chosen = await center.http.get("/", params={"lang": "en"}, headers={"accept-language": "ja"})
    assert 'lang="en"' in chosen.text
    for kind in ("disclosure", "correction", "suspension", "third_party_stop", "inquiry"):
        assert f'href="/request/{kind}?lang=ja"' in japanese.text
        form = await center.http.get(f"/request/{kind}", params={"lang": "ja"})
        assert form.status_code == 200 and "ご登録のメールアドレス" in form.text
    assert "1,000円" in japanese.text
    missing = await center.http.get("/request/everything")
    assert missing.status_code == 404
    assert (await center.http.get("/verify/not-a-uuid")).status_code == 404
    assert (await center.http.get(f"/verify/{uuid.uuid4()}")).status_code == 404


async def test_the_correction_form_suggests_fields_in_the_pages_language(center: Center) -> None:
    """N16: field names translated - the correction form suggests Article 2's fields by
    the id the contract takes, each named in the page's language."""
    japanese = await center.http.get("/request/correction", params={"lang": "ja"})
    assert '<option value="phone" label="電話番号">' in japanese.text
    assert '<option value="drivers_license" label="運転免許証の番号">' in japanese.text
    english = await center.http.get("/request/correction", params={"lang": "en"})
    assert '<option value="phone" label="Telephone number">' in english.text


async def test_a_form_whose_code_lapsed_is_forgotten(center: Center, unique: str) -> None:
    address = f"forgotten-{unique}@example.jp"
    await center.registered(address)
    verify_path = _verify_path(
        await center.send("inquiry", {"name": "Gone", "email": address, "text": "Personal words."})
    )
    challenge_id = uuid.UUID(_VERIFY.match(verify_path).group(1))
    await center.pool.execute(
        "UPDATE privacy_center_challenges SET expires_at = now() - interval '1 second' "
        "WHERE challenge_id = $1",
        challenge_id,
    )
    await center.send(
        "inquiry", {"name": "Next", "email": f"other-{unique}@example.jp", "text": "Anything."}
    )
    assert (
        await center.pool.fetchval(
            "SELECT submission FROM privacy_center_challenges WHERE challenge_id = $1", challenge_id
        )
        is None
    )


async def test_the_service_app_serves_the_pages_at_the_root() -> None:
    from unittest.mock import MagicMock

    import httpx

    from interfaces.api.app import create_app

    app = create_app(MagicMock())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as http:
        start = await http.get("/", params={"lang": "en"})
        assert start.status_code == 200 and 'href="/request/disclosure?lang=en"' in start.text
        assert (await http.get("/request/inquiry")).status_code == 200
        # The pages are not API operations: the OpenAPI schema (and fuzzing from it)
        # leaves them out.
        schema = (await http.get("/openapi.json")).json()
    assert not any(
        path == "/" or path.startswith(("/verify", "/status", "/request"))
        for path in schema["paths"]
    )


async def test_a_message_that_fails_to_go_is_sent_with_the_next(
    center: Center, unique: str, tmp_path
) -> None:
    from interfaces.privacy_center.challenges import Outbox
    from mail.maildrop import MaildropSender

    class Down:
        async def send(self, notice) -> None:
            raise OSError("relay down")

    subject_id = await center.registered(f"x-{unique}@example.jp")
    async with center.pool.acquire() as connection, connection.transaction():
        sealed = await vault_of(connection).seal_all(
            connection, subject_id, f"x-{unique}@example.jp", "s", "b"
        )
        notice_id = await connection.fetchval(
            """INSERT INTO privacy_center_notices (idempotency_key, purpose, subject_id,
                   recipient, subject_line, body, created_at)
               VALUES ($1, 'one_time_code', $2, $3, $4, $5, now() - interval '2 minutes')
               RETURNING notice_id""",
            f"pc-code-retry-{unique}",
            subject_id,
            *sealed,
        )
    await Outbox(center.pool, Down()).deliver(notice_id)
    assert (
        await center.pool.fetchval(
            "SELECT status FROM privacy_center_notices WHERE notice_id = $1", notice_id
        )
        == "pending"
    )
    await Outbox(center.pool, MaildropSender(tmp_path / "relay")).deliver()  # a later one
    assert (
        await center.pool.fetchval(
            "SELECT status FROM privacy_center_notices WHERE notice_id = $1", notice_id
        )
        == "delivered"
    )
    assert (tmp_path / "relay" / f"pc-code-retry-{unique}.json").exists()
    delivered = json.loads(
        (tmp_path / "relay" / f"pc-code-retry-{unique}.json").read_text(encoding="utf-8")
    )
    assert (delivered["to"], delivered["subject"], delivered["body"]) == (
        f"x-{unique}@example.jp",
        "s",
        "b",
    )  # opened for the sender, sealed in the table


async def test_a_message_whose_request_was_forgotten_is_withdrawn_not_sent(
    center: Center, unique: str, vault: Vault, tmp_path
) -> None:
    from interfaces.privacy_center.challenges import Outbox
    from mail.maildrop import MaildropSender

    address = f"forgotten-{unique}@example.jp"
    subject_id = await center.registered(address)
    ids = {}
    # Two status links of requests retention forgets, and a code no request took up.
    for key in (
        f"pc-status-gone-a-{unique}",
        f"pc-status-gone-b-{unique}",
        f"pc-code-kept-{unique}",
    ):
        async with center.pool.acquire() as connection, connection.transaction():
            sealed = await vault_of(connection).seal_all(connection, subject_id, address, "s", "b")
            ids[key] = await connection.fetchval(
                """INSERT INTO privacy_center_notices (idempotency_key, purpose, subject_id,
                       recipient, subject_line, body)
                   VALUES ($1, 'status_link', $2, $3, $4, $5) RETURNING notice_id""",
                key,
                subject_id,
                *sealed,
            )
    async with center.pool.acquire() as connection, connection.transaction():
        shredded = await shred_recorded(
            connection,
            subject_id,
            forget_requests=frozenset({f"gone-a-{unique}", f"gone-b-{unique}"}),
        )
    relay = MaildropSender(tmp_path / "relay")

    async def left() -> set[str]:
        rows = await center.pool.fetch(
            "SELECT idempotency_key FROM privacy_center_notices WHERE notice_id = ANY($1)",
            list(ids.values()),
        )
        return {row["idempotency_key"] for row in rows}

    # Forgotten at the commit, before the key leaves the keyring: withdrawn, not sent.
    await Outbox(center.pool, relay).deliver(ids[f"pc-status-gone-a-{unique}"])
    assert f"pc-status-gone-a-{unique}" not in await left()
    vault.keyring.destroy(shredded.destroyed_key)
    await Outbox(center.pool, relay).deliver(*ids.values())
    assert await left() == {f"pc-code-kept-{unique}"}
    sent = [
        json.loads(p.read_text(encoding="utf-8"))
        for p in (tmp_path / "relay").iterdir()
        if p.suffix == ".json"
    ]
    assert [m["message_id"] for m in sent] == [f"pc-code-kept-{unique}"]
    assert sent[0]["to"] == address  # kept under the subject's new key, and still goes


async def test_a_stop_request_chooses_recipients_by_name_or_asks_for_all(
    center: Center, unique: str, vault: Vault
) -> None:
    """N4 probe: the form split "Ad Network Inc." into three partners and refused
    「株式会社アドネット」 with a message naming no field (「入力内容に誤りがあります」
    twice). Now the form offers the third parties on record by name, takes names one a
    line whole, or "all third parties"; a form naming none says which field to fix."""
    await InventoryStore(center.pool).load(
        parse_inventory(
            {
                "provision_bases": [
                    {
                        "partner": f"adnet-{unique}",
                        "name": f"Ad Network Inc. {unique}",
                        "relationship": "third_party",
                        "legal_basis": "consent",
                    }
                ]
            }
        )
    )
    form = await center.http.get("/request/third_party_stop", params={"lang": "en"})
    assert f'name="recipient" value="adnet-{unique}"> Ad Network Inc. {unique}' in form.text
    assert "all third parties" in form.text and "as our notice names them" not in form.text
    address = f"stop-{unique}@example.jp"
    await center.registered(address)
    sent = await center.send(
        "third_party_stop",
        {
            "name": "Hanako",
            "email": address,
            "recipient": [f"adnet-{unique}"],
            "partners": "株式会社アドネット\nData Broker Co., Ltd.",
        },
        lang="ja",
    )
    assert sent.status_code == 303, sent.text
    challenge = await center.pool.fetchrow(
        "SELECT submission FROM privacy_center_challenges WHERE challenge_id = $1",
        uuid.UUID(_VERIFY.match(_verify_path(sent)).group(1)),
    )
    assert vault.open_json(challenge["submission"])["details"]["partners"] == [
        f"adnet-{unique}",
        "株式会社アドネット",
        "Data Broker Co., Ltd.",
    ]
    everyone = await center.send(
        "third_party_stop", {"name": "Hanako", "email": address, "all_third_parties": "yes"}
    )
    assert everyone.status_code == 303, everyone.text
    nobody = await center.send("third_party_stop", {"name": "Hanako", "email": address}, lang="ja")
    assert nobody.status_code == 400
    assert "提供を停止する提供先：入力内容に誤りがあります" in nobody.text
