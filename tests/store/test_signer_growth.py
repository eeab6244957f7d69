"""A signer that only signs growth (issue 22, review N6): after a request's rows were
deleted, the worker signed a checkpoint of a log 14 entries shorter than the one it had
signed a minute before; with the checkpoint files moved away, verify said "intact"; and
verify without `--public-key` read the private key.

Each test has a store of its own, set up as the service sets up its own; a superuser plays
the attacker (tests/support/database.py, `tamper` and `relog`)."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from activities.log_checkpoints import LogCheckpoints
from audit.checkpoints import CheckpointSigner
from audit.signing import KeyProblem, load_private_key, load_public_key, public_key_file_for
from audit.witness import DirectoryWitness
from domain.authority import Role
from domain.event_log import CheckpointOrder
from domain.events import EventType
from domain.messages import Bookkeeping
from runtime.settings import Settings
from store.database import create_pool
from store.events import EventStore
from store.log_alarms import acknowledge, open_alarms
from store.sealing import Vault
from tests.support.builders import event, new_request
from tests.support.cli import served_dsr
from tests.support.database import database_with_roles, relog, tamper


@dataclass
class Store:
    runtime: asyncpg.Pool
    worker: asyncpg.Pool
    owner: asyncpg.Pool
    superuser: asyncpg.Pool
    key_file: Path
    witness: DirectoryWitness
    events: EventStore
    requests: list[str]

    def signer(self) -> CheckpointSigner:
        """A signer as the worker makes one at start: the key, and the witness it reads
        back what it signed last from."""
        return CheckpointSigner(load_private_key(self.key_file, create=True), self.witness)

    def checkpoints(self, signer: CheckpointSigner) -> LogCheckpoints:
        return LogCheckpoints(self.worker, self.events, signer)


@pytest.fixture
async def store(
    postgres_server: str, unique: str, tmp_path: Path, vault: Vault
) -> AsyncIterator[Store]:
    """Two requests of seven events each, appended by the worker's role."""
    async with database_with_roles(postgres_server, "dsr_growth") as roles:
        pools = [
            await create_pool(url, max_size=2, vault=vault)
            for url in (roles.runtime_url, roles.worker_url, roles.owner_url, roles.superuser_url)
        ]
        try:
            events = EventStore(pools[1])
            ids = []
            for label in ("a", "b"):
                request_id = await new_request(pools[1], unique, label)
                for n in range(7):
                    await events.append(
                        event(request_id, EventType.DEADLINE_REMINDED, minutes=n, step="s")
                    )
                ids.append(request_id)
            yield Store(
                *pools,
                tmp_path / "keys" / "checkpoint-ed25519.pem",
                DirectoryWitness(tmp_path / "witness"),
                events,
                ids,
            )
        finally:
            for pool in pools:
                await pool.close()


async def _delete_request(store: Store, request_id: str) -> None:
    """The attack of D1/H1: a request's rows deleted as a superuser and the log's
    positions closed up, so the log is whole, and shorter."""
    await tamper(store.superuser, "DELETE FROM event_log WHERE request_id = $1", request_id)
    await tamper(store.superuser, "DELETE FROM request_events WHERE request_id = $1", request_id)
    await store.superuser.execute("DELETE FROM deadlines WHERE request_id = $1", request_id)
    await relog(store.superuser)


async def test_a_shrunken_log_is_not_signed_and_an_alarm_is_recorded(
    store: Store, verify: Any
) -> None:
    """N6: sign, delete a request's rows as a superuser, run the checkpoint: nothing is
    signed, an alarm with the sizes and heads is recorded, and nothing is signed after it
    (the schedule's run, a request's close, a restarted worker) until an operator
    acknowledges; then the signer extends the log as the alarm found it."""
    signer = store.signer()
    taken = await store.checkpoints(signer).checkpoint_log(CheckpointOrder(reason="interval"))
    assert taken.signed is not None and taken.signed.checkpoint.log_size == 14
    assert taken.signed.checkpoint.sequence == 1
    files = sorted(store.witness.folder.glob("*.json"))

    await _delete_request(store, store.requests[1])
    with pytest.raises(ApplicationError) as refused:
        await store.checkpoints(signer).checkpoint_log(CheckpointOrder(reason="interval"))
    assert refused.value.type == "LogNotExtended" and refused.value.non_retryable
    assert sorted(store.witness.folder.glob("*.json")) == files
    (alarm,) = await open_alarms(store.worker)
    assert (alarm.signed_size, alarm.signed_head) == (14, taken.signed.checkpoint.log_head)
    assert (alarm.log_size, alarm.head_at_signed_size) == (7, None)

    # Signs nothing more: not at a close (retried until acknowledged), not after a restart.
    await store.events.append(
        event(store.requests[0], EventType.DEADLINE_REMINDED, minutes=30, step="s")
    )
    with pytest.raises(ApplicationError) as at_close:
        await store.checkpoints(signer).close_with_checkpoint(
            Bookkeeping(request_id=store.requests[0], events=[])
        )
    assert at_close.value.type == "LogNotExtended" and not at_close.value.non_retryable
    restarted = store.signer()
    with pytest.raises(ApplicationError):
        await store.checkpoints(restarted).checkpoint_log(
            CheckpointOrder(reason="interval", even_if_unchanged=True)
        )
    assert sorted(store.witness.folder.glob("*.json")) == files
    assert len(await open_alarms(store.worker)) == 1  # one alarm, not one per refusal
    code, out, _ = await verify()
    assert code == 3 and f"the checkpoint signer's alarm {alarm.alarm_id}" in out, out
    assert "the log has 7 entries, fewer than the 14 signed" in out

    # Only the owner acknowledges; then the signer signs again, from the alarm's log.
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await acknowledge(store.worker, alarm.alarm_id, "mallory", "nothing to see")
    await acknowledge(store.owner, alarm.alarm_id, "op1", "request b deleted by the DBA")
    again = await store.checkpoints(restarted).checkpoint_log(CheckpointOrder(reason="interval"))
    assert again.signed is not None and again.signed.checkpoint.log_size == 8
    assert again.signed.checkpoint.sequence == 2
    assert await open_alarms(store.worker) == []


