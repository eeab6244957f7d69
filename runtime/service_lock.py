"""One service per data folder: `make run` holds an exclusive lock on `<data_dir>/service.lock`
for as long as it runs, so a second `make run` on the same folder stops at once, naming the
running one, instead of taking over its servers.

The lock is the kernel's (`flock`), so it goes with its process, however that process ends:
a service killed outright leaves no lock behind, and whatever it left running on the folder
(a dev server) is then known to be a leftover whose owner is dead.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from runtime.servers import private_folder


class ServiceRunning(RuntimeError):
    """Another service holds this data folder."""


def _described(holder: dict) -> str:
    parts = [f"pid {holder['pid']}"] if holder.get("pid") else []
    if holder.get("temporal"):
        parts.append(f"Temporal on {holder['temporal']}")
    if holder.get("started_at"):
        parts.append(f"since {holder['started_at']}")
    return ", ".join(parts) or "details unknown"


@contextlib.contextmanager
def service_lock(data_dir: Path, **about: str) -> Iterator[None]:
    """Hold the data folder for this process, or raise ServiceRunning naming the holder."""
    private_folder(data_dir)  # 0700, and what an earlier release left in it tightened (N10)
    path = data_dir / "service.lock"
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            try:
                holder = json.loads(path.read_text(encoding="utf-8") or "{}")
            except (OSError, ValueError):
                holder = {}
            raise ServiceRunning(
                f"a service is already running on data folder {data_dir} "
                f"({_described(holder)}); stop it first (Ctrl-C in its terminal), or set "
                "DSR_DATA_DIR to another folder"
            ) from None
        record = {
            "pid": os.getpid(),
            "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **about,
        }
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps(record).encode("utf-8"))
        yield
    finally:
        os.close(fd)  # releases the lock
