"""The `dsr list`, `dsr show` and `dsr audit ...` commands: reading the record for
operators and auditors. Wired into the command line by `starter.py`."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Mapping
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from audit.export import HistoryUnavailable, export_requests
from audit.report import build_report, kept_compliance_problem, render_csv, render_html
from audit.signing import KeyProblem, load_public_key
from audit.verify import audit_histories, audit_log, read_histories
from audit.witness import DirectoryWitness
from domain.lifecycle import RequestStatus
from domain.registers import logged_name
from domain.requests import RequestKind
from runtime.settings import Settings
from service.requests import Diverged, Refused, connections
from store.events import EventStore, UnknownRequest
from store.history_archive import ArchivedHistories, HistoryNotArchived
from store.registers import streams as register_streams
from store.registers import verify_stream
from store.request_lookups import request_ids
from store.views import RequestFilter, RequestViews
from workflows.replay import ReplayVerdict, replay_files, replay_histories

MAX_LIST = 10_000  # rows `dsr list` returns at most; a larger number is refused, not overflowed


def emit(output: str, document: Mapping[str, Any] | list[Any], line: str) -> None:
    if output == "json":
        sys.stdout.write(json.dumps(document, default=str, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(line + "\n")


def moment(text: str) -> datetime:
    """An ISO 8601 time with its zone, or a date (midnight UTC)."""
    try:
        value = datetime.fromisoformat(text if "T" in text or " " in text else f"{text}T00:00Z")
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not an ISO 8601 date or time: {text!r} (e.g. 2026-12-01 or 2026-12-24T17:00+09:00)"
        ) from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError(f"give the time zone: {text!r}, e.g. {text}+09:00")
    return value


def add_parsers(commands: Any) -> None:
    sub = commands.add_parser("list", help="requests, filtered, soonest due first")
    sub.add_argument("--kind", choices=[k.value for k in RequestKind])
    sub.add_argument("--status", choices=[s.value for s in RequestStatus])
    overdue = sub.add_mutually_exclusive_group()
    overdue.add_argument("--overdue", dest="overdue", action="store_true", default=None)
    overdue.add_argument("--not-overdue", dest="overdue", action="store_false")
    sub.add_argument("--due-before", type=moment, metavar="TIME")
    sub.add_argument("--limit", type=int, default=100)
    sub = commands.add_parser("show", help="a request's timeline of events and deadlines")
    sub.add_argument("request_id")

    audit = commands.add_parser("audit", help="export, replay, verify, report")
    audits = audit.add_subparsers(dest="audit_command", required=True)
    sub = audits.add_parser("export", help="write histories, events and deadlines to a folder")
    sub.add_argument("--request", dest="request_ids", action="append", default=[])
    sub.add_argument("--from", dest="start", type=moment, metavar="TIME")
    sub.add_argument("--to", dest="end", type=moment, metavar="TIME")
    sub.add_argument("--out", required=True, type=Path, metavar="DIR")
    sub = audits.add_parser(
        "replay",
        help="replay histories against the current code: "
        "exported files, or closed requests' archive",
    )
    sub.add_argument("paths", nargs="*", help="history JSON files or folders of them")
    sub.add_argument(
        "--request",
        dest="request_ids",
        action="append",
        default=[],
        metavar="ID",
        help="a closed request, from the store's archive (repeatable); needs no Temporal",
    )
    sub = audits.add_parser(
        "verify",
        help="check the requests' chains (all by default); with no request named, "
        "also the event log against the signed checkpoints of the witness",
    )
    sub.add_argument("request_ids", nargs="*")
    sub.add_argument(
        "--public-key",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="a checkpoint key an auditor pinned (PEM; repeat for each key the "
        "service has signed with); default: the public half of "
        "DSR_CHECKPOINT_KEY",
    )
    sub.add_argument(
        "--witness",
        type=Path,
        metavar="DIR",
        help="the witness folder of signed checkpoints; default: DSR_WITNESS_DIR",
    )
    sub.add_argument(
        "--histories",
        type=Path,
        action="append",
        default=[],
        metavar="PATH",
        help="exported workflow histories (`dsr audit export` folders or "
        "history files) to hold the store against; repeatable",
    )
    sub = audits.add_parser("report", help="deadline compliance per request and step")
    sub.add_argument("--from", dest="start", type=moment, required=True, metavar="TIME")
    sub.add_argument("--to", dest="end", type=moment, required=True, metavar="TIME")
    sub.add_argument("--format", choices=("csv", "html"), default="csv")
    sub.add_argument("--out", type=Path, metavar="FILE", help="default: standard output")
    for command in audits.choices.values():
        command.add_argument("--output", choices=("text", "json"), default=argparse.SUPPRESS)


async def run(args: argparse.Namespace, settings: Settings) -> None:
    if args.command == "list":
        if not 1 <= args.limit <= MAX_LIST:
            raise Refused(f"--limit must be from 1 to {MAX_LIST}")
        async with connections(settings, temporal=False) as (_, pool):
            rows = await RequestViews(pool).list(
                RequestFilter(
                    kind=args.kind,
                    status=args.status,
                    overdue=args.overdue,
                    due_before=args.due_before,
                    limit=args.limit,
                )
            )
        lines = [
            f"{'request':<28} {'kind':<17} {'status':<12} {'step':<16} {'due':<17} overdue"
        ] + [
            f"{r['request_id']:<28} {r['kind']:<17} {r['status']:<12} {r['step'] or '-':<16} "
            f"{r['due_at'].isoformat(timespec='minutes')[:16] if r['due_at'] else '-':<17} "
            f"{'YES' if r['overdue'] else 'no'}"
            for r in rows
        ]
        emit(args.output, rows, "\n".join(lines) if rows else "no requests match")
    elif args.command == "show":
        async with connections(settings, temporal=False) as (_, pool):
            try:
                timeline = await RequestViews(pool).timeline(args.request_id)
            except UnknownRequest as error:
                raise Refused(str(error)) from None
        emit(args.output, timeline, _timeline_text(timeline))
    elif args.audit_command == "export":
        await _export(args, settings)
    elif args.audit_command == "replay":
        verdicts = await _replay(args, settings)
        for verdict in verdicts:
            emit(
                args.output,
                asdict(verdict),
                f"{verdict.source}: "
                + ("replayed" if verdict.replayed else f"DIVERGED: {verdict.problem}"),
            )
        if not all(verdict.replayed for verdict in verdicts):
            raise Diverged()
    elif args.audit_command == "verify":
        await _verify(args, settings)
    elif args.audit_command == "report":
        await _report(args, settings)


async def _replay(args: argparse.Namespace, settings: Settings) -> list[ReplayVerdict]:
    if not args.paths and not args.request_ids:
        raise Refused(
            "name the histories to replay: files or folders, or --request ID "
            "(repeatable) for closed requests in the archive"
        )
    archived = []
    if args.request_ids:  # all found before anything is replayed: a wrong id changes nothing
        async with connections(settings, temporal=False) as (_, pool):
            histories = ArchivedHistories(pool)
            for request_id in dict.fromkeys(args.request_ids):
                try:
                    archived.append(await histories.require(request_id))
                except (UnknownRequest, HistoryNotArchived) as error:
                    raise Refused(str(error)) from None
    verdicts = []
    if args.paths:
        verdicts = await replay_files([Path(p) for p in args.paths])
        if not verdicts:
            raise Refused("no history files found in " + ", ".join(args.paths))
    return verdicts + await replay_histories(
        (
            f"request {a.request_id} (archived {a.archived_at:%Y-%m-%d %H:%M %Z}, run {a.run_id})",
            a.workflow_history(),
        )
        for a in archived
    )


async def _report(args: argparse.Namespace, settings: Settings) -> None:
    async with connections(settings, temporal=False) as (_, pool):
        try:
            report = await build_report(pool, args.start, args.end)
        except ValueError as error:
            raise Refused(str(error)) from None
    text = render_html(report) if args.format == "html" else render_csv(report)
    if args.out is None:
        sys.stdout.write(text)
        return
    await asyncio.to_thread(args.out.write_text, text, encoding="utf-8")
    emit(
        args.output,
        {"file": str(args.out), "rows": len(report.rows)},
        f"wrote {len(report.rows)} rows to {args.out}",
    )


async def _export(args: argparse.Namespace, settings: Settings) -> None:
    if not args.request_ids and args.start is None and args.end is None:
        raise Refused("name the requests to export: --request ID (repeatable) or --from/--to")
    async with connections(settings) as (client, pool):
        views = RequestViews(pool)
        ids = list(args.request_ids)
        if args.start is not None or args.end is not None:
            ids += await views.request_ids(args.start, args.end)
        try:
            manifest = await export_requests(
                list(dict.fromkeys(ids)),
                args.out,
                client=client,
                views=views,
                archive=ArchivedHistories(pool),
            )
        except (UnknownRequest, HistoryUnavailable) as error:
            raise Refused(str(error)) from None
    emit(
        args.output,
        {"folder": str(args.out), "requests": manifest},
        f"exported {len(manifest)} request(s) to {args.out}",
    )


async def _verify_registers(pool: asyncpg.Pool, output: str) -> int:
    """Each register stream's chain (purposes, privacy policy, provisions, consents, purpose
    changes), like a request's; returns how many are broken."""
    broken = 0
    async with pool.acquire() as connection:
        for stream in await register_streams(connection):
            verdict = await verify_stream(connection, stream)
            broken += not verdict.intact
            name = logged_name(stream)
            emit(
                output,
                asdict(verdict) | {"request_id": name, "intact": verdict.intact},
                f"{name}: "
                + (
                    f"intact ({verdict.events} events)"
                    if verdict.intact
                    else f"BROKEN at seq {verdict.first_broken_seq}: {verdict.problem}"
                ),
            )
    return broken


