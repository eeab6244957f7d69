# ruff: noqa: RUF001 - the Japanese notices are written with full-width punctuation
"""A stop request (Article 5) against the real store, through the lifecycle activities'
`investigate` and `carry_out` and the notice's facts: joint use and entrustment stand as
"not a third party" only with their particulars on record, and the notice states them
(N5); a stop confirmed only by a typed address stops the provision but leaves the
person's consents on record, and says so (N13)."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from activities.lifecycle_activities import LifecycleActivities
from domain.decisions import Outcome
from domain.events import EventType
from domain.holdings import Relationship
from domain.inventory import parse_inventory
from domain.messages import CarryOut, Decide, QueueNotice, RequestStep
from domain.notices import NoticeFacts, NoticeKind, render_notice
from domain.requests import Language, RequestKind, parse_submission
from store.events import EventStore
from store.intake import IntakeStore
from store.inventory import InventoryStore
from store.notice_facts import notice_facts
from tests.support.builders import POLICY, T0, event

TOKYO = ZoneInfo("Asia/Tokyo")
NAME = "Shiro Ito"
JOINT = {
    "items": "e-mail address",
    "scope_of_joint_users": "the group companies",
    "purpose": "fraud prevention",
    "person_responsible": "the Security Office",
}


def stop_inventory(unique: str, email: str) -> dict[str, Any]:
    """A subject provided to a joint user without particulars, one with them, an entrusted
    printer without its scope, and an ad network on a standing consent."""

    def base(name: str, relationship: str, **extra: Any) -> dict[str, Any]:
        basis = "consent" if relationship == "third_party" else "not_third_party"
        return {"partner": f"{name}-{unique}", "relationship": relationship} | {
            "legal_basis": basis,
            **extra,
        }

    bases = [
        base("grouplabel", "joint_use", joint_use={"items": "e-mail address"}),
        base("group", "joint_use", joint_use=JOINT),
        base("printer", "entrustment"),
        base("ads", "third_party"),
    ]
    return {
        "provision_bases": bases,
        "subjects": [
            {
                "subject_id": f"sub-{unique}",
                "name": NAME,
                "email": email,
                "items": [],
                "provisions": [
                    {k: v for k, v in b.items() if k in ("partner", "relationship", "legal_basis")}
                    | {"items": ["email"]}
                    for b in bases
                ],
                "consents": [
                    {"partner": f"ads-{unique}", "items": ["email"], "given_at": T0.isoformat()}
                ],
            }
        ],
    }


async def stop(pool: asyncpg.Pool, unique: str, partners: list[str], method: str) -> str:
    """A stop request naming `partners`, its requester verified by `method`."""
    email = f"shiro-{unique}@example.jp"
    await InventoryStore(pool).load(parse_inventory(stop_inventory(unique, email)))
    request_id = f"stop-{unique}"
    await IntakeStore(pool).record_submission(
        parse_submission(
            {
                "request_id": request_id,
                "kind": "third_party_stop",
                "subject_id": f"sub-{unique}",
                "requester": {"name": NAME, "email": email},
                "details": {"partners": [f"{p}-{unique}" for p in partners]},
            }
        ),
        POLICY,
    )
    await EventStore(pool).append(event(request_id, EventType.IDENTITY_VERIFIED, method=method))
    return request_id


async def investigate_and_stop(pool: asyncpg.Pool, request_id: str) -> Any:
    lifecycle = LifecycleActivities(pool, EventStore(pool))
    step = RequestStep(
        request_id=request_id,
        kind=RequestKind.THIRD_PARTY_STOP,
        idempotency_key=f"{request_id}:investigate",
        occurred_at=T0,
    )
    found = await lifecycle.investigate(step)
    await EventStore(pool).append(
        event(request_id, EventType.DECISION_RECORDED, outcome=found.proposal.outcome.value)
    )
    await lifecycle.carry_out(
        CarryOut(
            request_id=request_id,
            kind=RequestKind.THIRD_PARTY_STOP,
            decision=Decide(outcome=found.proposal.outcome, operator="op-1"),
            findings=found.findings,
            idempotency_key=f"{request_id}:act",
            occurred_at=T0,
        )
    )
    return found


async def facts_of(pool: asyncpg.Pool, request_id: str) -> NoticeFacts:
    async with pool.acquire() as connection:
        return await notice_facts(
            connection,
            QueueNotice(
                request_id=request_id,
                notice=NoticeKind.OUTCOME,
                idempotency_key=f"{request_id}:facts",
                occurred_at=T0,
            ),
        )


def notice(facts: NoticeFacts, request_id: str, language: Language) -> str:
    return render_notice(
        NoticeKind.OUTCOME,
        request_kind=RequestKind.THIRD_PARTY_STOP,
        request_id=request_id,
        requester_name=NAME,
        language=language,
        zone=TOKYO,
        facts=facts,
    ).body


async def stopped(pool: asyncpg.Pool, unique: str) -> set[str]:
    rows = await pool.fetch(
        "SELECT partner_id FROM third_party_provisions"
        " WHERE subject_id = $1 AND stopped_at IS NOT NULL",
        f"sub-{unique}",
    )
    return {r["partner_id"].removesuffix(f"-{unique}") for r in rows}


async def test_n5_joint_use_and_entrustment_without_particulars_are_stopped_as_third_parties(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N5 (the review's probe S): a joint user with no particulars on record was "not a
    third party" and the stop was `no_provision_to_stop`. Now it and an entrustment with no
    scope on record are third parties and stopped; the joint user with its particulars
    continues, and the notice states them, in English and Japanese."""
    request_id = await stop(
        pool, unique, ["grouplabel", "group", "printer"], method="one_time_code"
    )
    found = await investigate_and_stop(pool, request_id)
    assert found.proposal.outcome is Outcome.PROVISION_STOPPED
    assert set(found.findings.third_party_partners) == {
        f"grouplabel-{unique}",
        f"printer-{unique}",
    }
    assert found.findings.not_third_parties == {f"group-{unique}": Relationship.JOINT_USE}
    assert await stopped(pool, unique) == {"grouplabel", "printer"}
    # Nothing of theirs is fed any more; the joint user's still is.
    fed = await pool.fetch(
        "SELECT DISTINCT partner_id FROM provision_feed WHERE subject_id = $1", f"sub-{unique}"
    )
    assert {r["partner_id"] for r in fed} == {f"group-{unique}", f"ads-{unique}"}

    facts = await facts_of(pool, request_id)
    assert facts.not_third_parties == ((f"group-{unique}", "joint_use"),)
    [(partner, relationship, particulars)] = facts.particulars
    assert (partner, relationship, dict(particulars)) == (f"group-{unique}", "joint_use", JOINT)
    english = notice(facts, request_id, Language.EN)
    assert f"We have stopped providing your personal information to: grouplabel-{unique}" in (
        english
    )
    assert (
        f"group-{unique} uses your personal information jointly with us (Article 5, second "
        "paragraph). Items used jointly: e-mail address. Scope of joint users: the group "
        "companies. Their purpose of use: fraud prevention. Responsible for its management: "
        "the Security Office."
    ) in english
    japanese = notice(facts, request_id, Language.JA)
    assert (
        f"group-{unique}は、当組織とお客様の個人情報を共同して利用しています（第5条第2項）。"
        "共同利用する項目：e-mail address。"
    ) in japanese
    assert "管理について責任を有する者：the Security Office。" in japanese


