"""No personal data through failures: a database error raised in an activity quotes the
row ("Failing row contains (..., secret-pii-marker@example.jp, ...)"); what reaches the
workflow's history and the log lines is its SQLSTATE and constraint name only.

Personal data is sealed at rest, so a row read back holds ciphertext; the plain value
exists only where an activity opened it. The activity tests therefore seal the address,
open it inside the activity and fail with it: in a row that breaks a CHECK, and in an
error message of the activity's own."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pydantic
import pytest
import structlog
from google.protobuf.json_format import MessageToJson
from temporalio import activity
from temporalio.api.failure.v1 import Failure
from temporalio.client import Client, WorkflowFailureError
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.converter import DataConverter
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from domain.messages import Investigation, RequestStep
from domain.requests import workflow_id_for
from runtime.logs import console_renderer
from runtime.scrubbed_failures import (
    WITHHELD,
    FailureScrubbingInterceptor,
    ScrubbingFailureConverter,
    scrubbed,
)
from store.database import create_pool
from store.sealing import Vault, vault_of
from tests.support.database import database_with_roles
from tests.support.privacy import leaks, readable_history
from tests.support.scenarios import Scenario, event_types
from tests.support.temporal import faulty_rig, verified_acts
from workflows.request_effects import DETERMINISTIC_ERRORS

MARKER = "secret-pii-marker@example.jp"
PII_MARKERS = [MARKER, "secret-pii-marker"]


async def _raised_by(pool: asyncpg.Pool, sql: str, *args: Any) -> asyncpg.PostgresError:
    with pytest.raises(asyncpg.PostgresError) as raised:
        await pool.execute(sql, *args)
    error = raised.value
    assert MARKER in f"{error} {error.detail or ''}"  # the database quotes it
    return error


async def _database_errors(pool: asyncpg.Pool, subject_id: str) -> list[asyncpg.PostgresError]:
    await pool.execute("INSERT INTO subjects (subject_id) VALUES ($1)", subject_id)
    insert = """INSERT INTO personal_data
                    (subject_id, category, field, value, purpose, lawfully_obtained)
                VALUES ($1, $2, $3, $4, 'billing', true)"""
    truncation = asyncpg.exceptions.StringDataRightTruncationError.new(
        {
            "C": "22001",
            "M": f"value too long for type character varying(8): {MARKER}",
            "t": "requests",
            "c": "requester_email",
        }
    )
    return [
        await _raised_by(pool, insert, subject_id, "not-a-category", "email", MARKER),
        await _raised_by(pool, insert, subject_id, "contact", None, MARKER),
        await _raised_by(pool, insert, MARKER, "contact", "email", "x"),
        await _raised_by(
            pool, "INSERT INTO subjects (subject_id) VALUES ($1), ($1)", f"{subject_id}-{MARKER}"
        ),
        await _raised_by(pool, "SELECT CAST($1::text AS integer)", MARKER),
        truncation,
    ]


async def test_database_errors_are_reduced_to_sqlstate_and_schema_names(
    pool: asyncpg.Pool, unique: str
) -> None:
    errors = await _database_errors(pool, f"s-{unique}")
    names = [type(error).__name__ for error in errors]
    assert names == [
        "CheckViolationError",
        "NotNullViolationError",
        "ForeignKeyViolationError",
        "UniqueViolationError",
        "InvalidTextRepresentationError",
        "StringDataRightTruncationError",
    ]
    for error in errors:
        clean = scrubbed(error)
        assert isinstance(clean, ApplicationError)
        assert clean.type == type(error).__name__  # the retry policy matches on it
        assert not clean.non_retryable  # ... and decides, as it did for the original
        assert f"SQLSTATE {error.sqlstate}" in clean.message
        assert clean.__cause__ is None and clean.__context__ is None
        assert not leaks(clean.message, PII_MARKERS) and not leaks(repr(clean.details), PII_MARKERS)
    check = scrubbed(errors[0])
    assert isinstance(check, ApplicationError)
    assert "personal_data_category_check" in check.message
    assert "table personal_data" in check.message
    assert check.type in DETERMINISTIC_ERRORS
    assert "column requester_email" in str(scrubbed(errors[-1]))


class _Input(pydantic.BaseModel):
    email: int


def test_foreign_errors_keep_their_type_and_ours_keep_their_message() -> None:
    try:
        _Input.model_validate({"email": MARKER})
    except pydantic.ValidationError as error:
        invalid = error
    assert MARKER in str(invalid)
    for foreign in (invalid, ValueError(f"bad address {MARKER}"), KeyError(MARKER)):
        clean = scrubbed(foreign)
        assert isinstance(clean, ApplicationError)
        assert clean.type == type(foreign).__name__ and not leaks(str(clean), PII_MARKERS)

    try:
        try:
            raise ValueError(MARKER)
        except ValueError as cause:
            raise ApplicationError(
                "request r-1 is unknown", type="UnknownRequest", non_retryable=True
            ) from cause
    except ApplicationError as error:
        ours = error
    clean = scrubbed(ours)
    assert clean is ours and ours.message == "request r-1 is unknown" and ours.non_retryable
    assert isinstance(ours.__cause__, ApplicationError) and ours.__cause__.type == "ValueError"
    assert not leaks(str(ours.__cause__), PII_MARKERS) and ours.__context__ is None


async def test_the_failure_converter_scrubs_what_the_sdk_converts_itself() -> None:
    """The SDK wraps an argument that fails to decode in its own ApplicationError, with
    the ValidationError (which quotes the argument) as its cause."""
    try:
        _Input.model_validate({"email": MARKER})
    except pydantic.ValidationError as invalid:
        try:
            raise ApplicationError("Failed decoding arguments") from invalid
        except ApplicationError as wrapped:
            error = wrapped
    converter = DataConverter(failure_converter_class=ScrubbingFailureConverter)
    failure = Failure()
    converter.failure_converter.to_failure(error, converter.payload_converter, failure)
    text = MessageToJson(failure)
    assert "Failed decoding arguments" in text and "ValidationError" in text
    assert not leaks(text, PII_MARKERS)


@pytest.fixture
async def own_pool(postgres_server: str, vault: Vault) -> AsyncIterator[asyncpg.Pool]:
    """A store of the test's own, set up as the suite's is (tests/conftest.py, `roles`):
    the request it fails must not show in other tests' lists of failed requests."""
    async with database_with_roles(postgres_server, "dsr_failures") as roles:
        pool = await create_pool(roles.runtime_url, max_size=4, vault=vault)
        try:
            yield pool
        finally:
            await pool.close()


