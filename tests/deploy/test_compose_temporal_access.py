"""Temporal access on the production path (review N1, N4, N5, "Where the secrets live":
Temporal was unauthenticated in compose, and Temporal access alone let anyone start,
signal or terminate a request's workflow). docker-compose.yml's frontend demands mutual
TLS from every client, each client holds a certificate of its own, and the Web UI is
read-only unless an operator turns writes on; checked without a Docker engine."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from runtime.cluster import connection_security
from tests.deploy.test_compose import (
    ROOT,
    TEMPORAL_TLS_MOUNT,
    _compose,
    _environment,
    _load,
    _secrets,
    _service,
    environ,  # noqa: F401 - the fixture
)

SCRIPT = ROOT / "deploy" / "temporal" / "make-certs.sh"
README = ROOT / "README.md"
# Every service that calls the frontend, and the folder of DSR_TEMPORAL_TLS_DIR its
# certificate comes from.
CLIENTS = {
    "temporal": "server",  # its own set-up script and health check
    "worker": "worker",
    "api": "api",
    "migrate": "migrate",
    "temporal-ui": "ui",
}


def _tls_secret(name: str, compose: Mapping[str, Any]) -> str:
    """The secret mounted at the service's Temporal TLS folder."""
    service = compose["services"][name]
    return _secrets(service)[TEMPORAL_TLS_MOUNT]


def _in_mount(path: str) -> bool:
    return PurePosixPath(path).parent == PurePosixPath(TEMPORAL_TLS_MOUNT)


def test_n1_the_frontend_refuses_a_client_without_a_certificate_of_its_ca(
    environ: dict[str, str],  # noqa: F811
) -> None:
    """N1/N4/N5: `temporal workflow start ...` reached the frontend with no credential.
    Now the frontend (and the server's own services) require a client certificate, its
    certificate and CA from the server's own secret, on loopback still."""
    compose = _compose(environ)
    temporal = compose["services"]["temporal"]
    env = _environment(temporal)
    assert env["TEMPORAL_TLS_REQUIRE_CLIENT_AUTH"] == "true"
    for name in (
        "TEMPORAL_TLS_FRONTEND_CERT",
        "TEMPORAL_TLS_FRONTEND_KEY",
        "TEMPORAL_TLS_CLIENT1_CA_CERT",
        "TEMPORAL_TLS_SERVER_CERT",
        "TEMPORAL_TLS_SERVER_KEY",
        "TEMPORAL_TLS_SERVER_CA_CERT",
    ):
        assert _in_mount(env[name]), f"{name} is not in the server's secret"
    assert env["TEMPORAL_TLS_FRONTEND_DISABLE_HOST_VERIFICATION"] == "false"
    secret = _tls_secret("temporal", compose)
    assert compose["secrets"][secret] == {"file": f"{environ['DSR_TEMPORAL_TLS_DIR']}/server"}
    # The health check reaches the frontend as a client must: with a certificate.
    check = temporal["healthcheck"]["test"]
    for flag in ("--tls-cert-path", "--tls-key-path", "--tls-ca-path"):
        assert _in_mount(check[check.index(flag) + 1])
    assert check[check.index("--tls-server-name") + 1] == env["TEMPORAL_TLS_FRONTEND_SERVER_NAME"]


def test_every_temporal_client_presents_a_certificate_of_its_own(
    environ: dict[str, str],  # noqa: F811
) -> None:
    """Each service that calls Temporal mounts its own certificate and key (a secret
    from its own folder of DSR_TEMPORAL_TLS_DIR); no two share one, and the server's key
    is the server's alone. A service that names TEMPORAL_ADDRESS and no certificate
    would be refused by the frontend, so none may be added without one."""
    compose = _compose(environ)
    callers = {
        name
        for name, service in compose["services"].items()
        if "TEMPORAL_ADDRESS" in _environment(service)
    }
    assert callers == set(CLIENTS)
    secrets = {name: _tls_secret(name, compose) for name in CLIENTS}
    assert len(set(secrets.values())) == len(secrets), secrets
    for name, folder in CLIENTS.items():
        assert compose["secrets"][secrets[name]] == {
            "file": f"{environ['DSR_TEMPORAL_TLS_DIR']}/{folder}"
        }
    for name, service in compose["services"].items():
        if name != "temporal":
            assert secrets["temporal"] not in _secrets(service).values(), name


