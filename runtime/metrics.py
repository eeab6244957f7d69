"""The worker's Prometheus endpoint: the Temporal SDK's own `temporal_*` series and the
service's `dsr_*` series, served together by the SDK runtime on DSR_METRICS_HOST:PORT.

Ours are:

- `dsr_requests{kind,status}`: requests in the store, every kind and status (0 included);
- `dsr_requests_past_due{kind}`: requests not closed with one of the organisation's own
  deadlines past its due time (the person's windows, identity and payment, not counted);
- `dsr_notices{status}`: notices in the outbox, `pending` (queued) or `delivered`;
- `dsr_activity_failures_total{activity_type,error_type}`: activity attempts that raised.
  `error_type="LogNotExtended"` (activity `checkpoint_log` or `close_with_checkpoint`) is
  the checkpoint signer's alarm: the event log no longer extends the head it signed last
  (audit/checkpoints.py); alert on any.
- `dsr_retention_alerts_total`: retention runs that found more requests past retention at
  once than DSR_SHRED_ALERT_ABOVE (activities/retention.py counts it).

The first three are read from the store, one query each, when the worker starts and every
15 seconds after: every worker on the same store reports the same numbers. The counters
are this process's own. Labels carry kinds, statuses and type names only, never personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import structlog
from temporalio import activity
from temporalio.common import MetricCounter, MetricGauge, MetricMeter
from temporalio.exceptions import ApplicationError
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from domain.deadlines import SUBJECT_STEPS
from domain.lifecycle import RequestStatus
from domain.requests import RequestKind
from runtime.cluster import core_logging
from runtime.servers import ServerStartError
from store.gauges import gauge_rows

log = structlog.get_logger(__name__)

REFRESH_EVERY = timedelta(seconds=15)
# Always shown, 0 when none. "undeliverable" (a recipient erased) is shown once the store
# has one: it is final, so it never needs to read 0 again.
NOTICE_STATUSES = ("pending", "delivered")


def prometheus_runtime(address: str) -> Runtime:
    """An SDK runtime serving `/metrics` on `address` (host:port), with Core's log lines
    forwarded like every other runtime of the service. A port that cannot be bound (in
    use, not allowed) raises ServerStartError naming the variable that moves it."""
    try:
        return Runtime(
            telemetry=TelemetryConfig(
                logging=core_logging(), metrics=PrometheusConfig(bind_address=address)
            )
        )
    except ValueError as error:
        reason = str(error).removeprefix("Failed starting Prometheus exporter: ")
        raise ServerStartError(
            f"cannot serve metrics on {address} ({reason}); set DSR_METRICS_PORT to a free "
            "port, or to 0 for no metrics"
        ) from None


# --- Activity failures -----------------------------------------------------------------


def error_type(error: BaseException) -> str:
    """What a failure is called in a label: an ApplicationError's own type when it has one
    (the type names our activities give, e.g. UnknownAnswer), else the exception's class.
    Never the message, which could carry personal data."""
    if isinstance(error, ApplicationError) and error.type:
        return error.type
    return type(error).__name__


class _CountFailures(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, failures: MetricCounter) -> None:
        super().__init__(next)
        self._failures = failures

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except Exception as error:
            # Cancellation is a BaseException and not a failure; it passes uncounted.
            self._failures.add(
                1, {"activity_type": activity.info().activity_type, "error_type": error_type(error)}
            )
            raise


class ActivityFailureMetrics(Interceptor):
    """Counts every activity attempt that raises, by activity type and error type, and
    lets the exception through unchanged."""

    def __init__(self, meter: MetricMeter) -> None:
        self.failures = meter.create_counter(
            "dsr_activity_failures_total",
            "Activity attempts that raised, by activity type and error type",
        )

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _CountFailures(next, self.failures)


# --- Gauges read from the store (its queries: store/gauges.py) ---------------------------


@dataclass(frozen=True)
class StoreCounts:
    """What the store-derived gauges show, every label set present (0 where none)."""

    requests: Mapping[tuple[str, str], int]  # (kind, status) → count
    past_due: Mapping[str, int]  # kind → count
    notices: Mapping[str, int]  # status → count


def _filled(rows: Iterable[tuple[Any, int]], known: Iterable[Any]) -> dict[Any, int]:
    """Counts for every known label set (0 when absent), plus any the store has beyond
    them, so a series that drops to zero reads 0 rather than keeping its last value."""
    counts = dict.fromkeys(known, 0)
    for labels, n in rows:
        counts[labels] = counts.get(labels, 0) + int(n)
    return counts


def store_counts(
    requests: Iterable[tuple[str, str, int]],
    past_due: Iterable[tuple[str, int]],
    notices: Iterable[tuple[str, int]],
) -> StoreCounts:
    """The gauges' values from the three queries' rows."""
    kinds = [kind.value for kind in RequestKind]
    return StoreCounts(
        requests=_filled(
            (((kind, status), n) for kind, status, n in requests),
            [(kind, status.value) for kind in kinds for status in RequestStatus],
        ),
        past_due=_filled(past_due, kinds),
        notices=_filled(notices, NOTICE_STATUSES),
    )


async def read_store(pool: asyncpg.Pool) -> StoreCounts:
    rows = await gauge_rows(pool, (step.value for step in SUBJECT_STEPS))
    return store_counts(rows.requests, rows.past_due, rows.notices)


class StoreGauges:
    """The store-derived gauges on a metric meter; `refresh` reads the store and sets them."""

    def __init__(self, pool: asyncpg.Pool, meter: MetricMeter) -> None:
        self._pool = pool
        self._requests = meter.create_gauge(
            "dsr_requests", "Requests in the store by kind and status"
        )
        self._past_due = meter.create_gauge(
            "dsr_requests_past_due",
            "Requests not closed with one of the organisation's deadlines past due, by kind",
        )
        self._notices = meter.create_gauge(
            "dsr_notices",
            "Notices in the outbox by status: pending (queued), delivered, "
            "or undeliverable (its recipient erased)",
        )
        self._series: dict[tuple[str, tuple[tuple[str, str], ...]], MetricGauge] = {}

    def _set(self, gauge: MetricGauge, labels: dict[str, str], value: int) -> None:
        key = (gauge.name, tuple(sorted(labels.items())))
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = gauge.with_additional_attributes(labels)
        series.set(value)

    def publish(self, counts: StoreCounts) -> None:
        for (kind, status), n in counts.requests.items():
            self._set(self._requests, {"kind": kind, "status": status}, n)
        for kind, n in counts.past_due.items():
            self._set(self._past_due, {"kind": kind}, n)
        for status, n in counts.notices.items():
            self._set(self._notices, {"status": status}, n)

    async def refresh(self) -> StoreCounts:
        counts = await read_store(self._pool)
        self.publish(counts)
        return counts

    async def run(self, every: timedelta = REFRESH_EVERY) -> None:
        """Refresh every `every` until cancelled; a failed read is logged and retried at
        the next tick, the gauges keeping their last values meanwhile."""
        while True:
            await asyncio.sleep(every.total_seconds())
            try:
                await self.refresh()
            except (asyncpg.PostgresError, OSError, TimeoutError) as error:
                log.warning("metrics: could not read the store", error=type(error).__name__)


@contextlib.asynccontextmanager
async def store_gauges(
    pool: asyncpg.Pool, meter: MetricMeter, every: timedelta = REFRESH_EVERY
) -> AsyncIterator[StoreGauges]:
    """The gauges refreshed once now and then every `every` in the background, until the
    block ends."""
    gauges = StoreGauges(pool, meter)
    await gauges.refresh()
    task = asyncio.create_task(gauges.run(every), name="dsr-store-gauges")
    try:
        yield gauges
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
