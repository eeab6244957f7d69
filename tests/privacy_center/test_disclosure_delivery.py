"""Article 6 delivered through the privacy center (review item 36: "disclosures sent bank
and card data in plain e-mail"), below the browser: the outcome e-mail links to the
disclosure and carries no value; a fresh one-time code sent to the address on record
opens it (single use, limited attempts); the items are shown with their recipients and
purposes and downloaded; without the code, after expiry or after erasure nothing of them
is shown; each access is an event without personal data."""

from __future__ import annotations

import hashlib
import json
import re

from store.sealing import ERASED, Vault, vault_of
from tests.support.privacy_center import Center
from tests.support.sealing import shred_recorded

CARD = "4111 1111 1111 1111"
BANK = "MUFG 0001 1234567"
LICENCE = "DL-123456789012"
ITEMS = [
    {
        "category": "financial",
        "field": "card_number",
        "value": CARD,
        "suspended": False,
        "system": "crm",
        "collection": "customers",
        "purpose": "billing",
        "purpose_text": {
            "en": "To bill users for usage fees in paid services",
            "ja": "有料サービスにおいてユーザーに利用料金を請求するため",
        },
        "recipients": [
            {
                "partner_id": "pay-co",
                "name": "Pay Co.",
                "relationship": "entrustment",
                "basis": "not_third_party",
            }
        ],
    },
    {
        "category": "financial",
        "field": "bank_account",
        "value": BANK,
        "suspended": True,
        "system": None,
        "collection": None,
        "purpose": "billing",
        "recipients": [],
    },
    {
        "category": "identity",
        "field": "driver_licence",
        "value": LICENCE,
        "suspended": False,
        "system": None,
        "collection": None,
        "purpose": "identity_check",
        "recipients": [
            {
                "partner_id": "tax-office",
                "name": "Tax Office",
                "relationship": "third_party",
                "basis": "cooperation_with_authorities",
            }
        ],
    },
]
VALUES = (CARD, BANK, LICENCE)
_LINK = re.compile(r"http://testserver(/disclosure/[A-Za-z0-9_-]{43})")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_VERIFY = re.compile(r"^(/disclosure/[A-Za-z0-9_-]{43}/verify/[0-9a-f-]{36})\?lang=(en|ja)$")


async def _disclosure(center: Center, unique: str, **options: object) -> tuple[str, str, str]:
    """The request, the address on record and the link's path from its outcome e-mail."""
    address = f"dis-{unique}@example.jp"
    request_id, body = await center.disclosed(address, ITEMS, **options)  # type: ignore[arg-type]
    path = _LINK.search(body)
    assert path is not None, body
    return request_id, address, path.group(1)


async def _ask_code(center: Center, path: str) -> str:
    page = await center.http.get(path)
    assert page.status_code == 200, page.text
    sent = await center.http.post(f"{path}/code", data={"csrf": _CSRF.search(page.text).group(1)})
    assert sent.status_code == 303, sent.text
    verify = _VERIFY.match(sent.headers["location"])
    assert verify is not None, sent.headers["location"]
    return verify.group(1)


async def _enter(center: Center, verify_path: str, code: str):
    page = await center.http.get(verify_path)
    token = _CSRF.search(page.text)
    assert token is not None, page.text
    return await center.http.post(verify_path, data={"csrf": token.group(1), "code": code})


def _shows_nothing(text: str) -> bool:
    return not any(value in text for value in VALUES)


