"""Helpers shared by the workflow and end-to-end suites."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from audit.checkpoints import CheckpointSigner
from audit.signing import load_private_key
from audit.witness import DirectoryWitness
from domain.authority import Role
from domain.chain import GENESIS_HASH, canonical_encoding, link_hash
from domain.event_log import LOG_GENESIS, log_link
from runtime.cluster import ensure_search_attributes
from runtime.servers import installed_binary
from runtime.settings import SettingsError, load_settings
from service.acts import Actor
from store.keyring import DirectoryKeyring
from store.privileges import ensure_roles, prepare_store, with_user
from store.sealing import Vault
from worker import build_worker
from workflows.act_authority import ActAuthorityInterceptor

T = TypeVar("T")

PERSONAL = {
    "name": "Hanako Yamada-Testperson",
    "email": "hanako.testperson@example.jp",
    "text": "Which partners receive my transaction records (secret-inquiry-marker)?",
    "answer": "Only partners you consented to (secret-answer-marker).",
}


def inquiry(request_id: str, subject_id: str) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "kind": "inquiry",
        "subject_id": subject_id,
        "requester": {"name": PERSONAL["name"], "email": PERSONAL["email"]},
        "details": {"text": PERSONAL["text"]},
    }


def readable_history(history_json: str) -> str:
    """A Temporal history (SDK or `temporal workflow show -o json`) with every payload's
    base64 `data` decoded, so a search sees what the payloads really carry."""
    decoded: list[str] = [history_json]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "metadata" in node and isinstance(node.get("data"), str):
                try:
                    decoded.append(base64.b64decode(node["data"]).decode("utf-8", "replace"))
                except ValueError:
                    decoded.append(node["data"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(history_json))
    return "\n".join(decoded)


def personal_values_in(text: str) -> list[str]:
    """Which of the submitted personal values appear in `text` (should be none)."""
    return [value for value in PERSONAL.values() if value in text]


async def eventually(
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], within: float = 20.0
) -> T:
    """Poll `probe` until `accept` holds; for state reached by another process."""
    deadline = time.monotonic() + within
    while True:
        value = await probe()
        if accept(value):
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached within {within}s; last value {value!r}")
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def scratch_database(server_url: str, prefix: str) -> AsyncIterator[str]:
    """A new, empty database on the server for the duration; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


# Recorded histories are frozen (README, "Changing a workflow"): each release's recordings
# sit in a folder of their own, are replayed by every test run, and are never edited or
# deleted; `make check-histories` fails a change that does. New paths are recorded into
# the current release's folder with DSR_RECORD_HISTORIES=1, beside (never over) the old.
HISTORIES = Path(__file__).resolve().parent / "histories"
HISTORY_RELEASE = "2026-11-26-policy-versions-apart"


def recorded_histories() -> list[Path]:
    return sorted(HISTORIES.glob("*/*.json"))


def keep_history(name: str, history_json: str) -> None:
    """With DSR_RECORD_HISTORIES=1, record this path's history in the current release's
    folder, unless a history of that name is already recorded there (frozen)."""
    if os.environ.get("DSR_RECORD_HISTORIES") != "1":
        return
    target = HISTORIES / HISTORY_RELEASE / f"{name}.json"
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(json.loads(history_json), indent=1) + "\n")


async def tamper(superuser: asyncpg.Pool, sql: str, *args: object,
                 tables: tuple[str, ...] = ("request_events", "event_log")) -> str:
    """Run `sql` as an attacker with a superuser's power would: the tables' triggers
    switched off, the statement run, the triggers switched back as they were, in one
    transaction (nobody else ever sees them off). Returns the statement's status."""
    async with superuser.acquire() as connection, connection.transaction():
        triggers = await connection.fetch(
            """SELECT c.relname AS table_name, t.tgname, t.tgenabled::text AS tgenabled
                 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                WHERE c.relname = ANY ($1) AND NOT t.tgisinternal""", list(tables))
        for t in triggers:
            await connection.execute(
                f'ALTER TABLE "{t["table_name"]}" DISABLE TRIGGER "{t["tgname"]}"')
        status = await connection.execute(sql, *args)
        restore = {"A": "ENABLE ALWAYS", "O": "ENABLE", "R": "ENABLE REPLICA"}
        for t in triggers:
            if t["tgenabled"] != "D":
                await connection.execute(f'ALTER TABLE "{t["table_name"]}" '
                                         f'{restore[t["tgenabled"]]} TRIGGER "{t["tgname"]}"')
        return status


