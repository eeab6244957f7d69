"""Submitting a closed request again reports it as closed and starts nothing, even when
Temporal has dropped its workflow (where REJECT_DUPLICATE alone would start a second)."""

from __future__ import annotations

from typing import Any

import asyncpg

from domain.requests import workflow_id_for
from service.requests import submit
from tests.support.builders import parsed


class NoStarts:
    """A Temporal client that records what it is asked to start."""

    def __init__(self) -> None:
        self.started: list[str] = []

    async def start_workflow(self, *args: Any, **kwargs: Any) -> None:
        self.started.append(kwargs["id"])


async def test_a_closed_request_submitted_again_starts_nothing(
    pool: asyncpg.Pool, unique: str
) -> None:
    submission = parsed("inquiry", f"closed-{unique}", f"subj-{unique}")
    temporal = NoStarts()
    first = await submit(
        submission,
        client=temporal,
        pool=pool,  # type: ignore[arg-type]
        task_queue="unused",
    )
    assert first.created and first.workflow_started
    assert temporal.started == [workflow_id_for(f"closed-{unique}")]
    await pool.execute(
        "UPDATE requests SET status = 'closed', outcome = 'answered', closed_at = now()"
        " WHERE request_id = $1",
        submission.request_id,
    )

    again = await submit(
        submission,
        client=temporal,
        pool=pool,  # type: ignore[arg-type]
        task_queue="unused",
    )

    assert temporal.started == [workflow_id_for(f"closed-{unique}")]  # nothing more
    assert (again.closed, again.created, again.workflow_started) == (True, False, False)
    assert again.outcome == "answered"
    assert again.message.startswith(f"request closed-{unique} is closed with outcome answered")
    assert "nothing was started" in again.message
