"""What a request's workflow history says about the store, read from an exported history.

The history is kept by Temporal (and by `dsr audit export`), outside the store: the
bookkeeping events the workflow recorded (deadline starts, meetings and breaches, pauses,
the receipt and the close) travel as activity inputs with their full content, and the
close's signed checkpoint comes back as an activity result. Both must agree with the
store; a request rewritten or deleted there, chains and log recomputed, still disagrees
with its history.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from domain.event_log import SignedCheckpoint
from domain.events import NewEvent

_EVENT_FIELDS = {"request_id", "type", "payload", "occurred_at", "actor", "idempotency_key"}
CLOSE_ACTIVITY = "close_with_checkpoint"


@dataclass
class HistoryEvidence:
    source: str
    workflow_id: str | None
    events: list[tuple[int, NewEvent]] = field(default_factory=list)
    checkpoints: list[tuple[int, SignedCheckpoint]] = field(default_factory=list)


def _decoded(payloads: dict[str, Any] | None) -> Iterator[Any]:
    for payload in (payloads or {}).get("payloads", []):
        encoding = base64.b64decode(payload.get("metadata", {}).get("encoding", "")).decode()
        if encoding == "json/plain" and "data" in payload:
            yield json.loads(base64.b64decode(payload["data"]))


def _new_events(value: Any) -> Iterator[NewEvent]:
    """Every recorded event inside an activity's input, however deep."""
    if isinstance(value, dict):
        if _EVENT_FIELDS <= value.keys():
            try:
                yield NewEvent.model_validate(value)
                return
            except ValidationError:
                pass
        for item in value.values():
            yield from _new_events(item)
    elif isinstance(value, list):
        for item in value:
            yield from _new_events(item)


def evidence_in(source: str, history: dict[str, Any]) -> HistoryEvidence:
    """The events and close checkpoints of a history (the JSON of `temporal workflow show
    -o json`), counting only activities that completed: a failed one may have stored
    nothing."""
    events = history.get("events", [])
    started = (
        next(
            (
                e.get("workflowExecutionStartedEventAttributes")
                for e in events
                if "workflowExecutionStartedEventAttributes" in e
            ),
            None,
        )
        or {}
    )
    evidence = HistoryEvidence(
        source,
        started.get("workflowId") or (started.get("workflowExecution") or {}).get("workflowId"),
    )
    scheduled = {
        e["eventId"]: e["activityTaskScheduledEventAttributes"]
        for e in events
        if "activityTaskScheduledEventAttributes" in e
    }
    for event in events:
        completed = event.get("activityTaskCompletedEventAttributes")
        if completed is None:
            continue
        task = scheduled.get(completed.get("scheduledEventId"), {})
        index = int(event["eventId"])
        for argument in _decoded(task.get("input")):
            evidence.events.extend((index, e) for e in _new_events(argument))
        if task.get("activityType", {}).get("name") == CLOSE_ACTIVITY:
            for result in _decoded(completed.get("result")):
                evidence.checkpoints.append((index, SignedCheckpoint.model_validate(result)))
    return evidence


def read_histories(paths: Iterable[Path]) -> list[HistoryEvidence]:
    """History files, or folders of them (an export's `<request>/history.json`)."""
    files: list[Path] = []
    for path in paths:
        files += sorted(path.rglob("*.json")) if path.is_dir() else [path]
    evidence = []
    for file in files:
        if file.name == "manifest.json" or file.name == "store.json":
            continue
        try:
            document = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
            raise ValueError(f"{file}: not a workflow history ({error})") from None
        if not (isinstance(document, dict) and isinstance(document.get("events"), list)):
            raise ValueError(f"{file}: not a workflow history (no list of events)")
        evidence.append(evidence_in(str(file), document))
    return evidence
