"""OpenTelemetry tracing of the worker's workflows and activities, through the Temporal
SDK's TracingInterceptor. Off unless DSR_TRACING says where spans go:

- `console`: one JSON line per span on standard output;
- `otlp`: OTLP over HTTP to OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
  OTEL_EXPORTER_OTLP_ENDPOINT (the exporter's own variables; default localhost:4318).

Requests are started by other processes (`dsr submit`, the archive schedule) that carry no
span, so workflow spans are made without a parent rather than not at all.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from typing import Literal

from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SpanExporter,
)
from temporalio.contrib.opentelemetry import TracingInterceptor

TracingMode = Literal["off", "console", "otlp"]
SERVICE = "dsr-worker"


def span_exporter(mode: TracingMode) -> SpanExporter | None:
    if mode == "console":
        return ConsoleSpanExporter(
            service_name=SERVICE,
            out=sys.stdout,
            formatter=lambda span: span.to_json(indent=None) + "\n",
        )
    if mode == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    return None


def tracer_provider() -> TracerProvider:
    return TracerProvider(resource=Resource.create({SERVICE_NAME: SERVICE}))


def tracing_interceptor(provider: TracerProvider) -> TracingInterceptor:
    """The SDK's interceptor on `provider`'s tracer: given to the client, it traces the
    client's calls and every worker built on that client."""
    return TracingInterceptor(provider.get_tracer("dsr"), always_create_workflow_spans=True)


@contextlib.contextmanager
def tracing(mode: TracingMode) -> Iterator[list[TracingInterceptor]]:
    """The interceptors for DSR_TRACING (none when off); spans still buffered are sent
    when the block ends."""
    exporter = span_exporter(mode)
    if exporter is None:
        yield []
        return
    provider = tracer_provider()
    provider.add_span_processor(BatchSpanProcessor(exporter))
    try:
        yield [tracing_interceptor(provider)]
    finally:
        provider.shutdown()
