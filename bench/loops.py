"""The benchmark's loops: the bare-SDK baseline, requests driven closed-loop (a fixed number
in flight) and open-loop (arriving at a rate), and the history each left."""

from __future__ import annotations

import asyncio
import os
import random
import time
import uuid

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker

from bench.baseline import BaselineWorkflow, noop
from bench.drive import (
    Driven,
    StepWatch,
    count_history,
    drive_request,
    seed_subjects,
)
from bench.report import (
    KINDS,
    Closed,
)
from bench.workers import Fleet


async def baseline(client: Client, n: int, concurrency: int, steps: int) -> Closed:
    queue = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    gate = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with gate:
            await client.execute_workflow(
                BaselineWorkflow.run, steps, id=f"{queue}-{i}", task_queue=queue
            )

    async with Worker(client, task_queue=queue, workflows=[BaselineWorkflow], activities=[noop]):
        started = time.perf_counter()
        await asyncio.gather(*(one(i) for i in range(n)))
        seconds = time.perf_counter() - started
    return Closed(n, seconds, load=os.getloadavg()[0])


async def closed_loop(
    client: Client,
    pool: asyncpg.Pool,
    queue: str,
    n: int,
    concurrency: int,
    workers: Fleet,
    tag: str,
) -> tuple[Closed, list[Driven]]:
    """`n` requests of mixed kinds, `concurrency` in flight, each driven to its close."""
    subjects = await seed_subjects(pool, tag, n)
    gate = asyncio.Semaphore(concurrency)
    stop = asyncio.Event()
    sampler = asyncio.create_task(workers.sample(stop))
    async with StepWatch(pool) as watch:

        async def one(i: int) -> Driven:
            async with gate:
                return await drive_request(
                    client,
                    pool,
                    watch,
                    queue,
                    KINDS[i % len(KINDS)],
                    f"bench-{tag}-{i}",
                    subjects[i],
                )

        started = time.perf_counter()
        driven = await asyncio.gather(*(one(i) for i in range(n)))
        seconds = time.perf_counter() - started
    stop.set()
    await sampler
    return Closed(n, seconds, workers.peak_rss_mib, os.getloadavg()[0]), list(driven)


async def open_loop(
    client: Client,
    pool: asyncpg.Pool,
    queue: str,
    rate: float,
    n: int,
    arrivals: str,
    seed: int,
    tag: str,
) -> tuple[list[Driven], float, float]:
    """`n` requests arriving at `rate` a second whatever is in flight (Poisson or a fixed
    interval), each driven to its close; returns them, the offered rate and the seconds
    from the first arrival to the last close."""
    subjects = await seed_subjects(pool, tag, n)
    rng = random.Random(seed)
    gaps = [rng.expovariate(rate) if arrivals == "poisson" else 1 / rate for _ in range(n)]
    tasks: list[asyncio.Task[Driven]] = []
    async with StepWatch(pool) as watch:
        started = time.perf_counter()
        due = 0.0
        for i in range(n):
            delay = started + due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(
                asyncio.create_task(
                    drive_request(
                        client,
                        pool,
                        watch,
                        queue,
                        KINDS[i % len(KINDS)],
                        f"bench-{tag}-{i}",
                        subjects[i],
                    )
                )
            )
            due += gaps[i]
        last_arrival = time.perf_counter() - started
        driven = await asyncio.gather(*tasks)
        seconds = time.perf_counter() - started
    offered = (n - 1) / last_arrival if n > 1 and last_arrival > 0 else rate
    return list(driven), offered, seconds


async def history_counts(client: Client, driven: list[Driven]) -> list[tuple[str, int, int]]:
    gate = asyncio.Semaphore(10)

    async def one(d: Driven) -> tuple[str, int, int]:
        async with gate:
            return (d.kind, *await count_history(client, d.request_id))

    return list(await asyncio.gather(*(one(d) for d in driven)))
