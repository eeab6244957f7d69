"""Reaching a secured Temporal cluster: TLS, mutual TLS and an API key from the variables
temporalio.envconfig and the `temporal` CLI read (runtime/settings/), turned into the
client's options (runtime/cluster.py: connection_security, connect). A file that cannot be
used stops start-up with one line naming its variable; the embedded dev server stays plain.
The handshake tests speak TLS to a local server holding certificates made here."""

from __future__ import annotations

import asyncio
import datetime
import os
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from structlog.testing import capture_logs
from temporalio.client import Client
from temporalio.envconfig import ClientConfigProfile
from temporalio.service import TLSConfig

from runtime import cluster
from runtime.cluster import PLAIN, ConnectionSecurity, connect, connection_security
from runtime.settings import Settings, SettingsError, load_settings
from tests.support.config import settings_refused

ADDRESS = "temporal.example.internal:7233"
SERVER_NAME = "temporal.example.internal"

FILE_VARIABLES = [
    "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_PATH",
]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's own environment (a shell set up for the `temporal` CLI, say) must not
    leak into these tests."""
    for name in list(os.environ):
        if name.upper().startswith(("TEMPORAL_", "DSR_")) or name.upper() == "DATABASE_URL":
            monkeypatch.delenv(name)


# --- certificates -------------------------------------------------------------------------


@dataclass(frozen=True)
class Pki:
    folder: Path
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(
    subject: str,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Certificate | None,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    usage: x509.ObjectIdentifier | None,
    dns: str | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(issuer.subject if issuer else _name(subject))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    if usage is None:  # the CA
        builder = builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=True
        ).add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        builder = (
            builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
            .add_extension(
                x509.SubjectAlternativeName([x509.DNSName(dns or subject)]), critical=False
            )
        )
    return builder.sign(issuer_key, hashes.SHA256())


def _write(folder: Path, name: str, item: x509.Certificate | ec.EllipticCurvePrivateKey) -> Path:
    path = folder / name
    if isinstance(item, x509.Certificate):
        path.write_bytes(item.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            item.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        path.chmod(0o600)
    return path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    folder = tmp_path_factory.mktemp("pki")
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = _issue("dsr test CA", ca_key, None, ca_key, usage=None)
    server_key = ec.generate_private_key(ec.SECP256R1())
    server = _issue(SERVER_NAME, server_key, ca, ca_key, usage=ExtendedKeyUsageOID.SERVER_AUTH)
    client_key = ec.generate_private_key(ec.SECP256R1())
    client = _issue(
        "dsr-worker",
        client_key,
        ca,
        ca_key,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
        dns="dsr-worker.example.internal",
    )
    return Pki(
        folder=folder,
        ca=_write(folder, "ca.pem", ca),
        server_cert=_write(folder, "server.pem", server),
        server_key=_write(folder, "server-key.pem", server_key),
        client_cert=_write(folder, "client.pem", client),
        client_key=_write(folder, "client-key.pem", client_key),
    )


def _env(monkeypatch: pytest.MonkeyPatch, **variables: str | Path) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, str(value))


def _mtls(monkeypatch: pytest.MonkeyPatch, pki: Pki, **more: str | Path) -> None:
    _env(
        monkeypatch,
        TEMPORAL_ADDRESS=ADDRESS,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH=pki.ca,
        TEMPORAL_TLS_CLIENT_CERT_PATH=pki.client_cert,
        TEMPORAL_TLS_CLIENT_KEY_PATH=pki.client_key,
        **more,
    )


def refusal(monkeypatch: pytest.MonkeyPatch, name: str, **variables: str | Path) -> str:
    _env(monkeypatch, **variables)
    return settings_refused(name)


# --- settings -----------------------------------------------------------------------------


def test_plain_by_default() -> None:
    settings = load_settings()
    assert settings.temporal_security.tls is None
    assert settings.temporal_security.api_key is None
    assert settings.temporal_security.server_ca_cert_path is None
    assert connection_security(settings) == PLAIN
    assert PLAIN.tls is False and PLAIN.api_key is None
    assert PLAIN.describe() == "plain"


def test_an_external_cluster_without_security_settings_is_plain(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _env(monkeypatch, TEMPORAL_ADDRESS=ADDRESS)
    assert connection_security(load_settings()) == ConnectionSecurity(tls=False, api_key=None)


def test_mutual_tls_reads_the_ca_the_certificate_and_its_key(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    _mtls(monkeypatch, pki, TEMPORAL_TLS_SERVER_NAME=SERVER_NAME)

    security = connection_security(load_settings())

    assert security.tls == TLSConfig(
        server_root_ca_cert=pki.ca.read_bytes(),
        domain=SERVER_NAME,
        client_cert=pki.client_cert.read_bytes(),
        client_private_key=pki.client_key.read_bytes(),
    )
    assert security.api_key is None
    assert security.describe() == "mutual TLS"


def test_pem_text_serves_as_well_as_files(monkeypatch: pytest.MonkeyPatch, pki: Pki) -> None:
    _env(
        monkeypatch,
        TEMPORAL_ADDRESS=ADDRESS,
        TEMPORAL_TLS_SERVER_CA_CERT_DATA=pki.ca.read_text(),
        TEMPORAL_TLS_CLIENT_CERT_DATA=pki.client_cert.read_text(),
        TEMPORAL_TLS_CLIENT_KEY_DATA=pki.client_key.read_text(),
    )

    security = connection_security(load_settings())

    assert isinstance(security.tls, TLSConfig)
    assert security.tls.server_root_ca_cert == pki.ca.read_bytes()
    assert security.tls.client_cert == pki.client_cert.read_bytes()
    assert security.tls.client_private_key == pki.client_key.read_bytes()


def test_a_ca_alone_is_tls_without_a_client_certificate(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    _env(monkeypatch, TEMPORAL_ADDRESS=ADDRESS, TEMPORAL_TLS_SERVER_CA_CERT_PATH=pki.ca)
    security = connection_security(load_settings())
    assert security.tls == TLSConfig(server_root_ca_cert=pki.ca.read_bytes())
    assert security.describe() == "TLS"


def test_an_api_key_implies_tls_on_the_system_roots(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(
        monkeypatch,
        TEMPORAL_ADDRESS="dsr.a1b2c.tmprl.cloud:7233",
        TEMPORAL_NAMESPACE="dsr.a1b2c",
        TEMPORAL_API_KEY="secret-api-key",
    )

    settings = load_settings()
    security = connection_security(settings)

    assert security == ConnectionSecurity(tls=True, api_key="secret-api-key")
    assert security.describe() == "TLS with an API key"
    # Neither the settings nor the options show the key when printed or logged.
    assert "secret-api-key" not in repr(settings)
    assert "secret-api-key" not in repr(security)


def test_an_api_key_without_tls_only_when_tls_is_turned_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _env(
        monkeypatch,
        TEMPORAL_ADDRESS=ADDRESS,
        TEMPORAL_API_KEY="secret-api-key",
        TEMPORAL_TLS="false",
    )
    with capture_logs() as logs:
        security = connection_security(load_settings())
    assert security == ConnectionSecurity(tls=False, api_key="secret-api-key")
    assert [entry["log_level"] for entry in logs] == ["warning"]
    assert "unencrypted" in logs[0]["event"]
    assert "secret-api-key" not in repr(logs)


@pytest.mark.parametrize("value", ["true", "TRUE", "1"])
def test_tls_turned_on_alone_checks_the_system_roots(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    _env(monkeypatch, TEMPORAL_ADDRESS=ADDRESS, TEMPORAL_TLS=value)
    assert connection_security(load_settings()) == ConnectionSecurity(tls=True)


def test_a_server_name_alone_turns_tls_on(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, TEMPORAL_ADDRESS="10.0.0.7:7233", TEMPORAL_TLS_SERVER_NAME=SERVER_NAME)
    assert connection_security(load_settings()).tls == TLSConfig(domain=SERVER_NAME)


def test_empty_values_are_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    # As compose writes an optional variable: ${TEMPORAL_API_KEY:-}.
    _env(
        monkeypatch,
        TEMPORAL_TLS="",
        TEMPORAL_API_KEY="",
        TEMPORAL_TLS_CLIENT_CERT_PATH="",
        TEMPORAL_TLS_CLIENT_KEY_PATH="",
        TEMPORAL_TLS_SERVER_NAME="",
        TEMPORAL_TLS_DISABLE_HOST_VERIFICATION="",
    )
    settings = load_settings()
    assert settings.temporal.embedded
    assert connection_security(settings) == PLAIN


def test_tls_turned_off_is_accepted_for_the_embedded_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _env(monkeypatch, TEMPORAL_TLS="false")
    assert connection_security(load_settings()) == PLAIN


@pytest.mark.parametrize("variable", FILE_VARIABLES)
def test_a_missing_file_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, pki: Pki, variable: str
) -> None:
    _mtls(monkeypatch, pki)
    missing = pki.folder / "nowhere" / "missing.pem"
    message = refusal(monkeypatch, variable, **{variable: missing})
    assert str(missing) in message
    assert "cannot read" in message
    assert "No such file" in message


@pytest.mark.parametrize("variable", FILE_VARIABLES)
def test_a_folder_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, pki: Pki, variable: str
) -> None:
    _mtls(monkeypatch, pki)
    assert "cannot read" in refusal(monkeypatch, variable, **{variable: pki.folder})


def test_an_unreadable_key_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, pki: Pki, tmp_path: Path
) -> None:
    key = tmp_path / "client-key.pem"
    key.write_bytes(pki.client_key.read_bytes())
    # A mode of 0 stops nobody when the suite runs as root (CI does): the refusal of the
    # read is made here, as the kernel makes it for anyone else.
    read_bytes = Path.read_bytes

    def refused_for_the_key(path: Path) -> bytes:
        if path == key:
            raise PermissionError(13, "Permission denied", str(path))
        return read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", refused_for_the_key)
    _mtls(monkeypatch, pki)
    message = refusal(monkeypatch, "TEMPORAL_TLS_CLIENT_KEY_PATH", TEMPORAL_TLS_CLIENT_KEY_PATH=key)
    assert "Permission denied" in message


@pytest.mark.parametrize(
    ("variable", "wrong"),
    [
        ("TEMPORAL_TLS_SERVER_CA_CERT_PATH", "client_key"),
        ("TEMPORAL_TLS_CLIENT_CERT_PATH", "client_key"),
        ("TEMPORAL_TLS_CLIENT_KEY_PATH", "client_cert"),
    ],
)
def test_a_file_of_the_wrong_kind_is_refused(
    monkeypatch: pytest.MonkeyPatch, pki: Pki, variable: str, wrong: str
) -> None:
    _mtls(monkeypatch, pki)
    message = refusal(monkeypatch, variable, **{variable: getattr(pki, wrong)})
    assert "not PEM" in message


def test_an_encrypted_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, pki: Pki, tmp_path: Path
) -> None:
    key = serialization.load_pem_private_key(pki.client_key.read_bytes(), password=None)
    encrypted = tmp_path / "encrypted.pem"
    encrypted.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    _mtls(monkeypatch, pki)
    assert "encrypted" in refusal(
        monkeypatch, "TEMPORAL_TLS_CLIENT_KEY_PATH", TEMPORAL_TLS_CLIENT_KEY_PATH=encrypted
    )


def test_pem_text_that_is_not_pem_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _env(monkeypatch, TEMPORAL_ADDRESS=ADDRESS)
    assert "not PEM" in refusal(
        monkeypatch, "TEMPORAL_TLS_SERVER_CA_CERT_DATA", TEMPORAL_TLS_SERVER_CA_CERT_DATA="ca.pem"
    )


def test_a_certificate_without_its_key_is_refused(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    message = refusal(
        monkeypatch,
        "TEMPORAL_TLS_CLIENT_KEY_PATH",
        TEMPORAL_ADDRESS=ADDRESS,
        TEMPORAL_TLS_CLIENT_CERT_PATH=pki.client_cert,
    )
    assert "TEMPORAL_TLS_CLIENT_KEY_PATH (or _DATA) too" in message


def test_a_key_without_its_certificate_is_refused(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    message = refusal(
        monkeypatch,
        "TEMPORAL_TLS_CLIENT_KEY_PATH",
        TEMPORAL_ADDRESS=ADDRESS,
        TEMPORAL_TLS_CLIENT_KEY_PATH=pki.client_key,
    )
    assert "TEMPORAL_TLS_CLIENT_CERT_PATH (or _DATA) too" in message


def test_a_file_and_its_text_together_are_refused(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    message = refusal(
        monkeypatch,
        "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
        TEMPORAL_ADDRESS=ADDRESS,
        TEMPORAL_TLS_SERVER_CA_CERT_PATH=pki.ca,
        TEMPORAL_TLS_SERVER_CA_CERT_DATA=pki.ca.read_text(),
    )
    assert "not both" in message


@pytest.mark.parametrize("value", ["yes", "on", "enabled"])
def test_tls_must_be_true_or_false(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    # envconfig (and so the `temporal` CLI) reads true/false/1/0 only; anything else it
    # would quietly ignore, so it is refused here.
    message = refusal(monkeypatch, "TEMPORAL_TLS", TEMPORAL_ADDRESS=ADDRESS, TEMPORAL_TLS=value)
    assert "true or false" in message


def test_disabling_host_verification_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    message = refusal(
        monkeypatch,
        "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
        TEMPORAL_ADDRESS=ADDRESS,
        TEMPORAL_TLS_DISABLE_HOST_VERIFICATION="true",
    )
    assert "TEMPORAL_TLS_SERVER_NAME" in message


def test_tls_settings_with_tls_turned_off_are_refused(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    message = refusal(
        monkeypatch,
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        TEMPORAL_ADDRESS=ADDRESS,
        TEMPORAL_TLS="false",
        TEMPORAL_TLS_SERVER_CA_CERT_PATH=pki.ca,
    )
    assert "TEMPORAL_TLS is false" in message


@pytest.mark.parametrize(
    "variable",
    [
        "TEMPORAL_TLS",
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        "TEMPORAL_TLS_CLIENT_CERT_PATH",
        "TEMPORAL_TLS_SERVER_NAME",
        "TEMPORAL_API_KEY",
    ],
)
def test_security_settings_without_an_address_are_refused(
    monkeypatch: pytest.MonkeyPatch, pki: Pki, variable: str
) -> None:
    value = {
        "TEMPORAL_TLS": "true",
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": pki.ca,
        "TEMPORAL_TLS_CLIENT_CERT_PATH": pki.client_cert,
        "TEMPORAL_TLS_SERVER_NAME": SERVER_NAME,
        "TEMPORAL_API_KEY": "k",
    }[variable]
    message = refusal(monkeypatch, variable, **{variable: value})
    assert "TEMPORAL_ADDRESS" in message
    assert "embedded dev server is plain" in message


def test_a_file_removed_after_start_up_checks_is_refused_naming_its_variable(
    monkeypatch: pytest.MonkeyPatch, pki: Pki, tmp_path: Path
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_bytes(pki.ca.read_bytes())
    _env(monkeypatch, TEMPORAL_ADDRESS=ADDRESS, TEMPORAL_TLS_SERVER_CA_CERT_PATH=ca)
    settings = load_settings()
    ca.unlink()
    with pytest.raises(SettingsError, match=r"^TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read"):
        connection_security(settings)


# --- the same reading as temporalio.envconfig ----------------------------------------------


def _as_envconfig_reads(tls: bool | TLSConfig | None) -> bool | TLSConfig:
    """envconfig's TLS on with nothing set is TLSConfig() (the system's roots), which the
    SDK treats as True; its absent TLS is the SDK's default, off without an API key."""
    if tls is None:
        return False
    return True if tls == TLSConfig() else tls


