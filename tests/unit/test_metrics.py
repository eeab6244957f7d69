"""The worker's metrics and tracing, without servers: the gauges' values from query rows,
the names and labels Prometheus scrapes from the SDK runtime, the activity failure
counter, a port in use, and the tracing interceptor's spans."""

from __future__ import annotations

import socket
from dataclasses import replace
from typing import Any, cast

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from temporalio.exceptions import ApplicationError
from temporalio.runtime import Runtime
from temporalio.testing import ActivityEnvironment
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput

from runtime.metrics import (
    ActivityFailureMetrics,
    StoreGauges,
    error_type,
    prometheus_runtime,
    store_counts,
)
from runtime.servers import ServerStartError, free_port
from runtime.tracing import span_exporter, tracer_provider, tracing, tracing_interceptor
from tests.support.metrics import sample, scrape


@pytest.fixture(scope="module")
def served() -> tuple[Runtime, str]:
    address = f"127.0.0.1:{free_port()}"
    return prometheus_runtime(address), address


def test_every_kind_and_status_is_reported_zeros_included() -> None:
    counts = store_counts(
        requests=[("inquiry", "closed", 2), ("disclosure", "in_progress", 1)],
        past_due=[("disclosure", 1)],
        notices=[("delivered", 5)],
    )
    assert len(counts.requests) == 5 * 5
    assert counts.requests[("inquiry", "closed")] == 2
    assert counts.requests[("disclosure", "in_progress")] == 1
    assert counts.requests[("correction", "submitted")] == 0
    assert counts.past_due == {
        "disclosure": 1,
        "correction": 0,
        "suspension": 0,
        "third_party_stop": 0,
        "inquiry": 0,
    }
    assert counts.notices == {"pending": 0, "delivered": 5}


def test_a_status_the_code_does_not_know_is_still_reported() -> None:
    counts = store_counts(requests=[("inquiry", "archived", 3)], past_due=[], notices=[])
    assert counts.requests[("inquiry", "archived")] == 3


def test_error_type_names_the_type_never_the_message() -> None:
    assert error_type(ApplicationError("Ms. Tanaka's answer", type="UnknownAnswer")) == (
        "UnknownAnswer"
    )
    assert error_type(ApplicationError("no type given")) == "ApplicationError"
    assert error_type(ConnectionResetError("reset by peer")) == "ConnectionResetError"


def test_store_gauges_are_scraped_under_their_own_names(served: tuple[Runtime, str]) -> None:
    runtime, address = served
    gauges = StoreGauges(cast(Any, None), runtime.metric_meter)  # publish needs no pool
    gauges.publish(
        store_counts(
            requests=[("inquiry", "in_progress", 2)],
            past_due=[("inquiry", 1)],
            notices=[("pending", 3)],
        )
    )
    samples = scrape(address)
    assert sample(samples, "dsr_requests", kind="inquiry", status="in_progress") == 2
    assert sample(samples, "dsr_requests", kind="suspension", status="closed") == 0
    assert sample(samples, "dsr_requests_past_due", kind="inquiry") == 1
    assert sample(samples, "dsr_notices", status="pending") == 3
    assert sample(samples, "dsr_notices", status="delivered") == 0

    # The next refresh finds the request closed and its notices delivered.
    gauges.publish(
        store_counts(requests=[("inquiry", "closed", 2)], past_due=[], notices=[("delivered", 3)])
    )
    samples = scrape(address)
    assert sample(samples, "dsr_requests", kind="inquiry", status="in_progress") == 0
    assert sample(samples, "dsr_requests", kind="inquiry", status="closed") == 2
    assert sample(samples, "dsr_requests_past_due", kind="inquiry") == 0
    assert sample(samples, "dsr_notices", status="pending") == 0


class _Raises(ActivityInboundInterceptor):
    def __init__(self, error: BaseException | None) -> None:
        self._error = error

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        if self._error is not None:
            raise self._error
        return "done"


async def _attempt(
    interceptor: ActivityFailureMetrics, activity_type: str, error: BaseException | None
) -> Any:
    env = ActivityEnvironment()
    env.info = replace(env.info, activity_type=activity_type)
    chain = interceptor.intercept_activity(_Raises(error))
    return await env.run(chain.execute_activity, cast(ExecuteActivityInput, None))


async def test_activity_failures_are_counted_by_type_and_raised_unchanged(
    served: tuple[Runtime, str],
) -> None:
    runtime, address = served
    interceptor = ActivityFailureMetrics(runtime.metric_meter)
    permanent = ApplicationError("bad input", type="UnknownAnswer", non_retryable=True)
    for _ in range(2):
        with pytest.raises(ApplicationError) as raised:
            await _attempt(interceptor, "record_answer", permanent)
        assert raised.value is permanent
    with pytest.raises(ConnectionResetError):
        await _attempt(interceptor, "send_notice", ConnectionResetError("peer"))
    assert await _attempt(interceptor, "send_notice", None) == "done"

    samples = scrape(address)
    assert (
        sample(
            samples,
            "dsr_activity_failures_total",
            activity_type="record_answer",
            error_type="UnknownAnswer",
        )
        == 2
    )
    assert (
        sample(
            samples,
            "dsr_activity_failures_total",
            activity_type="send_notice",
            error_type="ConnectionResetError",
        )
        == 1
    )
    assert (
        sample(
            samples,
            "dsr_activity_failures_total",
            activity_type="send_notice",
            error_type="UnknownAnswer",
        )
        is None
    )


def test_a_metrics_port_in_use_is_one_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        with pytest.raises(ServerStartError) as caught:
            prometheus_runtime(address)
    message = str(caught.value)
    assert address in message and "DSR_METRICS_PORT" in message and "in use" in message
    assert "\n" not in message


def test_tracing_is_off_by_default_and_console_or_otlp_when_asked() -> None:
    assert span_exporter("off") is None
    with tracing("off") as interceptors:
        assert interceptors == []
    assert type(span_exporter("console")).__name__ == "ConsoleSpanExporter"
    assert type(span_exporter("otlp")).__name__ == "OTLPSpanExporter"
    with tracing("console") as interceptors:
        assert [type(i).__name__ for i in interceptors] == ["TracingInterceptor"]


async def test_the_tracing_interceptor_makes_a_span_for_each_activity_attempt() -> None:
    exported = InMemorySpanExporter()
    provider = tracer_provider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    chain = tracing_interceptor(provider).intercept_activity(_Raises(None))
    env = ActivityEnvironment()
    env.info = replace(env.info, activity_type="send_notice")
    await env.run(
        chain.execute_activity,
        ExecuteActivityInput(fn=lambda: None, args=[], executor=None, headers={}),
    )
    spans = exported.get_finished_spans()
    assert [span.name for span in spans] == ["RunActivity:send_notice"]
    assert spans[0].resource.attributes["service.name"] == "dsr-worker"
