"""`dsr purposes change`: the body it sends (its options, declared once in the API's model),
and a `--wait` longer than one call's: it asks again under the same change id, and says
the change was started by this command, not earlier."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from interfaces.api.register_models import MAX_WAIT, PurposeChangeBody
from interfaces.cli.client import default_transport
from interfaces.cli.main import main

ARGV = [
    "purposes",
    "change",
    "--change-id",
    "chg-1",
    "--purpose",
    "newsletter",
    "--text",
    "To send users a monthly newsletter and announcements",
    "--text-ja",
    "ユーザーに月刊ニュースレターとお知らせを送付するため",
    "--related",
    "--reason",
    "Announcements of the same service users already receive.",
    "--method",
    "notify",
]
DONE = {
    "change_id": "chg-1",
    "purpose_id": "newsletter",
    "status": "done",
    "refusal": None,
    "from_version": 1,
    "to_version": 2,
    "method": "notify",
    "published": False,
    "affected": 3,
    "notified": 3,
    "unreachable": 0,
    "batches": 1,
    "runs": 1,
}


@pytest.fixture
def api(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """A stand-in of the API: the change runs on the first call, is done on the next."""
    monkeypatch.setenv("DSR_URL", "http://dsr.test")
    monkeypatch.setenv("DSR_TOKEN", "dsr_token")
    bodies: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("POST", "/api/v1/purposes/changes")
        bodies.append(json.loads(request.content))
        base = {"change_id": "chg-1", "workflow_id": "purpose-change-chg-1"}
        if len(bodies) == 1:
            return httpx.Response(200, json={**base, "started": True, "state": "running"})
        return httpx.Response(200, json={**base, "started": False, "state": "done", "result": DONE})

    reset = default_transport.set(httpx.MockTransport(answer))
    yield bodies
    default_transport.reset(reset)


def test_a_long_wait_asks_again_and_reports_the_change_as_started_now(
    api: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*ARGV, "--wait", "100"]) == 0
    first, second = (PurposeChangeBody.model_validate(body) for body in api)
    assert first.wait == MAX_WAIT and 0 < second.wait <= MAX_WAIT
    assert first.model_dump(exclude={"wait"}) == second.model_dump(exclude={"wait"})
    assert (first.related, first.method.value, first.purpose_id) == (True, "notify", "newsletter")
    assert capsys.readouterr().out == (
        "purpose newsletter changed (version 1 → 2) by change chg-1; "
        "3 of 3 affected people notified.\n"
    )


def test_a_short_wait_says_the_change_runs_waiting_for_a_worker(
    api: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--output", "json", *ARGV, "--wait", "0"]) == 0
    assert len(api) == 1
    assert json.loads(capsys.readouterr().out) == {
        "change_id": "chg-1",
        "workflow_id": "purpose-change-chg-1",
        "running": True,
    }


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        (["--wait", "-1"], "--wait: give a number of seconds, 0 or more"),
        (["--reason", "short"], "--reason: string should have at least 10 characters"),
        (["--change-id", "../x"], "--change-id: string should match pattern"),
    ],
)
def test_bad_input_is_refused_before_anything_is_sent(
    api: list[dict[str, Any]], extra: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*ARGV, *extra]) == 2
    assert says in capsys.readouterr().err and api == []
