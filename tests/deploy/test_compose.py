"""The production topology in docker-compose.yml, checked without a Docker engine: the
services exist, and the worker's, the API's and migrate's variables are the ones
runtime/settings/ reads, with values that point at the services compose actually runs.
Only the one-shot migrate service holds the schema owner's URL; the long-running worker
serves as the worker's role alone, the API as the API's. The act signing key is the API's
secret alone: the worker's container never mounts it (issue 21). No secret has a default:
the tests supply what compose would refuse to start without."""

from __future__ import annotations

import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from interfaces.admin.main import main as dsr_admin
from runtime.settings import Settings, load_settings
from store.privileges import API_ROLE, OWNER_ROLE, WORKER_ROLE

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"

ROLES_SCRIPT = ROOT / "deploy" / "postgres" / "10-dsr-roles.sh"

SERVICES = {"temporal", "temporal-ui", "temporal-db", "app-db", "migrate", "worker", "api"}
# The act keys' variables (runtime/act_keys.py, the signer's branch of issue 21): read by
# the settings once that is merged; until then the only ones the model may not know.
ACT_KEY_VARIABLES = {"DSR_ACT_SIGNING_KEY", "DSR_ACT_PUBLIC_KEYS"}
# Without these two the worker starts the embedded dev server and PostgreSQL instead.
REQUIRED_FOR_EXTERNAL = {"TEMPORAL_ADDRESS", "DATABASE_URL"}

# Compose's forms: ${NAME}, ${NAME:-default} / ${NAME-default}, ${NAME:?error} /
# ${NAME?error}, and $$ for a literal dollar.
_VARIABLE = re.compile(
    r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
    r"(?:(?P<colon>:?)(?P<kind>[-?])(?P<word>[^}]*))?\})"
)
# What compose refuses to start without (the header of docker-compose.yml); URL-safe, as
# the worker's URLs carry the passwords unescaped.
REQUIRED = {
    "TEMPORAL_DB_PASSWORD": "temporal-Secret.1",
    "DSR_DB_SUPERUSER_PASSWORD": "superuser-Secret.2",
    "DSR_OWNER_DB_PASSWORD": "owner-Secret.3",
    "DSR_WORKER_DB_PASSWORD": "worker-Secret.4",
    "DSR_API_DB_PASSWORD": "api-Secret.5",
    "DSR_CHECKPOINT_KEY_FILE": "/etc/dsr/checkpoint.pem",
    "DSR_KEY_ENCRYPTION_KEY_FILE": "/etc/dsr/key-encryption.key",
    "DSR_ACT_SIGNING_KEY_FILE": "/etc/dsr/act-signing.pem",
    "DSR_ACT_PUBLIC_KEYS_DIR": "/etc/dsr/act-public",
    "DSR_TEMPORAL_TLS_DIR": "/etc/dsr/temporal-tls",
}
# Where each Temporal client's own certificate, key and CA are mounted (its secret).
TEMPORAL_TLS_MOUNT = "/run/secrets/temporal_tls"


class MissingVariable(AssertionError):
    """A required `${NAME:?...}` without a value: compose would refuse to start."""


def _interpolate(value: Any, environ: Mapping[str, str]) -> Any:
    """Compose's variable substitution, enough for this file. A variable with neither a
    default nor `?` is refused: unset, compose would quietly substitute nothing."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group("name")
            if name is None:
                return "$"
            given = environ.get(name)
            # With the colon an empty value counts as unset, as in compose.
            unset = given is None or (match.group("colon") == ":" and given == "")
            if not unset:
                return given
            kind = match.group("kind")
            if kind == "-":
                return match.group("word")
            if kind == "?":
                raise MissingVariable(f"{name}: {match.group('word')}")
            raise AssertionError(f"${{{name}}} has neither a default nor `?` in docker-compose.yml")

        return _VARIABLE.sub(substitute, value)
    if isinstance(value, dict):
        return {key: _interpolate(item, environ) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, environ) for item in value]
    return value


@pytest.fixture
def environ() -> dict[str, str]:
    return dict(REQUIRED)


def _raw() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def _compose(environ: Mapping[str, str]) -> dict[str, Any]:
    return _interpolate(_raw(), environ)


def _service(name: str, environ: Mapping[str, str]) -> dict[str, Any]:
    return _compose(environ)["services"][name]


def _environment(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's environment, whether written as a mapping or as a list of NAME=value."""
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def _depends_on(service: Mapping[str, Any]) -> dict[str, str | None]:
    depends = service.get("depends_on") or {}
    if isinstance(depends, list):
        return dict.fromkeys(depends)
    return {name: (spec or {}).get("condition") for name, spec in depends.items()}