async def test_n13_a_stop_confirmed_by_a_typed_address_keeps_the_consents(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N13: anyone who knows a user's id and e-mail could end that user's consents. A stop
    verified only by the registration match stops the provision, withdraws no consent, and
    the notice says so."""
    request_id = await stop(pool, unique, ["ads"], method="registration_match")
    await investigate_and_stop(pool, request_id)
    assert await stopped(pool, unique) == {"ads"}
    consent = await pool.fetchrow(
        "SELECT withdrawn_at FROM consents WHERE subject_id = $1", f"sub-{unique}"
    )
    assert consent["withdrawn_at"] is None
    [done] = [
        e
        for e in await EventStore(pool).events(request_id)
        if e.type is EventType.PROVISION_STOPPED
    ]
    assert done.payload["consents_withdrawn"] == ""
    assert done.payload["consents_kept"] == f"ads-{unique}"
    assert done.payload["consents_kept_as_verified_by"] == "registration_match"
    facts = await facts_of(pool, request_id)
    assert facts.consents_kept == (f"ads-{unique}",)
    assert (
        f"Your consent to the provision to ads-{unique} remains on record. This request was "
        "confirmed only by the e-mail address entered in it"
    ) in notice(facts, request_id, Language.EN)
    assert f"ads-{unique}への提供についてのお客様の同意は、記録に残しています。" in notice(
        facts, request_id, Language.JA
    )


async def test_n13_a_stop_confirmed_by_the_code_withdraws_the_consents(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N13: with the privacy center's code (or an operator's check), the stop withdraws the
    standing consent, in its own transaction, as before; the notice keeps quiet on it."""
    request_id = await stop(pool, unique, ["ads"], method="one_time_code")
    await investigate_and_stop(pool, request_id)
    consent = await pool.fetchrow(
        "SELECT withdrawn_at FROM consents WHERE subject_id = $1", f"sub-{unique}"
    )
    assert consent["withdrawn_at"] == T0
    facts = await facts_of(pool, request_id)
    assert facts.consents_kept == ()
    assert "remains on record" not in notice(facts, request_id, Language.EN)
