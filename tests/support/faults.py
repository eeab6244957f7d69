"""Fault injection. `FailAfterEffect`: a worker interceptor failing each activity's first
attempt right after its effect. `FaultStack`: the servers and the worker of one fault
test, each started by the test itself so any one of them can be killed, stopped or
restarted without the others.

`FaultStack` owns a temporary folder holding an embedded PostgreSQL, a Temporal dev
server (its SQLite file), the worker's data folder (its maildrop) and the worker's log.
The test drives requests through `service.requests` with a client and pool of its own,
and checks afterwards that every effect exists exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import asyncpg
import psutil
from temporalio import activity
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.worker import (
    ActivityInboundInterceptor,
    ExecuteActivityInput,
    Interceptor,
)

from domain.messages import RequestOutcome
from domain.requests import workflow_id_for
from runtime.cluster import connect, ensure_search_attributes
from runtime.servers import EmbeddedPostgres, EmbeddedTemporal, free_port
from service.requests import respond, submit
from store.database import apply_migrations, create_pool
from store.events import EventStore
from tests.support.builders import submission
from tests.support.database import suite_vault, vault_environment
from tests.support.privacy import PERSONAL
from tests.support.temporal import actor, ensure_actor, eventually, write_test_act_keys

INJECTED = "injected failure after the effect"


class FailAfterEffect(Interceptor):
    """A worker interceptor: every activity runs, then its first attempt fails, so Temporal
    retries an activity whose effect is already in the store. Records each execution's
    attempts."""

    def __init__(self) -> None:
        # (workflow id, activity id) -> (activity name, attempts seen, in order)
        self.attempts: dict[tuple[str, str], tuple[str, list[int]]] = {}

    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _FailingAfterEffect(next, self)

    def of(self, workflow_id: str) -> dict[str, tuple[str, list[int]]]:
        return {aid: seen for (wid, aid), seen in self.attempts.items() if wid == workflow_id}


class _FailingAfterEffect(ActivityInboundInterceptor):
    def __init__(self, next: ActivityInboundInterceptor, injector: FailAfterEffect) -> None:
        super().__init__(next)
        self.injector = injector

    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        info = activity.info()
        _, seen = self.injector.attempts.setdefault(
            (info.workflow_id or "", info.activity_id), (info.activity_type, [])
        )
        seen.append(info.attempt)
        result = await super().execute_activity(input)
        if info.attempt == 1:
            raise RuntimeError(INJECTED)
        return result


ROOT = Path(__file__).resolve().parent.parent.parent
NAMESPACE = "default"

# What one answered inquiry leaves in `request_events`: (type, step or notice) → count.
# notice.delivered carries only the notification id; it is resolved to its notice.
INQUIRY_EVENTS = Counter(
    {
        ("request.received", None): 1,
        ("deadline.started", "acknowledge"): 1,
        ("notice.queued", "receipt"): 1,
        ("notice.delivered", "receipt"): 1,
        ("deadline.met", "acknowledge"): 1,
        ("deadline.started", "answer"): 1,
        ("answer.recorded", None): 1,
        ("deadline.met", "answer"): 1,
        ("deadline.started", "notify"): 1,
        ("notice.queued", "answer"): 1,
        ("notice.delivered", "answer"): 1,
        ("deadline.met", "notify"): 1,
        ("request.closed", None): 1,
    }
)
EVENTS_PER_INQUIRY = INQUIRY_EVENTS.total()
INQUIRY_NOTICES = ("answer", "receipt")


class FaultStack:
    """PostgreSQL, Temporal and one worker process, under `root`, each replaceable."""

    def __init__(self, root: Path, unique: str) -> None:
        self.root = root
        self.unique = unique
        self.postgres_dir = root / "pg"
        self.temporal = EmbeddedTemporal(
            root / "temporal", port=free_port(), ui_port=free_port(), namespace=NAMESPACE
        )
        self.worker_dir = root / "worker"
        # The subjects' keys: the test's pool seals what it submits and the worker opens
        # it, so both use this keyring (the worker through vault_environment).
        self.keyring = root / "keyring"
        self.vault = suite_vault(self.keyring)
        self.maildrop = self.worker_dir / "maildrop"
        self.log_path = root / "worker.log"
        self.task_queue = f"dsr-faults-{unique}"
        self.postgres: EmbeddedPostgres | None = None
        self.dsn: str | None = None
        self.worker: subprocess.Popen[bytes] | None = None
        self._client: Client | None = None
        self._pool: asyncpg.Pool | None = None

    # Servers ------------------------------------------------------------------------

    async def start_servers(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        await asyncio.gather(self.start_postgres(), asyncio.to_thread(self.temporal.start))
        assert self.dsn is not None
        self._pool = await create_pool(self.dsn, vault=self.vault)
        await apply_migrations(self._pool)
        self._client = await connect(self.temporal.address, NAMESPACE)
        await ensure_search_attributes(self._client, NAMESPACE)

    async def start_postgres(self) -> str:
        """Start PostgreSQL on the stack's data folder; returns its URI (a socket path)."""
        self.postgres = EmbeddedPostgres(self.postgres_dir)
        self.dsn = await asyncio.to_thread(self.postgres.start)
        return self.dsn

    async def stop_postgres(self) -> None:
        postgres, self.postgres = self.postgres, None
        if postgres is not None:
            await asyncio.to_thread(postgres.stop)

    async def reopen_pool(self) -> None:
        """The test's own pool, anew: the old one's connections died with the server."""
        old, self._pool = self._pool, None
        if old is not None:
            old.terminate()
        assert self.dsn is not None
        self._pool = await create_pool(self.dsn, vault=self.vault)

    @property
    def client(self) -> Client:
        assert self._client is not None
        return self._client

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None
        return self._pool

    # Worker -------------------------------------------------------------------------

    def worker_env(self) -> dict[str, str]:
        assert self.dsn is not None
        inherited = {k: v for k, v in os.environ.items() if not k.startswith("DSR_")}
        # The suite's act keys, so the acts the tests sign (tests.support.actor) are taken.
        act_keys = write_test_act_keys(self.worker_dir / "keys")
        return {
            **inherited,
            "TEMPORAL_ADDRESS": self.temporal.address,
            "TEMPORAL_NAMESPACE": NAMESPACE,
            "DATABASE_URL": self.dsn,
            "DSR_TASK_QUEUE": self.task_queue,
            "DSR_DATA_DIR": str(self.worker_dir),
            "DSR_LOG_FORMAT": "json",
            # Several stacks may run at once on one machine: no metrics port to fight over.
            "DSR_METRICS_PORT": "0",
            "DSR_API_PORT": "0",
            **act_keys,
            **vault_environment(self.keyring),
        }

    def log_size(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        if not self.log_path.exists():
            return ""
        with self.log_path.open("rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")

    def _spawn_worker(self) -> subprocess.Popen[bytes]:
        self.worker_dir.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            return subprocess.Popen(
                [sys.executable, str(ROOT / "worker.py")],
                cwd=ROOT,
                env=self.worker_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def start_worker(self) -> None:
        """`python worker.py` against the stack's servers; returns once it is polling."""
        assert self.worker is None or self.worker.poll() is not None
        offset = self.log_size()
        worker = self.worker = await asyncio.to_thread(self._spawn_worker)

        async def log_text() -> str:
            return self.log_since(offset)

        await eventually(
            log_text,
            lambda text: "worker running" in text or worker.poll() is not None,
            within=60,
        )
        assert worker.poll() is None, f"the worker exited at start:\n{self.log_since(offset)}"

    @property
    def worker_pid(self) -> int:
        assert self.worker is not None
        return self.worker.pid

    def worker_alive(self) -> bool:
        return self.worker is not None and self.worker.poll() is None

    async def kill_worker(self, signum: int = signal.SIGKILL) -> int | None:
        worker, self.worker = self.worker, None
        if worker is None:
            return None
        if worker.poll() is None:
            worker.send_signal(signum)
        return await asyncio.to_thread(worker.wait, 60)

    # Requests -----------------------------------------------------------------------

    def request_ids(self, count: int, batch: str = "r") -> list[str]:
        return [f"flt-{self.unique}-{batch}{i:03d}" for i in range(count)]

    async def submit_inquiries(self, request_ids: Iterable[str]) -> None:
        async def one(request_id: str) -> None:
            result = await submit(
                submission("inquiry", request_id, f"subj-{request_id}", person=PERSONAL),
                client=self.client,
                pool=self.pool,
                task_queue=self.task_queue,
            )
            assert result.created and result.workflow_started, result

        await asyncio.gather(*(one(rid) for rid in request_ids))

    async def respond_to(self, request_ids: Iterable[str]) -> None:
        operator = actor("op-faults")
        await ensure_actor(self.pool, operator)  # the worker finds it in the store

        async def one(request_id: str) -> None:
            view = await respond(
                request_id,
                PERSONAL["answer"],
                operator,
                client=self.client,
                pool=self.pool,
            )
            assert view.request_id == request_id

        await asyncio.gather(*(one(rid) for rid in request_ids))

    async def count_events(self, event_type: str, step: str | None = None) -> int:
        return await self.pool.fetchval(
            """SELECT count(*) FROM request_events
                WHERE type = $1 AND ($2::text IS NULL OR payload->>'step' = $2)""",
            event_type,
            step,
        )

    async def wait_for_events(
        self, event_type: str, count: int, *, step: str | None = None, within: float = 90
    ) -> int:
        async def probe() -> int:
            return await self.count_events(event_type, step)

        try:
            return await eventually(probe, lambda n: n >= count, within=within)
        except AssertionError as error:
            raise AssertionError(f"{error}\n{self.diagnostics()}") from None

    # Checks -------------------------------------------------------------------------

    async def assert_completed_exactly_once(self, request_ids: list[str]) -> None:
        """Every request answered and closed; every event, notice, answer and maildrop
        file exists exactly once; every hash chain intact; every workflow COMPLETED."""
        await self.wait_for_events("request.closed", len(request_ids))
        outcomes = await asyncio.gather(
            *(
                self.client.get_workflow_handle(
                    workflow_id_for(rid), result_type=RequestOutcome
                ).result()
                for rid in request_ids
            )
        )
        assert [(o.request_id, o.outcome) for o in outcomes] == [
            (rid, "answered") for rid in request_ids
        ]
        described = await asyncio.gather(
            *(
                self.client.get_workflow_handle(workflow_id_for(rid)).describe()
                for rid in request_ids
            )
        )
        assert {d.status for d in described} == {WorkflowExecutionStatus.COMPLETED}

        notices = await self.pool.fetch(
            """SELECT request_id, notification_id, notice, status FROM notifications
                WHERE request_id = any($1::text[])""",
            request_ids,
        )
        notice_of = {row["notification_id"]: row["notice"] for row in notices}
        per_request: dict[str, list[asyncpg.Record]] = {rid: [] for rid in request_ids}
        for row in notices:
            per_request[row["request_id"]].append(row)
        for rid, rows in per_request.items():
            assert sorted(r["notice"] for r in rows) == list(INQUIRY_NOTICES), (rid, rows)
            assert {r["status"] for r in rows} == {"delivered"}, (rid, rows)

        events: dict[str, list[asyncpg.Record]] = {rid: [] for rid in request_ids}
        for row in await self.pool.fetch(
            """SELECT request_id, seq, type, payload FROM request_events
                WHERE request_id = any($1::text[]) ORDER BY request_id, seq""",
            request_ids,
        ):
            events[row["request_id"]].append(row)
        for rid, rows in events.items():
            assert [r["seq"] for r in rows] == list(range(1, EVENTS_PER_INQUIRY + 1)), rows
            kinds = Counter(_what(r, notice_of) for r in rows)
            assert kinds == INQUIRY_EVENTS, (rid, kinds - INQUIRY_EVENTS, INQUIRY_EVENTS - kinds)

        answers = dict(
            await self.pool.fetch(
                """SELECT request_id, count(*) FROM answers WHERE request_id = any($1::text[])
                GROUP BY request_id""",
                request_ids,
            )
        )
        assert answers == dict.fromkeys(request_ids, 1)
        statuses = {
            tuple(r)
            for r in await self.pool.fetch(
                """SELECT status, outcome FROM requests WHERE request_id = any($1::text[])""",
                request_ids,
            )
        }
        assert statuses == {("closed", "answered")}

        store = EventStore(self.pool)
        verdicts = [await store.verify(rid) for rid in request_ids]
        broken = [v for v in verdicts if not v.intact or v.events != EVENTS_PER_INQUIRY]
        assert broken == []

        files = sorted(p.name for p in self.maildrop.iterdir())
        assert files == sorted(
            f"{workflow_id_for(rid)}%3Anotice%3A{notice}.json"
            for rid in request_ids
            for notice in INQUIRY_NOTICES
        )

    def diagnostics(self, lines: int = 40) -> str:
        tail = self.log_since(0).splitlines()[-lines:]
        return "worker log (tail):\n" + "\n".join(tail)

    # Teardown -----------------------------------------------------------------------

    def leftovers(self) -> list[str]:
        """Processes still running on this stack's folders, and the worker if alive."""
        found = []
        for proc in psutil.process_iter(["pid", "cmdline"]):
            cmdline = " ".join(proc.info["cmdline"] or [])
            if str(self.root) in cmdline or str(self.root.resolve()) in cmdline:
                found.append(f"{proc.info['pid']}: {cmdline}")
        if self.worker_alive():
            assert self.worker is not None
            found.append(f"{self.worker.pid}: worker.py")
        return found

    async def shutdown(self) -> None:
        """Stop everything, in order; safe to call again, and after a partial start."""
        with contextlib.suppress(Exception):
            await self.kill_worker(signal.SIGKILL)
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.terminate()
        self._client = None
        with contextlib.suppress(Exception):
            await asyncio.to_thread(self.temporal.stop)
        with contextlib.suppress(Exception):
            await self.stop_postgres()

    def kill_leftovers(self) -> None:
        for line in self.leftovers():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(line.split(":")[0]), signal.SIGKILL)


def _what(row: Any, notice_of: dict[int, str]) -> tuple[str, str | None]:
    payload = row["payload"]
    if row["type"] == "notice.delivered":
        return row["type"], notice_of.get(payload["notification_id"])
    return row["type"], payload.get("step") or payload.get("notice")