# Compose's short form: [[IP:]HOST_PORT:]CONTAINER_PORT[/PROTOCOL], the IP an IPv6 one in
# brackets; without an IP (or without a host port) compose publishes on every interface.
_PORT = re.compile(
    r"(?:(?:(?P<ip>\[[0-9A-Fa-f:.]+\]|[0-9.]+):)?(?P<host>\d+):)?"
    r"(?P<container>\d+)(?:/(?:tcp|udp))?"
)
LOOPBACK = {"127.0.0.1", "::1"}


def _published(service: Mapping[str, Any]) -> list[tuple[str | None, int | None, int]]:
    """Published ports as (host IP or None, host port or None, container port), in the
    short form or the long one."""
    published = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            host_port = entry.get("published")
            published.append(
                (
                    entry.get("host_ip"),
                    int(host_port) if host_port is not None else None,
                    int(entry["target"]),
                )
            )
            continue
        match = _PORT.fullmatch(str(entry))
        assert match, f"unreadable port entry {entry!r}"
        ip = match.group("ip")
        published.append(
            (
                ip.strip("[]") if ip else None,
                int(match.group("host")) if match.group("host") else None,
                int(match.group("container")),
            )
        )
    return published


def _container_ports(service: Mapping[str, Any]) -> dict[int, int]:
    """Published ports as {container port: host port}."""
    return {container: host for _, host, container in _published(service) if host is not None}


def _settings_variables() -> set[str]:
    return set(Settings.variables())


def _secrets(service: Mapping[str, Any]) -> dict[str, str]:
    """A service's secrets as {path in the container: secret name}."""
    secrets = {}
    for entry in service.get("secrets") or []:
        if isinstance(entry, str):
            entry = {"source": entry}
        target = entry.get("target", entry["source"])
        secrets[str(PurePosixPath("/run/secrets") / target)] = entry["source"]
    return secrets


def _image_user() -> str:
    users = re.findall(
        r"^USER (\S+)", (ROOT / "Dockerfile").read_text(encoding="utf-8"), re.MULTILINE
    )
    assert users, "the Dockerfile sets no USER"
    return users[-1]


def _is_required(reference: str) -> bool:
    """`${NAME:?...}`, alone: refused when unset or empty, never a default."""
    match = _VARIABLE.fullmatch(reference)
    return bool(match and match["name"] and match["colon"] == ":" and match["kind"] == "?")


def _nested(path: str, folder: str) -> bool:
    return PurePosixPath(path).is_relative_to(PurePosixPath(folder))


