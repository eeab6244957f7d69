"""Exports for auditors that outlive Temporal's retention: per request, the workflow
history (the JSON `temporal workflow show -o json` gives) beside the store's events and
deadlines, in one folder that `dsr audit replay` reads back. A history Temporal no
longer has comes from the store's archive of closed requests (`request_histories`)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from temporalio.client import Client, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from store.history_archive import ArchivedHistories, HistoryNotArchived
from store.views import RequestViews

# What an export says of a request: its facts, never a personal value. Auditors' folders
# are copied and kept outside the store, where no key destruction reaches them, so a
# field a view may grow for operators (an opened name, an address) is left out here.
REQUEST_FACTS = (
    "request_id",
    "workflow_id",
    "kind",
    "subject_id",
    "status",
    "step",
    "outcome",
    "overdue",
    "deadline_policy_version",
    "privacy_policy_version",
    "submitted_at",
    "closed_at",
    "personal_data_shredded_at",
    "last_hash",
)


def _dump(document: Any) -> str:
    return json.dumps(document, indent=1, default=str, ensure_ascii=False) + "\n"


def _write_files(folder: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


class HistoryUnavailable(LookupError):
    """Neither Temporal nor the archive has a request's history; the message says why."""


async def _history(
    request_id: str, workflow_id: str, client: Client, archive: ArchivedHistories | None
) -> tuple[WorkflowHistory, str]:
    """The history and where it came from: Temporal, or the archive once Temporal has
    dropped it."""
    try:
        return await client.get_workflow_handle(workflow_id).fetch_history(), "temporal"
    except RPCError as error:
        if error.status != RPCStatusCode.NOT_FOUND or archive is None:
            raise
    try:
        return (await archive.require(request_id)).workflow_history(), "archive"
    except HistoryNotArchived as error:
        raise HistoryUnavailable(
            f"Temporal no longer has workflow {workflow_id}, and {error}"
        ) from None


async def export_requests(
    request_ids: list[str],
    folder: Path,
    *,
    client: Client,
    views: RequestViews,
    archive: ArchivedHistories | None = None,
) -> list[dict[str, Any]]:
    """Write `<folder>/<request_id>/{history,store}.json` and a manifest; returns it."""
    files: dict[str, str] = {}
    manifest: list[dict[str, Any]] = []
    for request_id in request_ids:
        timeline = await views.timeline(request_id)
        workflow_id = timeline["request"]["workflow_id"]
        history, source = await _history(request_id, workflow_id, client, archive)
        files[f"{request_id}/history.json"] = history.to_json()
        files[f"{request_id}/store.json"] = _dump(
            {
                "request": {
                    field: value
                    for field, value in timeline["request"].items()
                    if field in REQUEST_FACTS
                },
                "request_events": timeline["events"],
                "deadlines": timeline["deadlines"],
            }
        )
        manifest.append(
            {
                "request_id": request_id,
                "workflow_id": workflow_id,
                "history_events": len(history.events),
                "store_events": len(timeline["events"]),
                "history_from": source,
                "status": timeline["request"]["status"],
            }
        )
    files["manifest.json"] = _dump({"requests": manifest})
    await asyncio.to_thread(_write_files, folder, files)
    return manifest