async def test_a_log_rewritten_at_the_same_size_is_not_signed(store: Store) -> None:
    """The head at the old size must be the one signed: a rewrite that keeps the size
    (an event's hash changed and the log recomputed) is refused too."""
    signer = store.signer()
    await store.checkpoints(signer).checkpoint_log(CheckpointOrder(reason="interval"))
    await tamper(
        store.superuser,
        "UPDATE request_events SET hash = repeat('e', 64) WHERE request_id = $1 AND seq = 7",
        store.requests[1],
    )
    await relog(store.superuser)
    with pytest.raises(ApplicationError, match=r"not the .* signed"):
        await store.checkpoints(signer).checkpoint_log(CheckpointOrder(reason="interval"))
    (alarm,) = await open_alarms(store.worker)
    assert alarm.log_size == alarm.signed_size == 14


async def test_a_growing_log_is_signed_each_time_with_the_next_number(store: Store) -> None:
    signer = store.signer()
    checkpoints = store.checkpoints(signer)
    numbers = []
    for n in range(3):
        await store.events.append(
            event(store.requests[0], EventType.DEADLINE_REMINDED, minutes=20 + n, step="s")
        )
        taken = await checkpoints.checkpoint_log(CheckpointOrder(reason="interval"))
        assert taken.signed is not None
        numbers.append(taken.signed.checkpoint.sequence)
    assert numbers == [1, 2, 3]
    assert await open_alarms(store.worker) == []


@pytest.fixture
def verify(
    store: Store, time_skipping_env: WorkflowEnvironment, unique: str, tmp_path: Path
) -> Any:
    """`dsr audit verify` as an auditor runs it, against the API over the test's store,
    with the service's key file `key_file` (the store's by default) and its witness."""
    calls = itertools.count()

    async def run(*argv: str, key_file: Path | None = None) -> tuple[int, str, str]:
        settings = Settings(
            DSR_DATA_DIR=str(tmp_path),
            DSR_CHECKPOINT_KEY=str(key_file or store.key_file),
            DSR_WITNESS_DIR=str(store.witness.folder),
        )
        async with served_dsr(
            time_skipping_env.client,
            store.runtime,
            settings,
            folder=tmp_path / "auditor",
            account=f"auditor-{unique}-{next(calls)}",
            roles=(Role.AUDITOR,),
        ) as dsr:
            return await dsr("audit", "verify", *argv)

    return run


async def test_checkpoint_files_removed_from_the_witness_are_a_divergence(
    store: Store, verify: Any
) -> None:
    """N6: with checkpoint files moved away, verify said "intact". The checkpoints are
    numbered: a number missing from the witness is a divergence (exit 3)."""
    checkpoints = store.checkpoints(store.signer())
    for n in range(3):
        await store.events.append(
            event(store.requests[0], EventType.DEADLINE_REMINDED, minutes=20 + n, step="s")
        )
        await checkpoints.checkpoint_log(CheckpointOrder(reason="interval"))
    code, out, _ = await verify()
    assert code == 0 and "3 witnessed checkpoint(s) agree" in out, out
    first, second, _third = sorted(
        store.witness.folder.glob("*.json"), key=lambda p: p.stat().st_mtime_ns
    )
    second.unlink()
    code, out, _ = await verify()
    assert code == 3 and "the witness lacks 1 signed checkpoint(s)" in out and "(number 2)" in out
    first.unlink()
    code, out, _ = await verify()
    assert code == 3 and "(number 1, 2)" in out


async def test_verify_never_reads_the_private_key(
    store: Store, verify: Any, tmp_path: Path
) -> None:
    """N6: verify without `--public-key` read the private key file. The service verifies
    with the pinned public half (DSR_CHECKPOINT_PUBLIC_KEY, by default `<name>.pub.pem`
    beside the private key), and a private key given as the pinned key is refused."""
    await store.checkpoints(store.signer()).checkpoint_log(CheckpointOrder(reason="interval"))
    public = public_key_file_for(store.key_file)
    assert public.exists()
    store.key_file.chmod(0o000)  # unreadable: verification must not need it
    try:
        code, out, _ = await verify()
        assert code == 0 and "1 witnessed checkpoint(s) agree" in out, out
        elsewhere = tmp_path / "keys-elsewhere" / "checkpoint.pem"  # no public half there
        code, out, err = await verify(key_file=elsewhere)
        assert code == 2 and "no public checkpoint key" in err
    finally:
        store.key_file.chmod(0o600)
    with pytest.raises(KeyProblem, match="holds a private key"):
        load_public_key(store.key_file)
    code, out, err = await verify("--public-key", str(store.key_file))
    assert code == 2 and "holds a private key" in err
