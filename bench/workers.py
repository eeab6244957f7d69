"""N `worker.py` processes on one task queue, started and stopped by the benchmark, their
memory sampled while they serve."""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


class Fleet:
    def __init__(self) -> None:
        self.processes: list[psutil.Process] = []
        self.peaks: list[int] = []

    @property
    def peak_rss_mib(self) -> float | None:
        return max(self.peaks) / 2**20 if self.peaks else None

    def reset_peaks(self) -> None:
        self.peaks = [0] * len(self.processes)

    async def sample(self, stop: asyncio.Event) -> None:
        self.reset_peaks()
        while not stop.is_set():
            for i, process in enumerate(self.processes):
                with contextlib.suppress(psutil.Error):
                    self.peaks[i] = max(self.peaks[i], process.memory_info().rss)
            await asyncio.sleep(0.05)


def worker_env(env: dict[str, str], data_dir: Path) -> dict[str, str]:
    """A worker's environment: the bench's servers and task queue (in `env`), one data
    folder for all (its maildrop; with DATABASE_URL and TEMPORAL_ADDRESS set the worker
    starts no server and takes no lock there), and no metrics endpoint, which several
    workers on one port would fight over."""
    return {**env, "DSR_DATA_DIR": str(data_dir), "DSR_METRICS_PORT": "0", "DSR_API_PORT": "0"}


@contextlib.asynccontextmanager
async def fleet(
    n: int, env: dict[str, str], data_dir: Path, logs: Path, profile: Path | None = None
) -> AsyncIterator[Fleet]:
    """Start `n` workers, wait until each logs that it runs, yield them; stop them all.
    With `profile`, the first worker runs under py-spy (pip install py-spy; not a
    dependency), which writes FILE when the worker exits."""
    logs.mkdir(parents=True, exist_ok=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    started: list[tuple[subprocess.Popen[bytes], Path]] = []
    handles = []
    result = Fleet()
    try:
        for i in range(n):
            path = logs / f"worker-{n}x-{i}.log"
            handle = path.open("ab")
            handles.append(handle)
            command = [sys.executable, str(ROOT / "worker.py")]
            if profile is not None and i == 0:
                command = [
                    str(Path(sys.executable).parent / "py-spy"),
                    "record",
                    "--format",
                    "raw",
                    "--rate",
                    "50",
                    "--subprocesses",
                    "-o",
                    str(profile),
                    "--",
                    *command,
                ]
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=worker_env(env, data_dir),
                stdout=handle,
                stderr=subprocess.STDOUT,
            )
            started.append((process, path))
        await asyncio.gather(*(_wait_for_log(p, path, "worker running") for p, path in started))
        for i, (process, _) in enumerate(started):
            watched = psutil.Process(process.pid)
            if profile is not None and i == 0:  # the worker is py-spy's child
                watched = next(
                    c
                    for c in watched.children(recursive=True)
                    if "worker.py" in " ".join(c.cmdline())
                )
            result.processes.append(watched)
        result.reset_peaks()
        yield result
    finally:
        for i, (process, _) in enumerate(started):
            if profile is not None and i == 0:
                # Stop the worker, not py-spy: py-spy writes its file when its child exits.
                for child in psutil.Process(process.pid).children(recursive=True):
                    child.terminate()
            else:
                process.terminate()
        for process, _ in started:
            try:
                await asyncio.to_thread(process.wait, 60)
            except subprocess.TimeoutExpired:
                process.kill()
        for handle in handles:
            handle.close()


async def _wait_for_log(
    process: subprocess.Popen[bytes], path: Path, text: str, within: float = 90
) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text(errors="replace"):
            return
        if process.poll() is not None:
            tail = path.read_text(errors="replace")[-2000:] if path.exists() else ""
            raise RuntimeError(f"worker exited with {process.returncode}; see {path}:\n{tail}")
        await asyncio.sleep(0.1)
    raise RuntimeError(f"worker did not start within {within:.0f}s; see {path}")
