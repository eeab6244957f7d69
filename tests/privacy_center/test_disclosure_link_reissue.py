"""C4: a disclosure's link issued again by an operator (`dsr reissue-disclosure-link`,
service/disclosure_links.py), below the browser: the old link opens nothing, the new one
arrives by e-mail with its last day and opens the items after a fresh code; refused, with
nothing written, without a compiled disclosure, without the role, or once erased."""

from __future__ import annotations

import json
import re

import pytest

from domain.authority import Role
from domain.notices import format_date
from domain.requests import Language
from runtime.settings import Settings
from service.acts import Actor, Forbidden
from service.disclosure_links import reissue_disclosure_link
from service.requests import Refused
from store.intake import IntakeStore
from store.shredding import shred_subject_key
from tests.support.builders import POLICY, parsed
from tests.support.privacy_center import Center
from tests.support.temporal import TEST_ACT_SIGNER

PHONE, CARD = "090-1234-5678", "4111 1111 1111 1111"
ITEMS = [
    {"category": "contact", "field": "phone", "value": PHONE, "purpose": "provide_service"},
    {"category": "financial", "field": "card_number", "value": CARD, "purpose": "billing"},
]
VALUES = (PHONE, CARD)
_LINK = re.compile(r"https?://[^/\s]+(/disclosure/[A-Za-z0-9_-]{43})")
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_VERIFY = re.compile(r"^(/disclosure/[A-Za-z0-9_-]{43}/verify/[0-9a-f-]{36})\?lang=(en|ja)$")


async def _disclosure(center: Center, unique: str) -> tuple[str, str, str]:
    """The request, the address on record and the link's path from its outcome e-mail."""
    address = f"reissue-{unique}@example.jp"
    request_id, body = await center.disclosed(address, ITEMS)
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


def _shows_nothing(text: str) -> bool:
    return not any(value in text for value in VALUES)


def _reissue_mails(center: Center) -> list[dict[str, str]]:
    return [m for m in center.mails() if m["subject"].startswith("A new link to your")]


def _operator(*roles: Role) -> Actor:
    return Actor("op-reissue", frozenset(roles or (Role.OPERATOR,)), TEST_ACT_SIGNER)


def _settings(center: Center) -> Settings:
    return Settings(DSR_DATA_DIR=str(center.maildrop.parent))


async def test_c4_an_operator_reissues_the_link_and_only_the_new_one_opens(
    center: Center, unique: str
) -> None:
    """C4: a link that expired could not be issued again ("please contact us" led only to
    a new, paid request). An operator reissues it: the old link opens nothing (404), the
    person gets an e-mail with the new link and the day it can be used until (the end of
    that day, in the notices' zone), and the new link opens the items after a code. The
    act and its e-mail are events of the request."""
    request_id, address, old_path = await _disclosure(center, unique)
    await center.pool.execute(
        "UPDATE privacy_center_disclosure_links"
        " SET issued_at = issued_at - interval '31 days', expires_at = now() - interval '1 day'"
        " WHERE request_id = $1",
        request_id,
    )
    assert (await center.http.get(old_path)).status_code == 410
    settings = _settings(center)
    done = await reissue_disclosure_link(
        request_id, _operator(), pool=center.pool, settings=settings
    )
    zone = settings.policy.zone()
    local_end = done.expires_at.astimezone(zone)
    assert (local_end.hour, local_end.minute, local_end.second) == (23, 59, 59)

    [mail] = _reissue_mails(center)
    assert mail["to"] == address and request_id in mail["subject"]
    assert f"can be used until {format_date(done.expires_at, zone, Language.EN)}" in mail["body"]
    assert _shows_nothing(mail["body"])
    found = _LINK.search(mail["body"])
    assert found is not None, mail["body"]
    new_path = found.group(1)
    assert new_path != old_path
    assert (await center.http.get(old_path)).status_code == 404  # replaced: opens nothing

    page = await center.http.get(new_path)
    assert page.status_code == 200 and _shows_nothing(page.text)
    verify_path = await _ask_code(center, new_path)
    [code] = center.codes_to(address)
    entered = await center.enter(verify_path, code)
    assert entered.status_code == 303
    shown = await center.http.get(new_path)
    assert all(value in shown.text for value in VALUES), shown.text

    recorded = await center.pool.fetch(
        "SELECT type, actor, payload FROM request_events WHERE request_id = $1"
        " AND type IN ('disclosure.link_reissued', 'notice.queued', 'notice.delivered')"
        " ORDER BY seq",
        request_id,
    )
    reissued = [r for r in recorded if r["type"] == "disclosure.link_reissued"]
    assert [(r["actor"], r["payload"]["notification_id"]) for r in reissued] == [
        ("op-reissue", done.notification_id)
    ]
    delivered = [
        r["payload"]["notification_id"] for r in recorded if r["type"] != reissued[0]["type"]
    ]
    assert delivered.count(done.notification_id) == 2  # queued, then delivered
    assert new_path.rsplit("/", 1)[1] not in json.dumps([r["payload"] for r in recorded])


async def test_c4_a_reissue_is_refused_without_a_disclosure_without_the_role_or_once_erased(
    center: Center, unique: str
) -> None:
    """C4: no compiled disclosure (another kind of request, or one not carried out) and an
    erased subject are refused with the reason, and an account without the operator role
    is forbidden; nothing is written, no e-mail is sent."""
    settings = _settings(center)
    address = f"undecided-{unique}@example.jp"
    subject_id = await center.registered(address, f"subj-undecided-{unique}")
    await IntakeStore(center.pool).record_submission(
        parsed("disclosure", f"dis-undecided-{unique}", subject_id, email=address), POLICY
    )
    with pytest.raises(Refused, match="has no compiled disclosure"):
        await reissue_disclosure_link(
            f"dis-undecided-{unique}", _operator(), pool=center.pool, settings=settings
        )
    with pytest.raises(Refused, match="no request with id"):
        await reissue_disclosure_link(
            f"dis-none-{unique}", _operator(), pool=center.pool, settings=settings
        )

    request_id, _address, path = await _disclosure(center, unique)
    with pytest.raises(Forbidden, match="does not hold the operator role"):
        await reissue_disclosure_link(
            request_id, _operator(Role.CASHIER), pool=center.pool, settings=settings
        )
    erased_subject = await center.pool.fetchval(
        "SELECT subject_id FROM requests WHERE request_id = $1", request_id
    )
    async with center.pool.acquire() as connection, connection.transaction():
        await shred_subject_key(connection, erased_subject, forget_requests=frozenset({request_id}))
    before = await center.pool.fetchrow(
        "SELECT token_hash, expires_at FROM privacy_center_disclosure_links WHERE request_id = $1",
        request_id,
    )
    with pytest.raises(Refused, match="was erased"):
        await reissue_disclosure_link(request_id, _operator(), pool=center.pool, settings=settings)
    after = await center.pool.fetchrow(
        "SELECT token_hash, expires_at FROM privacy_center_disclosure_links WHERE request_id = $1",
        request_id,
    )
    assert before == after and (await center.http.get(path)).status_code == 410
    assert not _reissue_mails(center)
    assert not await center.pool.fetchval(
        "SELECT count(*) FROM request_events WHERE type = 'disclosure.link_reissued'"
        " AND request_id = ANY($1::text[])",
        [request_id, f"dis-undecided-{unique}"],
    )
