"""Benchmark: a purpose change (Article 4) notifying 100,000 subjects.

    make bench-fanout                       # or: .venv/bin/python -m bench.fanout
    .venv/bin/python -m bench.fanout --subjects 5000 --no-write   # a quick look

Starts the embedded PostgreSQL and Temporal dev server in a scratch folder (or uses
DATABASE_URL / TEMPORAL_ADDRESS), loads --subjects subjects in bulk (COPY), each with a data
key of its own in the keyring and an e-mail address sealed under it, held for the purpose
that changes; starts one `worker.py` process (the production worker, its maildrop under
its data folder); runs one PurposeChange with method `notify` and measures:
  - notices per second, from the workflow's start to its result (judgement, every batch,
    completion);
  - the largest history of any run of the workflow (it continues as new every 25 batches
    of 1,000);
  - the worker's peak memory (the kernel's high-water mark of its resident set, VmHWM,
    which is what getrusage's ru_maxrss reports for a process itself).
Then checks that every subject has exactly one delivered notice and one maildrop file, and
that the change's register stream verifies. Prints the figures, writes a section of
docs/benchmarks.md and merges its keys into docs/benchmarks.json (other keys are kept).
Goals (issue 10): at least 500 notices a second, under 10,000 events in any run."""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import asyncpg
from temporalio.client import Client, WorkflowHandle

from bench.drive import BENCH_ACT_SIGNER, BENCH_ADMIN, bench_accounts, bench_act_keys
from bench.markdown import FANOUT_BEGIN, FANOUT_END, write_section
from bench.workers import fleet
from domain.authority import Role
from domain.purpose_change_messages import (
    DEFAULT_BATCHES_PER_RUN,
    PurposeChangeOrder,
    PurposeChangeResult,
    change_authority,
    workflow_id,
)
from domain.purposes import NoticeMethod, PurposeChangeProposal
from runtime.cluster import connect, ensure_search_attributes
from runtime.servers import EmbeddedPostgres, EmbeddedTemporal, free_port
from runtime.settings import Settings
from runtime.vault import open_vault
from store.database import apply_migrations, create_pool
from store.purposes import change_stream, seed_article_3
from store.registers import verify_stream
from store.sealing import Vault, seal_with
from workflows.purpose_change import PurposeChange

ROOT = Path(__file__).resolve().parent.parent
PURPOSE = "service_emails"
NEW_TEXT = (
    "To send emails about new features, update information, campaigns, etc. of the "
    "service being used by users, including its maintenance schedule, and to inform "
    "about other services provided by the Organization"
)
NEW_TEXT_JA = (
    "ユーザーが利用中のサービスの新機能、更新情報、メンテナンスの予定、キャンペーン等及び"
    "当組織が提供する他のサービスのご案内のメールを送付するため"
)
SECTION_BEGIN, SECTION_END = FANOUT_BEGIN, FANOUT_END
STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.0f}s] {text}", flush=True)


async def load_subjects(pool: asyncpg.Pool, vault: Vault, n: int) -> None:
    """`n` subjects, each with a data key of its own made by the keyring (a file written
    and fsynced, as every key is: 32 threads at a time) and an e-mail address sealed under
    it with its blind index, held for PURPOSE; written with COPY."""
    subjects = [f"fanout-{i:06d}" for i in range(n)]
    with ThreadPoolExecutor(32) as threads:
        keys = list(threads.map(lambda _: vault.keyring.create(), subjects, chunksize=256))
    items = []
    for subject_id, (key_id, key) in zip(subjects, keys, strict=True):
        address = f"{subject_id}@example.jp"
        items.append(
            (
                subject_id,
                "contact",
                "email",
                seal_with(key_id, key, address),
                vault.blind_index(address),
                PURPOSE,
            )
        )
    async with pool.acquire() as connection, connection.transaction():
        await connection.copy_records_to_table(
            "subjects", records=[(s,) for s in subjects], columns=["subject_id"]
        )
        await connection.copy_records_to_table(
            "subject_keys",
            records=[(k, s) for s, (k, _) in zip(subjects, keys, strict=True)],
            columns=["key_id", "subject_id"],
        )
        await connection.copy_records_to_table(
            "personal_data",
            records=items,
            columns=["subject_id", "category", "field", "value", "value_index", "purpose"],
        )
    await pool.execute("ANALYZE subjects, subject_keys, personal_data")


async def run_sizes(client: Client, handle: WorkflowHandle) -> list[int]:
    """History events of each run of the workflow, first to last (continued as new)."""
    sizes, run_id = [], handle.first_execution_run_id
    while run_id:
        history = await client.get_workflow_handle(handle.id, run_id=run_id).fetch_history()
        sizes.append(len(history.events))
        last = history.events[-1]
        run_id = (
            last.workflow_execution_continued_as_new_event_attributes.new_execution_run_id
            if last.HasField("workflow_execution_continued_as_new_event_attributes")
            else None
        )
    return sizes


