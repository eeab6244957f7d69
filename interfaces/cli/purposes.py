"""`dsr purposes list` and `dsr purposes change ...`: Article 3's purposes of use with
their versions, and Article 4's change of one, through the API (`/api/v1/purposes`).

A change is proposed by an administrator (the signed-in account is who decided; the
reason says why the changed purpose is, or is not, related to the one before). The API
signs it for the account and runs it as the `PurposeChange` workflow, which records the
judgement, refuses an unrelated change and otherwise publishes it and/or notifies every
affected person, as `--method` says. The command waits `--wait` seconds for the result;
a fan-out to many people takes longer, and then it says the change runs and how far it
got (the Web UI shows the same)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from domain.purposes import NoticeMethod
from interfaces.api.register_models import MAX_WAIT, PurposeChangeBody
from interfaces.cli.client import Api, ApiRefused, InputRefused
from interfaces.cli.options import about, output, run
from interfaces.cli.output import emit

app = typer.Typer(
    help="The purposes of use (Article 3) and their changes (Article 4).", no_args_is_help=True
)

# The body's fields as the command's options name them, for error messages.
OPTIONS = {
    "change_id": "--change-id",
    "purpose_id": "--purpose",
    "new_text": "--text",
    "new_text_ja": "--text-ja",
    "reason": "--reason",
    "method": "--method",
    "related": "--related/--unrelated",
    "wait": "--wait",
}
_TIMES = ("effective_from", "superseded_at", "judged_at")


@app.command("list")
def list_purposes() -> None:
    """Every purpose with its versions: text, in force from, until (any account)."""
    rows = [
        {k: datetime.fromisoformat(v) if k in _TIMES and v else v for k, v in row.items()}
        for row in run(lambda api: api.get("/purposes"))
    ]
    emit(output(), rows, listing(rows))


def _about(field: str) -> str:
    return about(PurposeChangeBody, field)


@app.command("change")
def change(
    change_id: Annotated[str, typer.Option("--change-id", help=_about("change_id"))],
    purpose: Annotated[str, typer.Option("--purpose", metavar="ID", help=_about("purpose_id"))],
    text: Annotated[str, typer.Option("--text", help=_about("new_text"))],
    text_ja: Annotated[str, typer.Option("--text-ja", help=_about("new_text_ja"))],
    related: Annotated[bool, typer.Option("--related/--unrelated", help=_about("related"))],
    reason: Annotated[str, typer.Option("--reason", help=_about("reason"))],
    method: Annotated[NoticeMethod, typer.Option("--method", help=_about("method"))],
    wait: Annotated[float, typer.Option("--wait", metavar="SECONDS", help=_about("wait"))] = 10.0,
) -> None:
    """Change a purpose: judged related or refused, then published and/or notified.

    Every affected person is notified when --method says so. Role: admin."""
    if wait < 0:
        raise InputRefused("--wait: give a number of seconds, 0 or more")
    try:
        body = PurposeChangeBody(
            change_id=change_id,
            purpose_id=purpose,
            new_text=text,
            new_text_ja=text_ja,
            related=related,
            reason=reason,
            method=method,
            wait=min(wait, MAX_WAIT),
        )
    except ValidationError as error:
        first = error.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "input"
        raise InputRefused(f"{OPTIONS.get(field, field)}: {first['msg'].lower()}") from None
    reply = run(lambda api: _propose(api, body, wait))
    report(reply)


async def _propose(api: Api, body: PurposeChangeBody, wait: float) -> dict[str, Any]:
    """The change's reply after `wait` seconds at most: the API waits up to MAX_WAIT a
    call, so a longer wait asks again (the same change id: the change made, not another)."""
    until = time.monotonic() + wait
    first: dict[str, Any] | None = None
    while True:
        try:
            sent = body.model_dump(mode="json")
            reply: dict[str, Any] = await api.post("/purposes/changes", sent)
        except ApiRefused as error:
            raise _in_options(error) from None
        first = first or reply
        left = until - time.monotonic()
        if reply["state"] != "running" or left <= 0:
            return {**reply, "started": first["started"]}
        body = body.model_copy(update={"wait": min(left, MAX_WAIT)})


def _in_options(error: ApiRefused) -> ApiRefused:
    """The API's refusal of a field, in the words of the command's option."""
    for problem in error.problem.get("errors") or []:
        field = problem.get("field") if isinstance(problem, dict) else None
        if field in OPTIONS:
            return ApiRefused(f"{OPTIONS[field]}: {problem.get('message')}", error.status)
    return error


def report(reply: dict[str, Any]) -> None:
    change_id = reply["change_id"]
    earlier = "" if reply["started"] else " (started earlier under this change id; shown as it is)"
    if reply["state"] == "failed":
        raise ApiRefused(f"purpose change {change_id} failed{earlier}: {reply.get('failure')}", 409)
    if reply["state"] == "running":
        progress = reply.get("progress")
        if progress is None:
            emit(
                output(),
                {"change_id": change_id, "workflow_id": reply["workflow_id"], "running": True},
                f"purpose change {change_id} runs as workflow {reply['workflow_id']}{earlier}, "
                "waiting for a worker; the Web UI shows its progress.",
            )
            return
        emit(
            output(),
            {**progress, "workflow_id": reply["workflow_id"], "running": True},
            f"purpose change {change_id} runs as workflow {reply['workflow_id']}{earlier}: "
            f"{progress['phase']}, notified {progress['notified']} / {progress['affected']} in "
            f"{progress['batches']} batches so far; the Web UI shows its progress.",
        )
        return
    result = reply["result"]
    if reply["state"] == "refused":
        emit(output(), result, f"purpose change {change_id} was recorded as refused{earlier}.")
        raise ApiRefused(f"purpose change {change_id} refused: {result['refusal']}", 409)
    told = ["published"] if result["published"] else []
    if NoticeMethod(result["method"]).notifies:
        told.append(f"{result['notified']} of {result['affected']} affected people notified")
        if result["unreachable"]:
            told.append(f"{result['unreachable']} with no address on record to write to")
    emit(
        output(),
        result,
        f"purpose {result['purpose_id']} changed (version {result['from_version']} → "
        f"{result['to_version']}) by change {change_id}{earlier}; {'; '.join(told)}.",
    )


def listing(rows: list[dict[str, Any]]) -> str:
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
