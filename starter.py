"""The client: `submit()` for backend services and the `dsr` command line.

`dsr submit --json FILE` validates a request, records it in Postgres and starts its
workflow; `dsr respond` answers an inquiry; `dsr status` asks a workflow where it stands;
`dsr setup` prepares an existing cluster and database; `dsr audit` replays histories and
verifies event chains. Exit status: 0 done, 2 the input was refused (nothing was
written), 1 the service could not be reached, 3 an audit found a divergence.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import asyncpg
from pydantic import TypeAdapter, ValidationError
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.database import apply_migrations, create_pool
from activities.event_store import EventStore, UnknownRequest
from activities.intake_store import ConflictingSubmission, IntakeStore
from domain.deadlines import DeadlinePolicy
from domain.lifecycle import AVAILABLE_KINDS
from domain.messages import OperatorId, RequestRef, RespondToInquiry, StatusView
from domain.requests import InvalidSubmission, SubjectRequest, Text, parse_submission
from runtime.cluster import connect, ensure_search_attributes
from runtime.servers import running_embedded_postgres
from runtime.settings import Settings, SettingsError, load_settings
from workflows import search_attributes as sa
from workflows.replay import replay_files

WORKFLOW = "DataSubjectRequest"


class Refused(Exception):
    """The user's input was refused; nothing was written. Exit status 2."""


class Diverged(Exception):
    """An audit found a history that no longer replays or a broken chain. Exit status 3."""


class Unavailable(Exception):
    """The service's servers could not be reached. Exit status 1."""


@dataclass(frozen=True)
class SubmissionResult:
    request_id: str
    workflow_id: str
    kind: str
    created: bool
    workflow_started: bool

    @property
    def message(self) -> str:
        if self.created:
            return f"submitted {self.kind} request {self.request_id} as workflow {self.workflow_id}"
        if self.workflow_started:
            return (
                f"request {self.request_id} was recorded earlier but had no workflow; "
                f"started {self.workflow_id} now"
            )
        return (
            f"request {self.request_id} was already submitted; workflow {self.workflow_id} "
            "is the existing one"
        )


async def submit(
    request: SubjectRequest | Mapping[str, Any],
    *,
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    deadline_policy: DeadlinePolicy | None = None,
) -> SubmissionResult:
    """Validate, record and start one request. Idempotent on its request id: the same
    submission again reports the existing request and workflow; a different submission
    under a used id is refused. Raises InvalidSubmission or Refused on bad input."""
    submission = request if not isinstance(request, Mapping) else parse_submission(dict(request))
    if submission.kind not in AVAILABLE_KINDS:
        raise InvalidSubmission(
            [("kind", f"{submission.kind.value} requests are in the contract but their "
                      "lifecycle is not available yet")]
        )
    policy = deadline_policy or DeadlinePolicy()
    try:
        recorded = await IntakeStore(pool).record_submission(submission, policy.version)
    except ConflictingSubmission as error:
        raise Refused(str(error)) from None
    ref = RequestRef(
        request_id=submission.request_id, subject_id=submission.subject_id,
        kind=submission.kind, deadline_policy=policy,
    )
    try:
        await client.start_workflow(
            WORKFLOW, ref, id=recorded.workflow_id, task_queue=task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=TypedSearchAttributes([
                SearchAttributePair(sa.KIND, submission.kind.value),
                SearchAttributePair(sa.STATUS, recorded.status),
                SearchAttributePair(sa.OVERDUE, False),
                SearchAttributePair(sa.POLICY_VERSION, policy.version),
            ]),
            static_summary=f"{submission.kind.value} request {submission.request_id}",
        )
        started = True
    except WorkflowAlreadyStartedError:
        started = False
    return SubmissionResult(
        request_id=recorded.request_id, workflow_id=recorded.workflow_id, kind=recorded.kind,
        created=recorded.created, workflow_started=started,
    )


