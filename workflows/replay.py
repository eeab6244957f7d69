"""Replaying recorded histories against the current workflow code, for auditors.

Accepts the JSON that `temporal workflow show -o json` writes and that the SDK's
`WorkflowHistory.to_json()` gives; a history that no longer replays has diverged.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.data_subject_request import DataSubjectRequest


@dataclass(frozen=True)
class ReplayVerdict:
    source: str
    replayed: bool
    problem: str | None = None


def history_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        files.extend(sorted(path.rglob("*.json")) if path.is_dir() else [path])
    return files


async def replay_files(paths: list[Path]) -> list[ReplayVerdict]:
    replayer = Replayer(workflows=[DataSubjectRequest], data_converter=pydantic_data_converter)
    verdicts: list[ReplayVerdict] = []
    for path in history_files(paths):
        try:
            history = WorkflowHistory.from_json(path.stem, path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError) as error:
            verdicts.append(ReplayVerdict(str(path), False, f"not a workflow history: {error}"))
            continue
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        problem = None if result.replay_failure is None else str(result.replay_failure)
        verdicts.append(ReplayVerdict(str(path), result.replay_failure is None, problem))
    return verdicts
