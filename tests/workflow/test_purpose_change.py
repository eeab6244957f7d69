"""`PurposeChange` (Article 4) end to end on the time-skipping server and a real database:
a related change notifies every affected subject exactly once, in batches and runs that
continue as new, also when a batch fails halfway or its worker stops mid fan-out and
another takes over; an unrelated change is refused with nothing changed; a publication is
recorded when the method says so; a change without an administrator's signed authority
records nothing; the register streams' chains verify."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.api.sdk.v1 import WorkflowMetadata
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.purpose_changes import PurposeChangeActivities
from bench.fanout import run_sizes  # the benchmark counts runs the same way
from domain.authority import ActSigner, Role
from domain.purpose_change_messages import (
    ChangeProgress,
    FanOut,
    PurposeChangeOrder,
    PurposeChangeResult,
    change_authority,
    workflow_id,
)
from domain.purposes import NoticeMethod, PurposeChangeProposal
from mail import delivery as notice_delivery
from mail.maildrop import MaildropSender, maildrop_name
from mail.sender import NoticeSender
from runtime.servers import installed_binary
from store.outbox import OutgoingNotice
from store.purpose_notices import notice_key
from store.purposes import PURPOSES_STREAM, change_stream, load_register
from store.registers import verify_stream
from tests.support.privacy import readable_history
from tests.support.purposes import BEFORE, define, holders
from tests.support.temporal import TEST_ACT_SIGNER, act_verification, actor, eventually
from workflows.purpose_change import PurposeChange

AFTER = "To send users a monthly newsletter and announcements of the service they use"
AFTER_JA = "ユーザーに月刊ニュースレターと利用中のサービスのお知らせを送付するため"


class CountingSender:
    """A sender other than the maildrop (as SMTP is: called notice by notice), writing to
    the maildrop and counting what it was handed for good per notice key; it can fail one
    send (after `fail_after` have gone through) or stall every send after `stall_after`,
    as a worker does when it dies mid-batch."""

    def __init__(
        self, folder: Path, *, fail_after: int | None = None, stall_after: int | None = None
    ) -> None:
        self.maildrop = MaildropSender(folder)
        self.sent: Counter[str] = Counter()
        self.fail_after, self.stall_after = fail_after, stall_after
        self.attempts = 0

    async def send(self, notice: OutgoingNotice) -> str:
        self.attempts += 1
        if self.fail_after is not None and self.attempts == self.fail_after + 1:
            raise OSError("the maildrop's disk is full (injected)")
        if self.stall_after is not None and self.attempts > self.stall_after:
            await asyncio.sleep(3600)  # until the stopping worker cancels the batch
        handle = await self.maildrop.send(notice)
        self.sent[notice.idempotency_key] += 1
        return handle


class CountingWrites:
    """The maildrop's files as the fan-out writes them (many at once, not through
    `MaildropSender.send`), counted per notice key; one write can fail after `fail_after`
    have gone through."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *, fail_after: int | None = None) -> None:
        self.sent: Counter[str] = Counter()
        self.attempts = 0
        lock = threading.Lock()
        write = notice_delivery.write_staged

        def counting(folder: Path, notice: OutgoingNotice) -> str:
            with lock:
                self.attempts += 1
                attempt = self.attempts
            if fail_after is not None and attempt == fail_after + 1:
                raise OSError("the maildrop's disk is full (injected)")
            name = write(folder, notice)
            with lock:
                self.sent[notice.idempotency_key] += 1
            return name

        monkeypatch.setattr(notice_delivery, "write_staged", counting)


@dataclass
class Setup:
    client: Client
    pool: asyncpg.Pool
    task_queue: str
    maildrop: Path
    purpose_id: str
    unique: str


async def _setup(client: Client, pool: asyncpg.Pool, unique: str, tmp_path: Path) -> Setup:
    purpose_id = f"news_{unique}"
    await define(pool, purpose_id)
    return Setup(client, pool, f"purpose-{unique}", tmp_path / "maildrop", purpose_id, unique)


