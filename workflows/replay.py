"""Replaying recorded histories against the current workflow code, for auditors.

Accepts the JSON that `temporal workflow show -o json` writes and that the SDK's
`WorkflowHistory.to_json()` gives, from files or from the store's archive of closed
requests (`request_histories`); a history that no longer replays has diverged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


def _looks_like_history(path: Path) -> bool:
    # In a folder, only files holding a history: an export's store.json and manifest
    # sit beside them. Named files are always tried, so a wrong one is reported.
    with path.open("rb") as handle:
        head = handle.read(4096).lstrip()
    return head.startswith(b"{") and b'"events"' in head


def history_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(p for p in sorted(path.rglob("*.json")) if _looks_like_history(p))
        else:
            files.append(path)
    return files


async def replay_histories(
    histories: Iterable[tuple[str, WorkflowHistory]],
    workflows: Sequence[type] = (DataSubjectRequest,),
) -> list[ReplayVerdict]:
    """Replay each (source, history) against `workflows` (the current code unless a test
    swaps it); the source names where the history came from in the verdict."""
    replayer = Replayer(workflows=list(workflows), data_converter=pydantic_data_converter)
    verdicts: list[ReplayVerdict] = []
    for source, history in histories:
        result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
        problem = None if result.replay_failure is None else str(result.replay_failure)
        verdicts.append(ReplayVerdict(source, result.replay_failure is None, problem))
    return verdicts


async def replay_files(
    paths: list[Path], workflows: Sequence[type] = (DataSubjectRequest,)
) -> list[ReplayVerdict]:
    """Replay each history file (or those in each folder) against `workflows`."""
    verdicts: list[ReplayVerdict] = []
    for path in history_files(paths):
        try:
            workflow_id = path.parent.name if path.name == "history.json" else path.stem
            history = WorkflowHistory.from_json(workflow_id, path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError) as error:
            verdicts.append(ReplayVerdict(str(path), False, f"not a workflow history: {error}"))
            continue
        verdicts += await replay_histories([(str(path), history)], workflows)
    return verdicts
