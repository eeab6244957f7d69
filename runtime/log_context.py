"""Binds the workflow and request ids to every log line an activity writes."""

from __future__ import annotations

from typing import Any

import structlog
from temporalio import activity
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from domain.requests import WORKFLOW_ID_PREFIX


class _BindActivityIds(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        workflow_id = info.workflow_id or ""
        with structlog.contextvars.bound_contextvars(
            workflow_id=workflow_id,
            request_id=workflow_id.removeprefix(WORKFLOW_ID_PREFIX),
            activity=info.activity_type,
            attempt=info.attempt,
        ):
            return await super().execute_activity(input)


class LogContextInterceptor(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _BindActivityIds(next)
