"""Hostile submissions through the client API, against real Postgres and Temporal.

Each payload of a fixed, hand-picked list (wrong types, huge strings, control
characters, SQL fragments, deep nesting, unknown keys, mass-assignment attempts) must
be refused with InvalidSubmission or Refused, and leave nothing behind: no request,
subject, details or event row for its ids, and no workflow `dsr-<request id>`.
The ids carry the test's unique suffix, so the checks are by id and other tests sharing
the database do not disturb them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from domain.requests import InvalidSubmission, workflow_id_for
from service.requests import Refused, respond, submit
from store.sealing import vault_of
from tests.support.builders import submission
from tests.support.temporal import Rig, actor

HUGE = 100_000
DEEP = 10_000  # past Python's recursion limit


def deep(depth: int, *, array: bool = True) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value] if array else {"a": value}
    return value


def requester(name: Any = "Hanako Yamada", email: Any = "hanako@example.jp") -> dict[str, Any]:
    return {"name": name, "email": email}


def duplicated(rid: str, sid: str, key: str, last: Any) -> dict[str, Any]:
    """What json.loads makes of text naming `key` twice: the hostile last value wins."""
    base = submission("inquiry", rid, sid)
    members = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in base.items()]
    members.append(f"{json.dumps(key)}: {json.dumps(last)}")
    return json.loads("{" + ", ".join(members) + "}")


# name -> builder from (request id, subject id), both unique to the test.
CASES: dict[str, Callable[[str, str], dict[str, Any]]] = {
    "request-id-sql": lambda r, s: submission(
        "inquiry", r, s, request_id=f"{r}'; DROP TABLE requests; --"
    ),
    "request-id-or-1-eq-1": lambda r, s: submission("inquiry", r, s, request_id=f"{r} OR 1=1"),
    "request-id-newline": lambda r, s: submission("inquiry", r, s, request_id=f"{r}\n"),
    "request-id-too-long": lambda r, s: submission("inquiry", r, s, request_id=r + "x" * 200),
    "request-id-huge": lambda r, s: submission("inquiry", r, s, request_id=r + "x" * HUGE),
    "request-id-number": lambda r, s: submission("inquiry", r, s, request_id=12345),
    "subject-id-sql": lambda r, s: submission("inquiry", r, s, subject_id=f"{s}' OR '1'='1"),
    # An inquiry without a subject id is a guest's (N8); every other kind needs one.
    "subject-id-null": lambda r, s: submission("disclosure", r, s, subject_id=None),
    "subject-id-guest": lambda r, s: submission("correction", r, s, subject_id=f"guest-{s}"),
    "kind-sql": lambda r, s: submission("inquiry", r, s, kind="inquiry'; DROP TABLE requests; --"),
    "kind-list": lambda r, s: submission("inquiry", r, s, kind=["inquiry"]),
    "requester-list": lambda r, s: submission(
        "inquiry", r, s, requester=["Hanako", "hanako@example.jp"]
    ),
    "name-nul": lambda r, s: submission("inquiry", r, s, requester=requester("Hana\x00ko")),
    "name-ansi-escape": lambda r, s: submission(
        "inquiry", r, s, requester=requester("\x1b[2J\x1b[31mHi")
    ),
    "name-line-separator": lambda r, s: submission(
        "inquiry", r, s, requester=requester("Hana\u2028ko")
    ),
    "name-c1-control": lambda r, s: submission("inquiry", r, s, requester=requester("Hana\x9bko")),
    "name-lone-surrogate": lambda r, s: submission(
        "inquiry", r, s, requester=requester("Hana\ud800ko")
    ),
    "name-huge": lambda r, s: submission("inquiry", r, s, requester=requester("x" * HUGE)),
    "email-sql": lambda r, s: submission(
        "inquiry", r, s, requester=requester(email="a@example.jp'; DROP TABLE subjects; --")
    ),
    "email-bool": lambda r, s: submission("inquiry", r, s, requester=requester(email=True)),
    "text-huge": lambda r, s: submission("inquiry", r, s, details={"text": "x" * HUGE}),
    "text-nul": lambda r, s: submission("inquiry", r, s, details={"text": "before\x00after"}),
    "details-deep-array": lambda r, s: submission("inquiry", r, s, details=deep(DEEP)),
    "details-deep-extra-key": lambda r, s: submission(
        "inquiry", r, s, details={"text": "x", "nested": deep(DEEP, array=False)}
    ),
    "extra-status": lambda r, s: submission("inquiry", r, s, status="completed"),
    "extra-workflow-id": lambda r, s: submission("inquiry", r, s, workflow_id="dsr-someone-else"),
    "extra-key-newline": lambda r, s: submission("inquiry", r, s, **{"x\ndsr: accepted": 1}),
    "correction-delete-with-value": lambda r, s: submission(
        "correction",
        r,
        s,
        details={"changes": [{"field": "email", "action": "delete", "new_value": "x"}]},
    ),
    "correction-101-changes": lambda r, s: submission(
        "correction",
        r,
        s,
        details={"changes": [{"field": f"f{i}", "action": "delete"} for i in range(101)]},
    ),
    "partner-sql": lambda r, s: submission(
        "third_party_stop",
        r,
        s,
        # A recipient is named by its name now (N4), quotes and all; a hidden reversal of
        # the text is still refused.
        details={"partners": ["p\u202e'; DROP TABLE third_party_provisions; --"]},
    ),
    "suspension-three-grounds": lambda r, s: submission(
        "suspension",
        r,
        s,
        details={
            "action": "erase",
            "grounds": ["obtained_wrongfully", "used_beyond_purpose", "obtained_wrongfully"],
        },
    ),
    "categories-operator-object": lambda r, s: submission(
        "disclosure", r, s, details={"categories": ["identity", {"$ne": None}]}
    ),
    "duplicate-key-kind": lambda r, s: duplicated(r, s, "kind", "erasure"),
    "duplicate-key-requester": lambda r, s: duplicated(r, s, "requester", [1, 2]),
    # At 2ac0040 a deeply nested value where an enum belongs raised RecursionError from
    # parse_submission (the StrEnum's error message formats repr(value)).
    "categories-deep-array": lambda r, s: submission(
        "disclosure", r, s, details={"categories": [deep(DEEP)]}
    ),
}


def probes(ids: list[Any]) -> list[str]:
    """The ids worth looking up: strings Postgres and Temporal can take."""
    usable = []
    for value in ids:
        if not isinstance(value, str) or "\x00" in value or len(value) > 200:
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            continue
        usable.append(value)
    return usable


async def rows_left(
    pool: asyncpg.Pool, unique: str, request_ids: list[str], subject_ids: list[str]
) -> dict[str, int]:
    """Rows of the intake tables naming these ids, or anything with the test's suffix."""
    counts = {}
    async with pool.acquire() as connection:
        for table, column, ids in (
            ("requests", "request_id", request_ids),
            ("requests", "subject_id", subject_ids),
            ("request_details", "request_id", request_ids),
            ("request_events", "request_id", request_ids),
            ("subjects", "subject_id", subject_ids),
        ):
            counts[f"{table}.{column}"] = await connection.fetchval(
                f"SELECT count(*) FROM {table}"
                f" WHERE {column} = ANY($1::text[]) OR strpos({column}, $2) > 0",
                ids,
                unique,
            )
    return counts


