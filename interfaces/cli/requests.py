"""`dsr submit`, `status`, `list`, `show` and `respond`: a request's intake, where it
stands, the list of requests and a request's timeline, and the answer to an inquiry."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.text import Text

from domain.lifecycle import RequestStatus
from domain.messages import StatusView
from domain.requests import InvalidSubmission, RequestKind, parse_submission
from interfaces.api.models import RespondBody
from interfaces.cli.client import Api, InputRefused
from interfaces.cli.options import (
    RequestIdArg,
    about,
    build,
    moment,
    output,
    read_json,
    read_text,
    run,
)
from interfaces.cli.output import emit, table

MAX_LIST = 10_000  # rows `dsr list` returns at most, as the API

ActIdOption = Annotated[
    str | None, typer.Option("--act-id", help=about(RespondBody, "act_id"), show_default=False)
]


def submit(
    json_file: Annotated[
        str,
        typer.Option(
            "--json",
            metavar="FILE",
            help="The request as JSON (the intake contract, docs/api.md); - for standard input.",
        ),
    ],
) -> None:
    """Submit a request and start its workflow (role: intake)."""
    data = read_json(json_file)
    try:
        parse_submission(data)  # refused here, with the same messages, before anything is sent
    except InvalidSubmission as error:
        raise InputRefused(
            "\n".join(
                f"{'' if n == 0 else 'dsr: '}invalid request: {field}: {message}"
                for n, (field, message) in enumerate(error.problems)
            )
        ) from None
    reply = run(lambda api: api.post("/requests", data))
    emit(output(), reply, reply["message"])


def status(request_id: RequestIdArg) -> None:
    """Where a request stands, as its workflow says (no personal data)."""
    view = run(lambda api: api.get(f"/requests/{request_id}"))
    emit(output(), view, " ".join(f"{key}={value}" for key, value in view.items()))


def list_requests(
    kind: Annotated[RequestKind | None, typer.Option(help="Only requests of this kind.")] = None,
    in_status: Annotated[
        RequestStatus | None, typer.Option("--status", help="Only requests in this status.")
    ] = None,
    overdue: Annotated[
        bool | None,
        typer.Option(
            "--overdue/--not-overdue",
            help="Only requests whose current step is overdue, or only those that are not.",
            show_default=False,
        ),
    ] = None,
    due_before: Annotated[
        datetime | None,
        typer.Option(
            metavar="TIME",
            help="Only requests whose current step is due before this time (ISO 8601; a "
            "date is midnight UTC).",
            parser=moment,
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_LIST, help="At most this many requests.")
    ] = 100,
) -> None:
    """Requests, soonest due first: a table, or with --output json a JSON list."""
    rows = run(
        lambda api: api.get(
            "/requests",
            kind=kind,
            status=in_status,
            overdue=overdue,
            due_before=due_before,
            limit=limit,
        )
    )
    emit(
        output(),
        rows,
        table(
            ("request", "kind", "status", "step", "due", "overdue", "outcome"),
            (
                (
                    r["request_id"],
                    r["kind"],
                    r["status"],
                    r["step"],
                    _minutes(r["due_at"]),
                    "YES" if r["overdue"] else "no",
                    r["outcome"],
                )
                for r in rows
            ),
            empty="no requests match",
        ),
    )


def show(request_id: RequestIdArg) -> None:
    """A request's timeline: its deadlines (met, breached, extended) and every event."""
    timeline = run(lambda api: api.get(f"/requests/{request_id}/timeline"))
    emit(output(), timeline, timeline_text(timeline))


def respond(
    request_id: RequestIdArg,
    text_file: Annotated[
        str,
        typer.Option(metavar="FILE", help=f"{about(RespondBody, 'text')} - for standard input."),
    ],
    act_id: ActIdOption = None,
) -> None:
    """Answer an inquiry (role: operator)."""
    body = build(RespondBody, text=read_text(text_file), act_id=act_id)
    view, account = run(lambda api: act(api, request_id, "respond", body.model_dump(mode="json")))
    emit(
        output(),
        view,
        f"answer recorded for {request_id} by {account}; the answer notice follows",
    )


async def whoami(api: Api) -> str:
    me = await api.get("/me")
    return str(me["account"])


async def act(api: Api, request_id: str, name: str, body: Any) -> tuple[dict[str, Any], str]:
    """Sends an act as the token's account; its reply (where the request stands) and who."""
    account = await whoami(api)
    return await api.post(f"/requests/{request_id}/acts/{name}", body), account


def where_it_stands(reply: dict[str, Any]) -> str:
    """The request's state after an act, in words: what the act completed and what comes
    next, or what the request still waits for."""
    view = StatusView.model_validate(reply)
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


def _minutes(value: str | None) -> str | None:
    return value.replace("T", " ")[:16] if value else None


def timeline_text(timeline: dict[str, Any]) -> Group:
    request = timeline["request"]
    head = (
        f"{request['kind']} request {request['request_id']} ({request['workflow_id']}): "
        f"{request['status']}"
        + (f", outcome {request['outcome']}" if request["outcome"] else "")
        + f"; deadline policy {request['deadline_policy_version']}"
        + f"; privacy policy at receipt {request['privacy_policy_version'] or 'none posted'}"
        + (
            f"; personal data shredded {str(request['personal_data_shredded_at'])[:10]}"
            if request.get("personal_data_shredded_at")
            else ""
        )
    )
    deadlines = table(
        ("step", "due", "status", "done", "breached", "extended"),
        (
            (
                d["step"],
                _minutes(d["due_at"]),
                str(d["status"]).upper(),
                _minutes(d["met_at"] or d["completed_at"]),
                _minutes(d["breached_at"]),
                f"x{d['extensions']}" if d["extensions"] else None,
            )
            for d in timeline["deadlines"]
        ),
        title="deadlines",
        empty="no deadlines",
    )
    events = table(
        ("seq", "at", "event", "actor", "details"),
        (
            (
                e["seq"],
                str(e["occurred_at"])[:19].replace("T", " "),
                e["type"],
                e["actor"],
                ", ".join(f"{k}={v}" for k, v in e["payload"].items() if v not in (None, "")),
            )
            for e in timeline["events"]
        ),
        title="events",
        empty="no events",
    )
    return Group(Text(head), Text(""), deadlines, Text(""), events)


def register(app: typer.Typer) -> None:
    app.command("submit")(submit)
    app.command("status")(status)
    app.command("list")(list_requests)
    app.command("show")(show)
    app.command("respond")(respond)