@pytest.mark.parametrize("name", ["worker", "api", "migrate"])
def test_the_service_connects_with_mutual_tls_to_the_name_the_server_carries(
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],  # noqa: F811
    name: str,
) -> None:
    """The worker, the API and migrate read their certificate through the settings they
    already have (runtime/settings/temporal_security.py) and connect with mutual TLS,
    checking the frontend's certificate against the CA and the name it carries."""
    env = {
        key: value
        for key, value in _environment(_service(name, environ)).items()
        if key not in ("DSR_ACT_SIGNING_KEY", "DSR_ACT_PUBLIC_KEYS")
    }
    for variable in (
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        "TEMPORAL_TLS_CLIENT_CERT_PATH",
        "TEMPORAL_TLS_CLIENT_KEY_PATH",
    ):
        assert _in_mount(env[variable]), f"{name}: {variable}"
    security = connection_security(_load(monkeypatch, env))
    assert security.describe().startswith("mutual TLS")
    server = _environment(_service("temporal", environ))
    assert env["TEMPORAL_TLS_SERVER_NAME"] == server["TEMPORAL_TLS_FRONTEND_SERVER_NAME"]


def test_the_web_ui_is_read_only_unless_an_operator_turns_writes_on(
    environ: dict[str, str],  # noqa: F811
) -> None:
    """The UI has no login here: by default it can terminate, signal or reset nothing;
    an operator sets DSR_TEMPORAL_UI_DISABLE_WRITES=false to act, for a while. It calls
    the frontend with its own certificate, checking the server's."""
    ui = _environment(_service("temporal-ui", environ))
    assert ui["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "true"
    assert ui["TEMPORAL_TLS_ENABLE_HOST_VERIFICATION"] == "true"
    for variable in ("TEMPORAL_TLS_CA", "TEMPORAL_TLS_CERT", "TEMPORAL_TLS_KEY"):
        assert _in_mount(ui[variable]), variable
    opened = _environment(
        _service("temporal-ui", {**environ, "DSR_TEMPORAL_UI_DISABLE_WRITES": "false"})
    )
    assert opened["TEMPORAL_DISABLE_WRITE_ACTIONS"] == "false"


def test_the_script_makes_certificates_the_server_and_clients_accept(
    monkeypatch: pytest.MonkeyPatch,
    environ: dict[str, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    """deploy/temporal/make-certs.sh (the header's set-up): one CA; the frontend's
    certificate names `temporal`, the name every client checks; each client's is for
    client authentication only and signed by the CA; none of the keys is readable by
    others; the worker's settings load it and connect with mutual TLS."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make the certificates"
    made = subprocess.run(
        ["sh", str(SCRIPT), str(tmp_path / "tls")], capture_output=True, text=True, timeout=120
    )
    assert made.returncode == 0, made.stderr
    folder = tmp_path / "tls"
    ca = x509.load_pem_x509_certificate((folder / "ca" / "ca.pem").read_bytes())
    server = x509.load_pem_x509_certificate((folder / "server" / "cert.pem").read_bytes())
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "temporal" in names.get_values_for_type(x509.DNSName)
    for client in ("worker", "api", "migrate", "ui"):
        cert = x509.load_pem_x509_certificate((folder / client / "cert.pem").read_bytes())
        cert.verify_directly_issued_by(ca)
        usage = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        assert list(usage) == [ExtendedKeyUsageOID.CLIENT_AUTH]
        assert (folder / client / "key.pem").stat().st_mode & 0o077 == 0
    env = _environment(_service("worker", environ))
    for variable in (
        "TEMPORAL_TLS_SERVER_CA_CERT_PATH",
        "TEMPORAL_TLS_CLIENT_CERT_PATH",
        "TEMPORAL_TLS_CLIENT_KEY_PATH",
    ):
        env[variable] = str(folder / "worker" / PurePosixPath(env[variable]).name)
    env.pop("DSR_ACT_PUBLIC_KEYS", None)
    assert connection_security(_load(monkeypatch, env)).describe().startswith("mutual TLS")


def test_the_readme_says_which_client_needs_which_temporal_access() -> None:
    text = README.read_text(encoding="utf-8")
    start = text.index("### Who reaches Temporal, and with what")
    section = text[start : text.index("\n#", start + 1)]
    for client in ("Worker", "API", "`dsr-admin setup`", "Intake backends", "Web UI", "Operators"):
        assert f"| {client}" in section, client