async def _registered(pool: asyncpg.Pool, subject_id: str) -> None:
    """A subject whose e-mail on record is the marker, sealed as the inventory keeps it:
    at rest it is ciphertext, so only an activity that opens it holds it in plain."""
    async with pool.acquire() as connection, connection.transaction():
        vault = vault_of(connection)
        await connection.execute("INSERT INTO subjects (subject_id) VALUES ($1)", subject_id)
        await connection.execute(
            """INSERT INTO personal_data (subject_id, category, field, value, value_index,
                                          purpose)
               VALUES ($1, 'contact', 'email', $2, $3, 'service_emails')""",
            subject_id,
            await vault.seal(connection, subject_id, MARKER),
            vault.blind_index(MARKER),
        )


# What fails, inside the activity, once it has opened the address: `check` writes it in
# plain into a row that breaks a CHECK (a value on its way to be sealed, or a column that
# never was), so PostgreSQL's detail quotes it; `opened` raises an error of the activity's
# own code whose message quotes it. (The failure converter alone passes a plain ValueError
# as written, since that is how an update's refusal reaches an operator: only the
# interceptor guards an activity's ValueError, so `opened` runs with it alone.)
CASES = [("interceptor", "check"), ("converter", "check"), ("interceptor", "opened")]
EXPECTED = {
    "check": ("CheckViolationError", ["SQLSTATE 23514", "personal_data_category_check"]),
    "opened": ("ValueError", [WITHHELD]),
}


