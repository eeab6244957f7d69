"""Article 5 on the time-skipping server with the real store: stopping provision to
third parties, decided partner by partner against each partner's footing on record (Article
5's register where it records one), a consent withdrawn by the stop; and Article 8's
suspension reaching provision too, and judging purposes as the register stood."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from domain.deadlines import Step
from domain.inventory import parse_inventory
from service import acts
from store.inventory import InventoryStore
from store.provision_check import check_provisions
from store.provisions import CONSENTS_STREAM
from store.registers import verify_stream
from tests.support.privacy import HELD_VALUES, PERSONAL, REASON
from tests.support.scenarios import (
    Scenario,
    check_record,
    outcome_notice,
    outcome_of,
    seed_subject,
)
from tests.support.temporal import Rig, actor


async def _stopped(pool: asyncpg.Pool, subject_id: str) -> dict[str, bool]:
    return {
        r["partner_id"]: r["stopped_at"] is not None
        for r in await pool.fetch(
            "SELECT partner_id, stopped_at FROM third_party_provisions WHERE subject_id=$1",
            subject_id,
        )
    }


async def test_art5_stop_is_decided_per_partner_on_its_recorded_basis(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    """Art 5 ¶1: provision "will be stopped at the request of the person"; the exceptions
    (here cooperation with authorities) may continue, citing the basis on record. Art 5
    ¶2: joint use and entrustment are not third parties. Unknown names are told back."""
    request = await (
        Scenario(rig, "tps")
        .third_party_stop("adnet-1", "tax-office", "group-co", "call-centre", "nobody-9")
        .at(Step.DECIDE)
    )
    view = request.view
    assert view.proposal is not None and view.proposal.outcome.value == "provision_stopped"
    with pytest.raises(acts.Refused, match="rests on consent"):
        await acts.decide(
            request.id,
            "provision_stopped",
            actor("op-1"),
            client=rig.client,
            pool=pool,
            reason=REASON,
            continued_partners=("adnet-1",),
        )
    with pytest.raises(acts.Refused, match="needs a reason"):
        await acts.decide(
            request.id,
            "provision_stopped",
            actor("op-1"),
            client=rig.client,
            pool=pool,
            continued_partners=("tax-office",),
        )
    await acts.decide(
        request.id,
        "provision_stopped",
        actor("op-1"),
        client=rig.client,
        pool=pool,
        reason=REASON,
        continued_partners=("tax-office",),
    )
    assert await outcome_of(rig.client, request.id) == "provision_stopped"
    assert await _stopped(pool, request.subject_id) == {
        "adnet-1": True,
        "broker-2": False,
        "tax-office": False,
        "group-co": False,
        "call-centre": False,
    }
    notice = await outcome_notice(pool, request.id)
    assert "stopped providing your personal information to: adnet-1." in notice
    assert "We have decided to continue providing your personal information to tax-office" in notice
    assert "cooperate with a national agency" in notice and REASON in notice
    assert "not third parties under Article 5 (entrustment, joint use)" in notice
    assert "call-centre, group-co." in notice
    # N4: what matched no recipient on record is said as such, never "no record of providing".
    assert "did not match the name or id of any recipient" in notice
    assert "\u201cnobody-9\u201d did not match" in notice and "no record" not in notice
    # N5: each stands as "not a third party" on the particulars on record, which it states.
    assert "group-co uses your personal information jointly with us" in notice
    assert "We entrust call-centre with part of the handling" in notice
    await check_record(rig.client, pool, request.id, "third_party_stop")


async def test_art5_an_opt_out_provision_cannot_be_refused_only_an_exception_can(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    request = await (
        Scenario(rig, "tps-ref").third_party_stop("broker-2", "tax-office").at(Step.DECIDE)
    )
    with pytest.raises(acts.Refused, match="opt_out_notified"):
        await acts.decide(
            request.id,
            "stop_refused",
            actor("op-1"),
            client=rig.client,
            pool=pool,
            reason=REASON,
            continued_partners=("broker-2", "tax-office"),
        )
    with pytest.raises(acts.Refused, match="not continued: broker-2"):
        await acts.decide(
            request.id,
            "stop_refused",
            actor("op-1"),
            client=rig.client,
            pool=pool,
            reason=REASON,
            continued_partners=("tax-office",),
        )
    await acts.decide(
        request.id,
        "provision_stopped",
        actor("op-1"),
        client=rig.client,
        pool=pool,
        reason=REASON,
        continued_partners=("tax-office",),
    )
    assert await outcome_of(rig.client, request.id) == "provision_stopped"
    stopped = await _stopped(pool, request.subject_id)
    assert stopped["broker-2"] and not stopped["tax-office"]


async def test_art5_stop_refused_cites_the_exception_recorded_for_the_partner(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    request = await Scenario(rig, "tps-keep").third_party_stop("tax-office").at(Step.DECIDE)
    await acts.decide(
        request.id,
        "stop_refused",
        actor("op-1"),
        client=rig.client,
        pool=pool,
        reason=REASON,
        continued_partners=("tax-office",),
    )
    assert await outcome_of(rig.client, request.id) == "stop_refused"
    notice = await outcome_notice(pool, request.id)
    assert "We have decided to continue providing your personal information to tax-office" in notice
    assert "stopped providing" not in notice
    await check_record(rig.client, pool, request.id, "third_party_stop_refused")


async def test_art5_nothing_to_stop_is_never_told_as_stopped(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    request = await (
        Scenario(rig, "tps-none").third_party_stop("group-co", "nobody-9").at(Step.DECIDE)
    )
    view = request.view
    assert view.proposal is not None and view.proposal.outcome.value == "no_provision_to_stop"
    with pytest.raises(acts.Refused, match="no provision would be stopped"):
        await acts.decide(
            request.id, "provision_stopped", actor("op-1"), client=rig.client, pool=pool
        )
    await acts.decide(
        request.id, "no_provision_to_stop", actor("op-1"), client=rig.client, pool=pool
    )
    assert await outcome_of(rig.client, request.id) == "no_provision_to_stop"
    notice = await outcome_notice(pool, request.id)
    assert "there is no provision to stop" in notice and "stopped providing" not in notice
    assert "nobody-9" in notice
    await check_record(rig.client, pool, request.id, "third_party_nothing_to_stop")


async def test_art8_a_suspended_item_is_no_longer_provided_and_later_requests_see_it(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    """Art 8: suspension of use stops every use the service controls: the provision feed
    to third parties leaves the item out, and a later suspension request finds it
    suspended already rather than acting on it again. The segment is used beyond purpose,
    so the broker's opt-out never carried it (review C2); a provision on one of Article
    5's exceptions does, until the suspension."""
    rid, sid = f"sus-feed-{unique}", f"s-{unique}"
    await seed_subject(pool, sid)
    await pool.execute(
        """INSERT INTO third_party_provisions (subject_id, partner_id, relationship,
               legal_basis, data_items)
           VALUES ($1, 'health-centre', 'third_party', 'public_health_or_children', $2)""",
        sid,
        ["segment"],
    )
    broker = "SELECT field FROM provision_feed WHERE subject_id=$1 AND partner_id='broker-2'"
    assert await pool.fetch(broker, sid) == []
    fed = "SELECT field FROM provision_feed WHERE subject_id=$1 AND partner_id='health-centre'"
    assert [r["field"] for r in await pool.fetch(fed, sid)] == ["segment"]
    await (
        Scenario(rig, "sus-feed")
        .unseeded()
        .suspension("suspend_use", "used_beyond_purpose")
        .verified()
        .at(Step.DECIDE)
    )
    await acts.decide(rid, "use_suspended", actor("op-1"), client=rig.client, pool=pool)
    assert await outcome_of(rig.client, rid) == "use_suspended"
    assert await pool.fetch(fed, sid) == []

    second = await (
        Scenario(rig, "sus-again")
        .unseeded()
        .suspension("suspend_use", "used_beyond_purpose")
        .verified()
        .at(Step.DECIDE)
    )
    again, view = second.id, second.view
    assert view is not None
    assert view.proposal is not None and view.proposal.outcome.value == "suspension_refused"
    findings = await pool.fetchval("SELECT findings FROM investigations WHERE request_id=$1", again)
    assert findings["already_suspended"] == 1 and findings["items_in_breach"] == []
    await acts.decide(
        again, "suspension_refused", actor("op-1"), client=rig.client, pool=pool, reason=REASON
    )
    assert await outcome_of(rig.client, again) == "suspension_refused"
    assert "suspended already, before this request" in await outcome_notice(pool, again)


