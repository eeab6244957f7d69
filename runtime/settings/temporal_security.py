"""Reaching a secured Temporal cluster: TLS, mutual TLS and an API key, under the names
temporalio.envconfig and the `temporal` CLI read, so one set of variables serves all three.
For TEMPORAL_ADDRESS only: the embedded dev server is plain and local. runtime/cluster.py
(connection_security) turns them into the client's options and reads the files."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, Field

from runtime.pem import check_pem
from runtime.settings.base import Concern, EnvBool, Unset, refused

_PREFIX = "TEMPORAL_TLS_"


def _certificate_text(value: str | None) -> str | None:
    if value is not None:
        check_pem(value.encode(), key=False)
    return value


def _key_text(value: str | None) -> str | None:
    if value is not None:
        check_pem(value.encode(), key=True)
    return value


class TemporalSecurity(Concern):
    """Temporal: TLS and API key"""

    tls: Annotated[bool | None, EnvBool] = Field(
        default=None,
        validation_alias="TEMPORAL_TLS",
        description="true: TLS even with nothing else set (the system's roots); false: no "
        "TLS, even with an API key. Unset: TLS when any TEMPORAL_TLS_* or "
        "TEMPORAL_API_KEY is set.",
    )
    server_ca_cert_path: Annotated[Path | None, Unset] = Field(
        default=None,
        validation_alias="TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        description="PEM file of the CA the cluster's certificate must chain to; unset: the "
        "system's roots.",
    )
    server_ca_cert_data: Annotated[str | None, Unset, AfterValidator(_certificate_text)] = Field(
        default=None,
        validation_alias="TEMPORAL_TLS_SERVER_CA_CERT_DATA",
        description="The same CA as PEM text, instead of the file.",
    )
    client_cert_path: Annotated[Path | None, Unset] = Field(
        default=None,
        validation_alias="TEMPORAL_TLS_CLIENT_CERT_PATH",
        description="PEM file of the service's client certificate, for mutual TLS.",
    )
    client_cert_data: Annotated[str | None, Unset, AfterValidator(_certificate_text)] = Field(
        default=None,
        validation_alias="TEMPORAL_TLS_CLIENT_CERT_DATA",
        description="The same certificate as PEM text, instead of the file.",
    )
    client_key_data: Annotated[str | None, Unset, AfterValidator(_key_text)] = Field(
        default=None,
        validation_alias="TEMPORAL_TLS_CLIENT_KEY_DATA",
        repr=False,
        description="The client certificate's private key as PEM text, instead of the file.",
    )
    client_key_path: Annotated[Path | None, Unset] = Field(
        default=None,
        validation_alias="TEMPORAL_TLS_CLIENT_KEY_PATH",
        description="PEM file of the client certificate's private key (unencrypted).",
    )
    server_name: Annotated[str | None, Unset] = Field(
        default=None,
        validation_alias="TEMPORAL_TLS_SERVER_NAME",
        description="Name the cluster's certificate is checked against (and sent as SNI) "
        "when it is not the host of TEMPORAL_ADDRESS.",
    )
    disable_host_verification: Annotated[bool, EnvBool] = Field(
        default=False,
        validation_alias="TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
        description="Refused when true: the service always checks the cluster's certificate.",
    )
    api_key: Annotated[str | None, Unset] = Field(
        default=None,
        validation_alias="TEMPORAL_API_KEY",
        repr=False,
        description="API key sent as a bearer token (Temporal Cloud); implies TLS unless "
        "TEMPORAL_TLS is false.",
    )

    def _set(self) -> Iterator[str]:
        """The variables set, in the order they are declared."""
        for name, field in type(self).model_fields.items():
            if getattr(self, name) not in (None, False):
                yield str(field.validation_alias)

    def pem_files(self) -> list[tuple[str, Path, bool]]:
        """(variable, file, whether it holds a key) of each PEM file named."""
        files = [
            ("SERVER_CA_CERT_PATH", self.server_ca_cert_path, False),
            ("CLIENT_CERT_PATH", self.client_cert_path, False),
            ("CLIENT_KEY_PATH", self.client_key_path, True),
        ]
        return [(_PREFIX + name, path, key) for name, path, key in files if path is not None]

    def check(self, *, address: str | None) -> None:
        """Refuse what cannot go together, naming the variable. The root settings call it
        from their model validator, as TEMPORAL_ADDRESS is another concern's."""
        if self.disable_host_verification:
            raise refused(
                f"{_PREFIX}DISABLE_HOST_VERIFICATION",
                "is not supported: the service always checks the cluster's "
                "certificate; set TEMPORAL_TLS_SERVER_NAME to the name it carries "
                "or TEMPORAL_TLS_SERVER_CA_CERT_PATH to its CA",
            )
        for variable in self._set():
            if address is None:
                raise refused(
                    variable,
                    "applies only to a cluster at TEMPORAL_ADDRESS; the "
                    "embedded dev server is plain and local: set "
                    "TEMPORAL_ADDRESS or unset this",
                )
            if self.tls is False and variable != "TEMPORAL_API_KEY":
                raise refused(variable, "is set, but TEMPORAL_TLS is false: unset one of them")
        # A file and its text together: the later of the two (as declared) is refused.
        twins = [
            (
                "SERVER_CA_CERT_DATA",
                "SERVER_CA_CERT_PATH",
                self.server_ca_cert_path,
                self.server_ca_cert_data,
            ),
            ("CLIENT_CERT_DATA", "CLIENT_CERT_PATH", self.client_cert_path, self.client_cert_data),
            ("CLIENT_KEY_PATH", "CLIENT_KEY_DATA", self.client_key_data, self.client_key_path),
        ]
        for variable, twin, first, second in twins:
            if first is not None and second is not None:
                raise refused(_PREFIX + variable, f"set either this or {_PREFIX}{twin}, not both")
        has_cert = self.client_cert_path is not None or self.client_cert_data is not None
        has_key = self.client_key_path is not None or self.client_key_data is not None
        if has_cert != has_key:
            raise refused(
                f"{_PREFIX}CLIENT_KEY_PATH",
                f"a client certificate and its key go together: set {_PREFIX}CLIENT_"
                f"{'KEY' if has_cert else 'CERT'}_PATH (or _DATA) too, or neither",
            )
