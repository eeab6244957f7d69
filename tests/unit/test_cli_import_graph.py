"""`dsr` holds a URL and a token, nothing else: importing the command line (and the
`starter.py` that runs it) loads nothing that opens the database, Temporal or a key."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = (
    "asyncpg",
    "temporalio.client",
    "temporalio.worker",
    "store.database",
    "store.accounts",
    "runtime.vault",
    "runtime.act_key",
    "runtime.act_keys",
    "service.requests",
    "service.acts",
)


def _imported(statement: str) -> set[str]:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            f"{statement}\nimport json, sys\nprint(json.dumps(list(sys.modules)))",
        ],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "DSR_URL": "http://127.0.0.1:9", "DSR_TOKEN": "x"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


@pytest.mark.parametrize("statement", ["import interfaces.cli.main", "import starter"])
def test_the_command_line_imports_no_database_temporal_or_key(statement: str) -> None:
    loaded = _imported(statement)
    assert "interfaces.cli.main" in loaded
    opened = sorted(m for m in loaded if m in FORBIDDEN or m.startswith("store."))
    assert opened == [], f"{statement} loads {opened}"


def test_every_command_is_loaded_with_it_and_still_nothing_of_the_servers() -> None:
    """Building the whole command tree (as `dsr --help` does) loads every command's module."""
    loaded = _imported(
        "from interfaces.cli.main import command\n"
        "def walk(c):\n"
        "    for s in getattr(c, 'commands', {}).values(): walk(s)\n"
        "walk(command())"
    )
    opened = sorted(m for m in loaded if m in FORBIDDEN or m.startswith("store."))
    assert opened == []
