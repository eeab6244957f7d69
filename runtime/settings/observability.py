"""What the service says about itself: log lines, Prometheus metrics, OpenTelemetry spans
(runtime/logs.py, runtime/metrics.py, runtime/tracing.py)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from runtime.settings.base import Concern, IpAddress, host_port


class ObservabilitySettings(Concern):
    """Logging, metrics and tracing"""

    log_format: Literal["auto", "json", "console"] = Field(
        default="auto",
        validation_alias="DSR_LOG_FORMAT",
        description="json (one object a line), console (for a person) or auto (console on "
        "a terminal, json otherwise).",
    )
    metrics_port: int = Field(
        default=9464,
        ge=0,
        le=65535,
        validation_alias="DSR_METRICS_PORT",
        description="Port of the worker's Prometheus endpoint (/metrics); 0 serves none.",
    )
    metrics_host: IpAddress = Field(
        default="127.0.0.1",
        validation_alias="DSR_METRICS_HOST",
        description="IP address the metrics endpoint binds to; 0.0.0.0 for every interface.",
    )
    tracing: Literal["off", "console", "otlp"] = Field(
        default="off",
        validation_alias="DSR_TRACING",
        description="OpenTelemetry spans of workflows and activities: off, console (to "
        "standard output) or otlp (to OTEL_EXPORTER_OTLP_ENDPOINT, over HTTP).",
    )

    def metrics_address(self) -> str | None:
        """host:port the Prometheus endpoint binds to, or None when DSR_METRICS_PORT is 0."""
        return host_port(self.metrics_host, self.metrics_port) if self.metrics_port else None
