"""A request's lifecycle activities driven against the real store, step by step, without
Temporal: submit with the example's requester, investigate, record the decision as the
`decide` update records it, carry it out, and read the outcome notice as the outbox
composes it (its facts from the store, rendered in a language)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg

from activities.lifecycle_activities import LifecycleActivities
from domain.events import EventType
from domain.messages import CarryOut, Decide, Investigation, QueueNotice, RequestStep
from domain.notices import NoticeFacts, NoticeKind, render_notice
from domain.requests import Language, RequestKind, parse_submission
from store.events import EventStore
from store.intake import IntakeStore
from store.notice_facts import notice_facts
from tests.support.builders import EMAIL, NAME, POLICY, T0, event
from workflows.request_effects import decision_payload

LINK = "https://privacy.example/disclosures/link"


async def submitted(
    pool: asyncpg.Pool, rid: str, kind: RequestKind, subject_id: str, details: dict[str, Any]
) -> str:
    await IntakeStore(pool).record_submission(
        parse_submission(
            {
                "request_id": rid,
                "kind": kind.value,
                "subject_id": subject_id,
                "requester": {"name": NAME, "email": EMAIL},
                "details": details,
            }
        ),
        POLICY,
    )
    return rid


async def investigated(pool: asyncpg.Pool, rid: str, kind: RequestKind) -> Investigation:
    return await LifecycleActivities(pool, EventStore(pool)).investigate(
        RequestStep(request_id=rid, kind=kind, idempotency_key=f"{rid}:investigate", occurred_at=T0)
    )


async def decided_and_carried_out(
    pool: asyncpg.Pool, rid: str, kind: RequestKind, decision: Decide, found: Investigation
) -> None:
    """The decision on record as the `decide` update records it, then carried out."""
    await EventStore(pool).append(
        event(
            rid, EventType.DECISION_RECORDED, actor=decision.operator, **decision_payload(decision)
        )
    )
    await LifecycleActivities(pool, EventStore(pool)).carry_out(
        carry_out_order(rid, kind, decision, found)
    )


def carry_out_order(
    rid: str, kind: RequestKind, decision: Decide, found: Investigation
) -> CarryOut:
    return CarryOut(
        request_id=rid,
        kind=kind,
        decision=decision,
        findings=found.findings,
        idempotency_key=f"{rid}:act",
        occurred_at=T0,
    )


async def outcome_notice(
    pool: asyncpg.Pool, rid: str, kind: RequestKind, language: Language = Language.EN
) -> tuple[NoticeFacts, str]:
    """The outcome notice's facts as the store gives them, and its body."""
    async with pool.acquire() as connection:
        facts = await notice_facts(
            connection,
            QueueNotice(
                request_id=rid,
                notice=NoticeKind.OUTCOME,
                idempotency_key=f"{rid}:n",
                occurred_at=T0,
            ),
        )
    if facts.disclosed_items and facts.disclosure_link is None:
        # The outbox adds the privacy center's link when it queues a disclosure's notice.
        facts = replace(facts, disclosure_link=LINK, disclosure_link_expires_at=T0)
    body = render_notice(
        NoticeKind.OUTCOME,
        request_kind=kind,
        request_id=rid,
        requester_name=NAME,
        language=language,
        zone=ZoneInfo("Asia/Tokyo"),
        facts=facts,
    ).body
    return facts, body
