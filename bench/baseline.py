"""The baselines: workflows of no-op activities through the bare SDK."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity, workflow


@activity.defn(name="bench_noop")
async def noop(value: int) -> int:
    return value


@workflow.defn(name="BenchBaseline", sandboxed=False)
class BaselineWorkflow:
    """`steps` no-op activities in sequence: 23 is issue 15's baseline (as many as a
    request ran before the reshaping); 1 shows the cost of a workflow alone."""

    @workflow.run
    async def run(self, steps: int) -> int:
        for step in range(steps):
            await workflow.execute_activity(
                noop, step, start_to_close_timeout=timedelta(seconds=30)
            )
        return steps