def _envconfig_cases(pki: Pki) -> Iterator[dict[str, str]]:
    yield {}
    yield {"TEMPORAL_API_KEY": "k"}
    yield {"TEMPORAL_API_KEY": "k", "TEMPORAL_TLS": "false"}
    yield {"TEMPORAL_API_KEY": "k", "TEMPORAL_TLS": "1"}
    yield {"TEMPORAL_TLS": "true"}
    yield {"TEMPORAL_TLS": "0"}
    yield {"TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(pki.ca)}
    yield {"TEMPORAL_TLS_SERVER_NAME": SERVER_NAME}
    yield {
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH": str(pki.ca),
        "TEMPORAL_TLS_CLIENT_CERT_PATH": str(pki.client_cert),
        "TEMPORAL_TLS_CLIENT_KEY_PATH": str(pki.client_key),
        "TEMPORAL_TLS_SERVER_NAME": SERVER_NAME,
    }
    yield {
        "TEMPORAL_TLS_SERVER_CA_CERT_DATA": pki.ca.read_text(),
        "TEMPORAL_TLS_CLIENT_CERT_DATA": pki.client_cert.read_text(),
        "TEMPORAL_TLS_CLIENT_KEY_DATA": pki.client_key.read_text(),
        "TEMPORAL_API_KEY": "k",
    }


def test_the_variables_mean_what_they_mean_to_envconfig(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    # One set of variables serves the `temporal` CLI, any SDK's envconfig and this service.
    for case in _envconfig_cases(pki):
        env = {"TEMPORAL_ADDRESS": ADDRESS, **case}
        for name in list(os.environ):
            if name.startswith("TEMPORAL_"):
                monkeypatch.delenv(name)
        _env(monkeypatch, **env)
        ours = connection_security(load_settings())
        theirs = ClientConfigProfile.load(
            disable_file=True, override_env_vars=env
        ).to_client_connect_config()
        assert theirs["target_host"] == ADDRESS
        assert ours.api_key == theirs.get("api_key"), case
        assert _as_envconfig_reads(ours.tls) == _as_envconfig_reads(theirs.get("tls")), case


# --- connect ------------------------------------------------------------------------------


@pytest.fixture
def connect_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    async def fake_connect(target_host: str, **kwargs: Any) -> str:
        calls.append({"target_host": target_host, **kwargs})
        return "client"

    monkeypatch.setattr(Client, "connect", fake_connect)
    return calls


async def test_connect_is_plain_without_security(connect_calls: list[dict[str, Any]]) -> None:
    assert await connect("127.0.0.1:7233", "default") == "client"
    (call,) = connect_calls
    assert call["target_host"] == "127.0.0.1:7233"
    assert call["namespace"] == "default"
    assert call["tls"] is False
    assert call["api_key"] is None


async def test_connect_passes_tls_and_the_api_key(
    monkeypatch: pytest.MonkeyPatch, pki: Pki, connect_calls: list[dict[str, Any]]
) -> None:
    _mtls(monkeypatch, pki, TEMPORAL_API_KEY="secret-api-key", TEMPORAL_NAMESPACE="dsr")
    settings = load_settings()
    security = connection_security(settings)

    await connect(ADDRESS, settings.temporal.namespace, security=security, interceptors=())

    (call,) = connect_calls
    assert call["target_host"] == ADDRESS
    assert call["namespace"] == "dsr"
    assert call["tls"] is security.tls
    assert isinstance(call["tls"], TLSConfig)
    assert call["tls"].client_cert == pki.client_cert.read_bytes()
    assert call["api_key"] == "secret-api-key"
    # The service's converter and runtime still go with it.
    assert call["data_converter"] is cluster.DATA_CONVERTER
    assert (
        call["data_converter"].payload_converter_class
        is cluster.pydantic_data_converter.payload_converter_class
    )
    assert call["runtime"] is not None


# --- on the wire --------------------------------------------------------------------------


@dataclass
class Hello:
    """What a local server saw of one connection attempt."""

    first_bytes: bytes = b""
    client_certificate: dict[str, Any] | None = None
    handshake_error: str | None = None


async def _attempt(
    security: ConnectionSecurity,
    *,
    tls_server: ssl.SSLContext | None,
) -> Hello:
    """Connect to a local listener with `security`; it takes the TLS handshake (when given a
    context) and records the first bytes that follow: gRPC's HTTP/2 preface."""
    seen: asyncio.Future[Hello] = asyncio.get_running_loop().create_future()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        hello = Hello()
        try:
            if tls_server is not None:
                await writer.start_tls(tls_server)
                hello.client_certificate = writer.get_extra_info("peercert")
            hello.first_bytes = await asyncio.wait_for(reader.read(64), 5)
        except (ssl.SSLError, ConnectionError, TimeoutError) as error:
            hello.handshake_error = type(error).__name__ + ": " + str(error)
        if not seen.done():
            seen.set_result(hello)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    attempt = asyncio.create_task(connect(f"127.0.0.1:{port}", "default", security=security))
    try:
        return await asyncio.wait_for(seen, 15)
    finally:
        attempt.cancel()
        await asyncio.gather(attempt, return_exceptions=True)
        server.close()


def _tls_server(pki: Pki) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.load_verify_locations(pki.ca)
    context.verify_mode = ssl.CERT_REQUIRED  # mutual TLS
    context.set_alpn_protocols(["h2"])
    return context


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


async def test_plain_sends_grpc_in_the_clear() -> None:
    hello = await _attempt(PLAIN, tls_server=None)
    assert hello.first_bytes.startswith(PREFACE)


async def test_mutual_tls_completes_a_handshake_with_the_configured_ca_and_certificate(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    # The address is an IP; the certificate names SERVER_NAME: TEMPORAL_TLS_SERVER_NAME
    # makes the client check for that name.
    _mtls(monkeypatch, pki, TEMPORAL_TLS_SERVER_NAME=SERVER_NAME)
    security = connection_security(load_settings())

    hello = await _attempt(security, tls_server=_tls_server(pki))

    assert hello.handshake_error is None
    assert hello.client_certificate is not None
    subject = dict(part[0] for part in hello.client_certificate["subject"])
    assert subject["commonName"] == "dsr-worker"
    assert hello.first_bytes.startswith(PREFACE)


async def test_tls_on_the_system_roots_refuses_a_server_they_do_not_vouch_for(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    _env(monkeypatch, TEMPORAL_ADDRESS=ADDRESS, TEMPORAL_API_KEY="k")
    security = connection_security(load_settings())
    context = _tls_server(pki)
    context.verify_mode = ssl.CERT_NONE

    hello = await _attempt(security, tls_server=context)

    assert hello.handshake_error is not None
    assert not hello.first_bytes


async def test_a_server_name_the_certificate_does_not_carry_is_refused(
    monkeypatch: pytest.MonkeyPatch, pki: Pki
) -> None:
    _mtls(monkeypatch, pki, TEMPORAL_TLS_SERVER_NAME="other.example.internal")
    security = connection_security(load_settings())

    hello = await _attempt(security, tls_server=_tls_server(pki))

    assert hello.handshake_error is not None
    assert not hello.first_bytes


def test_settings_fields_are_the_envconfig_variables() -> None:
    names = set(Settings.variables())
    assert {
        "TEMPORAL_ADDRESS",
        "TEMPORAL_NAMESPACE",
        "TEMPORAL_API_KEY",
        "TEMPORAL_TLS",
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        "TEMPORAL_TLS_SERVER_CA_CERT_DATA",
        "TEMPORAL_TLS_CLIENT_CERT_PATH",
        "TEMPORAL_TLS_CLIENT_CERT_DATA",
        "TEMPORAL_TLS_CLIENT_KEY_PATH",
        "TEMPORAL_TLS_CLIENT_KEY_DATA",
        "TEMPORAL_TLS_SERVER_NAME",
        "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION",
    } <= names
