"""A request's terms as intake recorded them, for the check of its workflow's input
(domain/request_terms.py, issue 22)."""

from __future__ import annotations

import asyncpg

from domain.events import EventType
from domain.request_terms import RecordedTerms
from store.connection import Connection


async def recorded_terms(pool: asyncpg.Pool | Connection, request_id: str) -> RecordedTerms | None:
    """The request's terms and the progress on its chain (events other than refused acts,
    which record an act not taken); None if no request has this id."""
    row = await pool.fetchrow(
        """SELECT r.request_id, r.workflow_id, r.kind, r.subject_id,
                  r.deadline_policy_version, r.deadline_policy_digest, r.privacy_policy_version,
                  p.progress_events, p.last_event
             FROM requests r,
                  LATERAL (SELECT count(*)::int AS progress_events,
                                  (array_agg(e.type ORDER BY e.seq DESC))[1] AS last_event
                             FROM request_events e
                            WHERE e.request_id = r.request_id AND e.type <> $2) p
            WHERE r.request_id = $1""",
        request_id,
        EventType.ACT_REFUSED.value,
    )
    return None if row is None else RecordedTerms(**dict(row))
