"""Fault tests: the worker killed, PostgreSQL stopped, the Temporal dev server restarted,
each while requests are in flight; afterwards every request has completed and every
effect (event, notice, answer, maildrop file) exists exactly once.

The test starts the servers itself (`FaultStack`), so the worker can die without them.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from domain.authority import Act
from service import acts
from service.requests import respond
from tests.support.faults import FaultStack
from tests.support.temporal import actor, ensure_actor

pytestmark = pytest.mark.e2e

IN_FLIGHT = 50
# How long PostgreSQL stays down: the length of the outage is the point of that test.
OUTAGE = 15.0


@pytest.fixture
async def stack(tmp_path: Path, unique: str) -> AsyncIterator[FaultStack]:
    stack = FaultStack(tmp_path / "faults", unique)
    try:
        await stack.start_servers()
        yield stack
    finally:
        await stack.shutdown()
        stack.kill_leftovers()


async def _shut_down_cleanly(stack: FaultStack) -> None:
    await stack.shutdown()
    assert stack.leftovers() == []


async def test_a_worker_killed_with_sigkill_mid_flight_loses_and_doubles_nothing(
    stack: FaultStack,
) -> None:
    await stack.start_worker()
    request_ids = stack.request_ids(IN_FLIGHT)
    await stack.submit_inquiries(request_ids)
    # All the answers go out at once; the worker dies while they are being carried out:
    # some requests closed, the others with activities running or still to run.
    responses = asyncio.create_task(stack.respond_to(request_ids))
    try:
        await stack.wait_for_events("request.closed", 1)
        await stack.kill_worker(signal.SIGKILL)
        closed_at_kill = await stack.count_events("request.closed")
        assert 0 < closed_at_kill < IN_FLIGHT, closed_at_kill

        await stack.start_worker()
        # Updates whose worker died are delivered to the new one; the activities it was
        # running are retried once their start-to-close timeout has passed.
        await asyncio.wait_for(responses, timeout=120)
    finally:
        if not responses.done():
            responses.cancel()
    await stack.assert_completed_exactly_once(request_ids)
    await _shut_down_cleanly(stack)


async def test_postgres_down_for_a_while_mid_flight_fails_no_workflow(
    stack: FaultStack,
) -> None:
    await stack.start_worker()
    worker_pid = stack.worker_pid
    request_ids = stack.request_ids(IN_FLIGHT)
    answered_first, answered_later = request_ids[: IN_FLIGHT // 2], request_ids[IN_FLIGHT // 2 :]
    await stack.submit_inquiries(answered_first)
    await stack.respond_to(answered_first)
    await stack.submit_inquiries(answered_later)
    # The database goes away under both halves: the first closing (their answers being
    # queued and delivered), the second just started (their receipts being sent).
    dsn = stack.dsn
    log_offset = stack.log_size()
    await stack.stop_postgres()
    await asyncio.sleep(OUTAGE)
    assert await stack.start_postgres() == dsn, "PostgreSQL came back on another socket"
    await stack.reopen_pool()

    await stack.respond_to(answered_later)
    await stack.assert_completed_exactly_once(request_ids)
    # The worker rode out the outage in the same process: its activities failed, were
    # retried with backoff, and went through once its pool could connect again.
    assert stack.worker_alive() and stack.worker_pid == worker_pid
    assert "Completing activity as failed" in stack.log_since(log_offset), (
        "no activity met the outage: nothing was in flight when PostgreSQL stopped"
    )
    await _shut_down_cleanly(stack)


async def test_temporal_dev_server_restarted_mid_flight_resumes_every_workflow(
    stack: FaultStack,
) -> None:
    await stack.start_worker()
    worker_pid = stack.worker_pid
    request_ids = stack.request_ids(IN_FLIGHT)
    answered_first, answered_later = request_ids[: IN_FLIGHT // 2], request_ids[IN_FLIGHT // 2 :]
    await stack.submit_inquiries(request_ids)
    await stack.wait_for_events("deadline.started", IN_FLIGHT, step="answer")
    # Every request waits for its answer; half get one, and while they are closing the
    # dev server goes down (SIGTERM) and comes back on the same ports and SQLite file.
    await stack.respond_to(answered_first)
    await asyncio.to_thread(stack.temporal.stop)
    await asyncio.to_thread(stack.temporal.start)

    # The worker reconnects by itself; the other half are answered after the restart.
    await stack.respond_to(answered_later)
    await stack.assert_completed_exactly_once(request_ids)
    assert stack.worker_alive() and stack.worker_pid == worker_pid
    await _shut_down_cleanly(stack)


async def test_an_act_sent_while_no_worker_runs_returns_in_time_and_is_the_same_act_later(
    stack: FaultStack,
) -> None:
    """With the worker down, an act returns within its bound saying it was not taken; sent
    again once a worker runs, it is the same act: one answer, one event."""
    await stack.start_worker()
    [rid] = stack.request_ids(1, "idle")
    await stack.submit_inquiries([rid])
    await stack.wait_for_events("deadline.started", 1, step="answer")
    await stack.kill_worker(signal.SIGKILL)
    operator = actor("op-1")
    await ensure_actor(stack.pool, operator)  # the worker finds it in the store
    began = time.monotonic()
    with pytest.raises(acts.Unanswered, match="was not taken within 3s"):
        await acts.send_act(
            rid,
            Act.RESPOND,
            lambda ids: acts.RespondToInquiry(operator="op-1", **ids),
            client=stack.client,
            pool=stack.pool,
            actor=operator,
            wait=3.0,
            texts={"answer_id": ("answer", "We hold only your contact data.")},
            store=lambda intake, _, body, who, answer_id: intake.store_answer(
                rid, body, who, answer_id
            ),
        )
    assert time.monotonic() - began < 15
    await stack.start_worker()
    await respond(
        rid, "We hold only your contact data.", operator, client=stack.client, pool=stack.pool
    )
    await stack.wait_for_events("request.closed", 1)
    assert await stack.pool.fetchval("SELECT count(*) FROM answers WHERE request_id=$1", rid) == 1
    assert await stack.count_events("answer.recorded") == 1
    await _shut_down_cleanly(stack)
