"""What an operator sees in the dev server's Web UI: headless Chromium (driven by
Playwright) opens a running request's workflow and finds its search attributes and its
summary rendered; screenshots of both go to test-output/."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page
from playwright.async_api import Error as BrowserError

from domain.requests import workflow_id_for
from tests.support.builders import submission
from tests.support.privacy import PERSONAL, leaks
from tests.support.service import Service
from tests.support.temporal import eventually

pytestmark = pytest.mark.e2e

# The page's visible text, and that of each same-origin frame by id: the UI renders the
# summary and the current details (Markdown) in frames of their own.
RENDERED = """() => {
  const frames = {};
  for (const frame of document.querySelectorAll("iframe")) {
    try {
      const body = frame.contentDocument && frame.contentDocument.body;
      frames[frame.id || frame.title || "?"] = body ? body.innerText : "";
    } catch (e) {
      frames[frame.id || "?"] = "(not readable: " + e + ")";
    }
  }
  return {text: document.body ? document.body.innerText : "", frames};
}"""


def _frame(shown: dict[str, Any], name: str) -> str:
    return "\n".join(text for frame_id, text in shown["frames"].items() if name in frame_id)


async def _rendered(
    page: Page, url: str, accept: Callable[[dict[str, Any]], bool], screenshot: Path, within: float
) -> dict[str, Any]:
    """Open `url` and wait until what it renders passes `accept`; the screenshot shows the
    page as it was then, or as it was when the wait gave up."""
    # The workflow pages keep a long-polling history request open: wait for the document,
    # then for what it renders.
    await page.goto(url, wait_until="domcontentloaded")

    async def probe() -> dict[str, Any]:
        try:
            shown: dict[str, Any] = await page.evaluate(RENDERED)
            return shown
        except BrowserError as error:  # e.g. the page's context replaced mid-navigation
            return {"text": "", "frames": {}, "error": str(error)}

    try:
        shown = await eventually(probe, accept, within=within)
    except AssertionError:
        with contextlib.suppress(BrowserError, OSError):
            await page.screenshot(path=screenshot)
        raise
    await page.screenshot(path=screenshot)
    return shown


async def test_web_ui_shows_search_attributes_and_summary(
    service: Service,
    browser: Browser,
    tmp_path: Path,
    unique: str,
    test_output: Path,
) -> None:
    attributes_shot = test_output / "web-ui-search-attributes.png"
    summary_shot = test_output / "web-ui-summary.png"
    for shot in (attributes_shot, summary_shot):  # none left from an earlier run
        await asyncio.to_thread(shot.unlink, missing_ok=True)
    await service.start()
    rid = f"ui-{unique}"
    request_file = tmp_path / "inquiry.json"
    request_file.write_text(
        json.dumps(submission("inquiry", rid, f"subj-{unique}", person=PERSONAL))
    )
    submitted = await asyncio.to_thread(service.dsr, "submit", "--json", str(request_file))
    assert submitted.returncode == 0, submitted.stderr

    async def status() -> dict[str, Any]:
        shown = await asyncio.to_thread(service.dsr, "--output", "json", "status", rid)
        assert shown.returncode == 0, shown.stderr
        return json.loads(shown.stdout)

    view = await eventually(status, lambda view: view["step"] == "answer")
    described = json.loads(
        await asyncio.to_thread(
            service.temporal, "workflow", "describe", "-w", workflow_id_for(rid), "-o", "json"
        )
    )
    run_id = described["workflowExecutionInfo"]["execution"]["runId"]
    workflow_page = (
        f"http://localhost:{service.ui_port}/namespaces/default/workflows/dsr-{rid}/{run_id}"
    )

    attributes = {
        "DsrKind": "inquiry",
        "DsrStep": "answer",
        "DsrStatus": "in_progress",
        "DsrDeadlinePolicyVersion": view["deadline_policy_version"],
    }
    # A name, then only quotes, colons or spaces, then its value: `"DsrStep": "answer"`.
    patterns = [
        re.compile(rf"\b{name}\W*{re.escape(value)}\b") for name, value in attributes.items()
    ]
    summary = f"inquiry request {rid}"

    context = await browser.new_context(viewport={"width": 1600, "height": 1000})
    try:
        page = await context.new_page()
        # The workflow's "Search Attributes" tab: the attributes as JSON.
        shown = await _rendered(
            page,
            f"{workflow_page}/search-attributes",
            lambda shown: (
                workflow_id_for(rid) in shown["text"]
                and all(pattern.search(shown["text"]) for pattern in patterns)
            ),
            attributes_shot,
            within=45,
        )
        assert leaks(json.dumps(shown)) == []

        # The "User Metadata" tab: the static summary, and the current details.
        shown = await _rendered(
            page,
            f"{workflow_page}/user-metadata",
            lambda shown: (
                summary in _frame(shown, "summary")
                and "step: answer" in _frame(shown, "current-details")
            ),
            summary_shot,
            within=30,
        )
        assert workflow_id_for(rid) in shown["text"]
        assert rid in _frame(shown, "current-details")
        assert leaks(json.dumps(shown)) == []
    finally:
        await context.close()

    answer = tmp_path / "answer.txt"
    answer.write_text(PERSONAL["answer"])
    answered = await asyncio.to_thread(service.dsr, "respond", rid, "--text-file", str(answer))
    assert answered.returncode == 0, answered.stderr
    await eventually(status, lambda view: view["status"] == "closed")
    assert await asyncio.to_thread(service.stop) == 0
