"""The service as its users run it: `worker.py` and `dsr` as processes on one data folder
(`Service`), for the end-to-end suite."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import asyncpg
import psutil

from runtime.servers import free_port, installed_binary, running_embedded_postgres
from tests.support.builders import submission
from tests.support.privacy import PERSONAL
from tests.support.temporal import eventually

ROOT = Path(__file__).resolve().parent.parent.parent


class Service:
    """One data folder and port pair; start and stop `worker.py` on it as often as needed."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.temporal_port = free_port()
        self.ui_port = free_port()
        self.metrics_port = free_port()  # several services may run at once on this machine
        self.api_port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.env = {
            **{
                k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TEMPORAL_ADDRESS")
            },
            "DSR_DATA_DIR": str(data_dir),
            "DSR_TEMPORAL_PORT": str(self.temporal_port),
            "DSR_UI_PORT": str(self.ui_port),
            "DSR_METRICS_PORT": str(self.metrics_port),
            # The API and privacy center, which `dsr` calls (DSR_URL unset: this port on
            # loopback, as the local administrator of DSR_DATA_DIR).
            "DSR_API_PORT": str(self.api_port),
            "DSR_LOG_FORMAT": "json",
            "DSR_TASK_QUEUE": "dsr-e2e",
        }
        self.log_path = data_dir / "worker.log"

    def spawn(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, str(ROOT / "worker.py")],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def start(self) -> None:
        already_logged = self.log_path.stat().st_size if self.log_path.exists() else 0
        self.spawn()

        async def log_text() -> str:
            with self.log_path.open("rb") as log:
                log.seek(already_logged)
                return log.read().decode(errors="replace")

        await eventually(
            log_text,
            lambda text: "worker running" in text or self.process.poll() is not None,
            within=90,
        )
        assert self.process.poll() is None, self.log_path.read_text()

    def stop(self, signum: int = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        code = self.process.wait(60)
        self.process = None
        return code

    def kill(self) -> None:
        """Kill the worker, if running, and whatever it left running on the folder."""
        if self.process is not None:
            self.stop(signal.SIGKILL)
        for line in self.leftovers():
            os.kill(int(line.split(":")[0]), signal.SIGKILL)

    def leftovers(self) -> list[str]:
        """Processes still running on this data folder (a temporal or postgres server)."""
        found = []
        for proc in psutil.process_iter(["pid", "cmdline"]):
            cmdline = " ".join(proc.info["cmdline"] or [])
            if str(self.data_dir) in cmdline:
                found.append(f"{proc.info['pid']}: {cmdline}")
        return found

    def dsr(
        self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(ROOT / "starter.py"), *args],
            cwd=ROOT,
            # No token `dsr login` kept in this machine's user folder: the local admin's.
            env={**self.env, "XDG_CONFIG_HOME": str(self.data_dir / "config"), **(env or {})},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def dsr_admin(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`dsr-admin ARGS`, where the worker runs (interfaces/admin/main.py)."""
        return subprocess.run(
            [sys.executable, "-m", "interfaces.admin.main", *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            timeout=60,
        )

    def submit_answered_inquiry(self, request_id: str, subject_id: str) -> Path:
        """`dsr submit` an inquiry from a file, then `dsr respond` to it; both must succeed.
        Returns the file submitted."""
        request_file = self.data_dir / f"{request_id}.json"
        request_file.write_text(
            json.dumps(submission("inquiry", request_id, subject_id, person=PERSONAL))
        )
        submitted = self.dsr("submit", "--json", str(request_file))
        assert submitted.returncode == 0, submitted.stderr
        answered = self.answer(request_id)
        assert answered.returncode == 0, answered.stderr
        return request_file

    def answer(
        self, request_id: str, text: str = PERSONAL["answer"], token: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """An operator answers an inquiry with `dsr respond`, the text on standard input, as
        the account of `token` (default: the local administrator `make run` made)."""
        return self.dsr(
            "respond",
            request_id,
            "--text-file",
            "-",
            stdin=text,
            env={"DSR_TOKEN": token} if token else None,
        )

    def account(self, name: str, *roles: str) -> str:
        """`dsr accounts create`, as the local administrator; returns the new token."""
        made = self.dsr(
            "--output", "json", "accounts", "create", name, *(f"--role={role}" for role in roles)
        )
        assert made.returncode == 0, made.stderr
        return json.loads(made.stdout)["token"]

    def temporal(self, *args: str) -> str:
        return subprocess.run(
            [installed_binary("temporal"), *args, "--address", f"127.0.0.1:{self.temporal_port}"],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout


async def count(service: Service, sql: str, *args: object) -> int:
    """One number from the service's own embedded database."""
    dsn = running_embedded_postgres(service.data_dir)
    assert dsn is not None
    connection = await asyncpg.connect(dsn)
    try:
        return await connection.fetchval(sql, *args)
    finally:
        await connection.close()
