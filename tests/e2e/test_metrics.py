"""The worker's Prometheus endpoint and tracing, on the real service: `worker.py` serves the
SDK's `temporal_*` series and our `dsr_*` series on DSR_METRICS_PORT; the store-derived
gauges tell the store's truth; a port in use stops start-up with one line; with
DSR_TRACING on, workflows and activities make spans."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio import activity, workflow
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from runtime.cluster import connect
from runtime.metrics import read_store
from runtime.tracing import tracer_provider, tracing_interceptor
from store.database import apply_migrations, create_pool
from store.sealing import Vault, vault_of
from tests.support.database import scratch_database
from tests.support.metrics import sample, scrape
from tests.support.privacy import leaks
from tests.support.service import ROOT, Service, count
from tests.support.temporal import eventually

pytestmark = pytest.mark.e2e


async def test_a_running_worker_serves_temporal_and_dsr_series(
    service: Service, tmp_path: Path, unique: str
) -> None:
    service.env["DSR_TRACING"] = "console"
    await service.start()
    address = f"127.0.0.1:{service.metrics_port}"
    assert f'"metrics": "http://{address}/metrics"' in service.log_path.read_text()
    # Read from the store once at start: every series is there before any request.
    samples = await asyncio.to_thread(scrape, address)
    assert sample(samples, "dsr_requests", kind="inquiry", status="closed") == 0
    assert sample(samples, "temporal_worker_start", task_queue="dsr-e2e") == 1

    request_id = f"met-{unique}"
    service.submit_answered_inquiry(request_id, f"subj-{unique}")

    # The gauges are refreshed every 15 s: within two refreshes they show the request
    # closed and its notices delivered.
    def closed_and_delivered(samples: dict) -> bool:
        return (
            sample(samples, "dsr_requests", kind="inquiry", status="closed") == 1
            and sample(samples, "dsr_notices", status="pending") == 0
            and (sample(samples, "dsr_notices", status="delivered") or 0) > 0
        )

    async def scraped() -> dict:
        return await asyncio.to_thread(scrape, address)

    samples = await eventually(scraped, closed_and_delivered, within=45)
    delivered = await count(
        service, "SELECT count(*) FROM notifications WHERE status = 'delivered'"
    )
    assert sample(samples, "dsr_notices", status="delivered") == delivered
    assert sum(value for (name, _), value in samples.items() if name == "dsr_requests") == 1
    assert sample(samples, "dsr_requests", kind="inquiry", status="in_progress") == 0
    assert sample(samples, "dsr_requests_past_due", kind="inquiry") == 0
    # The SDK's own series, from the same endpoint.
    assert (
        sample(
            samples,
            "temporal_workflow_completed",
            workflow_type="DataSubjectRequest",
            task_queue="dsr-e2e",
        )
        == 1
    )
    assert any(
        name == "temporal_activity_execution_latency_count" and value > 0
        for (name, _), value in samples.items()
    )
    # No activity failed on this path, so no failure series exists yet.
    assert not any(name == "dsr_activity_failures_total" for name, _ in samples)

    # DSR_TRACING=console: one JSON line per span on standard output, none with personal data.
    log_text = service.log_path.read_text()
    assert '"name": "RunWorkflow:DataSubjectRequest"' in log_text
    assert '"name": "RunActivity:' in log_text
    assert leaks(log_text) == []
    assert service.stop() == 0


def test_a_metrics_port_in_use_stops_the_worker_with_one_line(tmp_path: Path) -> None:
    other = Service(tmp_path / "dsr-data")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", other.metrics_port))
        taken.listen()
        result = subprocess.run(
            [sys.executable, str(ROOT / "worker.py")],
            cwd=ROOT,
            env=other.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert result.stderr.endswith(
        f"dsr: could not start: cannot serve metrics on 127.0.0.1:{other.metrics_port} "
        "(Address already in use (os error 98)); set DSR_METRICS_PORT to a free port, or to "
        "0 for no metrics\n"
    ), result.stderr
    assert "Traceback" not in result.stderr
    # Refused before any server was started.
    assert other.leftovers() == []
    assert not (tmp_path / "dsr-data" / "postgres").exists()


# --- The store's truth behind the gauges ---------------------------------------------------


@pytest.fixture
async def store(postgres_server: str, vault: Vault) -> AsyncIterator[asyncpg.Pool]:
    """An empty store of its own: the gauges count every row."""
    async with scratch_database(postgres_server, "dsr_metrics") as url:
        pool = await create_pool(url, vault=vault)
        try:
            await apply_migrations(pool)
            yield pool
        finally:
            await pool.close()


async def test_past_due_counts_open_requests_with_one_of_our_deadlines_past(
    store: asyncpg.Pool,
) -> None:
    ago, ahead = "now() - interval '1 hour'", "now() + interval '1 day'"
    requests = [  # id, kind, status, deadlines as (step, deadline status, due)
        ("late", "inquiry", "in_progress", [("answer", "open", ago)]),
        ("breached", "correction", "received", [("acknowledge", "breached", ago)]),
        (
            "twice",
            "disclosure",
            "in_progress",
            [("acknowledge", "breached", ago), ("investigate", "open", ago)],
        ),
        (
            "person-late",
            "disclosure",
            "in_progress",
            [("verify_identity", "open", ago), ("payment", "breached", ago)],
        ),
        (
            "closed",
            "inquiry",
            "closed",
            [("answer", "completed_late", ago), ("notify", "breached", ago)],
        ),
        (
            "in-time",
            "suspension",
            "in_progress",
            [("investigate", "open", ahead), ("acknowledge", "met", ago)],
        ),
        ("failed", "third_party_stop", "failed", [("act", "open", ago)]),
    ]
    async with store.acquire() as connection, connection.transaction():
        await connection.execute("INSERT INTO subjects (subject_id) VALUES ('s1')")
        for request_id, kind, status, deadlines in requests:
            await connection.execute(
                """INSERT INTO requests (request_id, workflow_id, kind, subject_id, fingerprint,
                                         status, deadline_policy_version)
                   VALUES ($1, 'dsr-' || $1, $2, 's1', 'f', $3, 'test')""",
                request_id,
                kind,
                status,
            )
            for step, deadline_status, due in deadlines:
                await connection.execute(
                    f"""INSERT INTO deadlines (request_id, step, policy_version, started_at,
                                               due_at, status)
                        VALUES ($1, $2, 'test', now() - interval '2 days', {due}, $3)""",
                    request_id,
                    step,
                    deadline_status,
                )
        for n, status in enumerate(["pending", "delivered", "delivered"]):
            sealed = await vault_of(connection).seal_all(connection, "s1", "r", "s", "b")
            await connection.execute(
                """INSERT INTO notifications (idempotency_key, request_id, notice, recipient,
                                              subject_line, body, status)
                   VALUES ($1, 'late', 'receipt', $2, $3, $4, $5)""",
                f"k{n}",
                *sealed,
                status,
            )

    counts = await read_store(store)
    assert counts.past_due == {
        "inquiry": 1,
        "correction": 1,
        "disclosure": 1,
        "suspension": 0,
        "third_party_stop": 1,
    }
    assert counts.requests[("disclosure", "in_progress")] == 2
    assert counts.requests[("inquiry", "closed")] == 1
    assert counts.requests[("third_party_stop", "failed")] == 1
    assert sum(counts.requests.values()) == len(requests)
    assert counts.notices == {"pending": 1, "delivered": 2}


# --- Tracing through the client and the worker -------------------------------------------


@activity.defn
async def greet(name: str) -> str:
    return f"hello {name}"


@workflow.defn
class Traced:
    @workflow.run
    async def run(self, name: str) -> str:
        return await workflow.execute_activity(
            greet, name, start_to_close_timeout=timedelta(seconds=10)
        )


async def test_tracing_interceptor_on_the_client_traces_the_workflow_and_its_activity(
    time_skipping_env: WorkflowEnvironment,
) -> None:
    exported = InMemorySpanExporter()
    provider = tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    target = time_skipping_env.client.service_client.config.target_host
    # As worker.py does: the interceptor is given to the client, and the worker built on
    # that client picks it up.
    client = await connect(target, "default", interceptors=[tracing_interceptor(provider)])
    task_queue = f"traced-{uuid.uuid4().hex[:8]}"
    async with Worker(
        client,
        task_queue=task_queue,
        workflows=[Traced],
        activities=[greet],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        result = await client.execute_workflow(
            Traced.run, "ada", id=task_queue, task_queue=task_queue
        )
    assert result == "hello ada"
    spans = {span.name: span for span in exported.get_finished_spans()}
    for name in (
        "StartWorkflow:Traced",
        "RunWorkflow:Traced",
        "StartActivity:greet",
        "RunActivity:greet",
    ):
        assert name in spans, sorted(spans)
    # One trace, from the client's start to the activity's run.
    assert len({span.context.trace_id for span in spans.values()}) == 1
