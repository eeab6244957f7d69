"""Exports for auditors that outlive Temporal's retention: per request, the workflow
history (the JSON `temporal workflow show -o json` gives) beside the store's events and
deadlines, in one folder that `dsr audit replay` reads back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from temporalio.client import Client

from activities.request_views import RequestViews


def _dump(document: Any) -> str:
    return json.dumps(document, indent=1, default=str, ensure_ascii=False) + "\n"


def _write_files(folder: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")


async def export_requests(
    request_ids: list[str], folder: Path, *, client: Client, views: RequestViews
) -> list[dict[str, Any]]:
    """Write `<folder>/<request_id>/{history,store}.json` and a manifest; returns it."""
    files: dict[str, str] = {}
    manifest: list[dict[str, Any]] = []
    for request_id in request_ids:
        timeline = await views.timeline(request_id)
        workflow_id = timeline["request"]["workflow_id"]
        history = await client.get_workflow_handle(workflow_id).fetch_history()
        files[f"{request_id}/history.json"] = history.to_json()
        files[f"{request_id}/store.json"] = _dump({
            "request": timeline["request"], "request_events": timeline["events"],
            "deadlines": timeline["deadlines"]})
        manifest.append({"request_id": request_id, "workflow_id": workflow_id,
                         "history_events": len(history.events),
                         "store_events": len(timeline["events"]),
                         "status": timeline["request"]["status"]})
    files["manifest.json"] = _dump({"requests": manifest})
    await asyncio.to_thread(_write_files, folder, files)
    return manifest