def temporal_tls_files(folder: Path) -> Path:
    """A stand-in for a service's Temporal secret: ca.pem, cert.pem and key.pem in
    `folder` (start-up reads them: runtime/settings load_settings)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dsr-test")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    pem = cert.public_bytes(serialization.Encoding.PEM)
    (folder / "ca.pem").write_bytes(pem)
    (folder / "cert.pem").write_bytes(pem)
    (folder / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return folder


def _load(monkeypatch: pytest.MonkeyPatch, env: Mapping[str, str]) -> Settings:
    """The settings a container with exactly `env` (besides the image's own) would load;
    its Temporal secret's files stand in a temporary folder of their own."""
    import tempfile

    for name in _settings_variables():
        monkeypatch.delenv(name, raising=False)
    secret = temporal_tls_files(Path(tempfile.mkdtemp(prefix="dsr-compose-tls-")))
    for name, value in env.items():
        if value.startswith(TEMPORAL_TLS_MOUNT + "/"):
            value = str(secret / PurePosixPath(value).name)
        monkeypatch.setenv(name, value)
    return load_settings()


def _mounts(service: Mapping[str, Any]) -> dict[str, str]:
    """Volume mounts as {target: source}."""
    mounts = {}
    for entry in service.get("volumes") or []:
        source, target = str(entry).split(":")[:2]
        mounts[target] = source
    return mounts


def test_all_services_are_defined(environ: dict[str, str]) -> None:
    assert set(_compose(environ)["services"]) >= SERVICES


def test_images_are_pinned_to_a_version(environ: dict[str, str]) -> None:
    for name, service in _compose(environ)["services"].items():
        image = service.get("image")
        if image is None:
            assert "build" in service, f"{name} has neither image nor build"
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest", f"{name}: {image} is not pinned"


def test_worker_is_built_from_this_repository(environ: dict[str, str]) -> None:
    worker = _service("worker", environ)
    build = worker["build"]
    if isinstance(build, str):
        build = {"context": build}
    assert build["context"] == "."
    dockerfile = ROOT / build.get("dockerfile", "Dockerfile")
    assert dockerfile.is_file()
    assert worker.get("command") in (None, ["python", "worker.py"], "python worker.py")


def test_dockerfile_installs_what_pyproject_packages() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = project["tool"]["setuptools"]
    copied = {
        PurePosixPath(source).as_posix().rstrip("/")
        for line in dockerfile.splitlines()
        if line.startswith("COPY ")
        for source in line.split()[1:-1]
        if not source.startswith("--")
    }
    wanted = {"pyproject.toml", project["project"]["readme"]}
    wanted |= {f"{module}.py" for module in setuptools["py-modules"]}
    wanted |= {pattern.rstrip("*") for pattern in setuptools["packages"]["find"]["include"]}
    assert wanted <= copied, f"the Dockerfile does not copy {sorted(wanted - copied)}"
    assert "pip install --no-cache-dir ." in dockerfile
    assert re.search(r"^USER (?!root\b|0\b)\S+", dockerfile, re.MULTILINE), "runs as root"
    assert 'CMD ["python", "worker.py"]' in dockerfile


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = set((ROOT / ".dockerignore").read_text(encoding="utf-8").split())
    # .env: where the header of docker-compose.yml tells operators to put the passwords.
    assert {".git", ".venv", ".dsr", "tests", ".env"} <= ignored


def test_every_variable_has_a_default_or_is_required() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    bare = re.findall(r"(?<!\$)\$[A-Za-z_]\w*", text.replace("$$", ""))
    assert not bare, f"{bare}: write ${{NAME:?...}}, which compose refuses to leave empty"
    for match in _VARIABLE.finditer(text):
        if match["name"] is None:
            continue
        assert match["kind"], f"{match[0]} has neither a default nor `:?`"
        if match["kind"] == "?":
            # Empty is as bad as unset: a role with an empty password, a secret from "".
            assert match["colon"] == ":", f"{match[0]}: use `:?`, which refuses empty too"
            assert match["word"].strip(), f"{match[0]} does not say what is missing"


def test_the_required_variables_are_the_documented_ones() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    required = {match["name"] for match in _VARIABLE.finditer(text) if match["kind"] == "?"}
    assert required == set(REQUIRED)
    header = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
    undocumented = {name for name in required if name not in header}
    assert not undocumented, f"the header comment does not mention {sorted(undocumented)}"


@pytest.mark.parametrize("name", sorted(REQUIRED))
@pytest.mark.parametrize("value", [None, ""])
def test_compose_refuses_to_start_without_each_secret(
    environ: dict[str, str], name: str, value: str | None
) -> None:
    if value is None:
        del environ[name]
    else:
        environ[name] = value
    with pytest.raises(MissingVariable, match=name):
        _compose(environ)


def test_no_password_has_a_default_value() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    for match in _VARIABLE.finditer(text):
        if match["name"] and re.search(r"PASSWORD|PWD|SECRET", match["name"]):
            assert match["kind"] == "?", f"{match[0]} gives a secret a default"
    for name, service in _raw()["services"].items():
        for key, value in _environment(service).items():
            if re.search(r"(PASSWORD|PWD)$", key):
                assert _is_required(value), f"{name}: {key} is not a required variable"
            if "://" in value:
                password = urlsplit(value).netloc.rpartition("@")[0].partition(":")[2]
                assert not password or _is_required(password), (
                    f"{name}: {key} carries a password that is not a required variable"
                )


@pytest.mark.parametrize("name", ["worker", "migrate", "api"])
def test_sets_only_variables_the_settings_model_reads(environ: dict[str, str], name: str) -> None:
    env = _environment(_service(name, environ))
    unknown = set(env) - _settings_variables() - ACT_KEY_VARIABLES
    assert not unknown, f"{name} sets variables Settings does not read: {sorted(unknown)}"
    external = (
        {"TEMPORAL_ADDRESS", "DSR_API_DATABASE_URL"} if name == "api" else REQUIRED_FOR_EXTERNAL
    )
    assert set(env) >= external


def test_worker_environment_selects_the_external_servers(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    env = _environment(_service("worker", environ))

    settings = _load(monkeypatch, env)

    assert settings.temporal.embedded is False
    assert settings.database.embedded is False
    assert settings.temporal.address == env["TEMPORAL_ADDRESS"]
    assert settings.database.url == env["DATABASE_URL"]
    # The runtime role alone: store/privileges.py: prepare_store then only checks that
    # migrate has applied every migration.
    assert settings.database.owner_url is None
    assert settings.observability.log_format == "json"
    assert str(settings.local.data_dir) == env["DSR_DATA_DIR"]
    assert str(settings.checkpoint_key_file()) == env["DSR_CHECKPOINT_KEY"]
    assert str(settings.witness_folder()) == env["DSR_WITNESS_DIR"]


def test_temporal_address_is_the_temporal_service(environ: dict[str, str]) -> None:
    temporal = _service("temporal", environ)
    env = _environment(_service("worker", environ))
    host, _, port = env["TEMPORAL_ADDRESS"].rpartition(":")
    assert host == "temporal"
    assert int(port) == 7233
    assert int(port) in _container_ports(temporal)
    assert env.get("TEMPORAL_NAMESPACE", "default") == _environment(temporal)["DEFAULT_NAMESPACE"]


@pytest.mark.parametrize(
    "override",
    [
        {},
        {
            "DSR_WORKER_DB_PASSWORD": "an0ther-Secret",
            "DSR_OWNER_DB_PASSWORD": "y3t~another",
            "DSR_API_DB_PASSWORD": "and.0ne-more",
        },
    ],
)
def test_database_urls_are_the_split_roles_on_app_db(
    environ: dict[str, str], override: dict[str, str]
) -> None:
    environ.update(override)
    app_db = _environment(_service("app-db", environ))
    worker = _environment(_service("worker", environ))
    migrate = _environment(_service("migrate", environ))
    api = _environment(_service("api", environ))
    runtime = urlsplit(worker["DATABASE_URL"])
    owner = urlsplit(migrate["DSR_OWNER_DATABASE_URL"])
    api_url = urlsplit(api["DSR_API_DATABASE_URL"])
    # migrate grants the very role the worker then logs in as, and the API's by its name.
    assert migrate["DATABASE_URL"] == worker["DATABASE_URL"]
    for url in (runtime, owner, api_url):
        assert url.scheme == "postgresql"
        assert url.hostname == "app-db"
        assert url.port == 5432
        assert url.path.removeprefix("/") == app_db["POSTGRES_DB"]
        # The superuser only bootstraps the roles.
        assert url.username != app_db["POSTGRES_USER"]
        assert url.password != app_db["POSTGRES_PASSWORD"]
    assert runtime.username == WORKER_ROLE
    assert owner.username == OWNER_ROLE
    assert api_url.username == API_ROLE
    assert runtime.password == environ["DSR_WORKER_DB_PASSWORD"]
    assert owner.password == environ["DSR_OWNER_DB_PASSWORD"]
    assert api_url.password == environ["DSR_API_DB_PASSWORD"]
    # The init script gives the roles the very passwords the services log in with.
    assert app_db["DSR_WORKER_DB_PASSWORD"] == runtime.password
    assert app_db["DSR_OWNER_DB_PASSWORD"] == owner.password
    assert app_db["DSR_API_DB_PASSWORD"] == api_url.password
    # Neither long-running service holds another's database URL.
    assert "DSR_API_DATABASE_URL" not in worker and "DATABASE_URL" not in api


def test_app_db_creates_the_roles_at_init(environ: dict[str, str]) -> None:
    app_db = _service("app-db", environ)
    scripts = {
        target: source
        for target, source in _mounts(app_db).items()
        if _nested(target, "/docker-entrypoint-initdb.d")
    }
    assert scripts, "nothing is mounted into app-db's /docker-entrypoint-initdb.d"
    assert (ROOT / scripts.popitem()[1]).resolve() == ROLES_SCRIPT
    # Executable, the image runs it in a shell of its own rather than sourcing it.
    assert ROLES_SCRIPT.stat().st_mode & stat.S_IXUSR
    script = ROLES_SCRIPT.read_text(encoding="utf-8")
    assert f"-v owner={OWNER_ROLE} " in script
    assert f"-v worker={WORKER_ROLE} " in script
    assert f"-v api={API_ROLE} " in script
    read = set(re.findall(r"\bDSR_[A-Z_]+_PASSWORD\b", script))
    assert read == {"DSR_OWNER_DB_PASSWORD", "DSR_WORKER_DB_PASSWORD", "DSR_API_DB_PASSWORD"}
    assert read <= set(_environment(app_db)), "app-db does not pass the script its passwords"


def test_roles_script_holds_no_password_and_quotes_what_it_is_given() -> None:
    script = ROLES_SCRIPT.read_text(encoding="utf-8")
    assert not any(value in script for value in REQUIRED.values())
    # The SQL is a quoted heredoc: the shell substitutes nothing into it.
    assert script.count("<<'SQL'") == 1
    sql = script.partition("<<'SQL'")[2]
    assert "$" not in sql
    passwords = re.findall(r"\bPASSWORD\s+(\S+)", sql)
    assert passwords == [":'owner_password';", ":'worker_password';", ":'api_password';"], (
        "a password reaches the SQL other than as a quoted psql variable"
    )
    for role in ("owner", "worker", "api"):
        assert re.search(
            rf'ALTER ROLE :"{role}" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE '
            r"NOREPLICATION NOBYPASSRLS\b",
            sql,
        ), f"{role} may keep powers"
    assert 'GRANT USAGE, CREATE ON SCHEMA public TO :"owner";' in sql
    assert 'GRANT USAGE ON SCHEMA public TO :"worker", :"api";' in sql
    # Nobody else may create in the schema, so the worker, as its role, takes
    # prepare_store's check-only path and cannot migrate.
    assert "REVOKE CREATE ON SCHEMA public FROM PUBLIC;" in sql
    assert not re.search(r'GRANT[^;]*\bCREATE\b[^;]*TO :"(worker|api)"', sql)


def test_app_db_keeps_its_data_in_a_volume(environ: dict[str, str]) -> None:
    compose = _compose(environ)
    mounts = _mounts(compose["services"]["app-db"])
    assert mounts.get("/var/lib/postgresql/data") in compose["volumes"]


def test_worker_data_dir_is_a_volume(environ: dict[str, str]) -> None:
    compose = _compose(environ)
    worker = compose["services"]["worker"]
    data_dir = _environment(worker)["DSR_DATA_DIR"]
    assert _mounts(worker).get(data_dir) in compose["volumes"]


def test_checkpoint_key_comes_from_a_secret_file(environ: dict[str, str]) -> None:
    compose = _compose(environ)
    worker = compose["services"]["worker"]
    env = _environment(worker)
    key = env["DSR_CHECKPOINT_KEY"]
    name = _secrets(worker).get(key)
    assert name is not None, f"no secret is mounted at {key}"
    assert compose["secrets"][name] == {"file": environ["DSR_CHECKPOINT_KEY_FILE"]}
    # Not in a volume: whoever can read the data or the witness must not get the key.
    assert not any(_nested(key, target) for target in _mounts(worker))


def test_witness_is_a_volume_of_its_own(environ: dict[str, str]) -> None:
    compose = _compose(environ)
    worker = compose["services"]["worker"]
    env = _environment(worker)
    mounts = _mounts(worker)
    witness, data_dir = env["DSR_WITNESS_DIR"], env["DSR_DATA_DIR"]
    volume = mounts.get(witness)
    assert volume in compose["volumes"], f"{witness} is not a named volume"
    assert volume != mounts[data_dir]
    assert not _nested(witness, data_dir) and not _nested(data_dir, witness)
    for name in ("app-db", "temporal-db", "temporal"):
        assert volume not in _mounts(compose["services"][name]).values(), (
            f"{name} can write the witness"
        )


def test_keyring_is_a_volume_of_its_own_with_a_secret_key(environ: dict[str, str]) -> None:
    """The subjects' data keys live apart from the data and the databases, so a backup of
    either holds nothing that opens a sealed value; the key-encryption key is a secret."""
    compose = _compose(environ)
    worker = compose["services"]["worker"]
    env, mounts = _environment(worker), _mounts(worker)
    keyring = env["DSR_KEYRING_DIR"]
    volume = mounts.get(keyring)
    assert volume in compose["volumes"], f"{keyring} is not a named volume"
    assert volume not in (mounts[env["DSR_DATA_DIR"]], mounts[env["DSR_WITNESS_DIR"]])
    for name in ("app-db", "temporal-db", "temporal", "migrate"):
        assert volume not in _mounts(compose["services"][name]).values()
    assert env["DSR_KEY_ENCRYPTION_KEY_FILE"] == "/run/secrets/key_encryption_key"
    assert "key_encryption_key" in worker["secrets"]
    assert compose["secrets"]["key_encryption_key"]["file"] == "/etc/dsr/key-encryption.key"
    assert "DSR_KEY_ENCRYPTION_KEY" not in env  # never the key itself in the environment


def test_witness_and_keyring_volumes_are_handed_to_the_worker_user(environ: dict[str, str]) -> None:
    compose = _compose(environ)
    services = compose["services"]
    worker = services["worker"]
    witness = _environment(worker)["DSR_WITNESS_DIR"]
    keyring = _environment(worker)["DSR_KEYRING_DIR"]
    volume = _mounts(worker)[witness]
    preparers = [
        name
        for name, service in services.items()
        if name != "worker" and _mounts(service).get(witness) == volume
    ]
    assert len(preparers) == 1, "nothing makes the fresh witness volume the worker's"
    preparer = services[preparers[0]]
    assert preparer["build"] == worker["build"] and preparer["image"] == worker["image"]
    assert preparer.get("user") == "root"
    assert preparer["command"] == ["chown", f"{_image_user()}:{_image_user()}", witness, keyring]
    assert _mounts(preparer)[keyring] == _mounts(worker)[keyring]
    assert _depends_on(worker).get(preparers[0]) == "service_completed_successfully"
    assert preparer.get("restart", "no") == "no"


def test_worker_waits_for_healthy_temporal_and_app_db(environ: dict[str, str]) -> None:
    compose = _compose(environ)
    depends = _depends_on(compose["services"]["worker"])
    for name in ("temporal", "app-db"):
        assert depends.get(name) == "service_healthy", f"worker does not wait for {name}"
        assert "healthcheck" in compose["services"][name], f"{name} has no healthcheck"
    # The image's temporary server, up while the init script runs, listens on no port:
    # a probe over TCP is healthy only once the roles exist.
    probe = " ".join(compose["services"]["app-db"]["healthcheck"]["test"])
    assert "-h 127.0.0.1" in probe


@pytest.mark.parametrize("override", [{}, {"TEMPORAL_DB_PASSWORD": "an0ther-Secret"}])
def test_temporal_persists_in_temporal_db(
    environ: dict[str, str], override: dict[str, str]
) -> None:
    environ.update(override)
    temporal = _service("temporal", environ)
    env = _environment(temporal)
    database = _environment(_service("temporal-db", environ))
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == "temporal-db"
    assert env["POSTGRES_USER"] == database["POSTGRES_USER"]
    assert env["POSTGRES_PWD"] == database["POSTGRES_PASSWORD"] == environ["TEMPORAL_DB_PASSWORD"]
    assert _depends_on(temporal).get("temporal-db") == "service_healthy"


def test_temporal_dynamic_config_is_mounted(environ: dict[str, str]) -> None:
    temporal = _service("temporal", environ)
    # The server resolves DYNAMIC_CONFIG_FILE_PATH against its working directory.
    path = PurePosixPath("/etc/temporal") / _environment(temporal)["DYNAMIC_CONFIG_FILE_PATH"]
    source = _mounts(temporal).get(str(path))
    assert source is not None, f"nothing is mounted at {path}"
    config = yaml.safe_load((ROOT / source).read_text(encoding="utf-8"))
    assert isinstance(config, dict) and config


def test_no_service_publishes_a_port_on_every_interface(environ: dict[str, str]) -> None:
    # The frontend and the UI have no login of their own in this file: reached from
    # outside through an SSH tunnel or an authenticating proxy (the comments by them).
    for name, service in _compose(environ)["services"].items():
        for ip, host, container in _published(service):
            assert ip in LOOPBACK, (
                f"{name} publishes {container} on {ip or 'every interface'}"
                f"{f' (host port {host})' if host else ''}; bind it to 127.0.0.1"
            )


def test_temporal_and_ui_are_published_on_loopback(environ: dict[str, str]) -> None:
    assert _published(_service("temporal", environ)) == [("127.0.0.1", 7233, 7233)]
    assert _published(_service("temporal-ui", environ)) == [
        ("127.0.0.1", Settings.variables()["DSR_UI_PORT"].default, 8080)
    ]


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("7233", (None, None, 7233)),
        ("7233:7233", (None, 7233, 7233)),
        ("0.0.0.0:8233:8080", ("0.0.0.0", 8233, 8080)),
        ("127.0.0.1:7233:7233/tcp", ("127.0.0.1", 7233, 7233)),
        ("[::1]:7233:7233", ("::1", 7233, 7233)),
        ({"target": 8080, "published": "8233"}, (None, 8233, 8080)),
        ({"target": 8080, "published": 8233, "host_ip": "127.0.0.1"}, ("127.0.0.1", 8233, 8080)),
    ],
)
def test_port_entries_are_read_as_compose_reads_them(
    entry: Any, expected: tuple[str | None, int | None, int]
) -> None:
    assert _published({"ports": [entry]}) == [expected]


