"""`make check-histories` reads git's record: once histories are frozen, a commit (or the
working tree) that modifies or deletes one fails the check; adding one does not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHECK = Path(__file__).resolve().parent.parent / "check_histories.py"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _commit(repo: Path, message: str) -> None:
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", message)


def _check(repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHECK)], cwd=repo, capture_output=True, text=True)


def _frozen_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    histories = repo / "tests" / "histories" / "r1"
    histories.mkdir(parents=True)
    _git(repo, "init", "-q")
    (histories / "old.json").write_text("{}\n")
    _commit(repo, "recorded before the freeze, may still change")
    (histories / "old.json").write_text('{"events": []}\n')
    (histories.parent / "FROZEN.md").write_text("frozen\n")
    _commit(repo, "freeze")
    return repo


def test_adding_a_history_after_the_freeze_passes(tmp_path: Path) -> None:
    repo = _frozen_repo(tmp_path)
    (repo / "tests" / "histories" / "r2").mkdir()
    (repo / "tests" / "histories" / "r2" / "new.json").write_text("{}\n")
    _commit(repo, "a new path, recorded beside the old")
    result = _check(repo)
    assert result.returncode == 0, result.stderr
    assert "as recorded" in result.stdout


def test_a_commit_that_edits_a_frozen_history_fails_naming_it(tmp_path: Path) -> None:
    repo = _frozen_repo(tmp_path)
    (repo / "tests" / "histories" / "r1" / "old.json").write_text('{"re": "recorded"}\n')
    _commit(repo, "re-record")
    result = _check(repo)
    assert result.returncode == 1
    assert "tests/histories/r1/old.json (modified in" in result.stderr


def test_a_deleted_history_or_marker_fails_even_uncommitted(tmp_path: Path) -> None:
    repo = _frozen_repo(tmp_path)
    (repo / "tests" / "histories" / "r1" / "old.json").unlink()
    result = _check(repo)
    assert result.returncode == 1 and "changed in the working tree" in result.stderr
    _commit(repo, "drop it")
    result = _check(repo)
    assert result.returncode == 1 and "old.json (deleted in" in result.stderr


def test_a_repository_without_the_freeze_record_cannot_be_checked(tmp_path: Path) -> None:
    repo = tmp_path / "bare"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "x").write_text("x")
    _commit(repo, "nothing frozen")
    result = _check(repo)
    assert result.returncode == 2 and "FROZEN.md" in result.stderr
