"""The baseline: one no-op activity per workflow through the bare SDK."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench_noop")
async def noop(value: int) -> int:
    return value


@workflow.defn(name="BenchBaseline", sandboxed=False)
class BaselineWorkflow:
    """`steps` no-op activities in sequence: 1 is the issue's baseline; the average number
    our requests run makes the like-for-like baseline."""

    @workflow.run
    async def run(self, steps: int) -> int:
        for step in range(steps):
            await workflow.execute_activity(
                noop, step, start_to_close_timeout=timedelta(seconds=30))
        return steps