async def respond(
    request_id: str, text: str, operator: str, *, client: Client, pool: asyncpg.Pool
) -> StatusView:
    """Answer an inquiry: the text goes to Postgres, the workflow gets its id."""
    try:
        text = TypeAdapter(Text).validate_python(text)
    except ValidationError as error:
        raise Refused(f"answer text: {error.errors()[0]['msg'].lower()}") from None
    try:
        operator = TypeAdapter(OperatorId).validate_python(operator)
    except ValidationError:
        raise Refused("operator: must be a staff id of letters, digits and . _ @ -") from None
    intake = IntakeStore(pool)
    try:
        summary = await intake.summary(request_id)
    except UnknownRequest as error:
        raise Refused(str(error)) from None
    answer_id = await intake.store_answer(request_id, text, operator)
    handle = client.get_workflow_handle(summary.workflow_id)
    try:
        return await handle.execute_update(
            "respond", RespondToInquiry(answer_id=answer_id, operator=operator),
            result_type=StatusView,
        )
    except WorkflowUpdateFailedError as error:
        await intake.withdraw_answer(answer_id)
        cause = getattr(error.cause, "message", None) or str(error.cause)
        raise Refused(f"request {request_id}: {cause}") from None
    except RPCError as error:
        await intake.withdraw_answer(answer_id)
        if error.status == RPCStatusCode.NOT_FOUND:
            raise Refused(f"request {request_id} is no longer open") from None
        raise


async def status(request_id: str, *, client: Client, pool: asyncpg.Pool) -> StatusView:
    try:
        summary = await IntakeStore(pool).summary(request_id)
    except UnknownRequest as error:
        raise Refused(str(error)) from None
    handle = client.get_workflow_handle(summary.workflow_id)
    try:
        return await handle.query("status", result_type=StatusView)
    except RPCError as error:
        if error.status == RPCStatusCode.NOT_FOUND:
            raise Refused(
                f"request {request_id} has no workflow; submit it again to start one"
            ) from None
        raise


@contextlib.asynccontextmanager
async def connections(
    settings: Settings, *, temporal: bool = True
) -> AsyncIterator[tuple[Client | None, asyncpg.Pool]]:
    """The client and pool for the configured servers, or those `make run` started."""
    dsn = settings.database_url or running_embedded_postgres(settings.data_dir)
    if dsn is None:
        raise Unavailable(
            f"no database: the embedded PostgreSQL in {settings.data_dir} is not running. "
            "Start the service with `make run`, or set DATABASE_URL."
        )
    address = settings.temporal_address or f"127.0.0.1:{settings.temporal_port}"
    try:
        pool = await create_pool(dsn, max_size=2)
    except (OSError, asyncpg.PostgresError) as error:
        raise Unavailable(f"cannot reach the database: {error}") from None
    try:
        try:
            client = await connect(address, settings.temporal_namespace) if temporal else None
        except RuntimeError as error:
            raise Unavailable(
                f"cannot reach Temporal at {address}: start the service with `make run`, "
                "or set TEMPORAL_ADDRESS"
            ) from error
        yield client, pool
    finally:
        await pool.close()


def _read_json(source: str) -> Any:
    try:
        raw = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Refused(f"cannot read {source}: {error}") from None
    if not raw.strip():
        raise Refused("request: the input is empty; expected a JSON object")
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise Refused(f"request: not valid JSON ({error.msg} at line {error.lineno})") from None