@pytest.fixture
async def setup(
    time_skipping_env: WorkflowEnvironment, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> Setup:
    return await _setup(time_skipping_env.client, pool, unique, tmp_path)


@pytest.fixture(scope="module")
async def dev_server() -> AsyncIterator[WorkflowEnvironment]:
    """The Temporal dev server (from pip), for a worker stopped mid-activity: the
    time-skipping server keeps such an activity running for good and never retries it,
    where a real server retries it at once on another worker."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=installed_binary("temporal"),
        data_converter=pydantic_data_converter,
    )
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture
async def on_dev_server(
    dev_server: WorkflowEnvironment, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> Setup:
    return await _setup(dev_server.client, pool, unique, tmp_path)


@contextlib.asynccontextmanager
async def worker(setup: Setup, sender: NoticeSender) -> AsyncIterator[Worker]:
    actor("admin", Role.ADMIN)  # the administrator the orders are signed for, in the store
    activities = PurposeChangeActivities(
        setup.pool, sender, act_verification(setup.pool), parallel=4, mark_every=3
    )
    try:
        async with Worker(
            setup.client,
            task_queue=setup.task_queue,
            workflows=[PurposeChange],
            activities=activities.all(),
        ) as running:
            yield running
    finally:
        activities.close()


def order(
    setup: Setup,
    *,
    related: bool = True,
    method: NoticeMethod = NoticeMethod.NOTIFY,
    roles: tuple[Role, ...] = (Role.ADMIN,),
    key: ActSigner = TEST_ACT_SIGNER,
    account: str = "admin",
    batch_size: int = 4,
    batches_per_run: int = 2,
) -> PurposeChangeOrder:
    proposal = PurposeChangeProposal(
        change_id=f"chg-{setup.unique}",
        purpose_id=setup.purpose_id,
        new_text=AFTER,
        new_text_ja=AFTER_JA,
        related=related,
        reason="Announcements of the same service users already receive.",
        decided_by=account,
        method=method,
        proposed_at=datetime.now(UTC),
    )
    return PurposeChangeOrder(
        proposal=proposal,
        authority=change_authority(key, account, roles, proposal, datetime.now(UTC)),
        fanout=FanOut(batch_size=batch_size, batches_per_run=batches_per_run),
    )


async def start(setup: Setup, the_order: PurposeChangeOrder) -> WorkflowHandle:
    return await setup.client.start_workflow(
        PurposeChange.run,
        the_order,
        id=workflow_id(the_order.proposal.change_id),
        task_queue=setup.task_queue,
        result_type=PurposeChangeResult,
    )


def maildrop_files(setup: Setup) -> dict[str, dict]:
    if not setup.maildrop.exists():
        return {}
    return {path.name: json.loads(path.read_text()) for path in setup.maildrop.glob("*.json")}


async def assert_notified_once(
    setup: Setup, subjects: list[str], *counts: Counter[str], change_id: str
) -> None:
    rows = await setup.pool.fetch(
        "SELECT subject_id, status, handed_to FROM purpose_change_notices WHERE change_id = $1",
        change_id,
    )
    assert sorted(r["subject_id"] for r in rows) == sorted(subjects)
    assert {r["status"] for r in rows} == {"delivered"}
    keys = {notice_key(change_id, s) for s in subjects}
    assert {r["handed_to"] for r in rows} == {maildrop_name(k) for k in keys}
    sent = sum(counts, Counter())
    assert set(sent) == keys and set(sent.values()) == {1}, "someone was written to twice"
    files = maildrop_files(setup)
    assert set(files) == {maildrop_name(k) for k in keys}
    for subject_id in subjects:
        written = files[maildrop_name(notice_key(change_id, subject_id))]
        assert written["to"] == f"{subject_id}@example.jp"
        # Nobody here ever wrote in: the default language of every notice (N17), with the
        # letterhead of every notice (N14).
        assert written["subject"] == "A change to the purpose of use of your personal information"
        assert written["body"].startswith("Dear user,\n")
        assert f"Before: {BEFORE}" in written["body"] and f"After: {AFTER}" in written["body"]
    assert await setup.pool.fetchval(
        "SELECT notified FROM purpose_changes WHERE change_id = $1", change_id
    ) == len(subjects)


async def assert_chains_intact(setup: Setup, change_id: str) -> None:
    async with setup.pool.acquire() as connection:
        for stream in (change_stream(change_id), PURPOSES_STREAM):
            verdict = await verify_stream(connection, stream)
            assert verdict.intact, verdict.problem


async def test_a_related_change_notifies_every_affected_subject_once(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    """And (N6) a notify-only change is published too, for those the notices cannot reach
    (here two without an address), and takes effect only once published and notified."""
    reachable = await holders(setup.pool, setup.purpose_id, f"s-{setup.unique}-a", 9)
    reachable += await holders(
        setup.pool, setup.purpose_id, f"s-{setup.unique}-b", 2, incidental=True
    )
    await holders(setup.pool, setup.purpose_id, f"s-{setup.unique}-c", 2, email=False)
    writes = CountingWrites(monkeypatch)
    the_order = order(setup)
    change_id = the_order.proposal.change_id
    async with worker(setup, MaildropSender(setup.maildrop)):
        handle = await start(setup, the_order)
        result = await handle.result()
        progress = await handle.query(PurposeChange.progress)
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert (result.status, result.notified, result.unreachable, result.affected) == (
        "done",
        11,
        2,
        13,
    )
    assert (result.from_version, result.to_version, result.published) == (1, 2, True)
    assert result.batches == 4 and result.runs == 2  # 13 subjects by 4, 2 batches a run
    assert isinstance(progress, ChangeProgress) and progress.phase == "done"
    assert metadata.current_details.startswith("notified 11 / 13")
    await assert_notified_once(setup, reachable, writes.sent, change_id=change_id)
    first = await setup.client.get_workflow_handle(
        handle.id, run_id=handle.first_execution_run_id
    ).describe()
    assert first.status is WorkflowExecutionStatus.CONTINUED_AS_NEW
    assert all(size < 100 for size in await run_sizes(setup.client, handle))
    register = await load_register(setup.pool)
    current = register.current(setup.purpose_id)
    assert current.text == AFTER and current.text_ja == AFTER_JA
    told = await setup.pool.fetchrow(
        """SELECT c.published_at, max(n.delivered_at) AS last_notice FROM purpose_changes c
             JOIN purpose_change_notices n USING (change_id)
            WHERE change_id = $1 GROUP BY c.published_at""",
        change_id,
    )
    assert current.effective_from >= told["published_at"]
    assert current.effective_from >= told["last_notice"]
    types = [
        r["type"]
        for r in await setup.pool.fetch(
            "SELECT type FROM register_events WHERE stream = $1 ORDER BY seq",
            change_stream(change_id),
        )
    ]
    assert types == [
        "purpose_change.proposed",
        "purpose_change.accepted",
        "purpose_change.published",
        *["purpose_change.notices_sent"] * 4,
        "purpose_change.completed",
    ]
    assert (
        await setup.pool.fetchval(
            "SELECT status FROM purpose_changes WHERE change_id = $1", change_id
        )
        == "done"
    )
    await assert_chains_intact(setup, change_id)
    history = readable_history((await handle.fetch_history()).to_json())
    assert "@example.jp" not in history


async def test_a_batch_failing_halfway_is_retried_without_writing_to_anyone_twice(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    subjects = await holders(setup.pool, setup.purpose_id, f"s-{setup.unique}", 10)
    writes = CountingWrites(monkeypatch, fail_after=6)  # mid second batch
    the_order = order(setup)
    async with worker(setup, MaildropSender(setup.maildrop)):
        result = await (await start(setup, the_order)).result()
    assert (result.status, result.notified) == ("done", 10)
    assert writes.attempts == 11  # the failed write once more, nobody else again
    await assert_notified_once(setup, subjects, writes.sent, change_id=the_order.proposal.change_id)


async def test_another_sender_failing_halfway_is_retried_without_sending_twice(
    setup: Setup,
) -> None:
    subjects = await holders(setup.pool, setup.purpose_id, f"s-{setup.unique}", 10)
    sender = CountingSender(setup.maildrop, fail_after=6)  # mid second batch
    the_order = order(setup)
    async with worker(setup, sender):
        result = await (await start(setup, the_order)).result()
    assert (result.status, result.notified) == ("done", 10)
    assert sender.attempts == 11  # the failed send once more, nobody else again
    await assert_notified_once(setup, subjects, sender.sent, change_id=the_order.proposal.change_id)


async def test_a_worker_stopped_mid_fan_out_leaves_the_rest_to_another_exactly_once(
    on_dev_server: Setup,
) -> None:
    setup = on_dev_server
    subjects = await holders(setup.pool, setup.purpose_id, f"s-{setup.unique}", 12)
    the_order = order(setup, batch_size=5)
    change_id = the_order.proposal.change_id
    first = CountingSender(setup.maildrop, stall_after=7)  # dies in the second batch
    async with worker(setup, first):
        handle = await start(setup, the_order)

        async def handed_over() -> int:
            return sum(first.sent.values())

        assert await eventually(handed_over, lambda n: n == 7) == 7
    # The first worker is gone with a batch half done; another takes over.
    second = CountingSender(setup.maildrop)
    async with worker(setup, second):
        result = await handle.result()
    assert (result.status, result.notified) == ("done", 12)
    assert sum(second.sent.values()) == 5
    await assert_notified_once(setup, subjects, first.sent, second.sent, change_id=change_id)
    await assert_chains_intact(setup, change_id)


async def test_an_unrelated_change_is_refused_and_nothing_changes(setup: Setup) -> None:
    await holders(setup.pool, setup.purpose_id, f"s-{setup.unique}", 3)
    sender = CountingSender(setup.maildrop)
    the_order = order(setup, related=False, method=NoticeMethod.PUBLISH_AND_NOTIFY)
    change_id = the_order.proposal.change_id
    async with worker(setup, sender):
        handle = await start(setup, the_order)
        result = await handle.result()
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
    assert result.status == "refused" and "not reasonably considered" in result.refusal
    assert (result.notified, result.published) == (0, False)
    assert metadata.current_details.startswith("refused: ")
    register = await load_register(setup.pool)
    assert register.current(setup.purpose_id).text == BEFORE
    assert [v.version for v in register.versions if v.purpose_id == setup.purpose_id] == [1]
    row = await setup.pool.fetchrow("SELECT * FROM purpose_changes WHERE change_id = $1", change_id)
    assert (row["status"], row["published_at"], row["notified"]) == ("refused", None, 0)
    assert (
        await setup.pool.fetchval(
            "SELECT count(*) FROM purpose_change_notices WHERE change_id = $1", change_id
        )
        == 0
    )
    assert maildrop_files(setup) == {} and not sender.attempts
    types = [
        r["type"]
        for r in await setup.pool.fetch(
            "SELECT type FROM register_events WHERE stream = $1 ORDER BY seq",
            change_stream(change_id),
        )
    ]
    assert types == ["purpose_change.proposed", "purpose_change.refused"]
    await assert_chains_intact(setup, change_id)


async def test_a_publication_is_recorded_when_that_is_the_method(setup: Setup) -> None:
    await holders(setup.pool, setup.purpose_id, f"s-{setup.unique}", 3)
    sender = CountingSender(setup.maildrop)
    the_order = order(setup, method=NoticeMethod.PUBLISH)
    change_id = the_order.proposal.change_id
    async with worker(setup, sender):
        result = await (await start(setup, the_order)).result()
    assert (result.status, result.published, result.notified, result.batches) == (
        "done",
        True,
        0,
        0,
    )
    row = await setup.pool.fetchrow("SELECT * FROM purpose_changes WHERE change_id = $1", change_id)
    assert row["published_at"] is not None and row["status"] == "done"
    assert f"変更後：{AFTER_JA}" in row["publication"]  # noqa: RUF001
    assert f"After: {AFTER}" in row["publication"]
    assert maildrop_files(setup) == {} and not sender.attempts
    published = await setup.pool.fetchval(
        "SELECT payload FROM register_events WHERE stream = $1"
        " AND type = 'purpose_change.published'",
        change_stream(change_id),
    )
    assert published["publication"] == row["publication"]
    await assert_chains_intact(setup, change_id)


@pytest.mark.parametrize("forged", ["operator", "foreign key", "no such account"])
async def test_a_change_without_an_administrators_authority_records_nothing(
    setup: Setup, forged: str
) -> None:
    the_order = {
        "operator": lambda: order(setup, roles=(Role.OPERATOR,)),
        "foreign key": lambda: order(setup, key=ActSigner(Ed25519PrivateKey.generate())),
        # Signed by the API's key, for an administrator the store does not know.
        "no such account": lambda: order(setup, account=f"ghost-{setup.unique}"),
    }[forged]()
    async with worker(setup, CountingSender(setup.maildrop)):
        with pytest.raises(WorkflowFailureError) as failure:
            await (await start(setup, the_order)).result()
    cause = failure.value.cause
    while getattr(cause, "cause", None) is not None:
        cause = cause.cause
    assert {
        "operator": "admin role",
        "foreign key": "does not list",
        "no such account": "does not exist",
    }[forged] in str(cause)
    assert (
        await setup.pool.fetchval(
            "SELECT count(*) FROM purpose_changes WHERE change_id = $1",
            the_order.proposal.change_id,
        )
        == 0
    )
    assert (await load_register(setup.pool)).current(setup.purpose_id).text == BEFORE
