"""A request's workflow checks its input against the record before any effect (issue 22,
review N5 and N9): the first activity of every new run of `DataSubjectRequest`.

It reads only. A refusal is a non-retryable failure naming the problem, with nothing
written: no event, no notice, no deadline. The run's workflow id is the server's
(`activity.info()`), not the input's, so a start under one request's workflow id with
another request's id is told apart."""

from __future__ import annotations

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.messages import RequestRef
from domain.request_terms import start_problem
from store.request_terms import recorded_terms

log = structlog.get_logger(__name__)


class StartChecks:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name="check_start")
    async def check_start(self, ref: RequestRef) -> None:
        """Refuse the run unless its input is the request's terms on record and the
        request's chain shows no earlier run's progress (domain/request_terms.py)."""
        workflow_id = activity.info().workflow_id or ""  # none: not run by a workflow
        problem = start_problem(ref, workflow_id, await recorded_terms(self._pool, ref.request_id))
        if problem is None:
            return
        log.warning(
            "workflow start refused",
            request_id=ref.request_id,
            workflow_id=workflow_id,
            refused=problem.refused.value,
            reason=problem.message,
        )
        raise ApplicationError(problem.message, type=problem.refused.value, non_retryable=True)

    def all(self) -> list:
        return [self.check_start]