def _read_text(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Refused(f"cannot read {path}: {error}") from None


def _emit(output: str, document: Mapping[str, Any], line: str) -> None:
    if output == "json":
        sys.stdout.write(json.dumps(document, default=str, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(line + "\n")


async def _run(args: argparse.Namespace, settings: Settings) -> None:
    if args.command == "submit":
        data = _read_json(args.json)
        submission = parse_submission(data)  # before any connection: bad input writes nothing
        async with connections(settings) as (client, pool):
            result = await submit(submission, client=client, pool=pool,
                                  task_queue=settings.task_queue)
        _emit(args.output, {**asdict(result), "message": result.message}, result.message)
    elif args.command == "respond":
        text = _read_text(args.text_file)
        async with connections(settings) as (client, pool):
            view = await respond(args.request_id, text, args.operator, client=client, pool=pool)
        _emit(args.output, view.model_dump(mode="json"),
              f"answer recorded for {args.request_id}; the answer notice follows")
    elif args.command == "status":
        async with connections(settings) as (client, pool):
            view = await status(args.request_id, client=client, pool=pool)
        _emit(args.output, view.model_dump(mode="json"),
              " ".join(f"{key}={value}" for key, value in view.model_dump(mode="json").items()))
    elif args.command == "audit" and args.audit_command == "replay":
        verdicts = await replay_files([Path(p) for p in args.paths])
        if not verdicts:
            raise Refused("no history files found in " + ", ".join(args.paths))
        for verdict in verdicts:
            _emit(args.output, asdict(verdict),
                  f"{verdict.source}: " + ("replayed" if verdict.replayed
                                           else f"DIVERGED: {verdict.problem}"))
        if not all(verdict.replayed for verdict in verdicts):
            raise Diverged()
    elif args.command == "audit" and args.audit_command == "verify":
        async with connections(settings, temporal=False) as (_, pool):
            ids = args.request_ids or [
                row["request_id"]
                for row in await pool.fetch("SELECT request_id FROM requests ORDER BY 1")
            ]
            events = EventStore(pool)
            broken = 0
            for request_id in ids:
                try:
                    verdict = await events.verify(request_id)
                except UnknownRequest as error:
                    raise Refused(str(error)) from None
                broken += not verdict.intact
                _emit(args.output, asdict(verdict) | {"intact": verdict.intact},
                      f"{request_id}: " + (f"intact ({verdict.events} events)" if verdict.intact
                                           else f"BROKEN at seq {verdict.first_broken_seq}: "
                                                f"{verdict.problem}"))
        if broken:
            raise Diverged()
    elif args.command == "setup":
        dsn = settings.database_url
        if dsn is None or settings.temporal_address is None:
            raise Refused("setup prepares an existing cluster: set TEMPORAL_ADDRESS and "
                          "DATABASE_URL (make run prepares the embedded ones itself)")
        async with connections(settings) as (client, pool):
            migrations = await apply_migrations(pool)
            added = await ensure_search_attributes(client, settings.temporal_namespace)
        _emit(args.output, {"migrations_applied": migrations, "search_attributes_added": added},
              f"migrations applied: {migrations or 'none'}; "
              f"search attributes added: {added or 'none'}")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="dsr", description="Data-subject request service.")
    top.add_argument("--output", choices=("text", "json"), default="text")
    commands = top.add_subparsers(dest="command", required=True)
    sub = commands.add_parser("submit", help="submit a request (JSON) and start its workflow")
    sub.add_argument("--json", required=True, metavar="FILE", help="request JSON; - for stdin")
    sub = commands.add_parser("respond", help="answer an inquiry")
    sub.add_argument("request_id")
    sub.add_argument("--text-file", required=True, metavar="FILE", help="the answer; - for stdin")
    sub.add_argument("--operator", required=True, help="the answering operator's staff id")
    sub = commands.add_parser("status", help="where a request stands (asks its workflow)")
    sub.add_argument("request_id")
    commands.add_parser("setup", help="apply migrations and register search attributes on "
                                      "the configured (existing) Temporal and Postgres")
    audit = commands.add_parser("audit", help="replay histories, verify event chains")
    audits = audit.add_subparsers(dest="audit_command", required=True)
    sub = audits.add_parser("replay", help="replay exported histories against the current code")
    sub.add_argument("paths", nargs="+", help="history JSON files or folders of them")
    sub = audits.add_parser("verify", help="check the hash chain of requests (all by default)")
    sub.add_argument("request_ids", nargs="*")
    for name, command in commands.choices.items():
        del name
        command.add_argument("--output", choices=("text", "json"), default=argparse.SUPPRESS)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
        asyncio.run(_run(args, settings))
    except SettingsError as error:
        sys.stderr.write(f"dsr: invalid setting {error}\n")
        return 2
    except InvalidSubmission as error:
        for field, message in error.problems:
            sys.stderr.write(f"dsr: invalid request: {field}: {message}\n")
        return 2
    except Refused as error:
        sys.stderr.write(f"dsr: {error}\n")
        return 2
    except Unavailable as error:
        sys.stderr.write(f"dsr: {error}\n")
        return 1
    except Diverged:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
