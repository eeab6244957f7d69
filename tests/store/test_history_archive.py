"""The archive of closed requests' histories on the real store, with Temporal replaced by a
fake history source: what is archived, what waits, what is noted as gone, in bounded
batches, idempotently; and `dsr audit export` falling back to it.

Each test has a database of its own: the archive looks at every closed request, so
another test's requests would change the counts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import WorkflowExecutionStatus, WorkflowHistory
from temporalio.service import RPCError, RPCStatusCode

from activities.history_archive import HistoryArchive
from audit.export import REQUEST_FACTS, HistoryUnavailable, export_requests
from domain.archive import ArchiveBatch, ArchiveCounts
from domain.requests import workflow_id_for
from store.database import apply_migrations, create_pool
from store.history_archive import ArchivedHistories, HistoryNotArchived
from store.sealing import Vault
from store.views import RequestViews
from tests.support.builders import EMAIL, NAME, TEXT, new_request
from tests.support.database import scratch_database
from tests.support.histories import recorded_histories

# A real history to archive: any recorded inquiry (they are frozen, never deleted).
RECORDED = next(p for p in recorded_histories() if p.name == "inquiry_answered.json")


def recorded_history(workflow_id: str) -> WorkflowHistory:
    return WorkflowHistory.from_json(workflow_id, RECORDED.read_text(encoding="utf-8"))


def not_found() -> RPCError:
    return RPCError("workflow not found", RPCStatusCode.NOT_FOUND, b"")


@dataclass
class FakeTemporal:
    """What the archive asks of a Temporal client: describe a workflow, fetch its
    history. Workflows it does not know are NOT_FOUND, as after retention."""

    closed: dict[str, WorkflowHistory] = field(default_factory=dict)
    running: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)

    def get_workflow_handle(self, workflow_id: str, *, run_id: str | None = None) -> FakeHandle:
        return FakeHandle(self, workflow_id, run_id)


@dataclass
class FakeHandle:
    temporal: FakeTemporal
    workflow_id: str
    run_id: str | None

    async def describe(self) -> object:
        self.temporal.asked.append(self.workflow_id)
        if self.workflow_id in self.temporal.running:
            return _Described(WorkflowExecutionStatus.RUNNING, f"run-{self.workflow_id}")
        if self.workflow_id in self.temporal.closed:
            return _Described(WorkflowExecutionStatus.COMPLETED, f"run-{self.workflow_id}")
        raise not_found()

    async def fetch_history(self) -> WorkflowHistory:
        if self.workflow_id not in self.temporal.closed:
            raise not_found()
        assert self.run_id == f"run-{self.workflow_id}", "the described run is fetched"
        return self.temporal.closed[self.workflow_id]


@dataclass(frozen=True)
class _Described:
    status: WorkflowExecutionStatus
    run_id: str


@pytest.fixture
async def own_pool(postgres_server: str, vault: Vault) -> AsyncIterator[asyncpg.Pool]:
    async with scratch_database(postgres_server, "dsr_archive") as url:
        pool = await create_pool(url, max_size=4, vault=vault)
        try:
            await apply_migrations(pool)
            yield pool
        finally:
            await pool.close()


async def closed_request(pool: asyncpg.Pool, unique: str, label: str, minutes: int) -> str:
    request_id = await new_request(pool, unique, label)
    closed_at = datetime(2026, 1, 5, 9, tzinfo=UTC) + timedelta(minutes=minutes)
    await pool.execute(
        "UPDATE requests SET status = 'closed', outcome = 'answered', closed_at = $2"
        " WHERE request_id = $1",
        request_id,
        closed_at,
    )
    return request_id


async def test_closed_requests_are_archived_once_and_the_rest_waits_or_is_noted(
    own_pool: asyncpg.Pool, unique: str
) -> None:
    done = await closed_request(own_pool, unique, "done", 1)
    finishing = await closed_request(own_pool, unique, "finishing", 2)
    dropped = await closed_request(own_pool, unique, "dropped", 3)
    still_open = await new_request(own_pool, unique, "open")
    temporal = FakeTemporal(
        closed={
            workflow_id_for(done): recorded_history(workflow_id_for(done)),
            workflow_id_for(still_open): recorded_history("x"),
        },
        running={workflow_id_for(finishing)},
    )
    archive = HistoryArchive(own_pool, temporal)  # type: ignore[arg-type]

    counts = await archive.archive_closed_requests(ArchiveBatch())

    assert counts == ArchiveCounts(archived=1, still_running=1, gone=1, more=False)
    assert workflow_id_for(still_open) not in temporal.asked  # only closed requests are looked at
    histories = ArchivedHistories(own_pool)
    stored = await histories.get(done)
    assert stored is not None
    assert (stored.workflow_id, stored.run_id) == (workflow_id_for(done), f"run-dsr-{done}")
    original = recorded_history(workflow_id_for(done))
    assert stored.workflow_history().events == original.events  # jsonb keeps it whole
    assert json.loads(original.to_json()) == stored.history
    assert await histories.get(finishing) is None
    with pytest.raises(HistoryNotArchived, match="no longer had its history"):
        await histories.require(dropped)
    with pytest.raises(HistoryNotArchived, match="not closed"):
        await histories.require(still_open)

    # The finishing workflow closes; the next run takes it, and asks nothing again of the
    # one archived or the one noted as gone.
    temporal.running.clear()
    temporal.closed[workflow_id_for(finishing)] = recorded_history(workflow_id_for(finishing))
    temporal.asked.clear()
    again = await archive.archive_closed_requests(ArchiveBatch())
    assert again == ArchiveCounts(archived=1)
    assert temporal.asked == [workflow_id_for(finishing)]
    assert await archive.archive_closed_requests(ArchiveBatch()) == ArchiveCounts()


async def test_a_batch_is_bounded_and_oldest_closures_go_first(
    own_pool: asyncpg.Pool, unique: str
) -> None:
    ids = [await closed_request(own_pool, unique, f"r{n}", minutes=10 - n) for n in range(5)]
    workflow_ids = [workflow_id_for(i) for i in ids]
    temporal = FakeTemporal(closed={w: recorded_history(w) for w in workflow_ids})
    archive = HistoryArchive(own_pool, temporal)  # type: ignore[arg-type]

    first = await archive.archive_closed_requests(ArchiveBatch(limit=3, page=2))

    assert first == ArchiveCounts(archived=3, more=True)
    assert temporal.asked == [workflow_id_for(i) for i in reversed(ids)][:3]  # closed earliest
    rest = await archive.archive_closed_requests(ArchiveBatch(limit=3, page=2))
    assert rest == ArchiveCounts(archived=2, more=False)
    archived = await own_pool.fetchval("SELECT count(*) FROM request_histories")
    assert archived == 5


async def test_archiving_twice_at_once_writes_each_history_once(
    own_pool: asyncpg.Pool, unique: str
) -> None:
    request_id = await closed_request(own_pool, unique, "twice", 1)
    temporal = FakeTemporal(closed={workflow_id_for(request_id): recorded_history("w")})
    histories = ArchivedHistories(own_pool)
    assert await histories.insert(
        request_id, workflow_id_for(request_id), "run-1", recorded_history("w")
    )
    # A second run that read the request as pending before the first wrote it.
    assert not await histories.insert(
        request_id, workflow_id_for(request_id), "run-1", recorded_history("w")
    )
    assert (
        await HistoryArchive(own_pool, temporal).archive_closed_requests(  # type: ignore[arg-type]
            ArchiveBatch()
        )
        == ArchiveCounts()
    )
    with pytest.raises(asyncpg.PostgresError, match="write-once"):
        await own_pool.execute("UPDATE request_histories SET run_id = 'other'")
    with pytest.raises(asyncpg.PostgresError, match="write-once"):
        await own_pool.execute("DELETE FROM request_histories")


async def test_export_takes_the_archived_history_once_temporal_has_dropped_it(
    own_pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> None:
    request_id = await closed_request(own_pool, unique, "export", 1)
    never_archived = await closed_request(own_pool, unique, "lost", 2)
    history = recorded_history(workflow_id_for(request_id))
    archive = ArchivedHistories(own_pool)
    await archive.insert(request_id, workflow_id_for(request_id), "run-1", history)
    gone = FakeTemporal()  # Temporal has neither any more

    manifest = await export_requests(
        [request_id],
        tmp_path,
        client=gone,  # type: ignore[arg-type]
        views=RequestViews(own_pool),
        archive=archive,
    )

    assert manifest[0]["history_from"] == "archive"
    assert manifest[0]["history_events"] == len(history.events)
    exported = (tmp_path / request_id / "history.json").read_text(encoding="utf-8")
    assert WorkflowHistory.from_json("w", exported).events == history.events
    # The store's side names the request's facts and no personal value, sealed or open.
    store = json.loads((tmp_path / request_id / "store.json").read_text(encoding="utf-8"))
    assert set(store["request"]) <= set(REQUEST_FACTS)
    assert store["request"]["request_id"] == request_id
    written = json.dumps(store, ensure_ascii=False)
    assert [part for part in ("dsr1.", NAME, EMAIL, TEXT) if part in written] == []
    with pytest.raises(HistoryUnavailable, match="not archived yet"):
        await export_requests(
            [never_archived],
            tmp_path,
            client=gone,  # type: ignore[arg-type]
            views=RequestViews(own_pool),
            archive=archive,
        )
