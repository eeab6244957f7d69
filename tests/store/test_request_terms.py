"""A request's terms as intake recorded them (issue 22): the deadline policy's digest beside
its version, terms no role may change afterwards, and the progress on the chain that a new
run of the request's workflow is refused over (refused acts not counted)."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
import pytest

from domain.deadlines import DeadlinePolicy, Step
from domain.events import EventType
from store.events import EventStore
from store.intake import IntakeStore
from store.request_terms import recorded_terms
from tests.support.builders import POLICY, event, parsed

SHORTER = DeadlinePolicy().with_overrides({Step.ANSWER: timedelta(days=3)}, "t-22-short")


async def test_intake_records_the_policy_with_the_digest_of_its_contents(
    pool: asyncpg.Pool, unique: str
) -> None:
    request_id = f"terms-{unique}"
    await IntakeStore(pool).record_submission(parsed("inquiry", request_id, f"s-{unique}"), SHORTER)
    terms = await recorded_terms(pool, request_id)
    assert terms is not None
    assert (terms.workflow_id, terms.kind, terms.subject_id) == (
        f"dsr-{request_id}",
        "inquiry",
        f"s-{unique}",
    )
    assert terms.deadline_policy_version == "t-22-short"
    assert terms.deadline_policy_digest == SHORTER.digest() != DeadlinePolicy().digest()
    assert (terms.progress_events, terms.last_event) == (0, None)


async def test_a_label_alone_records_no_digest(pool: asyncpg.Pool, unique: str) -> None:
    request_id = f"terms-label-{unique}"
    await IntakeStore(pool).record_submission(parsed("inquiry", request_id, f"s-{unique}"), POLICY)
    terms = await recorded_terms(pool, request_id)
    assert terms is not None and terms.deadline_policy_version == POLICY
    assert terms.deadline_policy_digest is None


async def test_no_request_no_terms(pool: asyncpg.Pool, unique: str) -> None:
    assert await recorded_terms(pool, f"nobody-{unique}") is None


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("kind", "disclosure"),
        ("subject_id", "someone-else"),
        ("workflow_id", "dsr-mallory-1"),
        ("deadline_policy_version", "forged"),
        ("deadline_policy_digest", "0" * 64),
        ("privacy_policy_version", "2099-01"),
    ],
)
async def test_no_role_changes_a_requests_terms(
    pool: asyncpg.Pool, owner_pool: asyncpg.Pool, unique: str, column: str, value: str
) -> None:
    """N5: what a workflow's input is checked against cannot be rewritten to match a
    forged input, by the worker's role (which keeps the row's projection) or the owner's."""
    request_id = f"terms-fixed-{unique}"
    await IntakeStore(pool).record_submission(parsed("inquiry", request_id, f"s-{unique}"), SHORTER)
    for role in (pool, owner_pool):
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="terms"):
            await role.execute(
                f"UPDATE requests SET {column} = $2 WHERE request_id = $1", request_id, value
            )
    # The projection is kept as before.
    await pool.execute(
        "UPDATE requests SET status = 'in_progress' WHERE request_id = $1", request_id
    )
    terms = await recorded_terms(pool, request_id)
    assert terms is not None and terms.deadline_policy_digest == SHORTER.digest()


async def test_progress_counts_every_event_but_a_refused_act(
    pool: asyncpg.Pool, unique: str
) -> None:
    request_id = f"terms-progress-{unique}"
    await IntakeStore(pool).record_submission(parsed("inquiry", request_id, f"s-{unique}"), SHORTER)
    events = EventStore(pool)
    await events.append(event(request_id, EventType.ACT_REFUSED, act="respond", reason="x"))
    terms = await recorded_terms(pool, request_id)
    assert terms is not None and terms.progress_events == 0
    await events.append(event(request_id, EventType.RECEIVED, minutes=1, kind="inquiry"))
    await events.append(event(request_id, EventType.ACT_REFUSED, minutes=2, act="respond"))
    terms = await recorded_terms(pool, request_id)
    assert terms is not None
    assert (terms.progress_events, terms.last_event) == (1, "request.received")