def _registered(unique: str, sid: str, **extra: Any) -> dict[str, Any]:
    """A subject loaded through the inventory, with the registration e-mail the requests
    name (so the stop's identity check matches), provided to partners of the test's own."""
    return {
        "subjects": [
            {
                "subject_id": sid,
                "name": PERSONAL["name"],
                "email": PERSONAL["email"],
                "items": [
                    {
                        "category": "contact",
                        "field": "phone",
                        "value": HELD_VALUES["phone"],
                        "purpose": "important_notices",
                        "lawfully_obtained": True,
                    }
                ],
                "provisions": [
                    {
                        "partner": f"ads-{unique}",
                        "relationship": "third_party",
                        "legal_basis": "consent",
                        "items": ["phone"],
                    },
                    {
                        "partner": f"broker-{unique}",
                        "relationship": "third_party",
                        "legal_basis": "opt_out_notified",
                        "items": ["phone"],
                    },
                    {
                        "partner": f"tax-{unique}",
                        "relationship": "third_party",
                        "legal_basis": "consent",
                        "items": ["name"],
                    },
                ],
                "consents": [
                    {
                        "partner": f"ads-{unique}",
                        "items": ["phone"],
                        "given_at": "2026-05-10T10:00:00+09:00",
                    },
                    {
                        "partner": f"tax-{unique}",
                        "items": ["name"],
                        "given_at": "2026-05-10T10:00:00+09:00",
                    },
                ],
            }
        ],
        **extra,
    }


