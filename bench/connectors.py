"""Benchmark: the connectors against the demo organisation at scale.

    make bench-connectors                   # or: .venv/bin/python -m bench.connectors
    .venv/bin/python -m bench.connectors --customers 5000 --requests 50 --no-write  # a look

Starts the embedded PostgreSQL in a scratch folder (or uses the server DATABASE_URL names,
as a superuser), builds the demo organisation Sesenergy there at --customers customers
(connectors/demo/organisation.py: about ten rows per customer in six tables), creates and
seeds the support desk's schema in the same database and serves the support desk (the
demo's HTTP system) in this process, as `make run` serves it beside the worker. The demo
map is filled in with secret files in the scratch folder and a connector opened per
system, as the worker opens them (runtime/connectors.py `connector_for`). Then, with
--in-flight subjects at a time (a closed loop), for --requests distinct customers drawn
at random from 1..N:
  - collect: every system searched for the subject at once (as the workflow does), the
    latency of the subject's whole collection recorded;
  - erase: the same subjects, each once, from the rows collected: the erasure planned per
    system by `domain.fulfilment.plan_for` (every item in breach), applied and confirmed
    in every system at once; the latency of each erasure recorded. A change that does not
    confirm fails the bench.
A few subjects outside the sample are collected first, unmeasured, to open the pools.
Prints the figures, writes a section of docs/benchmarks.md and merges its keys into
docs/benchmarks.json (other keys are kept); the bench database is dropped at the end.
Goals: collect p99 under 200 ms, erase p99 under 500 ms."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import psutil

from bench.markdown import CONNECTORS_BEGIN, CONNECTORS_END, _f, _verdict, write_section
from bench.report import percentile
from connectors.base import Collected, Connector, FoundRow, Identities
from connectors.demo.organisation import (
    HANAKO_EMAIL,
    HANAKO_ID,
    create_demo_database,
    demo_map,
    drop_demo_database,
)
from connectors.demo.support_desk import (
    SCHEMA,
    create_support_desk_schema,
    seed_support_desk,
    support_desk_serving,
)
from domain.datamap import Identity, System
from domain.decisions import Outcome
from domain.fulfilment import Plan, SystemItem, plan_for
from runtime.connectors import connector_for
from runtime.servers import EmbeddedPostgres
from store.privileges import with_database

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "sesenergy_bench"
GOAL_COLLECT_P99_MS = 200.0
GOAL_ERASE_P99_MS = 500.0
SECTION_BEGIN, SECTION_END = CONNECTORS_BEGIN, CONNECTORS_END
STARTED = time.monotonic()


def say(text: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.0f}s] {text}", flush=True)


@dataclass(frozen=True)
class Figures:
    """What one run measured. Latencies in milliseconds, in the order they ended."""

    customers: int
    requests: int
    in_flight: int
    systems: dict[str, str]  # name: kind
    rows: dict[str, int]  # rows per table of the organisation, both systems
    build_s: float
    collect_ms: list[float]
    erase_ms: list[float]
    rows_collected: int  # rows found, over the measured collections
    rows_changed: int  # rows changed (a field written or the row deleted), over the erasures
    refused_fields: int  # fields the map keeps, over the erasures
    servers: str = "embedded"
    load: tuple[float, float] = field(default=(0.0, 0.0))  # 1-minute load, start and end

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    @property
    def collect_p50_ms(self) -> float:
        return percentile(self.collect_ms, 0.5)

    @property
    def collect_p99_ms(self) -> float:
        return percentile(self.collect_ms, 0.99)

    @property
    def erase_p50_ms(self) -> float:
        return percentile(self.erase_ms, 0.5)

    @property
    def erase_p99_ms(self) -> float:
        return percentile(self.erase_ms, 0.99)

    def keys(self) -> dict[str, object]:
        """The keys this bench owns in docs/benchmarks.json."""
        return {
            "connectors_customers": self.customers,
            "connectors_rows": self.total_rows,
            "connectors_requests": self.requests,
            "connectors_in_flight": self.in_flight,
            "connectors_build_s": round(self.build_s, 1),
            "connectors_collect_p50_ms": round(self.collect_p50_ms, 1),
            "connectors_collect_p99_ms": round(self.collect_p99_ms, 1),
            "connectors_erase_p50_ms": round(self.erase_p50_ms, 1),
            "connectors_erase_p99_ms": round(self.erase_p99_ms, 1),
        }


# A subject: identities, collection, erasure ------------------------------------------


def identities_of(customer: int) -> Identities:
    """What customer `customer` of the demo is known by: the account id and the e-mail."""
    email = HANAKO_EMAIL if customer == HANAKO_ID else f"customer{customer}@example.com"
    return {Identity.SUBJECT_ID: [f"user-{customer}"], Identity.EMAIL: [email]}


async def collect_all(
    connectors: Mapping[str, Connector], identities: Identities
) -> dict[str, Collected]:
    """Every system searched for the subject at once."""
    found = await asyncio.gather(*(c.collect(identities) for c in connectors.values()))
    return dict(zip(connectors, found, strict=True))


def items_of(system: System, rows: Sequence[FoundRow], first_id: int = 1) -> list[SystemItem]:
    """The items a collection's rows make, as the store records them (store/systems.py
    `replace_collected`): one per field with a value, named by the map's field and `as`."""
    items: list[SystemItem] = []
    for row in rows:
        fields = system.collections[row.collection].fields
        for name, value in row.values.items():
            if value is None:
                continue
            items.append(
                SystemItem(
                    item_id=first_id + len(items),
                    collection=row.collection,
                    key=row.key,
                    system_field=name,
                    field=fields[name].as_field or name,
                    suspended=row.restricted,
                )
            )
    return items


