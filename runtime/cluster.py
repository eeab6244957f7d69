"""Preparing a Temporal cluster for the service: connecting, registering search attributes
and setting the namespace's retention."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import timedelta

import structlog
from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.operatorservice.v1 import (
    AddSearchAttributesRequest,
    ListSearchAttributesRequest,
)
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest, UpdateNamespaceRequest
from temporalio.client import Client, Interceptor
from temporalio.common import SearchAttributeIndexedValueType
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.runtime import (
    LogForwardingConfig,
    LoggingConfig,
    Runtime,
    TelemetryConfig,
    TelemetryFilter,
)
from temporalio.service import RPCError, RPCStatusCode

from workflows import search_attributes

log = structlog.get_logger(__name__)


_runtime: Runtime | None = None


def core_logging() -> LoggingConfig:
    """Core (Rust) log lines forwarded to Python logging, so they come out in the same
    shape (JSON or console) as every other line."""
    return LoggingConfig(
        filter=TelemetryFilter(core_level="WARN", other_level="ERROR"),
        forwarding=LogForwardingConfig(logger=logging.getLogger("temporalio.core")),
    )


def _forwarding_runtime() -> Runtime:
    """One SDK runtime with Core's log lines forwarded, and no metrics."""
    global _runtime
    if _runtime is None:
        _runtime = Runtime(telemetry=TelemetryConfig(logging=core_logging()))
    return _runtime


async def connect(
    address: str, namespace: str, *, runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
) -> Client:
    """A client with the service's data converter. `runtime` defaults to one that forwards
    Core's logs and exports no metrics; the worker passes its own (runtime/metrics.py)."""
    return await Client.connect(
        address, namespace=namespace, data_converter=pydantic_data_converter,
        runtime=runtime or _forwarding_runtime(), interceptors=interceptors,
    )


async def ensure_search_attributes(client: Client, namespace: str) -> list[str]:
    """Register the service's search attributes that the namespace lacks; returns those added."""
    try:
        existing = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace=namespace)
        )
        known = set(existing.custom_attributes) | set(existing.system_attributes)
    except RPCError as error:
        # The time-skipping test server can add search attributes but not list them.
        if error.status != RPCStatusCode.UNIMPLEMENTED:
            raise
        known = set()
    wanted: dict[str, IndexedValueType.ValueType] = {}
    for key in search_attributes.ALL:
        if key.name not in known:
            indexed: SearchAttributeIndexedValueType = key.indexed_value_type
            wanted[key.name] = IndexedValueType.ValueType(int(indexed))
    if wanted:
        try:
            await client.operator_service.add_search_attributes(
                AddSearchAttributesRequest(namespace=namespace, search_attributes=wanted)
            )
        except RPCError as error:
            # Registered meanwhile by another worker, or already there on a server that
            # cannot list them: either way they exist.
            if error.status != RPCStatusCode.ALREADY_EXISTS:
                raise
            return []
        log.info("search attributes registered", names=sorted(wanted))
    return sorted(wanted)


async def ensure_retention(client: Client, namespace: str, retention: timedelta) -> bool:
    """Make the namespace keep closed workflows for `retention` (DSR_RETENTION). Returns
    whether it now does. A cluster that refuses (no right to change the namespace, a
    period outside its bounds) is logged as a warning: its own retention then holds, and
    the archive schedule still copies every closed request's history into the store."""
    try:
        described = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace=namespace))
        current = described.config.workflow_execution_retention_ttl.ToTimedelta()
        if current == retention:
            return True
        ttl = Duration()
        ttl.FromTimedelta(retention)
        await client.workflow_service.update_namespace(UpdateNamespaceRequest(
            namespace=namespace, config=NamespaceConfig(workflow_execution_retention_ttl=ttl)))
    except RPCError as error:
        log.warning("the cluster refused to set the namespace's retention; DSR_RETENTION is "
                    "not applied", namespace=namespace, wanted=str(retention),
                    reason=error.message, code=error.status.name)
        return False
    log.info("namespace retention set", namespace=namespace, retention=str(retention),
             was=str(current))
    return True
