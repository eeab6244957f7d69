"""Tamper evidence against someone with the database's keys (issue 13).

Each test has a store of its own, set up as the service sets up its own (roles, migrations
as the owner, grants), events appended by the runtime role and checkpoints signed into a
witness folder. A superuser then plays the attacker, doing everything a chain-aware
attacker would (recomputing the request's chain, the projection, even the global log),
and `dsr audit verify` must exit 3 naming what broke; untouched, it exits 0.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.testing import WorkflowEnvironment

from audit.checkpoints import CheckpointSigner
from audit.signing import load_private_key, public_pem, sign
from audit.witness import DirectoryWitness
from domain.authority import Role
from domain.chain import canonical_encoding, link_hash
from domain.event_log import RequestMark
from domain.events import EventType
from runtime.settings import Settings
from store.database import create_pool
from store.events import EventStore
from store.privacy_policy import post_policy
from store.sealing import Vault
from tests.support.builders import event, new_request
from tests.support.cli import served_dsr
from tests.support.database import database_with_roles, rechain, relog, tamper

POSTED = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)


@dataclass
class Store:
    runtime: asyncpg.Pool
    superuser: asyncpg.Pool
    runtime_url: str
    key_file: Path
    witness: DirectoryWitness
    signer: CheckpointSigner
    requests: list[str]


@pytest.fixture
async def store(
    postgres_server: str, unique: str, tmp_path: Path, vault: Vault
) -> AsyncIterator[Store]:
    """Three requests of five events, a checkpoint at each close and one at the end."""
    async with database_with_roles(postgres_server, "dsr_tamper") as roles:
        runtime_pool = await create_pool(roles.runtime_url, max_size=2, vault=vault)
        superuser = await create_pool(roles.superuser_url, max_size=2, vault=vault)
        key_file = tmp_path / "keys" / "checkpoint.pem"
        witness = DirectoryWitness(tmp_path / "witness")
        signer = CheckpointSigner(load_private_key(key_file, create=True), witness)
        try:
            events = EventStore(runtime_pool)
            ids = []
            for label in ("a", "b", "c"):
                request_id = await new_request(runtime_pool, unique, label)
                for n in range(5):
                    await events.append(
                        event(
                            request_id,
                            EventType.DEADLINE_REMINDED,
                            minutes=n,
                            step="answer",
                            index=n,
                        )
                    )
                last = await runtime_pool.fetchrow(
                    "SELECT last_seq, last_hash FROM requests WHERE request_id = $1", request_id
                )
                await signer.sign_head(
                    runtime_pool,
                    "close",
                    RequestMark(
                        request_id=request_id, seq=last["last_seq"], hash=last["last_hash"]
                    ),
                )
                ids.append(request_id)
            await signer.sign_head(runtime_pool, "interval")
            yield Store(runtime_pool, superuser, roles.runtime_url, key_file, witness, signer, ids)
        finally:
            await runtime_pool.close()
            await superuser.close()


@pytest.fixture
def verify(
    store: Store, time_skipping_env: WorkflowEnvironment, unique: str, tmp_path: Path
) -> Any:
    """`dsr audit verify` as an auditor runs it (tests/support/cli.py), against the API
    served over the test's store, with the service's checkpoint key (`key_file`, default
    the store's) and its witness."""
    calls = itertools.count()

    async def run(*argv: str, key_file: Path | None = None) -> tuple[int, str]:
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
            code, out, _ = await dsr("audit", "verify", *argv)
        return code, out

    return run


async def test_an_untouched_store_verifies(store: Store, verify: Any) -> None:
    code, out = await verify()
    assert code == 0, out
    assert "event log: intact (15 entries; 4 witnessed checkpoint(s) agree" in out
    assert all(f"{r}: intact (5 events)" in out for r in store.requests)
    code, out = await verify("--output", "json")
    [log] = [json.loads(line)["event_log"] for line in out.splitlines() if "event_log" in line]
    assert log["intact"] and log["entries"] == 15 and log["witnessed_checkpoints"] == 4


async def test_a_rewritten_event_with_its_chain_recomputed_is_caught(
    store: Store,
    verify: Any,
) -> None:
    victim = store.requests[1]
    await tamper(
        store.superuser,
        """UPDATE request_events SET payload = '{"step": "answer",
                 "index": 99}'::jsonb WHERE request_id = $1 AND seq = 3""",
        victim,
    )
    await rechain(store.superuser, victim)
    assert (await EventStore(store.runtime).verify(victim)).intact  # the chain is fooled

    code, out = await verify()
    assert code == 3
    assert f"{victim}: intact" in out
    assert f"log position 8 ({victim}#3): the event was changed after it was logged" in out
    assert f"request {victim}: event #5 differs from the one the checkpoint" in out


async def test_a_rewrite_with_the_log_recomputed_too_is_caught_by_the_signed_heads(
    store: Store,
    verify: Any,
) -> None:
    victim = store.requests[0]
    await tamper(
        store.superuser,
        """UPDATE request_events SET actor = 'nobody'
                                      WHERE request_id = $1 AND seq = 1""",
        victim,
    )
    await rechain(store.superuser, victim)
    await relog(store.superuser)

    code, out = await verify()
    assert code == 3
    assert "log position" not in out  # the log is consistent with itself now...
    # ...but not with any head the service signed after the change.
    assert "(close, 5 entries) signed head" in out
    assert "(interval, 15 entries) signed head" in out
    assert "an event before it was changed, removed or reordered" in out


async def test_a_deleted_request_is_caught(store: Store, verify: Any) -> None:
    victim = store.requests[1]
    for table in (
        "event_log",
        "deadline_compliance",
        "request_events",
        "deadlines",
        "request_details",
    ):
        await tamper(store.superuser, f"DELETE FROM {table} WHERE request_id = $1", victim)
    await store.superuser.execute("DELETE FROM requests WHERE request_id = $1", victim)

    code, out = await verify()
    assert code == 3 and victim not in out.split("event log:")[0]
    assert "log position 6 is missing (the next is 11)" in out
    assert f"request {victim}: the checkpoint" in out and "no such event" in out

    await relog(store.superuser)  # positions closed up: the heads betray it instead
    code, out = await verify()
    assert code == 3 and "(close, 10 entries) signed head" in out, out
    assert "(interval, 15 entries) covers 15 entries, the log has 10" in out


async def test_a_truncated_tail_is_caught(store: Store, verify: Any) -> None:
    """The newest events dropped, the request's projection set back to match: its chain
    verifies, the log is whole as far as it goes, and it is shorter than signed."""
    last = store.requests[2]
    await tamper(store.superuser, "DELETE FROM event_log WHERE position > 13")
    await tamper(
        store.superuser, "DELETE FROM request_events WHERE request_id = $1 AND seq > 3", last
    )
    await rechain(store.superuser, last)

    code, out = await verify()
    assert code == 3 and f"{last}: intact (3 events)" in out
    assert "the log is truncated: the checkpoint of" in out
    assert "(interval, 15 entries) covers 15 entries, the log has 13" in out


async def test_an_event_slipped_in_behind_the_log_is_caught(store: Store, verify: Any) -> None:
    """Appended with the log's trigger switched off: in the request's chain, not in the log."""
    victim = store.requests[0]
    row = await store.runtime.fetchrow(
        "SELECT last_seq, last_hash FROM requests WHERE request_id = $1", victim
    )
    forged = event(victim, EventType.DEADLINE_REMINDED, minutes=9, step="answer")
    digest = link_hash(
        row["last_hash"],
        canonical_encoding(
            request_id=victim,
            seq=6,
            type=forged.type.value,
            payload=forged.payload,
            occurred_at=forged.occurred_at,
            actor=forged.actor,
            idempotency_key=forged.idempotency_key,
        ),
    )
    await tamper(
        store.superuser,
        """INSERT INTO request_events (request_id, seq, type,
                 payload, occurred_at, actor, idempotency_key, prev_hash, hash)
                 VALUES ($1, 6, $2, $3, $4, $5, $6, $7, $8)""",
        victim,
        forged.type.value,
        forged.payload,
        forged.occurred_at,
        forged.actor,
        forged.idempotency_key,
        row["last_hash"],
        digest,
    )
    await store.superuser.execute(
        "UPDATE requests SET last_seq = 6, last_hash = $2 WHERE request_id = $1", victim, digest
    )
    code, out = await verify()
    assert code == 3 and f"event {victim}#6 is not in the log" in out


async def test_a_checkpoint_not_signed_with_the_key_is_refused(
    store: Store,
    verify: Any,
) -> None:
    """A forged checkpoint dropped into the witness is reported, and pins nothing."""
    (signed,) = [
        s for _, s in store.witness.read().checkpoints if s.checkpoint.reason == "interval"
    ]
    forged = sign(
        Ed25519PrivateKey.generate(), signed.checkpoint.model_copy(update={"log_head": "f" * 64})
    )
    store.witness.write(forged.model_copy(update={"signature": forged.signature}))
    code, out = await verify()
    assert code == 3 and "a checkpoint whose signature does not verify with key" in out
    assert "signed head ffff" not in out


async def test_an_auditor_verifies_with_the_pinned_public_key_alone(
    store: Store,
    verify: Any,
    tmp_path: Path,
) -> None:
    """The signatures are checked on the auditor's side with the key they pinned: the
    service's own key is not needed, and a wrong pinned key trusts nothing."""
    pinned = tmp_path / "pinned.pub.pem"
    pinned.write_bytes(public_pem(load_private_key(store.key_file, create=False).public_key()))
    code, out = await verify("--public-key", str(pinned), key_file=tmp_path / "not-here.pem")
    assert code == 0 and "event log: intact" in out
    other = tmp_path / "other.pub.pem"
    other.write_bytes(public_pem(Ed25519PrivateKey.generate().public_key()))
    code, out = await verify("--public-key", str(other), key_file=tmp_path / "not-here.pem")
    assert code == 3 and out.count("does not verify with key") == 4
    code, out = await verify(key_file=tmp_path / "not-here.pem")  # the service's own: none
    assert code == 2 and not out


async def test_witness_files_are_read_only_and_durable(store: Store) -> None:
    files = sorted(store.witness.folder.glob("*.json"))
    assert len(files) == 4
    assert all(f.stat().st_mode & 0o777 == 0o444 for f in files)
    document = json.loads(files[-1].read_text())
    assert base64.b64decode(document["signature"]) and document["checkpoint"]["log_size"] == 15
    assert os.stat(store.key_file).st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE request_events SET actor = 'x'",
        "DELETE FROM request_events",
        "TRUNCATE request_events CASCADE",
        "UPDATE event_log SET log_hash = 'x'",
        "DELETE FROM event_log",
        "INSERT INTO event_log VALUES (999, 'x', 1, 'x', 'x')",
        "UPDATE request_histories SET run_id = 'x'",
        "UPDATE deadline_compliance SET closed_as = 'met'",
        "ALTER TABLE request_events DISABLE TRIGGER request_events_no_update_delete",
        "ALTER TABLE request_events DISABLE TRIGGER ALL",
        "DROP TRIGGER request_events_extend_log ON request_events",
        "ALTER TABLE request_events OWNER TO CURRENT_USER",
        "SET session_replication_role = replica",
        "CREATE TABLE shadow (x int)",
    ],
)
async def test_the_runtime_role_cannot_change_the_evidence(
    store: Store,
    statement: str,
) -> None:
    before = await store.superuser.fetchval("SELECT count(*) FROM request_events")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await store.runtime.execute(statement)
    assert await store.superuser.fetchval("SELECT count(*) FROM request_events") == before