@dataclass(frozen=True)
class Erased:
    rows_changed: int
    refused_fields: int


async def erase(
    connectors: Mapping[str, Connector],
    collected: Mapping[str, Collected],
    identities: Identities,
) -> Erased:
    """The subject erased in every system at once: every item in breach, planned by the
    map's rules, applied and confirmed. RuntimeError when a change does not confirm."""
    parts = {}
    for name, connector in connectors.items():
        items = items_of(connector.system, collected[name].rows)
        parts[name] = plan_for(
            connector.system,
            Outcome.ERASED,
            items,
            in_breach=frozenset(item.item_id for item in items),
        )

    async def carry_out(connector: Connector, plan: Plan) -> None:
        if not plan.changes:
            return
        await connector.apply(plan, identities)
        problems = await connector.confirm(plan, identities)
        if problems:
            raise RuntimeError(f"{connector.name}: not confirmed: " + "; ".join(problems))

    await asyncio.gather(*(carry_out(connectors[n], part.plan) for n, part in parts.items()))
    return Erased(
        rows_changed=sum(sum(part.plan.counts().values()) for part in parts.values()),
        refused_fields=sum(
            len({(r.collection, r.field) for r in part.refused}) for part in parts.values()
        ),
    )


async def closed_loop(
    subjects: Iterable[int], in_flight: int, job: Callable[[int], Awaitable[None]]
) -> list[float]:
    """`job` for each subject, `in_flight` at a time; each one's latency in milliseconds."""
    queue = iter(subjects)
    latencies: list[float] = []

    async def runner() -> None:
        for subject in queue:  # the iterator is shared: each subject is taken once
            began = time.perf_counter()
            await job(subject)
            latencies.append((time.perf_counter() - began) * 1000)

    async with asyncio.TaskGroup() as group:
        for _ in range(in_flight):
            group.create_task(runner())
    return latencies


# The run ------------------------------------------------------------------------------


def _secret(path: Path, value: str) -> Path:
    path.touch(mode=0o600, exist_ok=True)
    path.write_text(value + "\n", encoding="utf-8")
    return path


async def _desk_rows(url: str) -> dict[str, int]:
    connection = await asyncpg.connect(url)
    try:
        return {
            f"{SCHEMA}.{table}": await connection.fetchval(f"SELECT count(*) FROM {SCHEMA}.{table}")
            for table in ("tickets", "chat_transcripts")
        }
    finally:
        await connection.close()


