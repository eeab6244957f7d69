"""Recorded workflow histories: where they are and how a new path is recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path

# Recorded histories are frozen (README, "Changing a workflow"): each release's recordings
# sit in a folder of their own, are replayed by every test run, and are never edited or
# deleted; `make check-histories` fails a change that does. New paths are recorded into
# the current release's folder with DSR_RECORD_HISTORIES=1, beside (never over) the old.
HISTORIES = Path(__file__).resolve().parent.parent / "histories"
HISTORY_RELEASE = "2026-12-07-unforgeable-starts"


def recorded_histories() -> list[Path]:
    return sorted(HISTORIES.glob("*/*.json"))


def keep_history(name: str, history_json: str) -> None:
    """With DSR_RECORD_HISTORIES=1, record this path's history in the current release's
    folder, unless a history of that name is already recorded there (frozen)."""
    if os.environ.get("DSR_RECORD_HISTORIES") != "1":
        return
    target = HISTORIES / HISTORY_RELEASE / f"{name}.json"
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(json.loads(history_json), indent=1) + "\n")


# The record of an inquiry answered on time, event by event: receipt, answer, answer notice.
ANSWERED_INQUIRY_EVENTS = [
    "request.received",
    "deadline.started",
    "notice.queued",
    "notice.delivered",
    "deadline.met",
    "deadline.started",
    "answer.recorded",
    "deadline.met",
    "deadline.started",
    "notice.queued",
    "notice.delivered",
    "deadline.met",
    "request.closed",
]
