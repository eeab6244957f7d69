"""Benchmark: our DataSubjectRequest against bare Temporal, on the same servers, in one run.

    make bench                     # or: .venv/bin/python -m bench.run --requests 200
    make bench BENCH_ARGS="--workers 2"

Starts the embedded PostgreSQL and Temporal dev server in a scratch folder (or uses
DATABASE_URL / TEMPORAL_ADDRESS), then measures, in this order:
  1. the baselines: --requests workflows of 1 and of 23 no-op activities, bare SDK,
     in-process worker, --concurrency at a time;
  2. for each worker count of --workers (default 1,2,4), that many `worker.py`
     subprocesses on one task queue, and the same closed loop of --requests requests of
     mixed kinds, the benchmark playing operator through the client calls the CLI uses;
     with the first (smallest) count also the activities and history events per request
     and the worker's peak memory, then an open loop at half the requests/s it reached,
     for the latency from submit to the delivery of the receipt notice;
  3. on a store seeded with --events events (bench/store_load.py): the audit report for
     a month and `dsr list --overdue`.
Prints the report and writes docs/benchmarks.md and docs/benchmarks.json (bench/report.py
says what each figure is). Compare ratios within a run: the machine is shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.drive import (
    bench_accounts,
    bench_act_keys,
    receipt_delivered_at,
    receipt_latencies_ms,
)
from bench.loops import baseline, closed_loop, history_counts, open_loop
from bench.markdown import render, with_sections_kept
from bench.report import (
    BASELINE_STEPS,
    BEFORE_HISTORIES,
    Closed,
    Measured,
    before_figures,
    build,
    percentile,
)
from bench.store_load import time_store_reads
from bench.workers import fleet
from runtime.cluster import connect, ensure_search_attributes
from runtime.servers import EmbeddedPostgres, EmbeddedTemporal, free_port
from runtime.settings import Settings
from runtime.vault import open_vault
from store.database import apply_migrations, create_pool

ROOT = Path(__file__).resolve().parent.parent
STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.0f}s] {text}", flush=True)


def _worker_counts(text: str) -> list[int]:
    counts = sorted({int(part) for part in text.split(",") if part.strip()})
    if not counts or counts[0] < 1:
        raise argparse.ArgumentTypeError("--workers takes N or a list such as 1,2,4")
    return counts


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--requests",
        type=int,
        default=200,
        help="requests per closed-loop measurement (default 200)",
    )
    parser.add_argument(
        "--concurrency",
        type=int,
        default=50,
        help="requests in flight in the closed loops (default 50)",
    )
    parser.add_argument(
        "--workers",
        type=_worker_counts,
        default=[1, 2, 4],
        metavar="N[,N..]",
        help="worker process counts to measure (default 1,2,4); the first "
        "gives the headline figures",
    )
    parser.add_argument(
        "--half-load-requests",
        type=int,
        metavar="N",
        help="requests in the half-load open loop (default: what arrives in "
        "--half-load-seconds, at least 100, at most --requests)",
    )
    parser.add_argument("--half-load-seconds", type=float, default=40.0)
    parser.add_argument("--arrivals", choices=("poisson", "fixed"), default="poisson")
    parser.add_argument("--seed", type=int, default=15, help="of the Poisson arrivals")
    parser.add_argument(
        "--events",
        type=int,
        default=1_000_000,
        help="events to seed the store with for the audit report",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "docs" / "benchmarks.md",
        help="the report; the JSON goes beside it (.json)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the scratch folder (servers' data, workers' logs); it is "
        "kept anyway when the run fails",
    )
    parser.add_argument(
        "--profile",
        type=Path,
        metavar="FILE",
        help="sample the first worker with py-spy into FILE (collapsed "
        "stacks; bench/profile_summary.py FILE sums it up)",
    )
    args = parser.parse_args(argv)

    load_start = os.getloadavg()[0]
    before = before_figures()  # fail now, not after ten minutes, if they cannot be read
    scratch = Path(tempfile.mkdtemp(prefix="dsr-bench-"))
    postgres = temporal = None
    dsn, address = os.environ.get("DATABASE_URL"), os.environ.get("TEMPORAL_ADDRESS")
    servers = "given (DATABASE_URL / TEMPORAL_ADDRESS)" if dsn or address else "embedded"
    say(f"scratch folder {scratch}")
    finished = False
    try:
        if not dsn:
            postgres = EmbeddedPostgres(scratch)
            dsn = await asyncio.to_thread(postgres.start)
        if not address:
            temporal = EmbeddedTemporal(scratch, port=free_port(), ui_port=free_port())
            address = await asyncio.to_thread(temporal.start)
        # The workers' vault, made before any of them starts: the bench seeds subjects
        # sealed under the keys the workers open them with, and two workers starting at
        # once would otherwise each make a key-encryption key of their own.
        worker_data = scratch / "worker-data"
        vault = open_vault(Settings(DSR_DATA_DIR=str(worker_data)))
        pool = await create_pool(dsn, max_size=20, vault=vault)
        await apply_migrations(pool)
        client = await connect(address, "default")
        await ensure_search_attributes(client, "default")
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        await bench_accounts(pool)
        env = {
            **os.environ,
            "DATABASE_URL": dsn,
            "TEMPORAL_ADDRESS": address,
            "DSR_TASK_QUEUE": queue,
            "DSR_LOG_FORMAT": "json",
            **bench_act_keys(scratch / "act-keys"),
        }

        say(f"baseline: {args.requests} workflows of 1 no-op activity ...")
        base_1 = await baseline(client, args.requests, args.concurrency, 1)
        say(f"  {base_1.requests_per_s:.2f} requests/s")
        say(f"baseline: {args.requests} workflows of {BASELINE_STEPS} no-op activities ...")
        base_23 = await baseline(client, args.requests, args.concurrency, BASELINE_STEPS)
        say(f"  {base_23.requests_per_s:.2f} requests/s")

        by_workers: dict[int, Closed] = {}
        per_request: list[tuple[str, int, int]] = []
        saturated_ms: list[float] = []
        half_ms: list[float] = []
        half_offered = half_seconds = 0.0
        half_n = 0
        half_load: float | None = None
        missing = 0
        for count in args.workers:
            first = count == args.workers[0]
            tag = uuid.uuid4().hex[:8]
            async with fleet(
                count, env, worker_data, scratch / "logs", args.profile if first else None
            ) as workers:
                say(
                    f"ours, {count} worker{'s' if count > 1 else ''}: {args.requests} "
                    f"requests, {args.concurrency} at a time ..."
                )
                closed, driven = await closed_loop(
                    client, pool, queue, args.requests, args.concurrency, workers, f"{tag}-c"
                )
                by_workers[count] = closed
                say(
                    f"  {closed.requests_per_s:.2f} requests/s, peak RSS "
                    f"{closed.peak_rss_mib:.0f} MiB"
                )
                if not first:
                    continue
                per_request = await history_counts(client, driven)
                delivered = await receipt_delivered_at(pool, (d.request_id for d in driven))
                saturated_ms = receipt_latencies_ms(driven, delivered)
                rate = closed.requests_per_s / 2
                half_n = args.half_load_requests or min(
                    args.requests, max(100, round(rate * args.half_load_seconds))
                )
                say(f"ours, half load: {half_n} requests at {rate:.2f}/s ({args.arrivals}) ...")
                stop = asyncio.Event()
                sampler = asyncio.create_task(workers.sample(stop))
                driven, half_offered, half_seconds = await open_loop(
                    client, pool, queue, rate, half_n, args.arrivals, args.seed, f"{tag}-h"
                )
                half_load = os.getloadavg()[0]
                stop.set()
                await sampler
                delivered = await receipt_delivered_at(pool, (d.request_id for d in driven))
                half_ms = receipt_latencies_ms(driven, delivered)
                missing = len(driven) - len(half_ms)
                if workers.peak_rss_mib and closed.peak_rss_mib:
                    closed.peak_rss_mib = max(closed.peak_rss_mib, workers.peak_rss_mib)
                p99 = percentile(half_ms, 0.99) if half_ms else float("nan")
                say(
                    f"  receipt p99 {p99:.0f} ms (offered {half_offered:.2f}/s over "
                    f"{half_seconds:.0f} s)"
                )

        say(f"store: seeding {args.events:,} events, then the audit report ...")
        store = await time_store_reads(pool, args.events)
        say(f"  audit report {store['report_month']:.2f} s over {int(store['events']):,} events")
        await pool.close()

        notes = [
            f"1-minute load average {load_start:.1f} at the start, "
            f"{os.getloadavg()[0]:.1f} at the end, on {os.cpu_count()} cores: the "
            "machine is shared, other work moves the absolute figures."
        ]
        if missing:
            notes.append(
                f"{missing} half-load requests had no delivered receipt on record; "
                "their latency is left out."
            )
        measured = Measured(
            argv=argv,
            date=datetime.now(UTC).date().isoformat(),
            cores=os.cpu_count() or 0,
            servers=servers,
            requests=args.requests,
            concurrency=args.concurrency,
            baseline_1=base_1,
            baseline_23=base_23,
            by_workers=by_workers,
            per_request=per_request,
            receipt_ms_saturated=saturated_ms,
            half_load_offered_per_s=half_offered,
            half_load_seconds=half_seconds,
            receipt_ms_half_load=half_ms,
            half_load_requests=half_n,
            arrivals=args.arrivals,
            half_load_load=half_load,
            store=store,
            before=before,
            before_folder=str(BEFORE_HISTORIES.relative_to(ROOT)),
            run_seconds=time.monotonic() - STARTED,
            missing_receipts=missing,
            notes=notes,
        )
        data = build(measured)
        text = render(data)
        print(text)
        text, data = with_sections_kept(text, data, args.out)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
        args.out.with_suffix(".json").write_text(
            json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        say(f"wrote {args.out} and {args.out.with_suffix('.json')}")
        finished = True
    finally:
        if temporal is not None:
            temporal.stop()
        if postgres is not None:
            postgres.stop()
        if finished and not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
        else:
            say(f"kept {scratch} (workers' logs under logs/)")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