async def measure(
    server_url: str,
    scratch: Path,
    *,
    customers: int,
    requests: int,
    in_flight: int,
    database: str = DATABASE,
    seed: int | None = None,
    warm_up: int | None = None,
) -> Figures:
    """Build the organisation in `database` on the server `server_url` names (a superuser's
    URL), serve the support desk, open a connector per system, measure, and drop the
    database whatever happens. `scratch` holds the secret files."""
    warm = in_flight if warm_up is None else warm_up
    if requests < 1 or in_flight < 1:
        raise ValueError("--requests and --in-flight must be at least 1")
    if requests + warm > customers:
        raise ValueError(f"{requests} requests and {warm} to warm up need as many customers")
    draw = random.Random(seed)  # seeded from the OS when seed is None
    chosen = draw.sample(range(1, customers + 1), requests + warm)
    warming, subjects = chosen[:warm], chosen[warm:]
    load_start = os.getloadavg()[0]
    connectors: dict[str, Connector] = {}
    try:
        say(f"building Sesenergy with {customers:,} customers in {database}")
        began = time.perf_counter()
        built = await create_demo_database(server_url, database=database, customers=customers)
        desk_url = with_database(server_url, database)
        connection = await asyncpg.connect(desk_url)
        try:
            await create_support_desk_schema(connection)
            await seed_support_desk(connection, customers)
        finally:
            await connection.close()
        build_s = time.perf_counter() - began
        rows = {**built.rows, **await _desk_rows(desk_url)}
        say(f"built {sum(rows.values()):,} rows in {build_s:.1f} s")
        token = secrets.token_urlsafe(24)
        async with support_desk_serving(desk_url, token) as desk:
            data_map = demo_map(
                database_url_file=_secret(scratch / "customer-db.url", built.url),
                support_desk_url_file=_secret(scratch / "support-desk.url", desk),
                support_desk_token_file=_secret(scratch / "support-desk.token", f"Bearer {token}"),
            )
            for name, system in data_map.systems.items():
                connector = connector_for(name, system)
                if connector is not None:
                    connectors[name] = connector
            say(f"systems: {', '.join(connectors)}; {len(warming)} collections to warm up")

            async def warm_one(customer: int) -> None:
                await collect_all(connectors, identities_of(customer))

            await closed_loop(warming, in_flight, warm_one)

            collected: dict[int, dict[str, Collected]] = {}

            async def collect_one(customer: int) -> None:
                collected[customer] = await collect_all(connectors, identities_of(customer))

            say(f"collecting {requests} subjects, {in_flight} in flight")
            collect_ms = await closed_loop(subjects, in_flight, collect_one)
            erased: list[Erased] = []

            async def erase_one(customer: int) -> None:
                erased.append(await erase(connectors, collected[customer], identities_of(customer)))

            say(f"erasing the same {requests} subjects, {in_flight} in flight")
            erase_ms = await closed_loop(subjects, in_flight, erase_one)
    finally:
        for connector in connectors.values():
            await connector.close()
        say(f"dropping {database}")
        await drop_demo_database(server_url, database=database)
    return Figures(
        customers=customers,
        requests=requests,
        in_flight=in_flight,
        systems={name: c.system.kind.value for name, c in connectors.items()},
        rows=rows,
        build_s=build_s,
        collect_ms=collect_ms,
        erase_ms=erase_ms,
        rows_collected=sum(len(c.rows) for found in collected.values() for c in found.values()),
        rows_changed=sum(e.rows_changed for e in erased),
        refused_fields=sum(e.refused_fields for e in erased),
        load=(load_start, os.getloadavg()[0]),
    )


# The report ---------------------------------------------------------------------------


def machine() -> str:
    model = ""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
        found = re.search(r"^model name\s*:\s*(.+)$", text, re.M)
        model = f" ({found.group(1).strip()})" if found else ""
    except OSError:
        pass
    memory = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores{model}, {memory:.0f} GiB of memory"


