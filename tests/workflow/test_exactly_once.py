"""Exactly-once effects under retries: every activity fails once *after* its effect.

A worker interceptor (tests.support.faults.FailAfterEffect) lets each real activity run
and then, on its first attempt, raises, so Temporal retries an activity whose effect is
already in the store. A disclosure and an inquiry driven to the end this way must leave exactly the
events, notifications, invoice and maildrop files of the same paths run undisturbed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from domain.deadlines import Step
from domain.messages import RequestOutcome, StatusView
from domain.requests import workflow_id_for
from service import acts
from service.requests import respond, status
from store.events import EventStore
from tests.support.faults import FailAfterEffect
from tests.support.histories import ANSWERED_INQUIRY_EVENTS
from tests.support.privacy import FRAGMENTS, IN_PLAY, PERSONAL, leaks
from tests.support.scenarios import seed_subject, start
from tests.support.temporal import Rig, actor, eventually, rigged

# Every retry waits out the workflow's 1 s initial backoff, so a step takes longer here.
PATIENCE = 120.0


@pytest.fixture
def injector() -> FailAfterEffect:
    return FailAfterEffect()


@pytest.fixture
async def failing(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    injector: FailAfterEffect,
) -> AsyncIterator[Rig]:
    """A worker whose every activity fails once after its effect, on a queue of its own."""
    async with rigged(
        time_skipping_env.client,
        pool,
        tmp_path / "failing",
        unique,
        "dsr-fail-once",
        interceptors=(injector,),
    ) as rig:
        yield rig


@pytest.fixture
async def undisturbed(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> AsyncIterator[Rig]:
    """The production wiring, for the reference run of the same path."""
    async with rigged(
        time_skipping_env.client, pool, tmp_path / "plain", unique, "dsr-plain"
    ) as rig:
        yield rig


async def _at(rig: Rig, pool: asyncpg.Pool, request_id: str, step: Step) -> StatusView:
    async def probe() -> StatusView:
        return await status(request_id, client=rig.client, pool=pool)

    return await eventually(probe, lambda view: view.step is step, within=PATIENCE)


async def _outcome(rig: Rig, request_id: str) -> str:
    handle = rig.client.get_workflow_handle(workflow_id_for(request_id), result_type=RequestOutcome)
    async with asyncio.timeout(PATIENCE):  # a workflow retrying forever fails, not hangs
        return (await handle.result()).outcome or ""


async def _disclosure(rig: Rig, pool: asyncpg.Pool, request_id: str, subject_id: str) -> str:
    await seed_subject(pool, subject_id)
    await start(rig.client, pool, rig.task_queue, "disclosure", request_id, subject_id, {})

    # Each act follows the notice that asked for it has reached the person. (Acting
    # earlier is allowed, but then the act's event may land before the notice's, and the
    # two runs would differ in order only.)
    async def delivered(notice: str) -> None:
        async def state() -> str | None:
            return await pool.fetchval(
                "SELECT status FROM notifications WHERE request_id=$1 AND notice=$2",
                request_id,
                notice,
            )

        await eventually(state, lambda state: state == "delivered", within=PATIENCE)

    await _at(rig, pool, request_id, Step.VERIFY_IDENTITY)
    await delivered("identity_proof_requested")
    await acts.verify_identity(
        request_id, "document_check", actor("op-2"), client=rig.client, pool=pool
    )
    await _at(rig, pool, request_id, Step.DECIDE)
    await acts.decide(
        request_id,
        "disclosed_in_full",
        actor("op-1"),
        client=rig.client,
        pool=pool,
    )
    view = await _at(rig, pool, request_id, Step.PAYMENT)
    assert view.invoice_id == f"inv-{request_id}"
    await delivered("fee_request")
    await acts.record_payment(
        request_id,
        view.invoice_id,
        1000,
        "bank-ref-1",
        actor("cashier-1"),
        client=rig.client,
        pool=pool,
    )
    return await _outcome(rig, request_id)


async def _inquiry(rig: Rig, pool: asyncpg.Pool, request_id: str, subject_id: str) -> str:
    await start(
        rig.client,
        pool,
        rig.task_queue,
        "inquiry",
        request_id,
        subject_id,
        {"text": PERSONAL["text"]},
    )
    await _at(rig, pool, request_id, Step.ANSWER)
    await respond(request_id, PERSONAL["answer"], actor("op-7"), client=rig.client, pool=pool)
    return await _outcome(rig, request_id)


@dataclass
class Record:
    """What a path left behind, with the request id taken out so two runs compare."""

    events: list[tuple[str, str]]  # (type, idempotency key)
    notices: list[tuple[str, str]]  # (notice, status)
    invoices: list[tuple[str, int]]  # (status, amount)
    maildrop: list[str]


async def _record(pool: asyncpg.Pool, rig: Rig, request_id: str) -> Record:
    def general(text: str) -> str:
        return text.replace(request_id, "<rid>")

    rows = await pool.fetch(
        "SELECT type, idempotency_key FROM request_events WHERE request_id=$1 ORDER BY seq",
        request_id,
    )
    notices = await pool.fetch(
        "SELECT notice, status FROM notifications WHERE request_id=$1 ORDER BY notification_id",
        request_id,
    )
    invoices = await pool.fetch(
        "SELECT status, amount_yen FROM invoices WHERE request_id=$1", request_id
    )
    files = (
        sorted(p.name for p in rig.maildrop.iterdir() if request_id in p.name)
        if rig.maildrop.exists()
        else []
    )
    return Record(
        events=[(r["type"], general(r["idempotency_key"])) for r in rows],
        notices=[(r["notice"], r["status"]) for r in notices],
        invoices=[(r["status"], r["amount_yen"]) for r in invoices],
        maildrop=[general(name) for name in files],
    )


def _every_execution_failed_once_after_its_effect(
    injector: FailAfterEffect, request_id: str
) -> set[str]:
    executions = injector.of(workflow_id_for(request_id))
    assert executions, "no activity ran on the failing worker"
    retried_wrong = {aid: seen for aid, seen in executions.items() if seen[1] != [1, 2]}
    assert retried_wrong == {}, f"not failed once then retried once: {retried_wrong}"
    return {name for name, _ in executions.values()}


def _retries_logged_no_personal_data(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    """The failure and retry path logs too (the SDK's warning per failed attempt), by the
    injected error's type: its message is withheld, as any error's may quote data."""
    output = capfd.readouterr()
    assert "Completing activity as failed" in caplog.text and "RuntimeError" in caplog.text
    texts = [
        caplog.text,
        output.out,
        output.err,
        *(str(record.__dict__) for record in caplog.records),
    ]
    assert [leak for text in texts for leak in leaks(text, IN_PLAY, fragments=FRAGMENTS)] == []


async def test_a_disclosure_whose_every_activity_fails_after_its_effect_leaves_each_once(
    failing: Rig,
    undisturbed: Rig,
    injector: FailAfterEffect,
    pool: asyncpg.Pool,
    unique: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO)
    reference_id, request_id = f"eo-dis-ref-{unique}", f"eo-dis-{unique}"
    outcome = "disclosed_in_full"
    assert await _disclosure(undisturbed, pool, reference_id, f"s-ref-{unique}") == outcome
    assert await _disclosure(failing, pool, request_id, f"s-{unique}") == outcome

    ran = _every_execution_failed_once_after_its_effect(injector, request_id)
    # The fee path touches every kind of effect: events, notices, invoice, decision, act.
    # Bookkeeping rides with these effects, or is stored on its own before a wait.
    assert ran >= {
        "record_bookkeeping",
        "send_notice",
        "check_identity",
        "issue_invoice",
        "settle_invoice",
        "investigate",
        "record_operator_act",
        "carry_out",
        "close_with_checkpoint",
    }

    reference, record = (
        await _record(pool, undisturbed, reference_id),
        await _record(pool, failing, request_id),
    )
    assert record.events == reference.events
    keys = [key for _, key in record.events]
    assert len(keys) == len(set(keys))
    assert record.invoices == [("paid", 1000)]
    assert (
        record.notices
        == reference.notices
        == [
            ("receipt", "delivered"),
            ("identity_proof_requested", "delivered"),
            ("fee_request", "delivered"),
            ("outcome", "delivered"),
        ]
    )
    assert record.maildrop == reference.maildrop and len(record.maildrop) == 4
    assert [t for t, _ in record.events].count("notice.delivered") == 4
    assert (
        await pool.fetchval("SELECT count(*) FROM disclosures WHERE request_id=$1", request_id) == 1
    )
    assert (await EventStore(pool).verify(request_id)).intact
    _retries_logged_no_personal_data(caplog, capfd)


async def test_an_inquiry_whose_every_activity_fails_after_its_effect_leaves_each_once(
    failing: Rig,
    undisturbed: Rig,
    injector: FailAfterEffect,
    pool: asyncpg.Pool,
    unique: str,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.INFO)
    reference_id, request_id = f"eo-inq-ref-{unique}", f"eo-inq-{unique}"
    assert await _inquiry(undisturbed, pool, reference_id, f"s-ref-{unique}") == "answered"
    assert await _inquiry(failing, pool, request_id, f"s-{unique}") == "answered"

    ran = _every_execution_failed_once_after_its_effect(injector, request_id)
    # check_act (the worker's check of the answer's signature and account) and check_start
    # (the input's check against the record, issue 22) only read
    assert ran == {
        "check_start",
        "record_bookkeeping",
        "send_notice",
        "check_act",
        "attach_answer",
        "close_with_checkpoint",
    }

    reference, record = (
        await _record(pool, undisturbed, reference_id),
        await _record(pool, failing, request_id),
    )
    assert record.events == reference.events
    assert [t for t, _ in record.events] == ANSWERED_INQUIRY_EVENTS
    assert record.notices == [("receipt", "delivered"), ("answer", "delivered")]
    assert record.invoices == []
    assert (
        record.maildrop
        == reference.maildrop
        == ["dsr-<rid>%3Anotice%3Aanswer.json", "dsr-<rid>%3Anotice%3Areceipt.json"]
    )
    assert await pool.fetchval("SELECT count(*) FROM answers WHERE request_id=$1", request_id) == 1
    assert (await EventStore(pool).verify(request_id)).intact
    _retries_logged_no_personal_data(caplog, capfd)