async def test_item36_the_outcome_email_links_to_the_disclosure_and_holds_no_value(
    center: Center, unique: str
) -> None:
    """Item 36 (R): the e-mail says the disclosure is ready, links to it, says until when
    and what was withheld; no disclosed value; the link's token is kept only as a hash."""
    request_id, _address, path = await _disclosure(center, unique, withheld={"transaction": 2})
    body = await center.pool.fetchval(
        "SELECT body FROM notifications WHERE request_id = $1", request_id
    )
    assert body.startswith("dsr1.")  # sealed at rest, like every notice
    text = await _open_outcome(center, request_id)
    assert "http://testserver" + path in text
    assert "The link can be used until" in text
    assert "Withheld under Article 6: transaction records (2 items)" in text
    assert "financial information (2 items)" in text
    assert _shows_nothing(text), text
    token = path.rsplit("/", 1)[1]
    stored = await center.pool.fetchrow(
        "SELECT token_hash, expires_at - issued_at AS valid FROM privacy_center_disclosure_links"
        " WHERE request_id = $1",
        request_id,
    )
    assert stored["token_hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert stored["valid"].days == 30
    assert not await center.pool.fetchval(
        "SELECT count(*) FROM privacy_center_disclosure_links WHERE token_hash = $1", token
    )


async def _open_outcome(center: Center, request_id: str) -> str:
    async with center.pool.acquire() as connection:
        sealed = await connection.fetchval(
            "SELECT body FROM notifications WHERE request_id = $1", request_id
        )
        return vault_of(connection).open(sealed)


async def test_item36_a_fresh_code_opens_the_items_and_their_download(
    center: Center, unique: str
) -> None:
    """Item 36: opening the link takes a fresh code sent to the address on record; then
    the items show with recipients and purposes, and download as JSON and as a page to
    print; each access is an event naming no personal data."""
    request_id, address, path = await _disclosure(center, unique)
    page = await center.http.get(path)
    assert page.status_code == 200 and _shows_nothing(page.text)
    assert "Send me a code" in page.text
    json_without = await center.http.get(f"{path}/disclosure.json")
    assert json_without.status_code == 303 and _shows_nothing(json_without.text)

    verify_path = await _ask_code(center, path)
    [code] = center.codes_to(address)  # to the address on record
    entered = await _enter(center, verify_path, code)
    assert entered.status_code == 303 and entered.headers["location"].startswith(path)
    shown = await center.http.get(path)
    assert all(value in shown.text for value in VALUES), shown.text
    assert "Pay Co." in shown.text and "entrusted with handling" in shown.text
    assert "Tax Office" in shown.text and "cooperation_with_authorities" not in shown.text
    # The footing, the field and the purpose in words, in the page's language.
    assert "cooperation with a national agency or local government" in shown.text
    assert "To bill users for usage fees in paid services" in shown.text
    # A purpose the register does not hold is not presented as a purpose of use.
    assert "not a purpose of use on record (recorded as \u201cidentity_check\u201d)" in shown.text
    assert "(use suspended)" in shown.text
    assert "Credit card number (crm: customers)" in shown.text  # named in words, and where kept

    downloaded = await center.http.get(f"{path}/disclosure.json")
    assert downloaded.status_code == 200
    assert "attachment" in downloaded.headers["content-disposition"]
    document = json.loads(downloaded.text)
    assert document["request_id"] == request_id
    assert [(i["field"], i["value"], i["use_suspended"]) for i in document["items"]] == [
        ("card_number", CARD, False),
        ("bank_account", BANK, True),
        ("driver_licence", LICENCE, False),
    ]
    assert document["items"][0]["recipients"] == ITEMS[0]["recipients"]
    assert document["items"][2]["purpose"] == "identity_check"
    assert (document["items"][0]["system"], document["items"][0]["collection"]) == (
        "crm",
        "customers",
    )
    printed = await center.http.get(f"{path}/print")
    assert printed.status_code == 200 and all(v in printed.text for v in VALUES)

    recorded = await center.pool.fetch(
        "SELECT type, payload, actor FROM request_events WHERE request_id = $1"
        " AND type LIKE 'disclosure.%' ORDER BY seq",
        request_id,
    )
    assert [(r["type"], r["actor"]) for r in recorded] == [
        ("disclosure.opened", "subject"),
        ("disclosure.downloaded", "subject"),
        ("disclosure.downloaded", "subject"),
    ]
    assert [r["payload"].get("format") for r in recorded[1:]] == ["json", "html"]
    payloads = json.dumps([r["payload"] for r in recorded])
    assert address not in payloads and _shows_nothing(payloads)

    # The code is used once: entered again (another browser, say), it opens nothing.
    center.http.cookies.clear()
    again = await _enter(center, verify_path, code)
    assert again.status_code == 409 and _shows_nothing(again.text)
    after = await center.http.get(path)
    assert _shows_nothing(after.text)


async def test_item36_wrong_codes_are_limited_and_another_link_is_unknown(
    center: Center, unique: str
) -> None:
    """Item 36: attempts are limited (the third wrong code locks it), and a made-up or
    other request's token shows a 404."""
    _request_id, address, path = await _disclosure(center, unique)
    verify_path = await _ask_code(center, path)
    [right] = center.codes_to(address)
    wrong = f"{(int(right) + 1) % 10**6:06d}"
    first = await _enter(center, verify_path, wrong)
    assert first.status_code == 400 and "2 more time(s)" in first.text
    await _enter(center, verify_path, wrong)
    locked = await _enter(center, verify_path, wrong)
    assert locked.status_code == 429 and "locked" in locked.text
    late = await center.http.post(
        verify_path,
        data={"csrf": _CSRF.search((await center.http.get(path)).text).group(1), "code": right},
    )
    assert late.status_code in (403, 429) and _shows_nothing(late.text)
    assert _shows_nothing((await center.http.get(path)).text)
    unknown = await center.http.get("/disclosure/" + "x" * 43)
    assert unknown.status_code == 404


async def test_item36_an_expired_link_shows_nothing_even_to_a_browser_that_opened_it(
    center: Center, unique: str
) -> None:
    """Item 36: after expiry, nothing of the items, and no code is sent."""
    request_id, address, path = await _disclosure(center, unique)
    verify_path = await _ask_code(center, path)
    [code] = center.codes_to(address)
    await _enter(center, verify_path, code)
    assert CARD in (await center.http.get(path)).text
    # The link's period passes (the rule itself is domain/disclosure_delivery.link_state).
    await center.pool.execute(
        "UPDATE privacy_center_disclosure_links"
        " SET issued_at = issued_at - interval '31 days', expires_at = now() - interval '1 day'"
        " WHERE request_id = $1",
        request_id,
    )
    for url in (path, f"{path}/disclosure.json", f"{path}/print"):
        expired = await center.http.get(url)
        assert expired.status_code == 410 and _shows_nothing(expired.text), url
        assert "expired" in expired.text
    asked = await center.http.post(f"{path}/code", data={"csrf": "x"})
    assert _shows_nothing(asked.text)
    assert len(center.codes_to(address)) == 1  # no code for an expired link


async def test_item36_an_erased_subject_shows_nothing(
    center: Center, unique: str, vault: Vault
) -> None:
    """Item 36: once the subject's key is shredded (the request's data forgotten), the
    link opens nothing: from the shredding's commit, and after the key left the keyring."""
    request_id, address, path = await _disclosure(center, unique)
    verify_path = await _ask_code(center, path)
    [code] = center.codes_to(address)
    await _enter(center, verify_path, code)
    subject_id = await center.pool.fetchval(
        "SELECT subject_id FROM requests WHERE request_id = $1", request_id
    )
    async with center.pool.acquire() as connection, connection.transaction():
        shredded = await shred_recorded(
            connection, subject_id, forget_requests=frozenset({request_id})
        )
    for destroyed in (False, True):
        if destroyed:
            assert shredded.destroyed_key is not None
            vault.keyring.destroy(shredded.destroyed_key)
        for url in (path, f"{path}/disclosure.json", f"{path}/print"):
            gone = await center.http.get(url)
            assert gone.status_code == 410 and _shows_nothing(gone.text), url
            assert "erased" in gone.text
    asked = await center.http.post(f"{path}/code", data={"csrf": "x"})
    assert _shows_nothing(asked.text) and len(center.codes_to(address)) == 1
    # The message that carried the code to the address is forgotten with the request.
    challenge = verify_path.rsplit("/", 1)[1]
    recipient = await center.pool.fetchval(
        "SELECT recipient FROM privacy_center_notices WHERE idempotency_key = $1",
        f"pc-code-{challenge}",
    )
    async with center.pool.acquire() as connection:
        assert vault_of(connection).open(recipient) == ERASED


async def test_item36_the_opening_belongs_to_the_browser_and_the_code_to_its_link(
    center: Center, unique: str
) -> None:
    """Item 36: the code opens only its own disclosure, in the browser that entered it;
    a form's code is unknown on a disclosure's page; the page reads in Japanese too."""
    _request_id, address, path = await _disclosure(center, unique, language="ja")
    _other_id, other_address, other_path = await _disclosure(center, f"{unique}-b")
    verify_path = await _ask_code(center, path)
    [code] = center.codes_to(address)
    # The code's challenge posted under the other disclosure's link: unknown there.
    crossed = await _enter(center, verify_path.replace(path, other_path), code)
    assert crossed.status_code == 404 and _shows_nothing(crossed.text)
    opened = await _enter(center, verify_path, code)
    assert opened.status_code == 303
    japanese = await center.http.get(path)
    assert "開示するお客様の個人情報" in japanese.text and CARD in japanese.text
    assert "委託" in japanese.text  # the recipient's footing, in the page's language
    assert _shows_nothing((await center.http.get(other_path)).text)
    # The opening cookie copied into another browser (another CSRF cookie): nothing.
    center.http.cookies.set("pc_csrf", "another-browser-cookie-0123456789")
    assert _shows_nothing((await center.http.get(path)).text)
    assert _shows_nothing((await center.http.get(f"{path}/disclosure.json")).text)
    # A form's code (another kind of challenge) does not open a disclosure.
    sent = await center.send(
        "inquiry", {"name": "Hanako", "email": other_address, "text": "Which partners?"}
    )
    form_challenge = sent.headers["location"].split("?")[0].rsplit("/", 1)[1]
    form_code = center.codes_to(other_address)[-1]
    spent = await _enter(center, f"{other_path}/verify/{form_challenge}", form_code)
    assert spent.status_code == 404 and _shows_nothing(spent.text)