async def test_the_runtime_role_appends_and_reads(store: Store) -> None:
    """...and still does its work: the log grows with every append, by the trigger."""
    events = EventStore(store.runtime)
    await events.append(
        event(store.requests[0], EventType.DEADLINE_REMINDED, minutes=20, step="answer")
    )
    size = await store.runtime.fetchval("SELECT max(position) FROM event_log")
    assert size == 16
    assert (await events.verify(store.requests[0])).intact


async def test_register_events_join_the_log_and_verify(store: Store, verify: Any) -> None:
    """The registers' streams (here Article 9's) are chained like requests' events and
    pinned by the same log and checkpoints."""
    await post_policy(
        store.runtime, b"the privacy policy", posted_at=POSTED, effective_at=None, posted_by="admin"
    )
    await store.signer.sign_head(store.runtime, "interval")
    code, out = await verify()
    assert code == 0, out
    assert "register/privacy-policy: intact (1 events)" in out
    assert "event log: intact (16 entries" in out


async def test_a_rewritten_register_event_is_caught(store: Store, verify: Any) -> None:
    await post_policy(
        store.runtime, b"the privacy policy", posted_at=POSTED, effective_at=None, posted_by="admin"
    )
    await store.signer.sign_head(store.runtime, "interval")
    await tamper(
        store.superuser,
        """UPDATE register_events SET payload = payload || '{"effective_at": "2020"}'
                     WHERE stream = 'privacy-policy'""",
        tables=("register_events",),
    )
    code, out = await verify()
    assert code == 3, out
    assert "register/privacy-policy: BROKEN at seq 1: hash does not match" in out
