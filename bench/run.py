"""Benchmark: our DataSubjectRequest against bare Temporal, on the same servers, in one run.

    make bench                     # or: .venv/bin/python bench/run.py --requests 200

Starts the embedded PostgreSQL and Temporal dev server in a scratch folder (or uses
DATABASE_URL / TEMPORAL_ADDRESS), then measures:
  1. the baseline: N workflows of one no-op activity, bare SDK, in-process worker;
  2. N requests of mixed kinds through the real worker (`worker.py`, a subprocess whose
     memory is sampled), the benchmark playing operator through the same client calls
     the CLI uses;
  3. on a store seeded with --events events: the audit report for a month and
     `dsr list --overdue`.
Prints a table and writes docs/benchmarks.md. Figures are ratios against the baseline of
the same run: the machine is shared and noisy, absolute numbers are not comparable.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from temporalio.client import Client  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from activities.database import apply_migrations, create_pool  # noqa: E402
from bench.baseline import BaselineWorkflow, noop  # noqa: E402
from bench.drive import drive_request, seed_subjects  # noqa: E402
from bench.store_load import time_store_reads  # noqa: E402
from runtime.cluster import connect, ensure_search_attributes  # noqa: E402
from runtime.servers import EmbeddedPostgres, EmbeddedTemporal, free_port  # noqa: E402

KINDS = ("inquiry", "correction", "suspension", "third_party_stop", "disclosure")


@dataclass
class Figures:
    name: str
    requests: int
    seconds: float
    activities: int
    history_events: int = 0
    latencies: list[float] = field(default_factory=list)
    peak_rss_mib: float | None = None

    @property
    def requests_per_s(self) -> float:
        return self.requests / self.seconds

    @property
    def activities_per_s(self) -> float:
        return self.activities / self.seconds


async def baseline(client: Client, n: int, concurrency: int, steps: int = 1) -> Figures:
    queue = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await client.execute_workflow(BaselineWorkflow.run, steps, id=f"{queue}-{i}",
                                          task_queue=queue)

    async with Worker(client, task_queue=queue, workflows=[BaselineWorkflow],
                      activities=[noop]):
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        seconds = time.perf_counter() - started
    return Figures(f"bare SDK, {steps} no-op activities", n, seconds, n * steps)


async def ours(client: Client, pool, n: int, concurrency: int, env: dict[str, str],
               data_dir: Path, profile: Path | None = None) -> Figures:
    queue = env["DSR_TASK_QUEUE"]
    log = (data_dir / "bench-worker.log").open("ab")
    command = [sys.executable, str(ROOT / "worker.py")]
    if profile is not None:
        # py-spy (pip install py-spy; not a dependency) samples the worker's stacks.
        command = [str(Path(sys.executable).parent / "py-spy"), "record", "--format", "raw",
                   "--rate", "50", "--subprocesses", "-o", str(profile), "--", *command]
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        await _wait_for_log(data_dir / "bench-worker.log", "worker running")
        process = psutil.Process(worker.pid)
        if profile is not None:  # the worker is py-spy's child
            process = next(p for p in process.children(recursive=True)
                           if "worker.py" in " ".join(p.cmdline()))
        peak = 0
        stop = asyncio.Event()

        async def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, process.memory_info().rss)
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        tag = uuid.uuid4().hex[:8]
        subjects = await seed_subjects(pool, tag, n)
        gate = asyncio.Semaphore(concurrency)

        async def one(i: int) -> tuple[float, int, int]:
            async with gate:
                return await drive_request(client, pool, queue, KINDS[i % len(KINDS)],
                                           f"bench-{tag}-{i}", subjects[i])

        started = time.perf_counter()
        results = await asyncio.gather(*(one(i) for i in range(n)))
        seconds = time.perf_counter() - started
        stop.set()
        await sampler
    finally:
        if profile is not None:
            # Stop the worker, not py-spy: py-spy writes its file when its child exits.
            for child in psutil.Process(worker.pid).children(recursive=True):
                child.terminate()
        else:
            worker.terminate()
        worker.wait(60)
        log.close()
    return Figures("DataSubjectRequest, mixed kinds", n, seconds,
                   activities=sum(r[1] for r in results),
                   history_events=sum(r[2] for r in results),
                   latencies=[r[0] for r in results], peak_rss_mib=peak / 2**20)


async def _wait_for_log(path: Path, text: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"worker did not start; see {path}")


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def report(base: Figures, like: Figures, mine: Figures, store: dict[str, float],
           argv: list[str]) -> str:
    ratio = mine.activities_per_s / base.activities_per_s
    like_ratio = mine.activities_per_s / like.activities_per_s
    rows = [
        ("requests (workflows)", f"{base.requests}", f"{like.requests}", f"{mine.requests}"),
        ("wall time, s", f"{base.seconds:.1f}", f"{like.seconds:.1f}", f"{mine.seconds:.1f}"),
        ("requests/s", f"{base.requests_per_s:.1f}", f"{like.requests_per_s:.1f}",
         f"{mine.requests_per_s:.1f}"),
        ("activities/s", f"{base.activities_per_s:.1f}", f"{like.activities_per_s:.1f}",
         f"{mine.activities_per_s:.1f}"),
        ("activities per request", f"{base.activities // base.requests}",
         f"{like.activities // like.requests}", f"{mine.activities / mine.requests:.1f}"),
        ("history events per request", "-", "-", f"{mine.history_events / mine.requests:.1f}"),
        ("submit → receipt event, p50 ms", "-", "-",
         f"{1000 * statistics.median(mine.latencies):.0f}"),
        ("submit → receipt event, p99 ms", "-", "-",
         f"{1000 * _percentile(mine.latencies, 0.99):.0f}"),
        ("worker peak RSS, MiB", "-", "-", f"{mine.peak_rss_mib:.0f}"),
    ]
    lines = [
        "# Benchmarks", "",
        f"Made by `{' '.join(['python bench/run.py', *argv])}` on "
        f"{datetime.now(UTC).date().isoformat()}, {os.cpu_count()} cores, embedded servers "
        "unless DATABASE_URL / TEMPORAL_ADDRESS were set. Ratios are what compare across "
        "runs; absolute figures move with the machine's load.", "",
        "| figure | bare SDK, 1 activity | bare SDK, same activities | DataSubjectRequest |",
        "| --- | ---: | ---: | ---: |",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows], "",
        f"**Ratio of activities/s, ours to the baseline (1 no-op activity per workflow): "
        f"{ratio:.2f}**", "",
        f"Ratio to the like-for-like baseline (the same number of no-op activities per "
        f"workflow as our requests ran): {like_ratio:.2f}", "",
        f"Store seeded with {int(store['events']):,} events:", "",
        "| read | seconds |", "| --- | ---: |",
        f"| audit report for a month | {store['report_month']:.2f} |",
        f"| `dsr list --overdue` | {store['list_overdue']:.2f} |", "",
    ]
    return "\n".join(lines)


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--profile", type=Path, metavar="FILE",
                        help="sample the worker with py-spy into FILE (collapsed stacks)")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="dsr-bench-"))
    postgres = temporal = None
    dsn, address = os.environ.get("DATABASE_URL"), os.environ.get("TEMPORAL_ADDRESS")
    try:
        if not dsn:
            postgres = EmbeddedPostgres(scratch)
            dsn = await asyncio.to_thread(postgres.start)
        if not address:
            temporal = EmbeddedTemporal(scratch, port=free_port(), ui_port=free_port())
            address = await asyncio.to_thread(temporal.start)
        pool = await create_pool(dsn, max_size=20)
        await apply_migrations(pool)
        client = await connect(address, "default")
        await ensure_search_attributes(client, "default")
        env = {**os.environ, "DATABASE_URL": dsn, "TEMPORAL_ADDRESS": address,
               "DSR_TASK_QUEUE": f"bench-{uuid.uuid4().hex[:8]}", "DSR_LOG_FORMAT": "json",
               "DSR_DATA_DIR": str(scratch)}
        print(f"baseline: {args.requests} workflows ...", flush=True)
        base = await baseline(client, args.requests, args.concurrency)
        print(f"ours: {args.requests} requests ...", flush=True)
        mine = await ours(client, pool, args.requests, args.concurrency, env, scratch,
                          args.profile)
        steps = round(mine.activities / mine.requests)
        print(f"like-for-like baseline: {args.requests} workflows of {steps} ...", flush=True)
        like = await baseline(client, args.requests, args.concurrency, steps)
        print(f"store: seeding {args.events:,} events ...", flush=True)
        store = await time_store_reads(pool, args.events)
        await pool.close()
        text = report(base, like, mine, store, argv)
        print(text)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    finally:
        if temporal is not None:
            temporal.stop()
        if postgres is not None:
            postgres.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
