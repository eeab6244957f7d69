"""The `dsr` command line (argparse), on the client API of service/.

`dsr submit --json FILE` validates a request, records it in Postgres and starts its
workflow; `dsr respond`, `verify-identity`, `record-payment`, `decide`,
`approve-measure` and `extend` are the operators' acts (and, on a closed disclosure,
`reissue-disclosure-link`); `dsr status` asks a workflow
where it stands; `dsr setup` prepares an existing cluster and database; `dsr audit`
replays histories and verifies event chains; `dsr inventory`, `dsr policy`, `dsr purposes`
and `dsr provisions` keep the organisation's registers. Exit status: 0 done, 2 the input
was refused (nothing was written), 1 the service could not be reached, 3 an audit found a
divergence, or `dsr provisions check` found a provision with no valid basis.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

from temporalio.service import RPCError

from domain.messages import StatusView
from domain.requests import InvalidSubmission, parse_submission
from interfaces.cli import accounts as cli_accounts
from interfaces.cli import acts as cli_acts
from interfaces.cli import datastores as cli_datastores
from interfaces.cli import disclosure_links as cli_disclosure_links
from interfaces.cli import inventory as cli_inventory
from interfaces.cli import policy as cli_policy
from interfaces.cli import provisions as cli_provisions
from interfaces.cli import purposes as cli_purposes
from interfaces.cli import records as cli_records
from interfaces.cli import refunds as cli_refunds
from interfaces.cli import review as cli_review
from interfaces.cli.records import emit
from runtime.cluster import ensure_retention, ensure_search_attributes
from runtime.settings import Settings, SettingsError, load_settings, spoken_duration
from service import acts
from service.requests import (
    Diverged,
    Refused,
    Unavailable,
    acting,
    connections,
    respond,
    signed_in,
    status,
    submit,
)
from store.privileges import RolesMisconfigured, prepare_store, runtime_problems


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
    except RecursionError:
        raise Refused("request: nested too deeply to be a request") from None
    except ValueError as error:  # e.g. an integer of thousands of digits
        raise Refused(f"request: not usable JSON ({str(error)[:80]})") from None


def _read_text(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise Refused(f"cannot read {path}: {error}") from None


async def _run(args: argparse.Namespace, settings: Settings) -> None:
    if args.command == "submit":
        data = _read_json(args.json)
        submission = parse_submission(data)  # before any connection: bad input writes nothing
        async with connections(settings) as (client, pool):
            result = await submit(
                submission,
                client=client,
                pool=pool,
                task_queue=settings.temporal.task_queue,
                deadline_policy=settings.policy.deadline_policy(),
            )
        emit(args.output, {**asdict(result), "message": result.message}, result.message)
    elif args.command == "respond":
        text = _read_text(args.text_file)
        async with connections(settings) as (client, pool):
            actor = await signed_in(settings, pool, doing="dsr respond")
            view = await acting(
                pool,
                actor,
                "dsr respond",
                respond(args.request_id, text, actor, client=client, pool=pool, act_id=args.act_id),
            )
        emit(
            args.output,
            view.model_dump(mode="json"),
            f"answer recorded for {args.request_id} by {actor.account}; the answer notice follows",
        )
    elif args.command in cli_acts.OPERATOR_ACTS:
        texts = {
            name: _read_text(getattr(args, f"{name}_file"))
            for name in ("reason", "measure", "include_reason", "note")
            if getattr(args, f"{name}_file", None)
        }
        async with connections(settings) as (client, pool):
            actor = await signed_in(settings, pool, doing=f"dsr {args.command}")
            send = cli_acts.OPERATOR_ACTS[args.command]
            view = await acting(
                pool, actor, f"dsr {args.command}", send(args, actor, client, pool, texts)
            )
        emit(
            args.output,
            view.model_dump(mode="json"),
            f"{args.command} recorded for {args.request_id} by {actor.account}; "
            f"{where_it_stands(view)}",
        )
    elif args.command == "status":
        async with connections(settings) as (client, pool):
            view = await status(args.request_id, client=client, pool=pool)
        emit(
            args.output,
            view.model_dump(mode="json"),
            " ".join(f"{key}={value}" for key, value in view.model_dump(mode="json").items()),
        )
    elif args.command in ("list", "show", "audit"):
        await cli_records.run(args, settings)
    elif args.command == "review":
        await cli_review.run(args, settings)
    elif args.command == "inventory":
        await cli_inventory.run(args, settings)
    elif args.command == "datastores":
        await cli_datastores.run(args, settings)
    elif args.command == "accounts":
        await cli_accounts.run(args, settings)
    elif args.command == "policy":
        await cli_policy.run(args, settings)
    elif args.command == "provisions":
        await cli_provisions.run(args, settings)
    elif args.command == "purposes":
        await cli_purposes.run(args, settings)
    elif args.command == cli_disclosure_links.COMMAND:
        await cli_disclosure_links.run(args, settings)
    elif args.command == cli_refunds.COMMAND:
        await cli_refunds.run(args, settings)
    elif args.command == "setup":
        dsn = settings.database.url
        if dsn is None or settings.temporal.address is None:
            raise Refused(
                "setup prepares an existing cluster: set TEMPORAL_ADDRESS and "
                "DATABASE_URL (make run prepares the embedded ones itself)"
            )
        # Migrations as the schema's owner (DSR_OWNER_DATABASE_URL), then the runtime
        # role's grants; with DATABASE_URL alone, that one role does both.
        try:
            migrations = await prepare_store(dsn, settings.database.owner_url)
        except RolesMisconfigured as error:
            raise Refused(str(error)) from None
        async with connections(settings) as (client, pool):
            problems = await runtime_problems(pool)
            added = await ensure_search_attributes(client, settings.temporal.namespace)
            retained = await ensure_retention(
                client, settings.temporal.namespace, settings.schedules.retention
            )
        retention = spoken_duration(settings.schedules.retention, "dh")
        emit(
            args.output,
            {
                "migrations_applied": migrations,
                "search_attributes_added": added,
                "retention": retention if retained else None,
                "runtime_role_problems": problems,
            },
            f"migrations applied: {migrations or 'none'}; "
            f"search attributes added: {added or 'none'}; retention of closed workflows: "
            + (retention if retained else "left as the cluster has it (refused)")
            + "".join(
                f"\nwarning: {p}: the service's role can change the evidence; set "
                "DSR_OWNER_DATABASE_URL to the schema owner and DATABASE_URL to a "
                "runtime role (docs/audit.md)"
                for p in problems
            ),
        )


def where_it_stands(view: StatusView) -> str:
    """The request's state after an act, in words: what the act completed and what comes
    next, or what the request still waits for."""
    if view.outcome is not None:
        return f"closed with outcome {view.outcome}"
    if view.step is None:
        return f"status {view.status.value}"
    if view.step_done:
        following = view.next_step.value if view.next_step else "closing"
        return f"{view.step.value} is done; next: {following}"
    if view.awaiting:
        return f"now at {view.step.value}, waiting for {view.awaiting}"
    return f"now at {view.step.value}"


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="dsr", description="Data-subject request service.")
    top.add_argument("--output", choices=("text", "json"), default="text")
    commands = top.add_subparsers(dest="command", required=True)
    sub = commands.add_parser("submit", help="submit a request (JSON) and start its workflow")
    sub.add_argument("--json", required=True, metavar="FILE", help="request JSON; - for stdin")
    sub = commands.add_parser("respond", help="answer an inquiry")
    sub.add_argument("request_id")
    sub.add_argument("--text-file", required=True, metavar="FILE", help="the answer; - for stdin")
    sub.add_argument("--act-id", help=cli_acts.ACT_ID_HELP)
    cli_acts.add_parsers(commands)
    sub = commands.add_parser("status", help="where a request stands (asks its workflow)")
    sub.add_argument("request_id")
    commands.add_parser(
        "setup",
        help="apply migrations and register search attributes on "
        "the configured (existing) Temporal and Postgres",
    )
    cli_records.add_parsers(commands)
    cli_review.add_parsers(commands)
    cli_inventory.add_parsers(commands)
    cli_datastores.add_parsers(commands)
    cli_accounts.add_parsers(commands)
    cli_policy.add_parsers(commands)
    cli_provisions.add_parsers(commands)
    cli_purposes.add_parsers(commands)
    cli_disclosure_links.add_parsers(commands)
    cli_refunds.add_parsers(commands)
    for name, command in commands.choices.items():
        del name
        command.add_argument("--output", choices=("text", "json"), default=argparse.SUPPRESS)
    return top


def main(argv: list[str] | None = None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as exit_:  # argparse has printed its message; usage errors are 2
        return exit_.code if isinstance(exit_.code, int) else 2
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
    except (Unavailable, acts.Unanswered) as error:
        sys.stderr.write(f"dsr: {error}\n")
        return 1
    except RPCError as error:
        sys.stderr.write(
            f"dsr: Temporal refused the call: {error.message} "
            f"({error.status.name}); is the service running?\n"
        )
        return 1
    except (Diverged, cli_datastores.MapMismatch):
        return 3
    return 0


def cli() -> NoReturn:
    """The `dsr` command: exits with its own status, never by a crash in interpreter
    teardown. The Temporal SDK's runtime threads can abort a finalising interpreter
    (temporalio/sdk-python#300: "PyGILState_Release ... finalizing", SIGABRT) after the
    command has done its work; by now everything is done and flushed, so end here."""
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