async def _verify(args: argparse.Namespace, settings: Settings) -> None:
    try:
        histories = read_histories(args.histories)
    except ValueError as error:
        raise Refused(str(error)) from None
    whole = not args.request_ids
    keys = _public_keys(args, settings) if whole or histories else None
    async with connections(settings, temporal=False) as (_, pool):
        ids = args.request_ids or await request_ids(pool)
        events = EventStore(pool)
        broken = 0
        for request_id in ids:
            try:
                verdict = await events.verify(request_id)
            except UnknownRequest as error:
                raise Refused(str(error)) from None
            # The report's per-step projection must be what the events fold to, too.
            projection = await kept_compliance_problem(pool, request_id) if verdict.intact else None
            intact = verdict.intact and projection is None
            broken += not intact
            emit(
                args.output,
                asdict(verdict) | {"intact": intact, "compliance_projection": projection},
                f"{request_id}: "
                + (
                    f"intact ({verdict.events} events)"
                    if intact
                    else f"BROKEN at seq {verdict.first_broken_seq}: {verdict.problem}"
                    if not verdict.intact
                    else f"BROKEN: {projection}"
                ),
            )
        if whole:
            broken += await _verify_registers(pool, args.output)
        if keys is not None:
            audit = await (
                audit_log(
                    pool,
                    witness=DirectoryWitness(args.witness or settings.witness_folder()),
                    keys=keys,
                    histories=histories,
                )
                if whole
                else audit_histories(pool, keys=keys, histories=histories)
            )
            broken += not audit.intact
            emit(
                args.output,
                {
                    "event_log" if whole else "histories": {
                        "intact": audit.intact,
                        "entries": audit.log_size,
                        "witnessed_checkpoints": audit.witnessed,
                        "history_checkpoints": audit.from_histories,
                        "histories": len(histories),
                        "problems": audit.problems,
                        "notes": audit.notes,
                    }
                },
                "\n".join(
                    [
                        f"{'event log' if whole else 'histories'}: {audit.summary()}",
                        *(f"  note: {n}" for n in audit.notes),
                    ]
                ),
            )
    if broken:
        raise Diverged()


