"""Retention (issue 12): the embedded namespace keeps closed workflows for DSR_RETENTION;
the archive schedule copies a closed request's history into the store; once Temporal has
dropped the workflow, submitting the request again starts nothing, and the auditor still
replays and exports it from the archive."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from domain.requests import workflow_id_for
from runtime.schedules import ARCHIVE
from tests.support.privacy import leaks, readable_history
from tests.support.service import Service, count
from tests.support.temporal import eventually

pytestmark = pytest.mark.e2e


def _temporal_json(svc: Service, *args: str) -> Any:
    return json.loads(svc.temporal(*args, "-o", "json") or "null")


async def _workflows_named(svc: Service, workflow_id: str) -> list[Any]:
    listed = await asyncio.to_thread(
        svc.temporal, "workflow", "list", "--query", f'WorkflowId = "{workflow_id}"', "-o", "jsonl"
    )
    return [json.loads(line) for line in listed.splitlines() if line.strip()]


async def test_a_closed_request_outlives_its_workflow_history(
    service: Service, tmp_path: Path, unique: str
) -> None:
    service.env["DSR_RETENTION"] = "45d"
    await service.start()
    namespace = await asyncio.to_thread(
        _temporal_json, service, "operator", "namespace", "describe", "-n", "default"
    )
    assert namespace["config"]["workflowExecutionRetentionTtl"] == f"{45 * 86400}s"
    sid = ARCHIVE.schedule_id("dsr-e2e")
    schedule = await asyncio.to_thread(_temporal_json, service, "schedule", "describe", "-s", sid)
    assert schedule["schedule"]["spec"]["interval"][0]["interval"] == "300s"
    assert (
        schedule["schedule"]["action"]["startWorkflow"]["workflowType"]["name"]
        == "ArchiveClosedRequests"
    )

    request_id = f"ret-{unique}"
    workflow_id = workflow_id_for(request_id)
    request_file = service.submit_answered_inquiry(request_id, f"subj-{unique}")

    async def workflow_status() -> str:
        described = await asyncio.to_thread(
            _temporal_json, service, "workflow", "describe", "-w", workflow_id
        )
        return described["workflowExecutionInfo"]["status"]

    await eventually(workflow_status, lambda s: s == "WORKFLOW_EXECUTION_STATUS_COMPLETED")
    # Not five minutes' wait: a run now, beside any run the schedule is making.
    await asyncio.to_thread(
        service.temporal, "schedule", "trigger", "-s", sid, "--overlap-policy", "AllowAll"
    )

    async def archived_history() -> Any:
        return await count(
            service, "SELECT history FROM request_histories WHERE request_id = $1", request_id
        )

    history = json.loads(await eventually(archived_history, lambda h: h is not None, within=30))
    assert leaks(readable_history(json.dumps(history))) == []
    assert '"outcome":"answered"' in readable_history(json.dumps(history))

    await asyncio.to_thread(service.temporal, "workflow", "delete", "-w", workflow_id, "--yes")
    # The dev server deletes a closed workflow in the background, about half a minute on.
    await eventually(
        lambda: _workflows_named(service, workflow_id), lambda found: found == [], within=120
    )
    with pytest.raises(subprocess.CalledProcessError):  # gone from persistence, not only lists
        await asyncio.to_thread(service.temporal, "workflow", "describe", "-w", workflow_id)

    again = service.dsr("--output", "json", "submit", "--json", str(request_file))
    assert again.returncode == 0, again.stderr
    reported = json.loads(again.stdout)
    assert reported["closed"] is True and reported["workflow_started"] is False
    assert f"request {request_id} is closed with outcome answered" in reported["message"]
    assert "nothing was started" in reported["message"]
    with pytest.raises(subprocess.CalledProcessError):
        await asyncio.to_thread(service.temporal, "workflow", "describe", "-w", workflow_id)
    assert await _workflows_named(service, workflow_id) == []

    replayed = service.dsr("audit", "replay", "--request", request_id)
    assert replayed.returncode == 0, replayed.stderr
    assert f"request {request_id} (archived" in replayed.stdout
    assert replayed.stdout.rstrip().endswith("replayed"), replayed.stdout
    exported = service.dsr(
        "--output",
        "json",
        "audit",
        "export",
        "--request",
        request_id,
        "--out",
        str(tmp_path / "audit"),
    )
    assert exported.returncode == 0, exported.stderr
    assert json.loads(exported.stdout)["requests"][0]["history_from"] == "archive"
    unknown = service.dsr("audit", "replay", "--request", f"nope-{unique}")
    assert unknown.returncode == 2 and f"no request nope-{unique}" in unknown.stderr
    assert service.stop() == 0