def test_ui_points_at_the_temporal_service(environ: dict[str, str]) -> None:
    ui = _service("temporal-ui", environ)
    worker_env = _environment(_service("worker", environ))
    assert _environment(ui)["TEMPORAL_ADDRESS"] == worker_env["TEMPORAL_ADDRESS"]
    assert "temporal" in _depends_on(ui)
    # The UI is where the embedded dev server puts it, so the README's link holds.
    assert _container_ports(ui).get(8080) == Settings.variables()["DSR_UI_PORT"].default


def test_worker_holds_no_owner_credentials(environ: dict[str, str]) -> None:
    raw = _raw()["services"]["worker"]
    assert "DSR_OWNER_DATABASE_URL" not in _environment(raw)
    # Not by another name, nor from a file compose would read into it.
    assert not any("DSR_OWNER_DB_PASSWORD" in value for value in _environment(raw).values())
    assert "DSR_OWNER_DB_PASSWORD" not in _environment(raw)
    assert "env_file" not in raw
    worker = _environment(_service("worker", environ))
    owner_password = environ["DSR_OWNER_DB_PASSWORD"]
    assert not any(owner_password in value for value in worker.values())
    assert not any(
        urlsplit(value).username == OWNER_ROLE for value in worker.values() if "://" in value
    )