def peak_rss_mib(pid: int) -> float:
    """The process's resident high-water mark (VmHWM), in MiB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1)) / 1024


async def watch(handle: WorkflowHandle, stop: asyncio.Event) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), 10)
        except TimeoutError:
            try:
                progress = await handle.query(PurposeChange.progress)
                say(
                    f"  {progress.phase}: notified {progress.notified:,} / "
                    f"{progress.affected:,}, {progress.batches} batches, run {progress.runs}"
                )
            except Exception as error:  # a query mid continue-as-new; the next one answers
                say(f"  (progress not answered: {type(error).__name__})")


async def measure(args: argparse.Namespace, scratch: Path) -> dict[str, object]:
    dsn, address = os.environ.get("DATABASE_URL"), os.environ.get("TEMPORAL_ADDRESS")
    servers = "given (DATABASE_URL / TEMPORAL_ADDRESS)" if dsn or address else "embedded"
    postgres = temporal = None
    try:
        if not dsn:
            postgres = EmbeddedPostgres(scratch)
            dsn = await asyncio.to_thread(postgres.start)
        if not address:
            temporal = EmbeddedTemporal(scratch, port=free_port(), ui_port=free_port())
            address = await asyncio.to_thread(temporal.start)
        worker_data = scratch / "worker-data"
        vault = open_vault(Settings(DSR_DATA_DIR=str(worker_data)))
        pool = await create_pool(dsn, max_size=4, vault=vault)
        try:
            await apply_migrations(pool)
            await seed_article_3(pool)
            client = await connect(address, "default")
            await ensure_search_attributes(client, "default")
            say(f"loading {args.subjects:,} subjects (a key each, a sealed e-mail) ...")
            started = time.perf_counter()
            await load_subjects(pool, vault, args.subjects)
            say(f"  loaded in {time.perf_counter() - started:.0f} s")
            await bench_accounts(pool)
            queue = f"bench-fanout-{uuid.uuid4().hex[:8]}"
            env = {
                **os.environ,
                "DATABASE_URL": dsn,
                "TEMPORAL_ADDRESS": address,
                "DSR_TASK_QUEUE": queue,
                "DSR_LOG_FORMAT": "json",
                **bench_act_keys(scratch / "act-keys"),
            }
            async with fleet(1, env, worker_data, scratch / "logs") as workers:
                worker_pid = workers.processes[0].pid
                figures = await _change(args, client, pool, queue, worker_pid)
            figures["maildrop_files"] = sum(
                1 for entry in os.scandir(worker_data / "maildrop") if entry.name.endswith(".json")
            )
            figures["servers"] = servers
            return figures
        finally:
            await pool.close()
    finally:
        if temporal is not None:
            temporal.stop()
        if postgres is not None:
            postgres.stop()


async def _change(
    args: argparse.Namespace, client: Client, pool: asyncpg.Pool, queue: str, worker_pid: int
) -> dict[str, object]:
    change_id = f"fanout-{uuid.uuid4().hex[:8]}"
    proposal = PurposeChangeProposal(
        change_id=change_id,
        purpose_id=PURPOSE,
        new_text=NEW_TEXT,
        new_text_ja=NEW_TEXT_JA,
        related=True,
        reason="The maintenance schedule is service information of the same service.",
        decided_by="bench-admin",
        method=NoticeMethod.NOTIFY,
        proposed_at=datetime.now(UTC),
    )
    order = PurposeChangeOrder(
        proposal=proposal,
        authority=change_authority(
            BENCH_ACT_SIGNER, BENCH_ADMIN, {Role.ADMIN}, proposal, datetime.now(UTC)
        ),
    )
    order = order.model_copy(
        update={"fanout": order.fanout.model_copy(update={"batch_size": args.batch_size})}
    )
    say(
        f"PurposeChange {change_id}: notify {args.subjects:,} subjects, batches of "
        f"{args.batch_size} ..."
    )
    started = time.perf_counter()
    handle = await client.start_workflow(
        PurposeChange.run,
        order,
        id=workflow_id(change_id),
        task_queue=queue,
        result_type=PurposeChangeResult,
    )
    stop = asyncio.Event()
    watcher = asyncio.create_task(watch(handle, stop))
    result: PurposeChangeResult = await handle.result()
    seconds = time.perf_counter() - started
    stop.set()
    await watcher
    rss = peak_rss_mib(worker_pid)
    sizes = await run_sizes(client, handle)
    rows = await pool.fetchrow(
        """SELECT count(*) AS rows, count(*) FILTER (WHERE status = 'delivered') AS delivered,
                  count(DISTINCT subject_id) AS subjects,
                  extract(epoch FROM max(delivered_at) - min(delivered_at)) AS window
             FROM purpose_change_notices WHERE change_id = $1""",
        change_id,
    )
    async with pool.acquire() as connection:
        chain = await verify_stream(connection, change_stream(change_id))
    say(
        f"  notified {result.notified:,} in {seconds:.1f} s: "
        f"{result.notified / seconds:.0f} notices/s; {len(sizes)} runs, largest history "
        f"{max(sizes)} events; worker peak RSS {rss:.0f} MiB"
    )
    return {
        "subjects": args.subjects,
        "batch_size": args.batch_size,
        "seconds": seconds,
        "notified": result.notified,
        "unreachable": result.unreachable,
        "batches": result.batches,
        "runs": len(sizes),
        "run_sizes": sizes,
        "notices_per_s": result.notified / seconds,
        "peak_rss_mib": rss,
        "rows": rows["rows"],
        "delivered_rows": rows["delivered"],
        "distinct_subjects": rows["subjects"],
        "delivery_window_s": float(rows["window"] or 0),
        "chain_intact": chain.intact,
    }


def render(figures: dict[str, object], date: str, load: tuple[float, float]) -> str:
    f = figures
    sizes = ", ".join(str(s) for s in f["run_sizes"])  # type: ignore[union-attr]
    return f"""{SECTION_BEGIN}
