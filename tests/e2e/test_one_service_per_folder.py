"""Clean exits and one service per data folder: `dsr` exits with its own status, never by
a crash in interpreter teardown; a service killed outright, with every server it started,
comes back and then stops everything it started; a second service on a folder in use
stops at once and disturbs nothing; a port taken by another program is named, with the
variable that moves it."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from tests.support.builders import submission
from tests.support.privacy import PERSONAL
from tests.support.service import ROOT, Service
from tests.support.temporal import eventually

pytestmark = pytest.mark.e2e


def _submit_file(tmp_path: Path, request_id: str) -> Path:
    path = tmp_path / f"{request_id}.json"
    path.write_text(
        json.dumps(submission("inquiry", request_id, f"subj-{request_id}", person=PERSONAL))
    )
    return path


async def test_fifty_submissions_ten_at_a_time_all_exit_with_their_own_status(
    service: Service, tmp_path: Path, unique: str
) -> None:
    """The `dsr` command, as a backend calls it: 50 processes, 10 at a time. Each exits 0;
    none dies in teardown (SIGABRT, exit 134) after its request was taken."""
    await service.start()
    files = [_submit_file(tmp_path, f"many-{unique}-{i}") for i in range(50)]
    dsr = [str(Path(sys.executable).parent / "dsr"), "submit", "--json"]

    def ten_at_a_time() -> list[tuple[int, str]]:
        codes = []
        for start in range(0, len(files), 10):
            batch = [
                subprocess.Popen(
                    [*dsr, str(f)],
                    cwd=ROOT,
                    env=service.env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                )
                for f in files[start : start + 10]
            ]
            for process in batch:
                _, err = process.communicate(timeout=120)
                codes.append((process.returncode, err))
        return codes

    codes = await asyncio.to_thread(ten_at_a_time)
    assert [(code, err) for code, err in codes if code != 0] == []
    listed = json.loads(service.dsr("--output", "json", "list", "--limit", "100").stdout)
    assert sum(1 for row in listed if row["request_id"].startswith(f"many-{unique}")) == 50
    assert service.stop(signal.SIGINT) == 0


async def test_after_a_power_cut_the_next_run_recovers_then_stops_every_server(
    service: Service, tmp_path: Path, unique: str
) -> None:
    """Every process of the service killed at once (SIGKILL to the worker and to each
    server on its folder), started again, stopped with SIGINT: nothing is left running."""
    await service.start()
    rid = f"cut-{unique}"
    assert service.dsr("submit", "--json", str(_submit_file(tmp_path, rid))).returncode == 0
    assert service.process is not None
    victims = [int(line.split(":")[0]) for line in service.leftovers()] + [service.process.pid]
    assert len(victims) >= 3  # the worker, the dev server and PostgreSQL at least
    processes = [psutil.Process(pid) for pid in victims]
    for process in processes:
        process.kill()
    service.process.wait(30)
    service.process = None
    _, alive = psutil.wait_procs(processes, timeout=30)
    assert alive == []
    await service.start()
    status = service.dsr("--output", "json", "status", rid)
    assert status.returncode == 0, status.stderr
    assert service.stop(signal.SIGINT) == 0

    async def left() -> list[str]:
        return service.leftovers()

    await eventually(left, lambda found: found == [], within=30)


async def test_a_second_service_on_a_folder_in_use_stops_at_once_and_disturbs_nothing(
    service: Service, tmp_path: Path, unique: str
) -> None:
    await service.start()
    assert service.process is not None
    first = service.process
    second = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(ROOT / "worker.py")],
        cwd=ROOT,
        env=service.env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode != 0
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and "already running on data folder" in lines[0], second.stderr
    assert f"pid {first.pid}" in lines[0]
    # The first service still takes and completes a request.
    rid = f"still-{unique}"
    assert service.dsr("submit", "--json", str(_submit_file(tmp_path, rid))).returncode == 0
    answered = service.answer(rid, "Only what you gave us at registration.")
    assert answered.returncode == 0, answered.stderr

    async def closed() -> dict:
        shown = service.dsr("--output", "json", "status", rid)
        return json.loads(shown.stdout) if shown.returncode == 0 else {}

    await eventually(closed, lambda view: view.get("status") == "closed", within=60)
    assert first.poll() is None and psutil.pid_exists(first.pid)
    assert service.stop(signal.SIGINT) == 0


async def test_a_port_taken_by_another_program_is_named_with_its_variable(
    tmp_path: Path,
) -> None:
    blocker = socket.socket()
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    try:
        taken = blocker.getsockname()[1]
        other = Service(tmp_path / "dsr-taken")
        other.env["DSR_TEMPORAL_PORT"] = str(taken)
        result = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, str(ROOT / "worker.py")],
            cwd=ROOT,
            env={**other.env, "DSR_LOG_FORMAT": "json"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        blocker.close()
    assert result.returncode == 1
    assert (
        f"port {taken} is already in use by another program; set DSR_TEMPORAL_PORT" in result.stderr
    )
    assert other.leftovers() == []