def test_only_the_api_mounts_the_act_signing_key(environ: dict[str, str]) -> None:
    """Issue 21: the API signs; the worker verifies with the public keys alone. Its
    container never mounts the private key, by secret or by volume."""
    compose = _compose(environ)
    services = compose["services"]
    assert compose["secrets"]["act_signing_key"] == {"file": environ["DSR_ACT_SIGNING_KEY_FILE"]}
    assert compose["secrets"]["act_public_keys"] == {"file": environ["DSR_ACT_PUBLIC_KEYS_DIR"]}
    holders = {
        name
        for name, service in services.items()
        if "act_signing_key" in _secrets(service).values()
    }
    assert holders == {"api"}
    api, worker = _environment(services["api"]), _environment(services["worker"])
    assert _secrets(services["api"])[api["DSR_ACT_SIGNING_KEY"]] == "act_signing_key"
    assert _secrets(services["worker"])[worker["DSR_ACT_PUBLIC_KEYS"]] == "act_public_keys"
    assert "DSR_ACT_SIGNING_KEY" not in worker and "DSR_ACT_PUBLIC_KEYS" not in api
    signing = environ["DSR_ACT_SIGNING_KEY_FILE"]
    for name, service in services.items():
        if name != "api":
            assert not any(
                source == signing or _nested(signing, source)
                for source in _mounts(service).values()
                if source.startswith("/")
            ), f"{name} mounts the act signing key"
    # The host's key folder is not a build context either: nothing bakes it into an image.
    assert not (ROOT / "secrets").exists()