def render(f: Figures, date: str) -> str:
    """The section of docs/benchmarks.md, each paragraph one line (as bench/markdown.py)."""
    collect_ok = f.collect_p99_ms < GOAL_COLLECT_P99_MS
    erase_ok = f.erase_p99_ms < GOAL_ERASE_P99_MS
    tables = ", ".join(f"{table} {n:,}" for table, n in f.rows.items())
    systems = ", ".join(f"`{name}` ({kind})" for name, kind in f.systems.items())
    met = [
        f"{what} p99 {'is under' if ok else 'is NOT under'} {goal:.0f} ms"
        for what, ok, goal in (
            ("collect", collect_ok, GOAL_COLLECT_P99_MS),
            ("erase", erase_ok, GOAL_ERASE_P99_MS),
        )
    ]
    verdict = "both goals are met" if collect_ok and erase_ok else "a goal is NOT met"
    lines = [
        SECTION_BEGIN,
        "## Connectors",
        "",
        f"`make bench-connectors` on {date}: {machine()}, {f.servers} PostgreSQL. The demo "
        f"organisation Sesenergy at {f.customers:,} customers, **{f.total_rows:,} rows** "
        f"({tables}), built in {f.build_s:.1f} s; its systems {systems}, each reached "
        "through its connector as the worker opens it (`runtime.connectors.connector_for`: "
        "at most the map's `concurrency`, 4, calls in flight per system). The support desk "
        "is served in the bench's own process and event loop, as `make run` serves it "
        "beside the worker, so its server's work shares a core with the connectors'.",
        "",
        f"A closed loop of **{f.in_flight} subjects in flight** over {f.requests:,} distinct "
        "customers drawn at random (a few others collected first, unmeasured, to open the "
        "pools). A collection searches every system at once, as the workflow does; an "
        "erasure of the same subject plans each system's part from the rows collected "
        "(`domain.fulfilment.plan_for`, every item in breach), applies and confirms it, "
        "every system at once. A latency is one subject's whole collection, or whole "
        "erasure.",
        "",
        "| figure | goal | p50 ms | p99 ms | |",
        "| --- | --- | ---: | ---: | --- |",
        f"| collect, every system | p99 < {GOAL_COLLECT_P99_MS:.0f} ms "
        f"| {_f(f.collect_p50_ms)} | **{_f(f.collect_p99_ms)}** | {_verdict(collect_ok)} |",
        f"| erase: plan, apply, confirm, every system | p99 < {GOAL_ERASE_P99_MS:.0f} ms "
        f"| {_f(f.erase_p50_ms)} | **{_f(f.erase_p99_ms)}** | {_verdict(erase_ok)} |",
        "",
        f"So {verdict}: {'; '.join(met)}. Collected {f.rows_collected:,} rows "
        f"({f.rows_collected / f.requests:.1f} a subject); the erasures changed "
        f"{f.rows_changed:,} rows (a field written or the row deleted), every change "
        f"confirmed, and kept {f.refused_fields:,} fields the map keeps. 1-minute load "
        f"average {f.load[0]:.1f} at the start, {f.load[1]:.1f} at the end: the machine is "
        "shared.",
        SECTION_END,
        "",
    ]
    return "\n".join(lines)


def write_docs(out: Path, section: str, figures: Figures) -> None:
    """This bench's section of `out` replaced (or added), its keys merged into the JSON."""
    write_section(out, SECTION_BEGIN, SECTION_END, section, figures.keys())


async def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.connectors",
        description=__doc__.split("\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--customers", type=int, default=1_000_000, help="the demo's size")
    parser.add_argument("--requests", type=int, default=200, help="subjects collected, then erased")
    parser.add_argument("--in-flight", type=int, default=10, help="subjects at a time")
    parser.add_argument("--seed", type=int, default=None, help="draw the subjects repeatably")
    parser.add_argument("--database", default=DATABASE, help="the bench database's name")
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "docs" / "benchmarks.md",
        help="the report to write a section of; the JSON goes beside it",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="dsr-bench-connectors-"))
    say(f"scratch folder {scratch}")
    server_url = os.environ.get("DATABASE_URL")
    servers = "given (DATABASE_URL)" if server_url else "embedded"
    postgres = None
    try:
        if not server_url:
            postgres = EmbeddedPostgres(scratch)
            server_url = await asyncio.to_thread(postgres.start)
        figures = await measure(
            server_url,
            scratch,
            customers=args.customers,
            requests=args.requests,
            in_flight=args.in_flight,
            database=args.database,
            seed=args.seed,
        )
    finally:
        if postgres is not None:
            await asyncio.to_thread(postgres.stop)
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    figures = replace(figures, servers=servers)
    section = render(figures, datetime.now(UTC).date().isoformat())
    print(section)
    say(
        f"collect p50 {figures.collect_p50_ms:.1f} ms, p99 {figures.collect_p99_ms:.1f} ms "
        f"(goal < {GOAL_COLLECT_P99_MS:.0f}); erase p50 {figures.erase_p50_ms:.1f} ms, "
        f"p99 {figures.erase_p99_ms:.1f} ms (goal < {GOAL_ERASE_P99_MS:.0f}); "
        f"{figures.total_rows:,} rows, built in {figures.build_s:.1f} s"
    )
    if not args.no_write:
        write_docs(args.out, section, figures)
        say(f"wrote {args.out} and {args.out.with_suffix('.json')}")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
