"""Temporal for tests: the time-skipping server, a worker of the production wiring on a
task queue of the test's own (`Rig`, what the `rig` fixtures yield), the suite's act
signing key and the accounts its acts are done as, and `eventually` for state another
process reaches."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, Literal, TypeVar

import asyncpg
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Interceptor, Worker

from activities.act_verification import ActVerification, StandingOf
from audit.checkpoints import CheckpointSigner
from audit.signing import load_private_key
from audit.witness import DirectoryWitness
from domain.authority import ActSigner, Role
from runtime.cluster import ensure_search_attributes
from runtime.connectors import OpenSystems
from runtime.servers import installed_binary
from service.acts import Actor
from store.account_standing import Standing, account_standing
from worker import build_worker, request_activities
from workflows.act_authority import ActAuthorityInterceptor
from workflows.data_subject_request import DataSubjectRequest

T = TypeVar("T")

# The suite's act signing key (Ed25519): `actor()` signs with it, its workers list its
# public key.
TEST_ACT_PRIVATE_KEY = Ed25519PrivateKey.from_private_bytes(bytes(range(32)))
TEST_ACT_SIGNER = ActSigner(TEST_ACT_PRIVATE_KEY)
TEST_ACT_PUBLIC_KEYS = {TEST_ACT_SIGNER.key_id: TEST_ACT_SIGNER.public_key}
# The suite's workers take acts however long ago they were signed: the shared
# time-skipping server's clock runs decades ahead of the signer's once the suite has
# skipped through its retention periods. The window's own test sets DSR_ACT_WINDOW's
# default and signs by the server's clock.
TEST_ACT_WINDOW = timedelta.max

# The accounts `actor()` made, with the roles asked for: the suite's workers find them in
# the store (made there when first looked up, with the roles every `actor()` call of that
# name asked for), as the API's accounts are. A test of a missing or disabled account
# signs for a name `actor()` never made, or disables it in the store.
_ACTORS: dict[str, set[Role]] = {}
_ACCOUNTS_WRITER: list[asyncpg.Pool] = []  # the suite's owner pool, once it is open


def actors_made_by(writer: asyncpg.Pool) -> None:
    """`actor()`'s accounts are written through `writer` (a role that may write accounts:
    the schema's owner) unless a worker is given its own."""
    _ACCOUNTS_WRITER[:] = [writer]


def verified_acts() -> list[ActAuthorityInterceptor]:
    """For a test's own Worker: acts are checked as in production (with `act_verification`
    among its activities)."""
    return [ActAuthorityInterceptor()]


def actor(account: str, *roles: Role) -> Actor:
    """An authenticated account for the client API's acts (every role unless given)."""
    held = frozenset(roles or (Role.ADMIN,))
    _ACTORS.setdefault(account, set()).update(held)
    return Actor(account, held, TEST_ACT_SIGNER)


def actors_standing(pool: asyncpg.Pool, writer: asyncpg.Pool | None = None) -> StandingOf:
    """The store's standing of an account, `actor()`'s accounts made there first, through
    `writer` (a role that may write accounts, e.g. the owner's; default `pool`)."""

    async def made(through: asyncpg.Pool, account: str, roles: set[Role]) -> None:
        await through.execute(
            """INSERT INTO accounts (account, roles, token_hash, created_by)
               VALUES ($1, $2, $3, 'tests')
               ON CONFLICT (account) DO UPDATE SET roles = ARRAY(
                   SELECT DISTINCT unnest(accounts.roles || EXCLUDED.roles) ORDER BY 1)""",
            account,
            sorted(r.value for r in roles),
            hashlib.sha256(f"tests:{account}".encode()).hexdigest(),
        )

    async def standing(account: str) -> Standing | None:
        roles = _ACTORS.get(account)
        if roles:
            await made(writer or next(iter(_ACCOUNTS_WRITER), pool), account, roles)
        found = await account_standing(pool, account)
        if found is None and roles and writer is None:
            # A test's database of its own, which the suite's owner pool does not reach:
            # made there through the test's pool (the suite's role may write accounts).
            await made(pool, account, roles)
            found = await account_standing(pool, account)
        return found

    return standing


async def ensure_actor(pool: asyncpg.Pool, acting: Actor) -> None:
    """Make `actor()`'s account now through `pool` (which may write accounts), for a
    worker of its own process, which looks accounts up in the store alone."""
    await actors_standing(pool, writer=pool)(acting.account)