def test_the_api_and_the_worker_are_separate_services(environ: dict[str, str]) -> None:
    compose = _compose(environ)
    api, worker = compose["services"]["api"], compose["services"]["worker"]
    assert api["command"] == ["python", "-m", "interfaces.api"]
    assert api["build"] == worker["build"] and api["image"] == worker["image"]
    # The worker serves no API of its own: the API's role and key stay out of it.
    assert _environment(worker)["DSR_API_PORT"] == "0"
    port = int(_environment(api)["DSR_API_PORT"])
    assert _published(api) == [("127.0.0.1", port, port)]
    assert _depends_on(api).get("migrate") == "service_completed_successfully"
    # The API seals what intake takes in: the same keyring and key-encryption key.
    env, worker_env = _environment(api), _environment(worker)
    assert env["DSR_KEYRING_DIR"] == worker_env["DSR_KEYRING_DIR"]
    assert _mounts(api)[env["DSR_KEYRING_DIR"]] == _mounts(worker)[worker_env["DSR_KEYRING_DIR"]]
    assert "key_encryption_key" in _secrets(api).values()
    # Its own data folder: the worker's (maildrop, checkpoint state) is not the API's.
    assert _mounts(api)[env["DSR_DATA_DIR"]] != _mounts(worker)[worker_env["DSR_DATA_DIR"]]
    assert "checkpoint_key" not in _secrets(api).values()


