"""`dsr --help` and every command's help document each option and the exit statuses;
`dsr list` prints a table; a long `dsr audit export` shows progress on a terminal. The
service is a stand-in here (tests/support/cli.py `sent`)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from interfaces.cli.client import default_transport
from interfaces.cli.main import EXIT_CODES, command, main
from tests.support.cli import sent


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    yield path, group
    for name, sub in getattr(group, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_every_option_and_argument_has_help_and_every_command_the_exit_codes() -> None:
    missing = []
    for path, one in _commands(command()):
        assert one.epilog == EXIT_CODES, path
        assert path == () or (one.help or "").strip(), f"dsr {' '.join(path)} has no help"
        for param in one.params:
            if param.name == "help":
                continue
            if not (getattr(param, "help", None) or "").strip():
                missing.append(f"dsr {' '.join(path)} {param.name}")
    assert missing == []


@pytest.mark.parametrize("argv", [["--help"], ["decide", "--help"], ["audit", "verify", "-h"]])
def test_help_says_the_exit_codes(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 done; 1 the service could not be reached" in text
    assert "3 an audit found a divergence" in text


ROW = {
    "request_id": "dis-1",
    "kind": "disclosure",
    "status": "in_progress",
    "step": "decide",
    "due_at": "2026-12-24T08:00:00Z",
    "overdue": True,
    "outcome": None,
    "submitted_at": "2026-12-01T00:00:00Z",
    "closed_at": None,
    "deadline_policy_version": "v1",
}


def test_list_prints_a_table_and_json_unchanged(capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    done = sent(["list", "--overdue", "--kind", "disclosure"], reply=[ROW])
    table = capsys.readouterr().out
    assert done.code == 0 and done.calls[0][:2] == ("GET", "/requests")
    header, *rows = [line for line in table.splitlines() if line.strip()]
    assert header.split()[:4] == ["request", "kind", "status", "step"]
    assert rows[-1].split()[:4] == ["dis-1", "disclosure", "in_progress", "decide"]
    assert "2026-12-24 08:00" in table and "YES" in table
    assert sent(["list", "--output", "json"], reply=[ROW]).code == 0
    assert json.loads(capsys.readouterr().out) == [ROW]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_long_export_shows_progress_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ids = [f"r-{n}" for n in range(12)]

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix("/api/v1")
        if path == "/audit/requests":
            return httpx.Response(200, json=ids)
        request_id = path.split("/")[3]
        return httpx.Response(
            200,
            json={
                "manifest": {"request_id": request_id, "workflow_id": f"dsr-{request_id}"},
                "history": {"events": []},
                "store": {"request": {"request_id": request_id}},
            },
        )

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    chosen = default_transport.set(httpx.MockTransport(answer))
    try:
        code = main(["audit", "export", "--from", "2026-12-01", "--out", str(tmp_path / "out")])
    finally:
        default_transport.reset(chosen)
    assert code == 0
    assert "exporting" in terminal.getvalue() and "12/12" in terminal.getvalue()
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert [entry["request_id"] for entry in manifest["requests"]] == ids
    assert all((tmp_path / "out" / rid / "history.json").exists() for rid in ids)
