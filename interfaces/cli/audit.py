"""`dsr audit export|replay|verify|report`, for auditors (role auditor).

- export: each request's workflow history and the store's record, fetched through the
  API and written to a local folder (a progress bar on a terminal);
- replay: exported histories replayed here against this code's workflow (temporalio's
  Replayer needs no server); `--request ID` fetches a history through the API first;
- verify: the service checks the store's chains; with `--public-key`, the checkpoints'
  signatures are checked here, with the key the auditor pinned, and the service only
  holds the log against the checkpoints this side trusts;
- report: deadline compliance over a period, CSV or HTML.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from audit.histories import HistoryEvidence, read_histories
from audit.signing import KeyProblem, load_public_key
from audit.trust import LogAudit, signed_checkpoints
from audit.witness import DirectoryWitness, WitnessReading
from domain.event_log import Checkpoint, SignedCheckpoint
from interfaces.cli.client import Api, ApiDiverged, InputRefused
from interfaces.cli.options import moment, output, run
from interfaces.cli.output import console, emit

app = typer.Typer(help="Export, replay, verify, report (role: auditor).", no_args_is_help=True)
PROGRESS_FROM = 2  # requests, from which an export shows a progress bar on a terminal


def _dump(document: Any) -> str:
    return json.dumps(document, indent=1, default=str, ensure_ascii=False) + "\n"


def _write(folder: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


async def _each(ids: list[str], fetch: Callable[[str], Awaitable[Any]], what: str) -> list[Any]:
    """`fetch` for each id in order; a progress bar on a terminal for many."""
    if len(ids) < PROGRESS_FROM or not sys.stderr.isatty():
        return [await fetch(request_id) for request_id in ids]
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(what, total=len(ids))
        found = []
        for request_id in ids:
            found.append(await fetch(request_id))
            progress.advance(task)
        return found


@app.command("export")
def export(
    out: Annotated[Path, typer.Option(metavar="DIR", help="The folder to write the export to.")],
    request: Annotated[
        list[str] | None,
        typer.Option(metavar="ID", help="A request to export (repeatable)."),
    ] = None,
    start: Annotated[
        datetime | None,
        typer.Option(
            "--from",
            metavar="TIME",
            parser=moment,
            help="The requests submitted from this time (ISO 8601; a date is midnight UTC).",
        ),
    ] = None,
    end: Annotated[
        datetime | None,
        typer.Option("--to", metavar="TIME", parser=moment, help="... and before this time."),
    ] = None,
) -> None:
    """Write each request's workflow history (from Temporal, or the store's archive) and
    the store's events and deadlines to a folder, with a manifest; `dsr audit replay` and
    `dsr audit verify --histories` read it back. Nothing is written if one is missing."""
    if not request and start is None and end is None:
        raise InputRefused("name the requests to export: --request ID (repeatable) or --from/--to")

    async def fetch(api: Api) -> list[dict[str, Any]]:
        ids = list(request or [])
        if start is not None or end is not None:
            ids += await api.get("/audit/requests", **{"from": start, "to": end})
        ids = list(dict.fromkeys(ids))
        return await _each(ids, lambda rid: api.get(f"/audit/requests/{rid}/export"), "exporting")

    exports = run(fetch)
    files = {}
    for one in exports:
        request_id = one["manifest"]["request_id"]
        files[f"{request_id}/history.json"] = _dump(one["history"])
        files[f"{request_id}/store.json"] = _dump(one["store"])
    manifest = [one["manifest"] for one in exports]
    files["manifest.json"] = _dump({"requests": manifest})
    _write(out, files)
    emit(
        output(),
        {"folder": str(out), "requests": manifest},
        f"exported {len(manifest)} request(s) to {out}",
    )


@app.command("replay")
def replay(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(metavar="PATH", help="History JSON files, or folders of them."),
    ] = None,
    request: Annotated[
        list[str] | None,
        typer.Option(
            metavar="ID",
            help="A request whose history is fetched through the API (from Temporal, or "
            "the store's archive once closed) and replayed here (repeatable).",
        ),
    ] = None,
) -> None:
    """Replay workflow histories against this code's workflow, here, with no server: a
    history that no longer replays has diverged (exit 3)."""
    if not paths and not request:
        raise InputRefused(
            "name the histories to replay: files or folders, or --request ID (repeatable)"
        )
    # The workflow code and the SDK's Replayer are loaded for this command only.
    from temporalio.client import WorkflowHistory

    from workflows.replay import replay_files, replay_histories

    async def replayed(api: Api) -> list[Any]:
        fetched = []
        for request_id in dict.fromkeys(request or []):  # all found before any replay
            one = await api.get(f"/audit/requests/{request_id}/export")
            fetched.append(one)
        verdicts = []
        if paths:
            verdicts = await replay_files(list(paths))
            if not verdicts:
                raise InputRefused("no history files found in " + ", ".join(map(str, paths)))
        return verdicts + await replay_histories(
            (
                f"request {one['manifest']['request_id']} ("
                + ("archived" if one["manifest"]["history_from"] == "archive" else "Temporal's")
                + f" history of workflow {one['manifest']['workflow_id']})",
                WorkflowHistory.from_json(one["manifest"]["workflow_id"], one["history"]),
            )
            for one in fetched
        )

    verdicts = run(replayed)
    for verdict in verdicts:
        emit(
            output(),
            asdict(verdict),
            f"{verdict.source}: "
            + ("replayed" if verdict.replayed else f"DIVERGED: {verdict.problem}"),
        )
    if not all(verdict.replayed for verdict in verdicts):
        raise ApiDiverged()


def _pinned(
    keys_files: list[Path], witness: Path | None, whole: bool, histories: list[HistoryEvidence]
) -> Callable[[Api], Awaitable[tuple[LogAudit, dict[str, Any]]]]:
    try:
        keys = [load_public_key(path) for path in keys_files]
    except KeyProblem as error:
        raise InputRefused(str(error)) from None

    async def trust(api: Api) -> tuple[LogAudit, dict[str, Any]]:
        reading: WitnessReading | None = None
        folder = str(witness) if witness else "the service's witness"
        if whole and witness is not None:
            reading = await asyncio.to_thread(DirectoryWitness(witness).read)
        elif whole:
            found = await api.get("/audit/checkpoints")
            folder = found["folder"]
            reading = WitnessReading(
                [(Path(n), SignedCheckpoint.model_validate(s)) for n, s in found["checkpoints"]],
                [(Path(n), why) for n, why in found["unreadable"]],
            )
        audit, checkpoints = signed_checkpoints(keys, reading, histories)
        return audit, {
            "checkpoints": [c.model_dump(mode="json") for c in checkpoints],
            "witnessed": audit.witnessed,
            "from_histories": audit.from_histories,
            "witness": folder,
        }

    return trust


def _evidence(history: HistoryEvidence) -> dict[str, Any]:
    return {
        "source": history.source,
        "workflow_id": history.workflow_id,
        "events": [(i, e.model_dump(mode="json")) for i, e in history.events],
        "checkpoints": [(i, c.model_dump(mode="json")) for i, c in history.checkpoints],
    }


def _chain_line(verdict: dict[str, Any]) -> str:
    if verdict["intact"]:
        return f"{verdict['request_id']}: intact ({verdict['events']} events)"
    if verdict.get("first_broken_seq") is not None or verdict.get("problem"):
        return (
            f"{verdict['request_id']}: BROKEN at seq {verdict['first_broken_seq']}: "
            f"{verdict['problem']}"
        )
    return f"{verdict['request_id']}: BROKEN: {verdict.get('compliance_projection')}"


@app.command("verify")
def verify(
    request_ids: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[REQUEST_ID]...",
            help="The requests to check; none: every request, every register, and the "
            "event log against the signed checkpoints.",
        ),
    ] = None,
    public_key: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="FILE",
            help="A checkpoint key you pinned (PEM; repeat for each key the service has "
            "signed with): the signatures are checked here with it alone. Default: the "
            "service checks them with its pinned public key (DSR_CHECKPOINT_PUBLIC_KEY), "
            "never the private one. A private key file is refused.",
        ),
    ] = None,
    witness: Annotated[
        Path | None,
        typer.Option(
            metavar="DIR",
            help="Your copy of the witness folder of signed checkpoints (with --public-key); "
            "default: the service's witness, fetched through the API.",
        ),
    ] = None,
    histories: Annotated[
        list[Path] | None,
        typer.Option(
            metavar="PATH",
            help="Exported workflow histories (`dsr audit export` folders or history files) "
            "to hold the store against; repeatable.",
        ),
    ] = None,
) -> None:
    """Check the requests' chains (all by default); with no request named, also the
    register streams and the event log against the signed checkpoints. A break is
    exit 3."""
    try:
        evidence = read_histories(histories or [])
    except ValueError as error:
        raise InputRefused(str(error)) from None
    whole = not request_ids
    if witness is not None and not public_key:
        raise InputRefused("--witness needs --public-key: your witness is checked with your key")
    pin = _pinned(public_key, witness, whole, evidence) if public_key else None

    async def check(api: Api) -> tuple[LogAudit | None, Any]:
        local, pinned = await pin(api) if pin and (whole or evidence) else (None, None)
        body = {
            "request_ids": list(request_ids or []),
            "histories": [_evidence(h) for h in evidence],
            "pinned": pinned,
        }
        return local, await api.post("/audit/verify", body)

    local, reply = run(check)
    chosen = output()
    for verdict in reply["requests"] + reply["registers"]:
        emit(chosen, verdict, _chain_line(verdict))
    broken = not reply["intact"]
    for scope, label in (("event_log", "event log"), ("histories", "histories")):
        log = reply[scope]
        if log is None:
            continue
        audit = LogAudit(
            log_size=log["entries"],
            witnessed=log["witnessed_checkpoints"],
            from_histories=log["history_checkpoints"],
            newest=Checkpoint.model_validate(log["newest"]) if log["newest"] else None,
            problems=(local.problems if local else []) + log["problems"],
            notes=log["notes"],
        )
        broken = broken or not audit.intact
        emit(
            chosen,
            {
                scope: {
                    "intact": audit.intact,
                    "entries": audit.log_size,
                    "witnessed_checkpoints": audit.witnessed,
                    "history_checkpoints": audit.from_histories,
                    "histories": log["histories"],
                    "problems": audit.problems,
                    "notes": audit.notes,
                }
            },
            "\n".join([f"{label}: {audit.summary()}", *(f"  note: {n}" for n in audit.notes)]),
        )
    if broken:
        raise ApiDiverged()


@app.command("report")
def report(
    start: Annotated[
        datetime, typer.Option("--from", metavar="TIME", parser=moment, help="From (inclusive).")
    ],
    end: Annotated[
        datetime, typer.Option("--to", metavar="TIME", parser=moment, help="To (exclusive).")
    ],
    format: Annotated[
        Literal["csv", "html"], typer.Option(help="CSV for spreadsheets, HTML with charts.")
    ] = "csv",
    out: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Write it here; default: standard output.")
    ] = None,
) -> None:
    """Deadline compliance per request and step over a period."""

    async def fetch(api: Api) -> tuple[str, int]:
        answer = await api.response(
            "GET", "/audit/report", **{"from": start, "to": end, "format": format}
        )
        return answer.text, int(answer.headers.get("X-Report-Rows", "0"))

    text, rows = run(fetch)
    if out is None:
        sys.stdout.write(text)
        return
    out.write_text(text, encoding="utf-8")
    emit(output(), {"file": str(out), "rows": rows}, f"wrote {rows} rows to {out}")