async def test_art5_a_stop_judges_each_partner_by_the_register_and_a_typed_address_keeps_consent(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    """The register's footing decides (tax-… was listed as consent, but the register now
    records it as cooperation with authorities, so it may be continued). N13: this stop
    was confirmed only by the typed address matching the registration, so it stops the
    provision but withdraws no consent, and says so; with the privacy center's code it
    withdraws it (tests/store/test_provision_stops.py)."""
    rid, sid = f"tps-reg-{unique}", f"s-reg-{unique}"
    ads, broker, tax = (f"{p}-{unique}" for p in ("ads", "broker", "tax"))
    await InventoryStore(pool).load(parse_inventory(_registered(unique, sid)))
    await InventoryStore(pool).load(
        parse_inventory(
            {
                "provision_bases": [
                    {
                        "partner": tax,
                        "relationship": "third_party",
                        "legal_basis": "cooperation_with_authorities",
                    }
                ]
            }
        )
    )
    await (
        Scenario(rig, "tps-reg", subject=sid)
        .unseeded()
        .third_party_stop(ads, broker, tax)
        .at(Step.DECIDE)
    )
    findings = await pool.fetchval("SELECT findings FROM investigations WHERE request_id=$1", rid)
    assert findings["partner_bases"] == {
        ads: "consent",
        broker: "opt_out_notified",
        tax: "cooperation_with_authorities",
    }
    await acts.decide(
        rid,
        "provision_stopped",
        actor("op-1"),
        client=rig.client,
        pool=pool,
        reason=REASON,
        continued_partners=(tax,),
    )
    assert await outcome_of(rig.client, rid) == "provision_stopped"
    assert await _stopped(pool, sid) == {ads: True, broker: True, tax: False}

    stop = await pool.fetchrow(
        "SELECT payload, occurred_at FROM request_events"
        " WHERE request_id = $1 AND type = 'provision.stopped'",
        rid,
    )
    assert (stop["payload"]["consents_withdrawn"], stop["payload"]["consents_kept"]) == ("", ads)
    assert stop["payload"]["consents_kept_as_verified_by"] == "registration_match"
    consents = {
        r["partner_id"]: r
        for r in await pool.fetch(
            "SELECT partner_id, withdrawn_at FROM consents WHERE subject_id = $1", sid
        )
    }
    assert consents[ads]["withdrawn_at"] is None  # a typed address withdraws nothing
    assert consents[tax]["withdrawn_at"] is None  # continued: the person's consent stands
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM register_events WHERE stream = $1"
            " AND type = 'consent.withdrawn' AND payload->>'request_id' = $2",
            CONSENTS_STREAM,
            rid,
        )
        == 0
    )
    async with pool.acquire() as connection:
        assert (await verify_stream(connection, CONSENTS_STREAM)).intact
    notice = await outcome_notice(pool, rid)
    assert f"stopped providing your personal information to: {ads}, {broker}." in notice
    assert f"We have decided to continue providing your personal information to {tax}" in notice
    assert f"Your consent to the provision to {ads} remains on record." in notice
    await check_record(rig.client, pool, rid, "third_party_stop_by_register")
    # What the check reports afterwards: nothing for the stopped provisions.
    assert [
        f
        for f in await check_provisions(pool)
        if f.subject_id == sid and f.partner_id in (ads, broker)
    ] == []