async def rechain(superuser: asyncpg.Pool, request_id: str) -> None:
    """What an attacker who knows the chain does after changing a request's events:
    recompute every hash of the request and the projection's last one."""
    rows = await superuser.fetch(
        "SELECT * FROM request_events WHERE request_id = $1 ORDER BY seq", request_id)
    prev = GENESIS_HASH
    for seq, row in enumerate(rows, start=1):
        digest = link_hash(prev, canonical_encoding(
            request_id=request_id, seq=seq, type=row["type"], payload=row["payload"],
            occurred_at=row["occurred_at"], actor=row["actor"],
            idempotency_key=row["idempotency_key"]))
        await tamper(superuser, """UPDATE request_events SET seq = $3, prev_hash = $4, hash = $5
                                    WHERE request_id = $1 AND seq = $2""",
                     request_id, row["seq"], seq, prev, digest)
        prev = digest
    await superuser.execute(
        "UPDATE requests SET last_seq = $2, last_hash = $3 WHERE request_id = $1",
        request_id, len(rows), prev)


async def relog(superuser: asyncpg.Pool) -> None:
    """...and, knowing the log too, rebuild it from the events as they now are."""
    events = await superuser.fetch(
        """SELECT e.request_id, e.seq, e.hash FROM request_events e
             LEFT JOIN event_log l ON l.request_id = e.request_id AND l.seq = e.seq
            ORDER BY l.position NULLS LAST, e.recorded_at, e.seq""")
    await tamper(superuser, "DELETE FROM event_log")
    head = LOG_GENESIS
    for position, row in enumerate(events, start=1):
        head = log_link(head, row["hash"])
        await tamper(superuser, "INSERT INTO event_log VALUES ($1, $2, $3, $4, $5)",
                     position, row["request_id"], row["seq"], row["hash"], head)


# The suite's act key: its workers verify acts with it, `actor()` signs with it.
TEST_ACT_KEY = bytes(range(32))
# The suite's key-encryption key: random for each run, never written to the repository.
TEST_KEY_ENCRYPTION_KEY = secrets.token_bytes(32)


def suite_vault(keyring: Path) -> Vault:
    """A vault whose subjects' keys are files in `keyring`, wrapped under the suite's
    key-encryption key."""
    return Vault.of(DirectoryKeyring(keyring, TEST_KEY_ENCRYPTION_KEY), TEST_KEY_ENCRYPTION_KEY)


def vault_environment(keyring: Path) -> dict[str, str]:
    """What `dsr` or the service needs in its environment to open what `suite_vault(keyring)`
    sealed."""
    return {"DSR_KEYRING_DIR": str(keyring),
            "DSR_KEY_ENCRYPTION_KEY": base64.b64encode(TEST_KEY_ENCRYPTION_KEY).decode()}


def verified_acts() -> list[ActAuthorityInterceptor]:
    """For a test's own Worker: acts are verified with the suite's key, as in production."""
    return [ActAuthorityInterceptor(TEST_ACT_KEY)]


def actor(account: str, *roles: Role) -> Actor:
    """An authenticated account for the client API's acts (every role unless given)."""
    return Actor(account, frozenset(roles or (Role.ADMIN,)), TEST_ACT_KEY)