def write_test_act_keys(folder: Path) -> dict[str, str]:
    """The suite's signing key and public key as files under `folder`, as `make run`
    makes them; returns the variables that name them (DSR_ACT_SIGNING_KEY,
    DSR_ACT_PUBLIC_KEYS)."""
    private = folder / "act-signing-ed25519.pem"
    public = folder / "act-public" / f"{TEST_ACT_SIGNER.key_id}.pub"
    if not private.exists():
        public.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        private.write_bytes(
            TEST_ACT_PRIVATE_KEY.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        private.chmod(0o600)
        public.write_bytes(
            TEST_ACT_SIGNER.public_key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
    return {"DSR_ACT_SIGNING_KEY": str(private), "DSR_ACT_PUBLIC_KEYS": str(public.parent)}


def act_verification(
    pool: asyncpg.Pool, window: timedelta = TEST_ACT_WINDOW, *, made_by_actor: bool = True
) -> ActVerification:
    """The worker's check of acts, with the suite's public key; `made_by_actor`: accounts
    `actor()` made are found in the store (else only those already there)."""
    return ActVerification(
        pool,
        TEST_ACT_PUBLIC_KEYS,
        window,
        actors_standing(pool) if made_by_actor else None,
    )


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


async def end_open_requests(client: Client, pool: asyncpg.Pool, where: str, *args: object) -> None:
    """Terminate the workflows of a test's requests still open (`where` on `requests`), so
    no timer of theirs waits in the shared time-skipping server once the test's worker is
    gone. Each is terminated once no activity of its is running: the time-skipping server
    keeps an activity terminated mid-flight as running for good, and stops skipping time
    for every later test."""
    for row in await pool.fetch(
        f"SELECT workflow_id FROM requests WHERE status <> 'closed' AND ({where})", *args
    ):
        handle = client.get_workflow_handle(row["workflow_id"])
        with contextlib.suppress(RPCError):
            for _ in range(100):
                # The raw description: the SDK's decoding of our search attributes is not
                # needed here.
                described = await client.workflow_service.describe_workflow_execution(
                    DescribeWorkflowExecutionRequest(
                        namespace=client.namespace,
                        execution=WorkflowExecution(workflow_id=row["workflow_id"]),
                    )
                )
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
        data_converter=pydantic_data_converter,
    )
    try:
        await ensure_search_attributes(env.client, "default")
        yield env
    finally:
        await env.shutdown()


def own_time_skipping_env(scope: Literal["package", "module"]) -> Any:
    """A `time_skipping_env` fixture of a package's or module's own, overriding the
    suite's (see `time_skipping_server` for why some need one)."""

    @pytest.fixture(scope=scope)
    async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
        async with time_skipping_server() as env:
            yield env

    return time_skipping_env


def new_worker(
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    folder: Path,
    *,
    interceptors: tuple[Interceptor, ...] = (),
    systems: OpenSystems | None = None,
    act_window: timedelta = TEST_ACT_WINDOW,
    accounts_pool: asyncpg.Pool | None = None,
) -> Worker:
    """The production worker for a test: the suite's act public key (and `actor()`'s
    accounts in the store), and under `folder` a checkpoint key (`keys/checkpoint.pem`), a
    witness (`witness/`) and a maildrop (`maildrop/`), where `dsr` finds them with
    DSR_DATA_DIR, DSR_CHECKPOINT_KEY and DSR_WITNESS_DIR pointed there. `interceptors` go
    innermost (fault injection)."""
    signer = CheckpointSigner(
        load_private_key(folder / "keys" / "checkpoint.pem", create=True),
        DirectoryWitness(folder / "witness"),
    )
    return build_worker(
        client,
        pool,
        task_queue=task_queue,
        maildrop=folder / "maildrop",
        signer=signer,
        act_public_keys=TEST_ACT_PUBLIC_KEYS,
        act_window=act_window,
        account_standing=actors_standing(pool, accounts_pool),
        interceptors=interceptors,
        systems=systems,
    )


def activities_replacing(pool: asyncpg.Pool, maildrop: Path, **faulty: Any) -> list[Any]:
    """The worker's real activities, with those named replaced by a test's faulty stand-in
    (registered under the same activity name): fault injection for one test's worker."""
    real = request_activities(pool, maildrop, verification=act_verification(pool))
    unknown = set(faulty) - {a.__name__ for a in real}
    assert not unknown, f"no such activities: {unknown}"
    return [faulty.get(a.__name__, a) for a in real]


def faulty_worker(
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    maildrop: Path,
    *,
    interceptors: list[Interceptor] | None = None,
    **faulty: Any,
) -> Worker:
    """A worker of the request workflow alone whose activities named in `faulty` are the
    test's stand-ins; acts verified with the suite's key unless `interceptors` are given."""
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[DataSubjectRequest],
        interceptors=verified_acts() if interceptors is None else interceptors,
        activities=activities_replacing(pool, maildrop, **faulty),
    )


@dataclass(frozen=True)
class Rig:
    """One test's Temporal set-up: a production worker on a task queue of its own over the
    suite's pool, its files under `folder` (maildrop, checkpoint key, witness)."""

    client: Client
    task_queue: str
    worker: Worker
    pool: asyncpg.Pool
    folder: Path
    unique: str

    @property
    def maildrop(self) -> Path:
        return self.folder / "maildrop"


@contextlib.asynccontextmanager
async def rigged(
    client: Client,
    pool: asyncpg.Pool,
    folder: Path,
    unique: str,
    label: str = "dsr-test",
    *,
    interceptors: tuple[Interceptor, ...] = (),
    systems: OpenSystems | None = None,
    act_window: timedelta = TEST_ACT_WINDOW,
    accounts_pool: asyncpg.Pool | None = None,
) -> AsyncIterator[Rig]:
    """A running production worker on the task queue `{label}-{unique}`; `interceptors`
    go innermost (fault injection); `systems`: the data map's, open; `act_window`: how
    old an act it takes (the suite's: years, as the time-skipping server's clock runs
    ahead)."""
    task_queue = f"{label}-{unique}"
    worker = new_worker(
        client,
        pool,
        task_queue,
        folder,
        interceptors=interceptors,
        systems=systems,
        act_window=act_window,
        accounts_pool=accounts_pool,
    )
    async with worker:
        yield Rig(client, task_queue, worker, pool, folder, unique)


@contextlib.asynccontextmanager
async def faulty_rig(
    client: Client,
    pool: asyncpg.Pool,
    folder: Path,
    unique: str,
    label: str,
    *,
    interceptors: list[Interceptor] | None = None,
    **faulty: Any,
) -> AsyncIterator[Rig]:
    """A running `faulty_worker` on the task queue `{label}-{unique}`, as a `Rig`."""
    task_queue = f"{label}-{unique}"
    worker = faulty_worker(
        client, pool, task_queue, folder / "maildrop", interceptors=interceptors, **faulty
    )
    async with worker:
        yield Rig(client, task_queue, worker, pool, folder, unique)
