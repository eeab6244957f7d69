"""N10: the data folder is this user's alone (runtime/servers.py private_folder)."""

from __future__ import annotations

import stat
from pathlib import Path

from runtime.servers import private_folder


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_n10_a_folder_an_earlier_release_left_world_readable_is_tightened(
    tmp_path: Path,
) -> None:
    """N10: `stat` showed 755 data, 644 temporal.db, 755 witness. A folder left so is made
    0700 with its folders, its files 0600, a read-only one 0400; a new one is made 0700."""
    data = tmp_path / "data"
    (data / "witness").mkdir(parents=True, mode=0o755)
    (data / "witness").chmod(0o755)
    data.chmod(0o755)
    (data / "temporal.db").write_bytes(b"histories")
    (data / "temporal.db").chmod(0o644)
    (data / "admin-token.old").write_text("x")
    (data / "admin-token.old").chmod(0o444)
    private_folder(data)
    assert _mode(data) == 0o700
    assert _mode(data / "witness") == 0o700
    assert _mode(data / "temporal.db") == 0o600
    assert _mode(data / "admin-token.old") == 0o400
    fresh = private_folder(tmp_path / "new" / "data")
    assert _mode(fresh) == 0o700
