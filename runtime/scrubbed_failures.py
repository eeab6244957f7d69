"""No personal data leaves an activity through an exception.

An exception that ends an activity is logged by the SDK ("Completing activity as failed",
with its traceback) and stored in the workflow's history as the activity's failure, where
no deletion can reach it. A database error's message and detail quote the row (asyncpg's
"Failing row contains (req-1, Hanako Yamada, hanako@example.jp, ...)"), a library's
ValueError or pydantic's ValidationError echo the input. So before the SDK sees it, every
exception leaving an activity is replaced by one that carries:

- for a database error: its SQLSTATE and the schema names PostgreSQL reports (table,
  column, constraint), which are schema, not data;
- for an `ApplicationError` our activities raise: its own message (written to carry ids
  only), with its chain scrubbed the same way;
- for anything else: its type and a message saying the original was withheld.

The failure keeps the original exception's type name as its `type`, so the retry policy
(`workflows.request_effects.ACTIVITY_RETRY`, which matches on type names such as
"CheckViolationError") decides exactly as before; the traceback (code lines, no values)
is kept for whoever debugs it. The original is never chained (`__cause__` and
`__context__` are dropped), so neither the failure converter nor a log formatter finds it.

`ScrubbingFailureConverter` applies the same rule to whatever the SDK converts outside the
interceptor (an argument that fails to decode, a workflow's own failure).
"""

from __future__ import annotations

from typing import Any

import asyncpg
from temporalio.api.failure.v1 import Failure
from temporalio.converter import DefaultFailureConverter, PayloadConverter
from temporalio.exceptions import ApplicationError, CancelledError, FailureError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

WITHHELD = "message withheld: it may quote personal data"
_MAX_CHAIN = 8  # a chain longer than this is cut, not followed


def database_message(error: asyncpg.PostgresError) -> str:
    """What a database error says without the data: its SQLSTATE and schema names.
    PostgreSQL's message and detail are left out, since they quote values and rows."""
    parts = [f"SQLSTATE {error.sqlstate or '?????'}"]  # the condition is the failure's type
    for label, name in (
        ("table", error.table_name),
        ("column", error.column_name),
        ("constraint", error.constraint_name),
    ):
        if name:
            parts.append(f"{label} {name}")
    return ", ".join(parts)


def scrubbed(error: BaseException, depth: int = 0) -> BaseException:
    """`error` as it may leave an activity or enter a history: the same exception when it
    carries nothing to scrub, else a replacement (an `ApplicationError` of the same type
    name); the chain of either is scrubbed too, or cut."""
    if not isinstance(error, Exception) or isinstance(error, CancelledError):
        return error  # the SDK's own control flow: cancellation, completing asynchronously
    if isinstance(error, FailureError):
        # Ours (an ApplicationError our code raised, written to carry ids only) or the
        # SDK's (an activity failed, a timeout): the message stays, the chain is scrubbed.
        cause = error.__cause__
        error.__cause__ = (
            scrubbed(cause, depth + 1) if cause is not None and depth < _MAX_CHAIN else None
        )
        error.__context__ = None
        error.__suppress_context__ = True
        return error
    if isinstance(error, asyncpg.PostgresError):
        message = database_message(error)
    else:
        message = WITHHELD  # shown after the type, which is the original's class name
    replacement = ApplicationError(message, type=type(error).__name__)
    replacement.__suppress_context__ = True
    return replacement.with_traceback(error.__traceback__)


class _ScrubFailures(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except Exception as error:  # every one is scrubbed, then raised
            clean = scrubbed(error)
        # Raised outside the `except`, so Python does not chain the original as context.
        raise clean


class FailureScrubbingInterceptor(Interceptor):
    """Outermost of the worker's activity interceptors, so every other one's errors are
    scrubbed too and the SDK logs and stores only the scrubbed failure."""

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _ScrubFailures(next)


class ScrubbingFailureConverter(DefaultFailureConverter):
    """The failure converter's backstop: an exception the SDK converts without the
    interceptor seeing it (an activity's arguments that fail to decode, whose cause is a
    ValidationError quoting them) is scrubbed the same way. Failures the SDK itself
    builds (an activity or child workflow failed, a timeout) pass, their causes
    scrubbed."""

    def to_failure(
        self, exception: BaseException, payload_converter: PayloadConverter, failure: Failure
    ) -> None:
        # A plain ValueError here is an update's refusal, raised by our validators (and the
        # act-authority check) to tell the operator why: written to carry ids only, it must
        # reach them as written. pydantic's ValidationError, a subclass, is scrubbed.
        kept = exception if type(exception) is ValueError else scrubbed(exception)
        super().to_failure(kept, payload_converter, failure)