async def workflows_started(client: Client, request_ids: list[str]) -> list[str]:
    started = []
    for request_id in request_ids:
        workflow_id = workflow_id_for(request_id)
        try:
            await client.get_workflow_handle(workflow_id).describe()
        except RPCError as error:
            if error.status != RPCStatusCode.NOT_FOUND:
                raise
        else:
            started.append(workflow_id)
    return started


async def submit_and_look(
    data: Any,
    rig: Rig,
    pool: asyncpg.Pool,
    unique: str,
    request_ids: list[str],
    subject_ids: list[str],
) -> BaseException | None:
    """Submit, then assert nothing was written or started; returns what submit raised."""
    raised: BaseException | None = None
    try:
        await submit(data, client=rig.client, pool=pool, task_queue=rig.task_queue)
    except Exception as error:
        raised = error
    leftovers = {
        k: v
        for k, v in (
            await rows_left(pool, unique, probes(request_ids), probes(subject_ids))
        ).items()
        if v
    }
    assert not leftovers, f"a refused submission left rows behind: {leftovers}"
    started = await workflows_started(rig.client, probes(request_ids))
    assert not started, f"a refused submission started {started}"
    return raised


@pytest.mark.parametrize("case", list(CASES))
async def test_a_hostile_submission_is_refused_and_leaves_nothing(
    case: str, rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    rid, sid = f"req-{unique}", f"subj-{unique}"
    data = CASES[case](rid, sid)
    raised = await submit_and_look(
        data,
        rig,
        pool,
        unique,
        request_ids=[rid, data.get("request_id")],
        subject_ids=[sid, data.get("subject_id")],
    )
    assert isinstance(raised, InvalidSubmission | Refused), (
        f"submit raised {type(raised).__name__}: {str(raised)[:200]}"
        if raised
        else "submit accepted a hostile payload"
    )
    if isinstance(raised, InvalidSubmission):
        assert raised.problems
        for field, message in raised.problems:
            assert field and message and "\n" not in message and len(message) <= 300


@pytest.mark.parametrize("shape", ["list", "string", "none"])
async def test_a_payload_that_is_not_an_object_is_refused_as_invalid(
    shape: str, rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    """submit() promises InvalidSubmission or Refused on bad input; at 2ac0040 whatever
    was neither a Mapping nor a model went on as if parsed: AttributeError on `.kind`."""
    rid, sid = f"req-{unique}", f"subj-{unique}"
    form = submission("inquiry", rid, sid)
    data = {"list": [form], "string": json.dumps(form), "none": None}[shape]
    raised = await submit_and_look(data, rig, pool, unique, [rid], [sid])
    assert isinstance(raised, InvalidSubmission), f"submit raised {type(raised).__name__}: {raised}"


async def test_the_checks_see_an_accepted_submission(
    rig: Rig, pool: asyncpg.Pool, unique: str
) -> None:
    """The control: a valid submission, SQL fragment in its name and all, is found by
    the same checks, so their silence above means something."""
    rid, sid = f"req-{unique}", f"subj-{unique}"
    name = "Robert'); DROP TABLE requests; --"
    result = await submit(
        submission("inquiry", rid, sid, requester=requester(name)),
        client=rig.client,
        pool=pool,
        task_queue=rig.task_queue,
    )
    try:
        assert result.created and result.workflow_started
        counts = await rows_left(pool, unique, [rid], [sid])
        del counts["request_events.request_id"]  # the workflow records its receipt later
        assert set(counts.values()) == {1}, counts
        assert await workflows_started(rig.client, [rid]) == [workflow_id_for(rid)]
        async with pool.acquire() as connection:
            stored = await connection.fetchval(
                "SELECT requester_name FROM request_details WHERE request_id = $1", rid
            )
            assert vault_of(connection).open(stored) == name
    finally:
        # Closed the ordinary way while its worker runs: terminating it mid-activity
        # leaves the time-skipping server's clock locked for the tests after this one.
        await respond(
            rid, "We keep it for seven years.", actor("op-1"), client=rig.client, pool=pool
        )
        await rig.client.get_workflow_handle(workflow_id_for(rid)).result()
