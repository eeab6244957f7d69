"""`dsr purposes list` and `dsr purposes change ...`: Article 3's purposes of use with
their versions, and Article 4's change of one.

A change is proposed by an administrator (the signed-in account is who decided; the
reason says why the changed purpose is, or is not, related to the one before) and runs as
the `PurposeChange` workflow, which records the judgement, refuses an unrelated change and
otherwise publishes it and/or notifies every affected person, as `--method` says. The
command waits `--wait` seconds for the result; a fan-out to many people takes longer, and
then it says the change runs and how far it got (the Web UI shows the same)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from temporalio.client import (
    WorkflowFailureError,
    WorkflowHandle,
    WorkflowQueryFailedError,
)
from temporalio.service import RPCError

from domain.authority import Role
from domain.purpose_change_messages import (
    PurposeChangeResult,
)
from domain.purposes import NoticeMethod, PurposeChangeProposal
from interfaces.cli.records import emit
from runtime.settings import Settings
from service.acts import Actor, Forbidden
from service.purpose_changes import start_purpose_change
from service.requests import Refused, connections, signed_in
from store.accounts import Accounts
from store.purposes import load_register, purpose_listing
from workflows.purpose_change import PurposeChange

# The proposal's fields as the command's options name them, for error messages.
_OPTIONS = {
    "change_id": "--change-id",
    "purpose_id": "--purpose",
    "new_text": "--text",
    "new_text_ja": "--text-ja",
    "reason": "--reason",
    "method": "--method",
    "related": "--related/--unrelated",
}


def add_parsers(commands: Any) -> None:
    purposes = commands.add_parser(
        "purposes", help="the purposes of use (Article 3) and their changes (Article 4)"
    )
    sub = purposes.add_subparsers(dest="purposes_command", required=True)
    sub.add_parser("list", help="every purpose with its versions: text, in force from, until")
    change = sub.add_parser(
        "change",
        help="change a purpose (an administrator): judged related or refused, "
        "then published and/or every affected person notified",
    )
    change.add_argument(
        "--change-id",
        required=True,
        help="this change's id (letters, digits, . _ -); the same id again "
        "shows the first change instead of making another",
    )
    change.add_argument(
        "--purpose",
        required=True,
        metavar="ID",
        help="the purpose to change (`dsr purposes list` shows the ids)",
    )
    change.add_argument("--text", required=True, help="the purpose's text after the change")
    change.add_argument(
        "--text-ja",
        required=True,
        help="the same text in Japanese: the change is published and notified in both",
    )
    related = change.add_mutually_exclusive_group(required=True)
    related.add_argument(
        "--related",
        dest="related",
        action="store_true",
        help="the changed purpose is reasonably considered to be related to "
        "the purpose before the change (Article 4 ¶1)",
    )
    related.add_argument(
        "--unrelated",
        dest="related",
        action="store_false",
        help="it is not: the change is recorded and refused",
    )
    change.add_argument(
        "--reason", required=True, help="why it is (or is not) related; at least 10 characters"
    )
    change.add_argument(
        "--method",
        required=True,
        choices=[m.value for m in NoticeMethod],
        help="publish on the website, notify each affected person, or both",
    )
    change.add_argument(
        "--wait",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for the result (default 10); the change runs on either way",
    )
    for command in sub.choices.values():
        command.add_argument("--output", choices=("text", "json"), default=argparse.SUPPRESS)


async def run(args: argparse.Namespace, settings: Settings) -> None:
    if args.purposes_command == "list":
        async with connections(settings, temporal=False) as (_, pool):
            rows = await purpose_listing(pool)
        emit(args.output, rows, _listing(rows))
        return
    if args.wait < 0:
        raise Refused("--wait: give a number of seconds, 0 or more")
    async with connections(settings) as (client, pool):
        admin = await signed_in(settings, pool, doing="dsr purposes change")
        if Role.ADMIN not in admin.roles:
            reason = f"account {admin.account} does not hold the admin role"
            await Accounts(pool).record_refusal(
                403, admin.account, "CLI", "dsr purposes change", reason
            )
            raise Forbidden(reason)
        proposal = _proposal(args, admin)
        if (await load_register(pool)).current(proposal.purpose_id) is None:
            raise Refused(
                f"--purpose: {proposal.purpose_id} is not in the register "
                "(`dsr purposes list` shows the purposes); Article 4 changes a "
                "purpose, it does not add one"
            )
        assert client is not None
        handle, started = await start_purpose_change(
            client, settings.temporal.task_queue, admin, proposal
        )
        await _report(args, handle, started, proposal.change_id)


def _proposal(args: argparse.Namespace, admin: Actor) -> PurposeChangeProposal:
    try:
        return PurposeChangeProposal(
            change_id=args.change_id,
            purpose_id=args.purpose,
            new_text=args.text,
            new_text_ja=args.text_ja,
            related=args.related,
            reason=args.reason,
            decided_by=admin.account,
            method=NoticeMethod(args.method),
            proposed_at=datetime.now(UTC),
        )
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "input"
        raise Refused(f"{_OPTIONS.get(field, field)}: {first['msg'].lower()}") from None


async def _report(
    args: argparse.Namespace, handle: WorkflowHandle, started: bool, change_id: str
) -> None:
    earlier = "" if started else " (started earlier under this change id; shown as it is)"
    try:
        try:
            result: PurposeChangeResult = await asyncio.wait_for(handle.result(), args.wait)
        except TimeoutError:
            running = await _still_running(args, handle, change_id, earlier)
            if running:
                return
            result = await handle.result()  # it ended while it was asked
    except WorkflowFailureError as failure:
        cause: BaseException | None = failure.cause
        while (deeper := getattr(cause, "cause", None)) is not None:
            cause = deeper
        raise Refused(f"purpose change {change_id} failed{earlier}: {cause}") from None
    document = result.model_dump(mode="json")
    if result.status == "refused":
        emit(args.output, document, f"purpose change {change_id} was recorded as refused{earlier}.")
        raise Refused(f"purpose change {change_id} refused: {result.refusal}")
    told = ["published"] if result.published else []
    if NoticeMethod(result.method).notifies:
        told.append(f"{result.notified} of {result.affected} affected people notified")
        if result.unreachable:
            told.append(f"{result.unreachable} with no address on record to write to")
    emit(
        args.output,
        document,
        f"purpose {result.purpose_id} changed (version {result.from_version} → "
        f"{result.to_version}) by change {change_id}{earlier}; {'; '.join(told)}.",
    )


async def _still_running(
    args: argparse.Namespace, handle: WorkflowHandle, change_id: str, earlier: str
) -> bool:
    """Says how far a change that is still running got; False when it has ended."""
    try:
        # No workflow task completed yet (started, task scheduled): no worker has taken it,
        # so a query would only wait for one (and, on a test server, stay pending).
        described = await handle.describe()
        if described.raw_description.workflow_execution_info.history_length < 4:
            raise TimeoutError
        progress = await asyncio.wait_for(handle.query(PurposeChange.progress), 5)
    except (RPCError, WorkflowQueryFailedError, TimeoutError):
        emit(
            args.output,
            {"change_id": change_id, "workflow_id": handle.id, "running": True},
            f"purpose change {change_id} runs as workflow {handle.id}{earlier}, waiting for "
            "a worker; the Web UI shows its progress.",
        )
        return True
    if progress.phase in ("done", "refused"):
        return False
    emit(
        args.output,
        {**progress.model_dump(mode="json"), "workflow_id": handle.id, "running": True},
        f"purpose change {change_id} runs as workflow {handle.id}{earlier}: "
        f"{progress.phase}, notified {progress.notified} / {progress.affected} in "
        f"{progress.batches} batches so far; the Web UI shows its progress.",
    )
    return True


def _listing(rows: list[dict[str, Any]]) -> str:
    lines: list[str] = []
    for row in rows:
        until = (
            f"until {row['superseded_at']:%Y-%m-%d %H:%M}" if row["superseded_at"] else "in force"
        )
        incidental = f" (incidental to {row['incidental_to']})" if row["incidental_to"] else ""
        change = f", change {row['change_id']}" if row["change_id"] else ""
        if row.get("posted_in"):
            change += f", added by policy version {row['posted_in']}"
        if row.get("includes_provision"):
            change += ", includes provision to third parties"
        judged = (
            f"\n    judged related by {row['judged_by']} on {row['judged_at']:%Y-%m-%d}: "
            f"{row['judgement']}"
            if row.get("judged_by")
            else ""
        )
        japanese = f"\n    {row['text_ja']}" if row.get("text_ja") else ""
        lines.append(
            f"{row['purpose_id']} v{row['version']}{incidental}: from "
            f"{row['effective_from']:%Y-%m-%d %H:%M}, {until}{change}\n"
            f"    {row['text']}{japanese}{judged}"
        )
    return (
        "\n".join(lines) or "no purposes recorded: start the worker once (it records Article 3's)"
    )
