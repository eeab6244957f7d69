"""The HTTP connector against a scripted service (httpx.MockTransport): what it keeps of
an answer, where a plan goes, what it retries and what it gives up on, and that nothing
it reports holds a value."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from connectors.base import (
    Change,
    Connector,
    Plan,
    RowChange,
    SystemRefused,
    SystemUnavailable,
)
from connectors.http import HttpConnector
from connectors.http_operations import operation_for, parse_operation
from domain.datamap import MASK_TEXT, Identity, System

MAP: dict[str, Any] = {
    "kind": "http",
    "connection": {"env": "SUPPORT_DESK_URL"},
    "concurrency": 2,
    "operations": {
        "collect": "GET /subjects/{email}",
        "erase": "POST /subjects/{email}/erase",
        "suspend": "POST /subjects/{email}/suspend",
        "correct": "POST /subjects/{email}/correct",
    },
    "collections": {
        "tickets": {
            "identities": [{"column": "contact_email", "identity": "email"}],
            "fields": {
                "subject": {
                    "column": "subject",
                    "category": "history",
                    "purposes": ["support"],
                    "lawfully_obtained": True,
                },
                "text": {
                    "column": "body",
                    "category": "history",
                    "purposes": ["support"],
                    "lawfully_obtained": True,
                    "erasure": "mask",
                },
                "email": {
                    "column": "contact_email",
                    "category": "contact",
                    "purposes": ["support"],
                    "lawfully_obtained": True,
                    "as": "email",
                },
            },
        },
        "chats": {
            "table": "chat_transcripts",
            "identities": [{"column": "contact_email", "identity": "email"}],
            "fields": {
                "transcript": {
                    "column": "transcript",
                    "category": "history",
                    "purposes": ["support"],
                    "lawfully_obtained": True,
                    "erasure": "delete_row",
                }
            },
        },
    },
}
SYSTEM = System.model_validate(MAP)
HANAKO = {Identity.EMAIL: ["hanako@example.jp"]}

Handler = Callable[[httpx.Request], httpx.Response]


def connector(handler: Handler, system: System = SYSTEM, **options: Any) -> HttpConnector:
    return HttpConnector(
        "support-desk",
        system,
        base_url="http://desk.test/api",
        authorization="Bearer sesame",
        transport=httpx.MockTransport(handler),
        backoff=0.001,
        **options,
    )


def ticket(key: str, **fields: Any) -> dict[str, Any]:
    return {"key": key, "fields": fields, "restricted": False}


class Recorder:
    """A scripted service: answers in turn (the last one repeated), the requests kept."""

    def __init__(self, *answers: httpx.Response | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers[min(len(self.requests), len(self.answers)) - 1]
        return answer(request) if callable(answer) else answer


def test_it_is_a_connector() -> None:
    built: Connector = connector(Recorder(httpx.Response(404)))
    assert built.name == "support-desk"


async def test_collect_keeps_the_mapped_collections_and_fields_by_the_maps_names() -> None:
    answer = {
        "collections": {
            "tickets": [
                ticket(
                    "T-1",
                    subject="Bill",
                    body="My bill is high",
                    contact_email="hanako@example.jp",
                    internal_note="not mapped",
                ),
                {**ticket("T-2", subject=None, body=3), "restricted": True},
            ],
            "invoices": [ticket("I-1", amount=12)],
        }
    }
    service = Recorder(httpx.Response(200, json=answer))
    desk = connector(service)
    collected = await desk.collect(HANAKO)
    await desk.close()

    assert collected.counts == {"tickets": 2, "chats": 0}
    first, second = collected.rows
    assert (first.collection, first.key) == ("tickets", "T-1")
    assert first.values == {
        "subject": "Bill",
        "text": "My bill is high",
        "email": "hanako@example.jp",
    }
    assert not first.restricted
    assert second.values == {"subject": None, "text": "3", "email": None}
    assert second.restricted
    (request,) = service.requests
    assert request.method == "GET"
    assert request.url.raw_path == b"/api/subjects/hanako%40example.jp"
    assert request.headers["authorization"] == "Bearer sesame"


async def test_a_value_is_one_path_segment() -> None:
    service = Recorder(httpx.Response(404))
    await connector(service).collect({Identity.EMAIL: ["a/../b?c=1#d@example.jp"]})
    assert service.requests[0].url.raw_path == b"/api/subjects/a%2F..%2Fb%3Fc%3D1%23d%40example.jp"


async def test_404_is_nothing_held_and_every_mapped_collection_is_counted() -> None:
    collected = await connector(Recorder(httpx.Response(404))).collect(HANAKO)
    assert collected.rows == []
    assert collected.counts == {"tickets": 0, "chats": 0}


async def test_a_subject_without_the_identity_is_not_looked_up() -> None:
    service = Recorder(httpx.Response(500))
    collected = await connector(service).collect({Identity.PHONE: ["+81 90 1234 5678"]})
    assert service.requests == []
    assert collected.counts == {"tickets": 0, "chats": 0}


async def test_a_row_found_under_two_values_is_one_row() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        shared = ticket("T-1", subject="Bill")
        if request.url.raw_path.endswith(b"old%40example.jp"):
            return httpx.Response(200, json={"collections": {"tickets": [shared]}})
        chat = {"key": "C-9", "fields": {"transcript": "hi"}}
        return httpx.Response(
            200, json={"collections": {"tickets": [shared], "chat_transcripts": [chat]}}
        )

    service = Recorder(answer)
    collected = await connector(service).collect(
        {Identity.EMAIL: ["hanako@example.jp", "old@example.jp", "hanako@example.jp"]}
    )
    assert len(service.requests) == 2  # a value given twice is called once
    assert sorted((r.collection, r.key) for r in collected.rows) == [
        ("chats", "C-9"),
        ("tickets", "T-1"),
    ]
    assert collected.counts == {"tickets": 1, "chats": 1}


async def test_transient_failures_are_retried_then_the_answer_is_used() -> None:
    service = Recorder(
        httpx.Response(503),
        httpx.Response(429, headers={"Retry-After": "0"}),
        httpx.Response(502),
        httpx.Response(200, json={"collections": {"tickets": [ticket("T-1")]}}),
    )
    collected = await connector(service).collect(HANAKO)
    assert len(service.requests) == 4
    assert collected.counts["tickets"] == 1


async def test_connection_errors_and_timeouts_are_retried() -> None:
    calls = 0

    def flaky(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ConnectError("refused", request=request)
        if calls == 2:
            raise httpx.ReadTimeout("slow", request=request)
        return httpx.Response(404)

    assert (await connector(flaky).collect(HANAKO)).rows == []
    assert calls == 3


async def test_retry_after_is_honoured_and_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    monkeypatch.setattr("connectors.http.asyncio.sleep", sleep)
    service = Recorder(
        httpx.Response(429, headers={"Retry-After": "2"}),
        httpx.Response(429, headers={"Retry-After": "3600"}),
        httpx.Response(404),
    )
    await connector(service, retry_after_cap=5.0).collect(HANAKO)
    assert waits == [2.0, 5.0]


async def test_it_gives_up_as_unavailable_without_showing_the_url() -> None:
    service = Recorder(httpx.Response(503))
    with pytest.raises(SystemUnavailable) as raised:
        await connector(service, attempts=3).collect(HANAKO)
    assert len(service.requests) == 3
    assert "support-desk" in str(raised.value)
    assert "503" in str(raised.value)
    assert "hanako" not in str(raised.value)


@pytest.mark.parametrize("status", [400, 403, 401, 405, 422])
async def test_a_refusal_is_not_retried_and_its_body_not_echoed(status: int) -> None:
    service = Recorder(httpx.Response(status, text="no such subject hanako@example.jp"))
    with pytest.raises(SystemRefused) as raised:
        await connector(service).collect(HANAKO)
    assert len(service.requests) == 1
    assert str(status) in str(raised.value)
    assert "support-desk" in str(raised.value)
    assert "hanako" not in str(raised.value)


async def test_an_answer_not_of_the_contract_is_refused() -> None:
    service = Recorder(httpx.Response(200, text="<html>login</html>"))
    with pytest.raises(SystemRefused, match="not of the contract"):
        await connector(service).collect(HANAKO)


def plan_of(*changes: RowChange) -> Plan:
    return Plan(tuple(changes))


ERASURE = plan_of(
    RowChange("tickets", "T-1", Change.SET_NULL, "subject"),
    RowChange("tickets", "T-1", Change.MASK, "text"),
    RowChange("chats", "C-1", Change.DELETE_ROW),
)


@pytest.mark.parametrize(
    ("plan", "operation"),
    [
        (ERASURE, "erase"),
        (plan_of(RowChange("tickets", "T-1", Change.FLAG)), "suspend"),
        (
            plan_of(
                RowChange("tickets", "T-1", Change.UPDATE, "email", "new@example.jp"),
                RowChange("chats", "C-1", Change.DELETE_ROW),
            ),
            "correct",
        ),
    ],
)
async def test_a_plan_goes_to_its_operation(plan: Plan, operation: str) -> None:
    assert operation_for(plan) == operation
    service = Recorder(httpx.Response(200, json={"applied": 1}))
    await connector(service).apply(plan, HANAKO)
    (request,) = service.requests
    assert request.method == "POST"
    assert request.url.path == f"/api/subjects/hanako@example.jp/{operation}"


async def test_the_changes_travel_by_the_services_names() -> None:
    service = Recorder(httpx.Response(200, json={"applied": 3}))
    await connector(service).apply(ERASURE, HANAKO)
    assert json.loads(service.requests[0].content) == {
        "changes": [
            {
                "collection": "tickets",
                "key": "T-1",
                "change": "set_null",
                "field": "subject",
                "value": None,
            },
            {
                "collection": "tickets",
                "key": "T-1",
                "change": "mask",
                "field": "body",
                "value": None,
            },
            {
                "collection": "chat_transcripts",
                "key": "C-1",
                "change": "delete_row",
                "field": None,
                "value": None,
            },
        ]
    }


async def test_an_update_carries_its_value() -> None:
    service = Recorder(httpx.Response(200, json={"applied": 1}))
    plan = plan_of(RowChange("tickets", "T-1", Change.UPDATE, "email", "new@example.jp"))
    await connector(service).apply(plan, HANAKO)
    (change,) = json.loads(service.requests[0].content)["changes"]
    assert change == {
        "collection": "tickets",
        "key": "T-1",
        "change": "update",
        "field": "contact_email",
        "value": "new@example.jp",
    }


async def test_an_empty_plan_calls_nothing_and_a_plan_without_identities_is_refused() -> None:
    service = Recorder(httpx.Response(200, json={"applied": 0}))
    desk = connector(service)
    await desk.apply(Plan())
    assert await desk.confirm(Plan()) == []
    with pytest.raises(SystemRefused, match="needs the subject's email"):
        await desk.apply(ERASURE)
    with pytest.raises(SystemRefused, match="email"):
        await desk.confirm(ERASURE)
    assert service.requests == []


async def test_a_plan_naming_what_the_map_does_not_is_refused() -> None:
    service = Recorder(httpx.Response(200, json={"applied": 0}))
    with pytest.raises(SystemRefused, match="does not"):
        await connector(service).apply(
            plan_of(RowChange("tickets", "T-1", Change.SET_NULL, "secret")), HANAKO
        )
    assert service.requests == []


async def test_confirm_is_empty_when_every_change_holds() -> None:
    after = {
        "collections": {
            "tickets": [
                ticket("T-1", subject=None, body=MASK_TEXT, contact_email="hanako@example.jp")
            ],
            "chat_transcripts": [],
        }
    }
    desk = connector(Recorder(httpx.Response(200, json=after)))
    assert await desk.confirm(ERASURE, HANAKO) == []


async def test_confirm_reports_an_unmet_change_by_position_and_field_never_its_value() -> None:
    after = {
        "collections": {
            "tickets": [
                ticket("T-1", subject="Bill for hanako", body="still here", contact_email="x")
            ],
            "chat_transcripts": [{"key": "C-1", "fields": {"transcript": "private words"}}],
        }
    }
    desk = connector(Recorder(httpx.Response(200, json=after)))
    problems = await desk.confirm(ERASURE, HANAKO)
    assert problems == [
        "support-desk.tickets: change 1 (set_null on subject) is not so",
        "support-desk.tickets: change 2 (mask on text) is not so",
        "support-desk.chats: change 3 (delete_row) is not so",
    ]
    for line in problems:
        assert "hanako" not in line and "still here" not in line and "private" not in line


async def test_confirm_checks_flags_and_updates() -> None:
    after = {
        "collections": {
            "tickets": [
                {**ticket("T-1", contact_email="secret-old@example.jp"), "restricted": False},
                {**ticket("T-2", contact_email="new@example.jp"), "restricted": True},
            ]
        }
    }
    desk = connector(Recorder(httpx.Response(200, json=after)))
    flags = plan_of(
        RowChange("tickets", "T-1", Change.FLAG), RowChange("tickets", "T-2", Change.FLAG)
    )
    assert await desk.confirm(flags, HANAKO) == ["support-desk.tickets: change 1 (flag) is not so"]
    updates = plan_of(
        RowChange("tickets", "T-1", Change.UPDATE, "email", "new@example.jp"),
        RowChange("tickets", "T-2", Change.UPDATE, "email", "new@example.jp"),
    )
    problems = await desk.confirm(updates, HANAKO)
    assert problems == ["support-desk.tickets: change 1 (update on email) is not so"]
    assert "new@example.jp" not in problems[0] and "secret-old" not in problems[0]


async def test_check_is_empty_when_the_probe_is_answered() -> None:
    service = Recorder(httpx.Response(404))
    assert await connector(service).check() == []
    (probe,) = service.requests
    assert probe.method == "GET"
    assert probe.url.host == "desk.test"


@pytest.mark.parametrize(
    ("answer", "finding"),
    [(httpx.Response(401), "not authorised"), (httpx.Response(503), "failed 2 times")],
)
async def test_check_reports_an_unreachable_or_unauthorised_system(
    answer: httpx.Response, finding: str
) -> None:
    findings = await connector(Recorder(answer), attempts=2).check()
    assert len(findings) == 1
    assert finding in findings[0]


async def test_check_reports_the_operations_the_fields_need() -> None:
    only_collect = System.model_validate(
        {**MAP, "operations": {"collect": "GET /subjects/{email}", "erase": "POST /erase"}}
    )
    findings = await connector(Recorder(httpx.Response(404)), only_collect).check()
    assert len(findings) == 2
    assert findings[0].startswith("support-desk: no `suspend` operation")
    assert "tickets.subject (flag)" in findings[0]
    assert findings[1].startswith("support-desk: no `correct` operation")


async def test_check_reports_a_malformed_operation() -> None:
    broken = System.model_validate(
        {**MAP, "operations": {**MAP["operations"], "erase": "POST /subjects/{name}/erase"}}
    )
    findings = await connector(Recorder(httpx.Response(404)), broken).check()
    assert findings == [
        "support-desk: operation erase: {name} is not an identity "
        "(subject_id, email, phone, customer_number)"
    ]
    with pytest.raises(SystemRefused, match="not an identity"):
        await connector(Recorder(httpx.Response(200)), broken).apply(ERASURE, HANAKO)


def test_operations_are_parsed() -> None:
    parsed = parse_operation("collect", "GET  /v1/people/{customer_number}")
    assert (parsed.method, parsed.identity) == ("GET", Identity.CUSTOMER_NUMBER)
    assert parse_operation("erase", "POST /erase").identity is None
    for bad in ("/subjects/{email}", "FETCH /x/{email}", "GET /a/{email}/{phone}"):
        with pytest.raises(ValueError):
            parse_operation("erase", bad)
    with pytest.raises(ValueError, match="names no identity"):
        parse_operation("collect", "GET /subjects")


async def test_it_is_built_from_the_maps_secrets(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    token = tmp_path / "token"
    token.write_text("Bearer from-a-file\n")
    monkeypatch.setenv("SUPPORT_DESK_URL", "http://desk.test/api")
    system = System.model_validate({**MAP, "auth": {"secret_file": str(token)}})
    service = Recorder(httpx.Response(404))
    built = HttpConnector.from_map("support-desk", system, transport=httpx.MockTransport(service))
    await built.collect(HANAKO)
    await built.close()
    (request,) = service.requests
    assert str(request.url) == "http://desk.test/api/subjects/hanako%40example.jp"
    assert request.headers["authorization"] == "Bearer from-a-file"