@pytest.mark.parametrize(("guard", "failure"), CASES)
async def test_a_failure_quoting_personal_data_in_an_activity_reaches_neither_history_nor_logs(
    time_skipping_env: WorkflowEnvironment,
    own_pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
    guard: str,
    failure: str,
) -> None:
    """`interceptor`: the worker's interceptor, as the service runs it. `converter`: the
    failure converter alone, on the client the worker polls with, keeps the history clean
    too; the SDK's log line comes before any conversion, so only the interceptor keeps
    the logs clean."""
    client, pool = time_skipping_env.client, own_pool
    interceptors = [FailureScrubbingInterceptor(), *verified_acts()]
    if guard == "converter":
        client = Client(
            **{
                **client.config(),
                "data_converter": dataclasses.replace(
                    pydantic_data_converter, failure_converter_class=ScrubbingFailureConverter
                ),
            }
        )
        interceptors = verified_acts()
    attempts: list[int] = []
    raised: list[str] = []
    rid, sid = f"pii-fail-{unique}", f"s-{unique}"

    @activity.defn(name="investigate")
    async def investigate_into_a_failure(step: RequestStep) -> Investigation:
        attempts.append(activity.info().attempt)
        async with pool.acquire() as connection:
            address = vault_of(connection).open(
                await connection.fetchval(
                    "SELECT value FROM personal_data WHERE subject_id = $1 AND field = 'email'", sid
                )
            )
        try:
            if failure == "opened":
                raise ValueError(f"cannot reach {address}: the address is not deliverable")
            # PostgreSQL's detail says "Failing row contains (..., secret-pii-marker@...)".
            await pool.execute(
                """INSERT INTO personal_data
                       (subject_id, category, field, value, purpose, lawfully_obtained)
                   VALUES ($1, 'not-a-category', 'email', $2, 'billing', true)""",
                sid,
                address,
            )
        except Exception as error:
            raised.append(f"{error} {getattr(error, 'detail', '') or ''}")
            raise
        raise AssertionError("the insert above must fail")

    caplog.set_level(logging.INFO)
    await _registered(pool, sid)
    async with faulty_rig(
        client,
        pool,
        tmp_path,
        unique,
        "dsr-pii-fail",
        interceptors=interceptors,
        investigate=investigate_into_a_failure,
    ) as rig:
        await (
            Scenario(rig, "pii-fail")
            .unseeded()
            .correction({"field": "phone", "action": "correct", "new_value": "03-9"})
            .verified()
        )
        handle = client.get_workflow_handle(workflow_id_for(rid))
        with pytest.raises(WorkflowFailureError):
            async with asyncio.timeout(30):
                await handle.result()
        history_json = (await handle.fetch_history()).to_json()
    history = readable_history(history_json)

    # The failure really quoted the address, which the store holds only sealed.
    assert len(raised) == 1 and MARKER in raised[0]
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM personal_data WHERE value LIKE '%secret-pii-marker%'"
        )
        == 0
    )
    assert attempts == [1]  # non-retryable, as the raw error was
    assert "step.failed" in await event_types(pool, rid)
    failed = [
        event
        for event in json.loads(history_json)["events"]
        if "activityTaskFailedEventAttributes" in event
    ]
    assert len(failed) == 1
    failed_with = failed[0]["activityTaskFailedEventAttributes"]["failure"]
    kind, words = EXPECTED[failure]
    assert failed_with["applicationFailureInfo"]["type"] == kind
    assert all(word in failed_with["message"] for word in words), failed_with["message"]
    assert "cause" not in failed_with
    assert not leaks(history, PII_MARKERS)
    if guard == "converter":
        return

    formatter = logging.Formatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "Completing activity as failed" in logged  # the SDK's line, with the traceback
    assert words[0] in logged
    out, err = capfd.readouterr()
    assert not any(leaks(text, PII_MARKERS) for text in (logged, out, err))


def test_the_terminals_tracebacks_show_no_local_values() -> None:
    """structlog's console default (rich) prints every frame's locals beside the
    traceback; an activity's locals hold the rows it read."""

    def read_a_row() -> None:
        row = {"email": MARKER}  # noqa: F841 - the local a traceback must not show
        raise ValueError("SQLSTATE 23514")

    try:
        read_a_row()
    except ValueError as error:
        exc_info = (type(error), error, error.__traceback__)

    def rendered(renderer: structlog.dev.ConsoleRenderer) -> str:
        return str(
            renderer(
                None, "warning", {"event": "Completing activity as failed", "exc_info": exc_info}
            )
        )

    assert MARKER in rendered(structlog.dev.ConsoleRenderer())  # what the default shows
    shown = rendered(console_renderer())
    assert "read_a_row" in shown and "SQLSTATE 23514" in shown
    assert not leaks(shown, PII_MARKERS)