def _public_keys(args: argparse.Namespace, settings: Settings) -> list[Ed25519PublicKey]:
    paths = args.public_key or [settings.checkpoint_key_file()]
    if not args.public_key and not paths[0].exists():
        raise Refused(
            f"no checkpoint key to verify with: {paths[0]} does not exist; give the "
            "key you pinned with --public-key FILE"
        )
    try:
        return [load_public_key(path) for path in paths]
    except KeyProblem as error:
        raise Refused(str(error)) from None


def _timeline_text(timeline: dict[str, Any]) -> str:
    request = timeline["request"]
    lines = [
        f"{request['kind']} request {request['request_id']} ({request['workflow_id']}): "
        f"{request['status']}"
        + (f", outcome {request['outcome']}" if request["outcome"] else "")
        + f"; deadline policy {request['deadline_policy_version']}"
        + f"; privacy policy at receipt {request['privacy_policy_version'] or 'none posted'}"
        + (
            f"; personal data shredded {request['personal_data_shredded_at']:%Y-%m-%d}"
            if request["personal_data_shredded_at"]
            else ""
        ),
        "",
        "deadlines:",
    ]
    for d in timeline["deadlines"]:
        done = d["met_at"] or d["completed_at"]
        lines.append(
            f"  {d['step']:<16} due {d['due_at'].isoformat(timespec='minutes')}  "
            f"{d['status'].upper():<15}"
            + (f" done {done.isoformat(timespec='minutes')}" if done else "")
            + (
                f" breached {d['breached_at'].isoformat(timespec='minutes')}"
                if d["breached_at"]
                else ""
            )
            + (f" extended x{d['extensions']}" if d["extensions"] else "")
        )
    lines += ["", "events:"]
    for e in timeline["events"]:
        payload = ", ".join(f"{k}={v}" for k, v in e["payload"].items() if v not in (None, ""))
        lines.append(
            f"  {e['seq']:>3} {e['occurred_at'][:19]} {e['type']:<26} {e['actor']:<10} {payload}"
        )
    return "\n".join(lines)
