"""C7 in PostgreSQL: what a disclosure decided under the old reading of Art 6 ¶2 left
out is found from the subject's record when a later disclosure is investigated
(store/legacy_waiver.py), so the new request is charged no fee for it."""

from __future__ import annotations

import asyncpg

from domain.decisions import Choice, Outcome, fee_due
from domain.events import EventType
from domain.findings import Findings
from domain.requests import DataCategory as C
from store.events import EventStore
from store.intake import IntakeStore
from store.legacy_waiver import legacy_left_out
from store.lifecycle import record_investigation
from tests.support.builders import POLICY, T0, event, parsed

HELD = Findings(items_by_category={C.IDENTITY: 2, C.HISTORY: 3, C.CHARACTERISTIC: 1})


async def _decided(
    pool: asyncpg.Pool,
    request_id: str,
    subject_id: str,
    outcome: Outcome,
    findings: Findings,
    minutes: int = 5,
) -> None:
    await IntakeStore(pool).record_submission(parsed("disclosure", request_id, subject_id), POLICY)
    async with pool.acquire() as connection, connection.transaction():
        await record_investigation(connection, request_id, findings.model_dump(mode="json"), {}, T0)
    await EventStore(pool).append(
        event(request_id, EventType.DECISION_RECORDED, minutes=minutes, outcome=outcome.value)
    )


async def _owed(pool: asyncpg.Pool, subject_id: str, request_id: str) -> tuple[C, ...]:
    async with pool.acquire() as connection:
        return await legacy_left_out(connection, subject_id, request_id)


async def test_c7_a_new_request_after_an_old_reading_decision_is_charged_no_fee(
    pool: asyncpg.Pool, unique: str
) -> None:
    """C7 (the review's probe): the legacy notice promised the left-out history "if you
    ask again", and the new request was charged again. Its findings now carry what is
    owed, and no fee is due; another subject owes nothing and pays."""
    subject_id = f"subj-{unique}"
    await _decided(
        pool, f"old-{unique}", subject_id, Outcome.DISCLOSED_EXCEPT_HISTORY_AND_CHARACTERISTIC, HELD
    )
    await IntakeStore(pool).record_submission(
        parsed("disclosure", f"new-{unique}", subject_id), POLICY
    )
    owed = await _owed(pool, subject_id, f"new-{unique}")
    assert owed == (C.CHARACTERISTIC, C.HISTORY)
    findings = HELD.model_copy(update={"legacy_left_out": owed})
    assert fee_due(findings, Choice(Outcome.DISCLOSED_IN_FULL)) is False
    assert await _owed(pool, f"other-{unique}", f"new-{unique}") == ()
    assert fee_due(HELD, Choice(Outcome.DISCLOSED_IN_FULL)) is True


async def test_c7_once_asked_again_and_disclosed_nothing_more_is_owed(
    pool: asyncpg.Pool, unique: str
) -> None:
    """The promise is kept once: after a later request for everything was decided to
    disclose, a third request pays the fee as any other."""
    subject_id = f"subj-{unique}"
    await _decided(
        pool, f"old-{unique}", subject_id, Outcome.DISCLOSED_EXCEPT_HISTORY_AND_CHARACTERISTIC, HELD
    )
    # submitted after the old decision (T0 + 5 minutes), decided to disclose everything
    await _decided(
        pool, f"again-{unique}", subject_id, Outcome.DISCLOSED_IN_FULL, HELD, minutes=60 * 24
    )
    assert await _owed(pool, subject_id, f"third-{unique}") == ()