## Purpose change fan-out (Article 4)

`make bench-fanout`, {date}, {os.cpu_count()} cores, {f["servers"]} servers: one
`PurposeChange` with method `notify` to {f["subjects"]:,} subjects, each holding an e-mail
address sealed under its own key for the changed purpose; one `worker.py` process, its
maildrop on the local disk (every notice written to a file of its own, fsynced, renamed,
the folder fsynced, before it counts as delivered). Batches of {f["batch_size"]:,} subjects,
one activity each; a run continues as new after {DEFAULT_BATCHES_PER_RUN} batches.

| figure | goal | measured |
| --- | --- | --- |
| notices per second, from the workflow's start to its result | ≥ 500 | \
**{f["notices_per_s"]:.0f}** ({f["notified"]:,} in {f["seconds"]:.1f} s) |
| largest history of any run of the workflow | < 10,000 events | \
**{max(f["run_sizes"])}** events ({f["runs"]} run{"s" if f["runs"] != 1 else ""}: {sizes}) |
| the worker's peak memory (VmHWM) | | **{f["peak_rss_mib"]:.0f} MiB** |

Checked after the run: {f["delivered_rows"]:,} notices delivered of {f["rows"]:,} rows for
{f["distinct_subjects"]:,} subjects (one row per subject and change: the table's key) and
{f["maildrop_files"]:,} maildrop files; {f["unreachable"]} subjects without an address; the
change's register stream {"verifies" if f["chain_intact"] else "DOES NOT verify"}. The
deliveries themselves spanned {f["delivery_window_s"]:.1f} s. 1-minute load average
{load[0]:.1f} at the start, {load[1]:.1f} at the end: the machine is shared.
{SECTION_END}
"""


def write_docs(out: Path, section: str, figures: dict[str, object]) -> None:
    write_section(
        out,
        SECTION_BEGIN,
        SECTION_END,
        section,
        {
            "fanout_subjects": figures["subjects"],
            "fanout_notices_per_s": round(float(figures["notices_per_s"]), 1),  # type: ignore[arg-type]
            "fanout_max_history_events": max(cast(list[int], figures["run_sizes"])),
            "fanout_worker_peak_rss_mb": round(float(figures["peak_rss_mib"]), 1),  # type: ignore[arg-type]
        },
    )


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument(
        "--batch-size", type=int, default=1000, help="subjects per batch activity (default 1000)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "docs" / "benchmarks.md",
        help="the report to write a section of; the JSON goes beside it",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    load_start = os.getloadavg()[0]
    scratch = Path(tempfile.mkdtemp(prefix="dsr-bench-fanout-"))
    say(f"scratch folder {scratch}")
    finished = False
    try:
        figures = await measure(args, scratch)
        section = render(
            figures, datetime.now(UTC).date().isoformat(), (load_start, os.getloadavg()[0])
        )
        print(section)
        problems = [
            name
            for name, ok in (
                (
                    "every subject one delivered notice",
                    figures["delivered_rows"] == figures["distinct_subjects"] == args.subjects,
                ),
                ("one maildrop file per subject", figures["maildrop_files"] == args.subjects),
                ("the register stream verifies", figures["chain_intact"]),
            )
            if not ok
        ]
        if problems:
            raise SystemExit(f"fan-out check failed: {', '.join(problems)}")
        if not args.no_write:
            write_docs(args.out, section, figures)
            say(f"wrote {args.out} and {args.out.with_suffix('.json')}")
        finished = True
    finally:
        if finished and not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            say(f"kept {scratch} (the worker's log under logs/)")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