def test_settings_accept_the_api_environment(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    env = {
        k: v
        for k, v in _environment(_service("api", environ)).items()
        if k not in ACT_KEY_VARIABLES
    }
    settings = _load(monkeypatch, env)
    assert settings.database.api_url == env["DSR_API_DATABASE_URL"]
    assert settings.database.url is None and settings.database.owner_url is None
    assert settings.temporal.address == env["TEMPORAL_ADDRESS"]


def test_only_migrate_and_app_db_see_the_owner_password(environ: dict[str, str]) -> None:
    owner_password = environ["DSR_OWNER_DB_PASSWORD"]
    holders = {
        name
        for name, service in _compose(environ)["services"].items()
        if any(owner_password in value for value in _environment(service).values())
    }
    # app-db: its init script sets the role's password.
    assert holders == {"migrate", "app-db"}


def test_migrate_runs_setup_once_from_the_worker_image(environ: dict[str, str]) -> None:
    compose = _compose(environ)
    migrate, worker = compose["services"]["migrate"], compose["services"]["worker"]
    assert migrate["build"] == worker["build"] and migrate["image"] == worker["image"]
    command = migrate["command"]
    assert command == ["dsr-admin", "setup", "--no-keys"]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["dsr-admin"] == "interfaces.admin.main:cli"
    assert dsr_admin([*command[1:], "--help"]) == 0
    # One-shot: a restart policy would run it again and again, and the worker, waiting
    # for it to complete, would never start.
    assert migrate["restart"] == "no"
    assert migrate.get("user") is None, "migrate runs as the image's user, not root"
    # It needs the databases and the cluster (with its own Temporal certificate), nothing
    # the worker keeps.
    assert set(_secrets(migrate).values()) == {"temporal_tls_migrate"}
    assert not migrate.get("volumes")
    assert not migrate.get("ports")


def test_migrate_waits_for_healthy_temporal_and_app_db(environ: dict[str, str]) -> None:
    depends = _depends_on(_service("migrate", environ))
    assert depends == {"temporal": "service_healthy", "app-db": "service_healthy"}


def test_worker_starts_only_after_migrate_succeeded(environ: dict[str, str]) -> None:
    depends = _depends_on(_service("worker", environ))
    assert depends.get("migrate") == "service_completed_successfully"


@pytest.mark.parametrize(
    "override",
    [
        {},
        {"DSR_WORKER_DB_PASSWORD": "an0ther-Secret", "DSR_OWNER_DB_PASSWORD": "y3t~another"},
    ],
)
def test_migrate_holds_both_roles_urls_on_app_db(
    environ: dict[str, str], override: dict[str, str]
) -> None:
    environ.update(override)
    app_db = _environment(_service("app-db", environ))
    migrate = _environment(_service("migrate", environ))
    expected = {
        "DATABASE_URL": (WORKER_ROLE, environ["DSR_WORKER_DB_PASSWORD"]),
        "DSR_OWNER_DATABASE_URL": (OWNER_ROLE, environ["DSR_OWNER_DB_PASSWORD"]),
    }
    for name, (user, password) in expected.items():
        url = urlsplit(migrate[name])
        assert url.scheme == "postgresql"
        assert (url.hostname, url.port) == ("app-db", 5432)
        assert url.path.removeprefix("/") == app_db["POSTGRES_DB"]
        assert (url.username, url.password) == (user, password)


def test_migrate_prepares_what_the_worker_uses(environ: dict[str, str]) -> None:
    migrate = _environment(_service("migrate", environ))
    worker = _environment(_service("worker", environ))
    # The same cluster, namespace, runtime role and retention: setup must prepare exactly
    # what the worker then serves on.
    for name in ("TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "DATABASE_URL", "DSR_RETENTION"):
        assert migrate.get(name) == worker.get(name), f"migrate and worker differ on {name}"


def test_settings_accept_the_migrate_environment(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str]
) -> None:
    env = _environment(_service("migrate", environ))

    settings = _load(monkeypatch, env)

    assert settings.temporal.embedded is False
    assert settings.database.embedded is False
    assert settings.temporal.address == env["TEMPORAL_ADDRESS"]
    assert settings.temporal.namespace == env.get("TEMPORAL_NAMESPACE", "default")
    assert settings.database.url == env["DATABASE_URL"]
    assert settings.database.owner_url == env["DSR_OWNER_DATABASE_URL"]
    assert settings.schedules.retention  # what setup gives the namespace
