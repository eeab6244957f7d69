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
from runtime import operator_acts as acts
from runtime.client import respond
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
from tests.support.scenarios import at_step, seed_subject, start
from tests.support.temporal import Rig, actor


async def _result(client: Client, request_id: str) -> str:
    handle = client.get_workflow_handle(workflow_id_for(request_id), result_type=RequestOutcome)
    return (await handle.result()).outcome or ""


async def _inquiry(client: Client, pool: asyncpg.Pool, queue: str, rid: str, sid: str) -> None:
    await start(client, pool, queue, "inquiry", rid, sid, {"text": PERSONAL["text"]})
    await at_step(client, pool, rid, Step.ANSWER)
    await respond(rid, PERSONAL["answer"], actor("op-7"), client=client, pool=pool)
    assert await _result(client, rid) == "answered"


async def _correction(client: Client, pool: asyncpg.Pool, queue: str, rid: str,
                      sid: str) -> None:
    await seed_subject(pool, sid, registered=False)
    await start(client, pool, queue, "correction", rid, sid, {"changes": [
        {"field": "phone", "action": "correct", "new_value": NEW_PHONE},
        {"field": "nickname", "action": "add", "new_value": NEW_NICKNAME},
        {"field": "bank_account", "action": "delete"}]})
    await at_step(client, pool, rid, Step.VERIFY_IDENTITY)
    await acts.verify_identity(rid, "document_check", actor("op-2"), client=client, pool=pool)
    await at_step(client, pool, rid, Step.DECIDE)
    await acts.decide(rid, "correction_declined", actor("op-1"), client=client, pool=pool,
                      reason=REASON)
    assert await _result(client, rid) == "correction_declined"


async def _disclosure(client: Client, pool: asyncpg.Pool, queue: str, rid: str,
                      sid: str) -> None:
    await seed_subject(pool, sid)
    await start(client, pool, queue, "disclosure", rid, sid, {})
    await at_step(client, pool, rid, Step.VERIFY_IDENTITY)
    await acts.verify_identity(rid, "document_check", actor("op-2"), client=client, pool=pool)
    await at_step(client, pool, rid, Step.DECIDE)
    await acts.decide(rid, "disclosed_in_part", actor("op-1"), client=client, pool=pool,
                      reason=REASON, withheld_categories=("financial",),
                      refusal_grounds=("significant_hindrance_to_business",))
    view = await at_step(client, pool, rid, Step.PAYMENT)
    assert view.invoice_id is not None
    await acts.record_payment(rid, view.invoice_id, 1000, "bank-ref-1", actor("cashier-1"),
                              client=client, pool=pool)
    assert await _result(client, rid) == "disclosed_in_part"


async def _erasure(client: Client, pool: asyncpg.Pool, queue: str, rid: str, sid: str) -> None:
    """Article 8 erasure: the subject's key is replaced and the old one destroyed, so the
    shredding's own log lines are searched too."""
    await seed_subject(pool, sid)
    await start(client, pool, queue, "suspension", rid, sid,
                {"action": "erase", "grounds": ["used_beyond_purpose", "obtained_wrongfully"]})
    await at_step(client, pool, rid, Step.VERIFY_IDENTITY)
    await acts.verify_identity(rid, "document_check", actor("op-2"), client=client, pool=pool)
    await at_step(client, pool, rid, Step.DECIDE)
    await acts.decide(rid, "erased", actor("op-1"), client=client, pool=pool)
    assert await _result(client, rid) == "erased"


async def test_no_personal_value_reaches_a_log_line_in_any_path(
    rig: Rig, pool: asyncpg.Pool, vault: Vault, unique: str,
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO)

    paths = {"inquiry": (_inquiry, f"log-inq-{unique}"),
             "correction": (_correction, f"log-cor-{unique}"),
             "disclosure": (_disclosure, f"log-dis-{unique}"),
             "erasure": (_erasure, f"log-era-{unique}")}
    for drive, rid in paths.values():
        await drive(rig.client, pool, rig.task_queue, rid, f"s-{rid}")
    # The personal values were really in play: the notices sent carry them (sealed at rest,
    # so opened here as the sender opens them), and the activities held them in memory.
    rows = await pool.fetch(
        "SELECT recipient, body FROM notifications WHERE request_id = ANY($1::text[])",
        [rid for _, rid in paths.values()])
    bodies = "".join(vault.open(row["recipient"]) + vault.open(row["body"]) for row in rows)
    assert PERSONAL["email"] in bodies and PERSONAL["answer"] in bodies and REASON in bodies
    details = vault.open(await pool.fetchval(
        "SELECT details FROM request_details WHERE request_id = $1", paths["correction"][1]))
    assert NEW_PHONE in details and NEW_NICKNAME in details
    stored = "".join(row["recipient"] + row["body"] for row in rows)
    assert not leaks(stored, IN_PLAY, fragments=FRAGMENTS), "the notices are stored in plain"

    output = capfd.readouterr()
    records = "\n".join(str(record.__dict__) for record in caplog.records)
    searched = {"caplog text": caplog.text, "log records": records,
                "stdout": output.out, "stderr": output.err}
    leaked = {where: found for where, text in searched.items()
              if (found := leaks(text, IN_PLAY, fragments=FRAGMENTS))}
    assert leaked == {}, f"personal data in log lines: {leaked}"

    # The search saw the activities' lines: each path's request id is bound to them.
    everything = "\n".join(searched.values())
    for name, (_, rid) in paths.items():
        assert rid in everything, f"no log line of the {name} path was captured"
    assert "notice delivered" in everything and "decision carried out" in everything
