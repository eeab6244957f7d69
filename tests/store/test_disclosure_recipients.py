"""Article 6 with the example inventory (examples/inventory.json), against the real store:
the person's own history and characteristic items are disclosed (N3, old item 1), each item
names its recipients (N4, old item 13), and only what is held in a form that does not
identify the person is left out under Article 6 ¶2."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from activities.lifecycle_activities import LifecycleActivities
from domain.authority import Role
from domain.datamap import DataMap
from domain.decisions import Outcome, fee_due
from domain.events import EventType
from domain.inventory import parse_inventory
from domain.messages import CarryOut, Decide, QueueNotice, RequestStep
from domain.notices import NoticeFacts, NoticeKind, render_notice
from domain.purposes import ARTICLE_3_IDS, article_3_register
from domain.requests import RequestKind, parse_submission
from store.events import EventStore
from store.intake import IntakeStore
from store.inventory import InventoryStore
from store.notice_facts import notice_facts
from store.recipients import recipients_by_field, third_parties_named, third_party_recipients
from store.sealing import vault_of
from store.systems import replace_collected
from tests.support.builders import EMAIL, NAME, POLICY, T0, event, mapped_field
from tests.support.cli import cli_settings, served_dsr
from tests.support.inventory import example, partner

HISTORY_AND_CHARACTERISTIC = {
    "login_history",
    "browsing_history",
    "interest_segment",
    "social_profile",
}


async def _disclosure_of_user_42(
    pool: asyncpg.Pool, unique: str, data: dict[str, Any], **details: Any
) -> str:
    await InventoryStore(pool).load(parse_inventory(data))
    rid = f"dis-{unique}"
    await IntakeStore(pool).record_submission(
        parse_submission(
            {
                "request_id": rid,
                "kind": "disclosure",
                "subject_id": f"user-42-{unique}",
                "requester": {"name": NAME, "email": EMAIL},
                "details": details,
            }
        ),
        POLICY,
    )
    return rid


@pytest.fixture
async def review(pool: asyncpg.Pool, unique: str, tmp_path: Path) -> AsyncIterator[Any]:
    """`dsr --output json review RID` as an operator runs it (a subprocess holding only
    DSR_URL and DSR_TOKEN, the API served over the suite's pool), as the command prints it."""
    client: Any = None  # a review asks no workflow
    async with served_dsr(
        client,
        pool,
        cli_settings(tmp_path, f"review-{unique}"),
        folder=tmp_path / "elsewhere",
        account=f"reviewer-{unique}",
        roles=(Role.OPERATOR,),
    ) as dsr:

        async def run(rid: str) -> dict[str, Any]:
            code, out, err = await dsr("--output", "json", "review", rid)
            assert (code, err) == (0, ""), err
            document: dict[str, Any] = json.loads(out)
            return document

        yield run


ARTICLE_3_BY_ID = {v.purpose_id: v for v in article_3_register()}


async def test_the_example_discloses_history_and_characteristic_items_with_their_recipients(
    pool: asyncpg.Pool,
    unique: str,
    review: Any,
) -> None:
    """N3, N4, old items 1 and 13: a disclosure for user-42 in the example lists the
    browsing history and the other history and characteristic items (`dsr --output json
    review` places none of them `excluded`), and names the recipients of each item."""
    rid = await _disclosure_of_user_42(pool, unique, example(unique))
    lifecycle = LifecycleActivities(pool, EventStore(pool))
    investigation = await lifecycle.investigate(
        RequestStep(
            request_id=rid,
            kind=RequestKind.DISCLOSURE,
            idempotency_key=f"{rid}:investigate",
            occurred_at=T0,
        )
    )
    assert investigation.proposal.outcome is Outcome.DISCLOSED_IN_FULL

    shown = await review(rid)
    items = {item["field"]: item for item in shown["items"]}
    assert HISTORY_AND_CHARACTERISTIC <= items.keys()
    assert {items[f]["category"] for f in HISTORY_AND_CHARACTERISTIC} == {
        "history",
        "characteristic",
    }
    assert {item["placement"] for item in shown["items"]} == {"disclosed"}
    broker, ad_network = partner("data-broker-2", unique), partner("ad-network-1", unique)
    # C3, C6: the example's broker opt-out stands on no purpose that includes provision,
    # so the feed carries nothing to it, and the disclosure says so.
    assert items["browsing_history"]["recipients"] == [
        {
            "partner_id": broker,
            "name": "Data Broker Co., Ltd.",
            "relationship": "third_party",
            "basis": "opt_out_notified",
            "provided": False,
            "held_back": "opt_out_purpose_missing",
        }
    ]
    assert items["interest_segment"]["recipients"] == [
        {
            "partner_id": ad_network,
            "name": "Ad Network Inc.",
            "relationship": "third_party",
            "basis": "consent",
        }
    ]
    assert [r["name"] for r in items["login_history"]["recipients"]] == ["Example Group Co., Ltd."]
    assert [r["relationship"] for r in items["name"]["recipients"]] == [
        "business_succession",
        "joint_use",
        "entrustment",
        "third_party",
    ]
    assert items["social_profile"]["recipients"] == []

    # The disclosure compiled when the decision is carried out holds the same.
    await lifecycle.carry_out(
        CarryOut(
            request_id=rid,
            kind=RequestKind.DISCLOSURE,
            decision=Decide(outcome=Outcome.DISCLOSED_IN_FULL, operator="op-1"),
            findings=investigation.findings,
            idempotency_key=f"{rid}:act",
            occurred_at=T0,
        )
    )
    async with pool.acquire() as connection:
        sealed = await connection.fetchrow(
            "SELECT items, excluded FROM disclosures WHERE request_id = $1", rid
        )
        compiled = vault_of(connection).open_json(sealed["items"])
    assert sealed["excluded"] == {}
    disclosed = {item["field"]: item for item in compiled}
    assert HISTORY_AND_CHARACTERISTIC <= disclosed.keys()
    assert disclosed["browsing_history"]["purpose"] == "sell_to_data_brokers"
    assert disclosed["browsing_history"]["recipients"] == items["browsing_history"]["recipients"]
    assert all(set(item) >= {"recipients", "purpose"} for item in compiled)
    # Each purpose in the register's words, in both languages, as it stood when compiled;
    # a purpose the register does not hold has none (the id is all there is).
    under_article_3 = [i for i in compiled if i["purpose"] in ARTICLE_3_IDS]
    assert under_article_3
    for item in under_article_3:
        version = ARTICLE_3_BY_ID[item["purpose"]]
        assert item["purpose_text"] == {"en": version.text, "ja": version.text_ja}
    assert disclosed["browsing_history"]["purpose_text"] is None


async def test_only_what_does_not_identify_the_person_is_left_out(
    pool: asyncpg.Pool,
    unique: str,
    review: Any,
) -> None:
    """N3: Article 6 ¶2 leaves out an item the inventory marks `identifying: false`
    (analytics keyed by a cookie), and nothing else; the proposal says so."""
    data = example(unique)
    data["subjects"][0]["items"].append(
        {
            "category": "history",
            "field": "cookie_analytics",
            "value": "cookie 7f3a: 14 page views, 2026-11",
            "purpose": "provide_service",
            "lawfully_obtained": True,
            "identifying": False,
        }
    )
    rid = await _disclosure_of_user_42(pool, unique, data)
    lifecycle = LifecycleActivities(pool, EventStore(pool))
    investigation = await lifecycle.investigate(
        RequestStep(
            request_id=rid,
            kind=RequestKind.DISCLOSURE,
            idempotency_key=f"{rid}:investigate",
            occurred_at=T0,
        )
    )
    assert investigation.findings.not_identifying_by_category == {"history": 1}
    assert investigation.proposal.outcome is Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING

    shown = await review(rid)
    placements = {item["field"]: item["placement"] for item in shown["items"]}
    assert placements.pop("cookie_analytics") == "excluded"
    assert set(placements.values()) == {"disclosed"}


async def _stop_request(pool: asyncpg.Pool, unique: str, details: dict[str, Any]) -> str:
    rid = f"stop-{unique}"
    await IntakeStore(pool).record_submission(
        parse_submission(
            {
                "request_id": rid,
                "kind": "third_party_stop",
                "subject_id": f"user-42-{unique}",
                "requester": {"name": NAME, "email": EMAIL},
                "details": details,
            }
        ),
        POLICY,
    )
    return rid


async def _outcome_facts(pool: asyncpg.Pool, rid: str) -> NoticeFacts:
    async with pool.acquire() as connection:
        return await notice_facts(
            connection,
            QueueNotice(
                request_id=rid,
                notice=NoticeKind.OUTCOME,
                idempotency_key=f"{rid}:facts",
                occurred_at=T0,
            ),
        )


def _body(kind: RequestKind, rid: str, facts: NoticeFacts) -> str:
    return render_notice(
        NoticeKind.OUTCOME,
        request_kind=kind,
        request_id=rid,
        requester_name=NAME,
        zone=ZoneInfo("Asia/Tokyo"),
        facts=facts,
    ).body


async def test_a_stop_names_the_recipient_as_the_disclosure_names_it(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N4 probe: the person types the company's name "Ad Network Inc." as the disclosure
    names it. It is the recipient `ad-network-1`, whose provision stops; "Nobody Corp."
    matches no recipient and is told back as such, never as "no record of providing"."""
    await InventoryStore(pool).load(parse_inventory(example(unique)))
    rid = await _stop_request(pool, unique, {"partners": ["Ad Network Inc.", "Nobody Corp."]})
    lifecycle = LifecycleActivities(pool, EventStore(pool))
    investigation = await lifecycle.investigate(
        RequestStep(
            request_id=rid,
            kind=RequestKind.THIRD_PARTY_STOP,
            idempotency_key=f"{rid}:investigate",
            occurred_at=T0,
        )
    )
    ad_network = partner("ad-network-1", unique)
    assert investigation.findings.third_party_partners == (ad_network,)
    assert investigation.findings.unknown_partners == 1
    assert investigation.proposal.outcome is Outcome.PROVISION_STOPPED
    await lifecycle.carry_out(
        CarryOut(
            request_id=rid,
            kind=RequestKind.THIRD_PARTY_STOP,
            decision=Decide(outcome=Outcome.PROVISION_STOPPED, operator="op-1"),
            findings=investigation.findings,
            idempotency_key=f"{rid}:act",
            occurred_at=T0,
        )
    )
    await EventStore(pool).append(
        event(rid, EventType.DECISION_RECORDED, outcome="provision_stopped")
    )
    facts = await _outcome_facts(pool, rid)
    assert facts.stopped_partners == (f"Ad Network Inc. ({ad_network})",)
    assert facts.unknown_partners == ("Nobody Corp.",)
    text = _body(RequestKind.THIRD_PARTY_STOP, rid, facts)
    assert "no record" not in text
    assert "did not match the name or id of any recipient" in text


async def test_a_stop_of_all_third_parties_reaches_every_third_party_recipient(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N4: "all third parties" - the person need not name anyone; each provision to a third
    party on record is found, and those the law lets continue are the operator's call."""
    await InventoryStore(pool).load(parse_inventory(example(unique)))
    rid = await _stop_request(pool, unique, {"all_third_parties": True})
    lifecycle = LifecycleActivities(pool, EventStore(pool))
    investigation = await lifecycle.investigate(
        RequestStep(
            request_id=rid,
            kind=RequestKind.THIRD_PARTY_STOP,
            idempotency_key=f"{rid}:investigate",
            occurred_at=T0,
        )
    )
    assert investigation.findings.third_party_partners == tuple(
        partner(p, unique) for p in ("ad-network-1", "data-broker-2", "tax-office")
    )
    assert investigation.findings.unknown_partners == 0


async def test_nothing_held_is_told_as_nothing_to_disclose(pool: asyncpg.Pool, unique: str) -> None:
    """N12: a disclosure with nothing of the person's held among what was asked is
    `nothing_to_disclose` (not `disclosed_in_full`), charges nothing and compiles nothing;
    its notice says what is held apart, if anything."""
    data = example(unique)
    data["subjects"][0]["items"].append(
        {
            "category": "characteristic",
            "field": "cookie_segment",
            "value": "cookie 7f3a: travel",
            "purpose": "provide_service",
            "lawfully_obtained": True,
            "identifying": False,
        }
    )
    await InventoryStore(pool).load(parse_inventory(data))
    rid = f"dis-{unique}"
    await IntakeStore(pool).record_submission(
        parse_submission(
            {
                "request_id": rid,
                "kind": "disclosure",
                "subject_id": f"user-42-{unique}",
                "requester": {"name": NAME, "email": EMAIL},
                "details": {"categories": ["characteristic"]},
            }
        ),
        POLICY,
    )
    # The two characteristic items held under the person's identity are erased first.
    await pool.execute(
        "DELETE FROM personal_data WHERE subject_id = $1 AND category = 'characteristic'"
        " AND identifying",
        f"user-42-{unique}",
    )
    lifecycle = LifecycleActivities(pool, EventStore(pool))
    investigation = await lifecycle.investigate(
        RequestStep(
            request_id=rid,
            kind=RequestKind.DISCLOSURE,
            idempotency_key=f"{rid}:investigate",
            occurred_at=T0,
        )
    )
    assert investigation.proposal.outcome is Outcome.NOTHING_TO_DISCLOSE
    decision = Decide(outcome=Outcome.NOTHING_TO_DISCLOSE, operator="op-1")
    assert not fee_due(investigation.findings, decision.choice())
    report = await lifecycle.carry_out(
        CarryOut(
            request_id=rid,
            kind=RequestKind.DISCLOSURE,
            decision=decision,
            findings=investigation.findings,
            idempotency_key=f"{rid}:act",
            occurred_at=T0,
        )
    )
    assert report.event is EventType.NOTHING_TO_CARRY_OUT
    assert await pool.fetchval("SELECT count(*) FROM disclosures WHERE request_id = $1", rid) == 0
    await EventStore(pool).append(
        event(rid, EventType.DECISION_RECORDED, outcome="nothing_to_disclose")
    )
    facts = await _outcome_facts(pool, rid)
    assert facts.excluded == {"characteristic": 1}
    text = _body(RequestKind.DISCLOSURE, rid, facts)
    assert "we hold no personal information about you" in text
    assert "characteristic information (1 item)" in text


async def test_asking_only_for_history_and_characteristic_discloses_them(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N3 probe (S): asking only for history and characteristic information gave "0 items
    may be disclosed; 2 items ... excluded", with no Article 6 ¶1 ground. Now the four items
    are the person's personal information and may be disclosed, for the fee."""
    rid = await _disclosure_of_user_42(
        pool, unique, example(unique), categories=["history", "characteristic"]
    )
    investigation = await LifecycleActivities(pool, EventStore(pool)).investigate(
        RequestStep(
            request_id=rid,
            kind=RequestKind.DISCLOSURE,
            idempotency_key=f"{rid}:investigate",
            occurred_at=T0,
        )
    )
    assert investigation.proposal.outcome is Outcome.DISCLOSED_IN_FULL
    assert investigation.proposal.why.startswith("4 items may be disclosed")
    assert fee_due(
        investigation.findings, Decide(outcome=Outcome.DISCLOSED_IN_FULL, operator="op-1").choice()
    )


async def test_a_system_field_mapped_as_not_identifying_is_held_so(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N3: what a system holds in a form that does not identify the person (the data map's
    `identifying: false`) is recorded so when collected, and Article 6 ¶2 leaves it out;
    the system's other fields are the person's personal information."""
    data_map = DataMap.model_validate(
        {
            "version": 1,
            "systems": {
                "analytics": {
                    "kind": "manual",
                    "owner": "web-team",
                    "collections": {
                        "visits": {
                            "identities": [{"column": "email", "identity": "email"}],
                            "fields": {
                                "pages": mapped_field(
                                    "pages", category="history", identifying=False
                                ),
                                "plan": mapped_field("plan", category="characteristic"),
                            },
                        }
                    },
                }
            },
        }
    )
    sid = f"s-{unique}"
    await pool.execute("INSERT INTO subjects (subject_id) VALUES ($1)", sid)
    async with pool.acquire() as connection, connection.transaction():
        await replace_collected(
            connection,
            sid,
            "analytics",
            data_map.system("analytics"),
            [("visits", "cookie-7f3a", {"pages": "14 page views", "plan": "family"}, False)],
            T0,
        )
    rows = await pool.fetch(
        "SELECT category, identifying FROM personal_data WHERE subject_id = $1 ORDER BY 1", sid
    )
    assert [(r["category"], r["identifying"]) for r in rows] == [
        ("characteristic", True),
        ("history", False),
    ]


async def test_c6_the_disclosure_names_the_recipients_the_feed_carries_to_and_those_withheld(
    pool: asyncpg.Pool, unique: str
) -> None:
    """C6 (review of issue 24): the disclosure's recipients follow the feed's rule. An item
    the consent does not cover, an item whose use is suspended, and a joint use without its
    particulars (shown as the third party it stands as, N5) are named as provisions on
    record not provided, with why; what the feed carries is named as before; and the stop
    form's list takes the joint user without particulars as a third party."""
    data = example(unique)
    group = partner("group-company", unique)
    for basis in data["provision_bases"]:
        if basis["partner"] == group:
            basis["joint_use"] = {"items": "name, e-mail address and login history"}
    data["subjects"][0]["consents"][0]["items"] = ["interest_segment"]
    await InventoryStore(pool).load(parse_inventory(data))
    sid = f"user-42-{unique}"
    await pool.execute(
        "UPDATE personal_data SET suspended_at = now() WHERE subject_id = $1 AND field = $2",
        sid,
        "address",
    )
    async with pool.acquire() as connection:
        by_field = await recipients_by_field(connection, sid)
        third_parties = await third_party_recipients(connection, sid)
    fed = {
        (row["partner_id"], row["field"])
        for row in await pool.fetch(
            "SELECT partner_id, field FROM provision_feed WHERE subject_id = $1", sid
        )
    }
    named = {
        (r["partner_id"], field): r.get("held_back")
        for field, recipients in by_field.items()
        for r in recipients
    }
    # Every recipient named as provided is one the feed carries the item to, and back.
    assert {pair for pair, why in named.items() if why is None} == fed
    ads, printer = partner("ad-network-1", unique), partner("mail-printer", unique)
    assert named[(ads, "interest_segment")] is None
    assert named[(ads, "purchases")] == "consent_not_covering_items"
    assert named[(printer, "address")] == "use_suspended"
    assert named[(printer, "name")] is None
    [joint] = [r for r in by_field["login_history"] if r["partner_id"] == group]
    assert joint == {
        "partner_id": group,
        "name": "Example Group Co., Ltd.",
        "relationship": "third_party",
        "basis": "not_third_party",
        "provided": False,
        "held_back": "joint_use_particulars_missing",
    }
    assert group in {r["partner_id"] for r in third_parties}
    assert printer not in {r["partner_id"] for r in third_parties}
    # The privacy center's stop form offers the same third parties to choose from.
    offered = {partner_id for partner_id, _ in await third_parties_named(pool)}
    assert group in offered and printer not in offered
