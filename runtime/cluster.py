"""Preparing a Temporal cluster for the service: connecting (plain to the embedded dev
server; TLS, mutual TLS or an API key to a secured cluster), registering search attributes
and setting the namespace's retention."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

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
from temporalio.service import RPCError, RPCStatusCode, TLSConfig

from runtime.pem import read_pem
from runtime.scrubbed_failures import ScrubbingFailureConverter
from runtime.settings import Settings, SettingsError
from workflows import search_attributes

log = structlog.get_logger(__name__)


_runtime: Runtime | None = None


# Pydantic payloads; failures the SDK converts itself (a workflow's arguments that do not
# decode, say) are scrubbed of personal data like the activities' (rule 1).
DATA_CONVERTER = dataclasses.replace(
    pydantic_data_converter, failure_converter_class=ScrubbingFailureConverter
)


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


@dataclass(frozen=True)
class ConnectionSecurity:
    """How the client reaches the cluster: `tls` is False (plain), True (TLS checked against
    the system's roots) or a TLSConfig (a CA of its own, a client certificate for mutual
    TLS, a server name); `api_key` goes as a bearer token. Its repr hides the key."""

    tls: bool | TLSConfig = False
    api_key: str | None = field(default=None, repr=False)

    def describe(self) -> str:
        """For the log: plain, TLS or mutual TLS, and whether an API key is sent."""
        if self.tls is False:
            kind = "plain"
        elif isinstance(self.tls, TLSConfig) and self.tls.client_cert:
            kind = "mutual TLS"
        else:
            kind = "TLS"
        return f"{kind} with an API key" if self.api_key else kind


PLAIN = ConnectionSecurity()


def _pem(path: Path | None, data: str | None, variable: str, *, key: bool) -> bytes | None:
    """The PEM from TEMPORAL_TLS_*_PATH or TEMPORAL_TLS_*_DATA (start-up checked both; a
    file gone or changed since is refused naming its variable)."""
    if data is not None:
        return data.encode()
    if path is None:
        return None
    try:
        return read_pem(path, key=key)
    except ValueError as error:
        raise SettingsError(f"{variable}_PATH: {error}") from None


def connection_security(settings: Settings) -> ConnectionSecurity:
    """TLS and API key for TEMPORAL_ADDRESS from the settings, read as temporalio.envconfig
    reads the same variables: an API key or any TEMPORAL_TLS_* turns TLS on unless
    TEMPORAL_TLS is false. The embedded dev server (TEMPORAL_ADDRESS unset) is plain."""
    if settings.temporal.embedded:
        return PLAIN
    security = settings.temporal_security
    ca = _pem(
        security.server_ca_cert_path,
        security.server_ca_cert_data,
        "TEMPORAL_TLS_SERVER_CA_CERT",
        key=False,
    )
    cert = _pem(
        security.client_cert_path, security.client_cert_data, "TEMPORAL_TLS_CLIENT_CERT", key=False
    )
    key = _pem(
        security.client_key_path, security.client_key_data, "TEMPORAL_TLS_CLIENT_KEY", key=True
    )
    name = security.server_name
    api_key = security.api_key
    tls = security.tls
    if tls is None:
        tls = any(part is not None for part in (ca, cert, key, name, api_key))
    if not tls:
        if api_key:
            log.warning(
                "TEMPORAL_TLS is false: the API key crosses the network unencrypted",
                temporal=settings.temporal.address,
            )
        return ConnectionSecurity(tls=False, api_key=api_key)
    if ca is None and cert is None and name is None:
        return ConnectionSecurity(tls=True, api_key=api_key)
    return ConnectionSecurity(
        tls=TLSConfig(
            server_root_ca_cert=ca, domain=name, client_cert=cert, client_private_key=key
        ),
        api_key=api_key,
    )


async def connect(
    address: str,
    namespace: str,
    *,
    runtime: Runtime | None = None,
    interceptors: Sequence[Interceptor] = (),
    security: ConnectionSecurity | None = None,
) -> Client:
    """A client with the service's data converter. `runtime` defaults to one that forwards
    Core's logs and exports no metrics; the worker passes its own (runtime/metrics.py).
    `security` (connection_security(settings)) defaults to plain, as the embedded dev
    server and the test servers speak."""
    security = security or PLAIN
    return await Client.connect(
        address,
        namespace=namespace,
        data_converter=DATA_CONVERTER,
        runtime=runtime or _forwarding_runtime(),
        interceptors=interceptors,
        tls=security.tls,
        api_key=security.api_key,
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
            DescribeNamespaceRequest(namespace=namespace)
        )
        current = described.config.workflow_execution_retention_ttl.ToTimedelta()
        if current == retention:
            return True
        ttl = Duration()
        ttl.FromTimedelta(retention)
        await client.workflow_service.update_namespace(
            UpdateNamespaceRequest(
                namespace=namespace, config=NamespaceConfig(workflow_execution_retention_ttl=ttl)
            )
        )
    except RPCError as error:
        log.warning(
            "the cluster refused to set the namespace's retention; DSR_RETENTION is not applied",
            namespace=namespace,
            wanted=str(retention),
            reason=error.message,
            code=error.status.name,
        )
        return False
    log.info(
        "namespace retention set", namespace=namespace, retention=str(retention), was=str(current)
    )
    return True
