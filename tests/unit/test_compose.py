"""The production topology in docker-compose.yml, checked without a Docker engine: the
services exist, and the worker's variables are the ones runtime/settings.py reads, with
values that point at the services compose actually runs."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from runtime.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"

SERVICES = {"temporal", "temporal-ui", "temporal-db", "app-db", "worker"}
# Without these two the worker starts the embedded dev server and PostgreSQL instead.
REQUIRED_FOR_EXTERNAL = {"TEMPORAL_ADDRESS", "DATABASE_URL"}

_VARIABLE = re.compile(r"\$(?:\$|\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\})")


def _interpolate(value: Any, environ: Mapping[str, str]) -> Any:
    """Compose's `${NAME}` / `${NAME:-default}` / `$$` substitution, enough for this file."""
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group("name")
            if name is None:
                return "$"
            if environ.get(name):
                return environ[name]
            default = match.group("default")
            if default is None:
                raise AssertionError(f"${{{name}}} has no default in docker-compose.yml")
            return default

        return _VARIABLE.sub(substitute, value)
    if isinstance(value, dict):
        return {key: _interpolate(item, environ) for key, item in value.items()}
    if isinstance(value, list):
        return [_interpolate(item, environ) for item in value]
    return value


def _compose(environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    raw = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    return _interpolate(raw, environ or {})


def _service(name: str, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
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


def _container_ports(service: Mapping[str, Any]) -> dict[int, int]:
    """Published ports as {container port: host port}."""
    published = {}
    for entry in service.get("ports") or []:
        host, _, container = str(entry).rpartition(":")
        published[int(container)] = int(host.rpartition(":")[2])
    return published


def _settings_variables() -> set[str]:
    names = set()
    for field_name, field in Settings.model_fields.items():
        alias = field.validation_alias
        if alias is None:
            names.add(field_name)
        elif isinstance(alias, str):
            names.add(alias)
        else:
            names.update(choice for choice in alias.choices if isinstance(choice, str))
    return names


def _mounts(service: Mapping[str, Any]) -> dict[str, str]:
    """Volume mounts as {target: source}."""
    mounts = {}
    for entry in service.get("volumes") or []:
        source, target = str(entry).split(":")[:2]
        mounts[target] = source
    return mounts


def test_all_services_are_defined() -> None:
    assert set(_compose()["services"]) >= SERVICES


def test_images_are_pinned_to_a_version() -> None:
    for name, service in _compose()["services"].items():
        image = service.get("image")
        if image is None:
            assert "build" in service, f"{name} has neither image nor build"
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest", f"{name}: {image} is not pinned"


def test_worker_is_built_from_this_repository() -> None:
    worker = _service("worker")
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
    assert {".git", ".venv", ".dsr", "tests"} <= ignored


def test_worker_sets_only_variables_the_settings_model_reads() -> None:
    env = _environment(_service("worker"))
    unknown = set(env) - _settings_variables()
    assert not unknown, f"the worker sets variables Settings does not read: {sorted(unknown)}"
    assert set(env) >= REQUIRED_FOR_EXTERNAL


def test_worker_environment_selects_the_external_servers(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _settings_variables():
        monkeypatch.delenv(name, raising=False)
    env = _environment(_service("worker"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    settings = load_settings()

    assert settings.embedded_temporal is False
    assert settings.embedded_postgres is False
    assert settings.temporal_address == env["TEMPORAL_ADDRESS"]
    assert settings.database_url == env["DATABASE_URL"]
    assert settings.log_format == "json"
    assert str(settings.data_dir) == env["DSR_DATA_DIR"]


def test_temporal_address_is_the_temporal_service() -> None:
    temporal = _service("temporal")
    env = _environment(_service("worker"))
    host, _, port = env["TEMPORAL_ADDRESS"].rpartition(":")
    assert host == "temporal"
    assert int(port) == 7233
    assert int(port) in _container_ports(temporal)
    assert env.get("TEMPORAL_NAMESPACE", "default") == _environment(temporal)["DEFAULT_NAMESPACE"]


@pytest.mark.parametrize("environ", [{}, {"DSR_DB_PASSWORD": "an0ther-Secret"}])
def test_database_url_is_the_app_db_service(environ: dict[str, str]) -> None:
    app_db = _environment(_service("app-db", environ))
    url = urlsplit(_environment(_service("worker", environ))["DATABASE_URL"])
    assert url.scheme == "postgresql"
    assert url.hostname == "app-db"
    assert url.port == 5432
    assert url.username == app_db["POSTGRES_USER"]
    assert url.password == app_db["POSTGRES_PASSWORD"]
    assert url.path.removeprefix("/") == app_db["POSTGRES_DB"]
    if environ:
        assert url.password == environ["DSR_DB_PASSWORD"]


def test_app_db_keeps_its_data_in_a_volume() -> None:
    compose = _compose()
    mounts = _mounts(compose["services"]["app-db"])
    assert mounts.get("/var/lib/postgresql/data") in compose["volumes"]


def test_worker_data_dir_is_a_volume() -> None:
    compose = _compose()
    worker = compose["services"]["worker"]
    data_dir = _environment(worker)["DSR_DATA_DIR"]
    assert _mounts(worker).get(data_dir) in compose["volumes"]


def test_worker_waits_for_healthy_temporal_and_app_db() -> None:
    compose = _compose()
    depends = _depends_on(compose["services"]["worker"])
    for name in ("temporal", "app-db"):
        assert depends.get(name) == "service_healthy", f"worker does not wait for {name}"
        assert "healthcheck" in compose["services"][name], f"{name} has no healthcheck"


@pytest.mark.parametrize("environ", [{}, {"TEMPORAL_DB_PASSWORD": "an0ther-Secret"}])
def test_temporal_persists_in_temporal_db(environ: dict[str, str]) -> None:
    temporal = _service("temporal", environ)
    env = _environment(temporal)
    database = _environment(_service("temporal-db", environ))
    assert env["DB"] == "postgres12"
    assert env["POSTGRES_SEEDS"] == "temporal-db"
    assert env["POSTGRES_USER"] == database["POSTGRES_USER"]
    assert env["POSTGRES_PWD"] == database["POSTGRES_PASSWORD"]
    assert _depends_on(temporal).get("temporal-db") == "service_healthy"


def test_temporal_dynamic_config_is_mounted() -> None:
    temporal = _service("temporal")
    # The server resolves DYNAMIC_CONFIG_FILE_PATH against its working directory.
    path = PurePosixPath("/etc/temporal") / _environment(temporal)["DYNAMIC_CONFIG_FILE_PATH"]
    source = _mounts(temporal).get(str(path))
    assert source is not None, f"nothing is mounted at {path}"
    config = yaml.safe_load((ROOT / source).read_text(encoding="utf-8"))
    assert isinstance(config, dict) and config


def test_ui_points_at_the_temporal_service() -> None:
    ui = _service("temporal-ui")
    worker_env = _environment(_service("worker"))
    assert _environment(ui)["TEMPORAL_ADDRESS"] == worker_env["TEMPORAL_ADDRESS"]
    assert "temporal" in _depends_on(ui)
    # The UI is where the embedded dev server puts it, so the README's link holds.
    assert _container_ports(ui).get(8080) == Settings.model_fields["ui_port"].default
