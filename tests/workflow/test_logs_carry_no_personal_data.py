"""No personal data in any log line: an inquiry, a correction declined after an operator's
verification, a partial disclosure and an erasure (which shreds the subject's key), with
every log line the worker, the activities, the workflows and the client calls write in
this process captured and searched.

Activities log through structlog. Unconfigured (as in tests) it prints to stdout; set up
by `runtime.logs.configure_logging` (as in the worker) it goes through the standard
library to stderr. Both the standard library's records and the process's stdout and
stderr are searched, so the test holds under either configuration.
"""

from __future__ import annotations

import logging

import asyncpg
import pytest
from temporalio.client import Client

from domain.deadlines import Step
from domain.messages import RequestOutcome
from domain.requests import workflow_id_for
from service import acts
from service.requests import respond
from store.sealing import Vault
from tests.support.privacy import (
    FRAGMENTS,
    IN_PLAY,
    NEW_NICKNAME,
    NEW_PHONE,
    PERSONAL,
    REASON,
    leaks,
)
from tests.support.scenarios import Scenario, at_step
from tests.support.temporal import Rig, actor


async def _result(client: Client, request_id: str) -> str:
    handle = client.get_workflow_handle(workflow_id_for(request_id), result_type=RequestOutcome)
    return (await handle.result()).outcome or ""


def _path(rig: Rig, label: str) -> Scenario:
    """Each path's request has a subject of its own."""
    return Scenario(rig, label, subject=f"s-{label}-{rig.unique}")


async def _inquiry(rig: Rig, label: str) -> str:
    request = await _path(rig, label).inquiry().unseeded().at(Step.ANSWER)
    await respond(request.id, PERSONAL["answer"], actor("op-7"), client=rig.client, pool=rig.pool)
    assert await _result(rig.client, request.id) == "answered"
    return request.id


async def _correction(rig: Rig, label: str) -> str:
    request = await (
        _path(rig, label)
        .correction(
            {"field": "phone", "action": "correct", "new_value": NEW_PHONE},
            {"field": "nickname", "action": "add", "new_value": NEW_NICKNAME},
            {"field": "bank_account", "action": "delete"},
        )
        .unregistered()
        .verified()
        .at(Step.DECIDE)
    )
    await acts.decide(
        request.id,
        "correction_declined",
        actor("op-1"),
        client=rig.client,
        pool=rig.pool,
        reason=REASON,
    )
    assert await _result(rig.client, request.id) == "correction_declined"
    return request.id


async def _disclosure(rig: Rig, label: str) -> str:
    request = await _path(rig, label).disclosure().verified().at(Step.DECIDE)
    await acts.decide(
        request.id,
        "disclosed_in_part",
        actor("op-1"),
        client=rig.client,
        pool=rig.pool,
        reason=REASON,
        withheld_categories=("financial",),
        refusal_grounds=("significant_hindrance_to_business",),
    )
    view = await at_step(rig.client, rig.pool, request.id, Step.PAYMENT)
    assert view.invoice_id is not None
    await acts.record_payment(
        request.id,
        view.invoice_id,
        1000,
        "bank-ref-1",
        actor("cashier-1"),
        client=rig.client,
        pool=rig.pool,
    )
    assert await _result(rig.client, request.id) == "disclosed_in_part"
    return request.id


async def _erasure(rig: Rig, label: str) -> str:
    """Article 8 erasure: the subject's key is replaced and the old one destroyed, so the
    shredding's own log lines are searched too."""
    request = await (
        _path(rig, label)
        .suspension("erase", "used_beyond_purpose", "obtained_wrongfully")
        .verified()
        .at(Step.DECIDE)
    )
    await acts.decide(request.id, "erased", actor("op-1"), client=rig.client, pool=rig.pool)
    assert await _result(rig.client, request.id) == "erased"
    return request.id


async def test_no_personal_value_reaches_a_log_line_in_any_path(
    rig: Rig,
    pool: asyncpg.Pool,
    vault: Vault,
    unique: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO)

    ids = {
        "inquiry": await _inquiry(rig, "log-inq"),
        "correction": await _correction(rig, "log-cor"),
        "disclosure": await _disclosure(rig, "log-dis"),
        "erasure": await _erasure(rig, "log-era"),
    }
    # The personal values were really in play: the notices sent carry them (sealed at rest,
    # so opened here as the sender opens them), and the activities held them in memory.
    rows = await pool.fetch(
        "SELECT recipient, body FROM notifications WHERE request_id = ANY($1::text[])",
        list(ids.values()),
    )
    bodies = "".join(vault.open(row["recipient"]) + vault.open(row["body"]) for row in rows)
    assert PERSONAL["email"] in bodies and PERSONAL["answer"] in bodies and REASON in bodies
    details = vault.open(
        await pool.fetchval(
            "SELECT details FROM request_details WHERE request_id = $1", ids["correction"]
        )
    )
    assert NEW_PHONE in details and NEW_NICKNAME in details
    stored = "".join(row["recipient"] + row["body"] for row in rows)
    assert not leaks(stored, IN_PLAY, fragments=FRAGMENTS), "the notices are stored in plain"

    output = capfd.readouterr()
    records = "\n".join(str(record.__dict__) for record in caplog.records)
    searched = {
        "caplog text": caplog.text,
        "log records": records,
        "stdout": output.out,
        "stderr": output.err,
    }
    leaked = {
        where: found
        for where, text in searched.items()
        if (found := leaks(text, IN_PLAY, fragments=FRAGMENTS))
    }
    assert leaked == {}, f"personal data in log lines: {leaked}"

    # The search saw the activities' lines: each path's request id is bound to them.
    everything = "\n".join(searched.values())
    for name, rid in ids.items():
        assert rid in everything, f"no log line of the {name} path was captured"
    assert "notice delivered" in everything and "decision carried out" in everything
