"""N10: the embedded service's data folder is its user's alone, as the service runs."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.support.service import Service

pytestmark = pytest.mark.e2e


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


async def test_n10_the_data_folder_and_temporal_db_are_readable_by_their_user_alone(
    service: Service,
) -> None:
    """N10: `stat -c '%a' data data/temporal.db data/witness` showed 755, 644, 755. The
    folder (here made 0755 by the test, as an earlier release did) is 0700 once the
    service runs, temporal.db 0600, the witness 0700; every folder in it is 0700, so
    nothing in it is reachable by anyone else (PostgreSQL's socket, 0777 by its default,
    sits in its own 0700 folder), and every file the service keeps in it is 0600."""
    service.data_dir.mkdir(parents=True, mode=0o755)
    service.data_dir.chmod(0o755)
    await service.start()
    data = service.data_dir
    assert _mode(data) == 0o700
    assert _mode(data / "temporal.db") == 0o600
    assert _mode(data / "witness") == 0o700
    folders = [data, *(path for path in data.rglob("*") if path.is_dir() and not path.is_symlink())]
    assert [f"{p} {_mode(p):o}" for p in folders if _mode(p) != 0o700] == []
    files = [path for path in data.iterdir() if path.is_file() and not path.is_symlink()]
    assert {path.name for path in files} >= {"temporal.db", "temporal.log", "service.lock"}
    assert [f"{p.name} {_mode(p):o}" for p in files if _mode(p) != 0o600] == []