async def end_open_requests(client: Client, pool: asyncpg.Pool, where: str,
                            *args: object) -> None:
    """Terminate the workflows of a test's requests still open (`where` on `requests`), so
    no timer of theirs waits in the shared time-skipping server once the test's worker is
    gone. Each is terminated once no activity of its is running: the time-skipping server
    keeps an activity terminated mid-flight as running for good, and stops skipping time
    for every later test."""
    for row in await pool.fetch(
            f"SELECT workflow_id FROM requests WHERE status <> 'closed' AND ({where})", *args):
        handle = client.get_workflow_handle(row["workflow_id"])
        with contextlib.suppress(RPCError):
            for _ in range(100):
                # The raw description: the SDK's decoding of our search attributes is not
                # needed here.
                described = await client.workflow_service.describe_workflow_execution(
                    DescribeWorkflowExecutionRequest(
                        namespace=client.namespace,
                        execution=WorkflowExecution(workflow_id=row["workflow_id"])))
                if not described.pending_activities:
                    break
                await asyncio.sleep(0.1)
            await handle.terminate(reason="end of test")


@contextlib.asynccontextmanager
async def time_skipping_server() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping test server (from pip: nothing is downloaded) with our search
    attributes. The suite shares one; the API's and the privacy center's tests, which
    leave requests open and terminate them, get their own: the server keeps an activity
    cut off by a termination as running, and then no longer skips time for anyone."""
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=installed_binary("temporal-test-server"),
        data_converter=pydantic_data_converter)
    try:
        await ensure_search_attributes(env.client, "default")
        yield env
    finally:
        await env.shutdown()


def worker_for_test(client: Client, pool: asyncpg.Pool, task_queue: str, folder: Path) -> Worker:
    """The production worker for a test: the suite's act key, and under `folder` a
    checkpoint key (`keys/checkpoint.pem`), a witness (`witness/`) and a maildrop
    (`maildrop/`), where `dsr` finds them with DSR_DATA_DIR, DSR_CHECKPOINT_KEY and
    DSR_WITNESS_DIR pointed there."""
    signer = CheckpointSigner(load_private_key(folder / "keys" / "checkpoint.pem", create=True),
                              DirectoryWitness(folder / "witness"))
    return build_worker(client, pool, task_queue=task_queue, maildrop=folder / "maildrop",
                        signer=signer, act_key=TEST_ACT_KEY)


@dataclass(frozen=True)
class Roles:
    """A scratch database as its three kinds of user: the service's runtime role, the
    schema's owner, and a superuser (an attacker, or a test arranging what the runtime role
    may not)."""

    runtime_url: str
    owner_url: str
    superuser_url: str


@contextlib.asynccontextmanager
async def database_with_roles(server_url: str, prefix: str, *,
                              migrated: bool = True) -> AsyncIterator[Roles]:
    """A new database set up as the service sets up its own: an owner and a runtime role of
    its own (the server may be shared; both dropped afterwards), and unless `migrated` is
    false, the migrations applied as the owner and the runtime role's grants."""
    suffix = uuid.uuid4().hex[:10]
    owner, runtime = f"dsr_owner_{suffix}", f"dsr_runtime_{suffix}"
    try:
        async with scratch_database(server_url, prefix) as url:
            await ensure_roles(url, owner=owner, runtime=runtime)
            roles = Roles(runtime_url=with_user(url, runtime), owner_url=with_user(url, owner),
                          superuser_url=url)
            if migrated:
                await prepare_store(roles.runtime_url, roles.owner_url)
            yield roles
    finally:
        admin = await asyncpg.connect(server_url)
        try:
            for role in (runtime, owner):
                await admin.execute(f'DROP ROLE IF EXISTS "{role}"')
        finally:
            await admin.close()


def settings_refused(variable: str) -> str:
    """The settings as the environment now stands are refused with one line that starts
    with the variable's name; returns that line."""
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"{variable}: "), message
    assert "\n" not in message
    return message