async def test_art8_beyond_purpose_is_judged_against_the_register_as_it_stood_when_used(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    """A purpose defined today (incidental to billing, judged related) covers an item used
    for it from today, not one used for it before it was a purpose; Article 3's purposes
    have been in force all along."""
    rid, sid, points = f"sus-reg-{unique}", f"s-pur-{unique}", f"points_{unique}"
    points_purpose = {
        "id": points,
        "text": "To grant points",
        "text_ja": "ポイントを付与するため",
        "incidental_to": "billing",
        "judged_by": "admin",
        "judged_at": "2026-02-01T00:00:00Z",
        "related_because": "Points are earned on the usage fees we bill.",
    }
    data = _registered(unique, sid, purposes=[points_purpose])
    data["subjects"][0]["items"] += [
        {
            "category": "transaction",
            "field": "points_balance",
            "value": "1,250 points",
            "purpose": points,
            "lawfully_obtained": True,
        },
        {
            "category": "transaction",
            "field": "old_points",
            "value": "300 points",
            "purpose": points,
            "used_at": "2026-01-01T00:00:00Z",
            "lawfully_obtained": True,
        },
        {
            "category": "transaction",
            "field": "old_invoice",
            "value": "invoice 2019-7",
            "purpose": "billing",
            "used_at": "2019-07-01T00:00:00Z",
            "lawfully_obtained": True,
        },
    ]
    await InventoryStore(pool).load(parse_inventory(data))
    await (
        Scenario(rig, "sus-reg", subject=sid)
        .unseeded()
        .suspension("suspend_use", "used_beyond_purpose")
        .verified()
        .at(Step.DECIDE)
    )
    findings = await pool.fetchval("SELECT findings FROM investigations WHERE request_id=$1", rid)
    old_points = await pool.fetchval(
        "SELECT item_id FROM personal_data WHERE subject_id = $1 AND field = 'old_points'", sid
    )
    assert (findings["used_beyond_purpose"], findings["items_in_breach"]) == (1, [old_points])
    await acts.decide(rid, "use_suspended", actor("op-1"), client=rig.client, pool=pool)
    assert await outcome_of(rig.client, rid) == "use_suspended"
