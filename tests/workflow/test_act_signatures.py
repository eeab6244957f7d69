"""Only the API signs (issue 21): an act reaching the worker signed by a key it does not
list, with the retired HMAC scheme, by an account the store does not know as enabled with
the role, or older than the window is refused, the refusal recorded as `act.refused`, and
the request is as before. Review N2's forge (invented accounts acting with what a `dsr`
user held) no longer does harm. The signature can be verified inside the workflow sandbox
(`cryptography` passed through it) without the worker dying."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import BaseModel
from temporalio.client import Client, WorkflowUpdateFailedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner

from domain.authority import (
    DEFAULT_ACT_WINDOW,
    Act,
    ActAuthority,
    ActSigner,
    Role,
    argument_digest,
)
from domain.deadlines import Step
from domain.messages import Decide, RecordPayment, StatusView, VerifyIdentity
from domain.requests import workflow_id_for
from runtime.act_keys import public_pem
from service import acts
from store.accounts import Accounts
from tests.support.sandboxed_signature import VerifySignatureInSandbox
from tests.support.scenarios import Scenario, at_step, event_types, outcome_of
from tests.support.temporal import (
    TEST_ACT_SIGNER,
    Rig,
    actor,
    end_open_requests,
    rigged,
    time_skipping_server,
)
from worker import SANDBOX_RESTRICTIONS

ROOT = Path(__file__).resolve().parents[2]


def _authority(
    argument: BaseModel,
    act: Act,
    request_id: str,
    account: str,
    roles: tuple[Role, ...],
    issued_at: datetime | None = None,
) -> ActAuthority:
    return ActAuthority(
        account=account,
        roles=roles,
        act=act.value,
        request_id=request_id,
        act_id=f"act-{uuid.uuid4().hex[:16]}",
        argument_digest=argument_digest(argument.model_dump(mode="json")),
        issued_at=issued_at or datetime.now(UTC),
    )


def _hmac_signed(authority: ActAuthority, key: bytes) -> ActAuthority:
    """As `dsr` signed before issue 21: HMAC-SHA256 of the v1 statement, no key id."""
    v1 = authority.statement().replace(b"dsr-act/v2", b"dsr-act/v1")
    return authority.model_copy(
        update={"key_id": "", "signature": hmac.new(key, v1, hashlib.sha256).hexdigest()}
    )


async def _send(client: Client, request_id: str, act: Act, argument: BaseModel) -> StatusView:
    """Straight to Temporal, as one holding a Temporal client would."""
    authority = getattr(argument, "authority")  # noqa: B009
    return await client.get_workflow_handle(workflow_id_for(request_id)).execute_update(
        act.value, argument, result_type=StatusView, id=authority.act_id
    )


async def _view(client: Client, request_id: str) -> StatusView:
    return await client.get_workflow_handle(workflow_id_for(request_id)).query(
        "status", result_type=StatusView
    )


async def _refusals(pool: asyncpg.Pool, request_id: str) -> list[dict[str, Any]]:
    rows = await pool.fetch(
        "SELECT actor, payload FROM request_events WHERE request_id = $1"
        " AND type = 'act.refused' ORDER BY seq",
        request_id,
    )
    return [{"actor": r["actor"], **r["payload"]} for r in rows]


async def _refused_and_recorded(
    rig: Rig, request_id: str, act: Act, argument: BaseModel, reason: str
) -> None:
    """The act fails with `reason`; the only change is one `act.refused` event naming it."""
    pool = rig.pool
    before_types = await event_types(pool, request_id)
    before = await _view(rig.client, request_id)
    with pytest.raises(WorkflowUpdateFailedError) as failure:
        await _send(rig.client, request_id, act, argument)
    assert reason in str(failure.value.cause), failure.value.cause
    assert f"{act.record} not accepted" in str(failure.value.cause)
    after_types = await event_types(pool, request_id)
    assert after_types[: len(before_types)] == before_types
    # Besides the refusal, only bookkeeping the workflow had not stored yet (it rides with
    # the next effect): nothing an act records.
    new = after_types[len(before_types) :]
    assert new.count("act.refused") == 1, new
    assert all(t == "act.refused" or t.startswith(("notice.", "deadline.")) for t in new), new
    authority: ActAuthority = getattr(argument, "authority")  # noqa: B009
    refusal = (await _refusals(pool, request_id))[-1]
    assert refusal["actor"] == "system"
    assert refusal["account"] == authority.account and refusal["act"] == act.value
    assert refusal["act_id"] == authority.act_id and refusal["key_id"] == authority.key_id
    assert reason in refusal["reason"]
    after = await _view(rig.client, request_id)
    assert (after.status, after.step, after.outcome) == (before.status, before.step, None)


async def _awaiting_verification(rig: Rig, label: str) -> str:
    request = await Scenario(rig, label).disclosure().unregistered().at(Step.VERIFY_IDENTITY)
    return request.id


async def test_an_act_by_a_key_not_listed_or_the_old_hmac_key_is_refused_and_recorded(
    rig: Rig, pool: asyncpg.Pool, owner_pool: asyncpg.Pool
) -> None:
    rid = await _awaiting_verification(rig, "sig-key")
    await Accounts(owner_pool).create(f"op-key-{rig.unique}", (Role.OPERATOR,), "test")
    account = f"op-key-{rig.unique}"
    proof = VerifyIdentity(method="document_check", operator=account)
    own_key = ActSigner(Ed25519PrivateKey.generate())
    signed = own_key.sign(_authority(proof, Act.VERIFY_IDENTITY, rid, account, (Role.OPERATOR,)))
    await _refused_and_recorded(
        rig,
        rid,
        Act.VERIFY_IDENTITY,
        proof.model_copy(update={"authority": signed}),
        "which this worker does not list",
    )
    # Today's HMAC scheme, with the very key file a `dsr` user held.
    old = _hmac_signed(
        _authority(proof, Act.VERIFY_IDENTITY, rid, account, (Role.OPERATOR,)), bytes(range(32))
    )
    await _refused_and_recorded(
        rig,
        rid,
        Act.VERIFY_IDENTITY,
        proof.model_copy(update={"authority": old}),
        "retired shared HMAC act key",
    )
    # A forged signature under the listed key's id.
    tampered = TEST_ACT_SIGNER.sign(
        _authority(proof, Act.VERIFY_IDENTITY, rid, account, (Role.OPERATOR,))
    ).model_copy(update={"signature": own_key.sign(signed).signature})
    await _refused_and_recorded(
        rig,
        rid,
        Act.VERIFY_IDENTITY,
        proof.model_copy(update={"authority": tampered}),
        "signature does not verify",
    )
    # The claim was released each time: the account's own act, signed by the API, is taken.
    taken = await acts.verify_identity(
        rid, "document_check", actor(account, Role.OPERATOR), client=rig.client, pool=pool
    )
    assert taken.step_done and taken.next_step is Step.INVESTIGATE
    assert (await event_types(pool, rid)).count("identity.verified") == 1
    await end_open_requests(rig.client, pool, "request_id = $1", rid)


async def test_an_act_of_an_account_disabled_deleted_unknown_or_without_the_role_is_refused(
    rig: Rig, owner_pool: asyncpg.Pool, superuser_pool: asyncpg.Pool
) -> None:
    rid = await _awaiting_verification(rig, "sig-acct")
    # Accounts are written as the schema's owner (no role of the service writes them).
    accounts, u = Accounts(owner_pool), rig.unique
    await accounts.create(f"gone-{u}", (Role.OPERATOR,), "test")
    await accounts.create(f"off-{u}", (Role.OPERATOR,), "test")
    await accounts.create(f"aud-{u}", (Role.AUDITOR,), "test")
    await accounts.disable(f"off-{u}")
    await superuser_pool.execute("DELETE FROM accounts WHERE account = $1", f"gone-{u}")
    for account, roles, reason in (
        (f"off-{u}", (Role.OPERATOR,), f"account off-{u} is disabled"),
        (f"gone-{u}", (Role.OPERATOR,), f"account 'gone-{u}' does not exist"),
        (f"nobody-{u}", (Role.ADMIN,), f"account 'nobody-{u}' does not exist"),
        (f"aud-{u}", (Role.OPERATOR,), "does not hold the role(s) the act claims: operator"),
    ):
        proof = VerifyIdentity(method="document_check", operator=account)
        signed = TEST_ACT_SIGNER.sign(_authority(proof, Act.VERIFY_IDENTITY, rid, account, roles))
        await _refused_and_recorded(
            rig, rid, Act.VERIFY_IDENTITY, proof.model_copy(update={"authority": signed}), reason
        )
    assert len(await _refusals(rig.pool, rid)) == 4
    await end_open_requests(rig.client, rig.pool, "request_id = $1", rid)


async def test_an_act_older_than_the_window_is_refused_by_the_workflows_clock(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    owner_pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
) -> None:
    async with rigged(
        time_skipping_env.client,
        pool,
        tmp_path,
        unique,
        "sig-window",
        act_window=DEFAULT_ACT_WINDOW,
        accounts_pool=owner_pool,
    ) as rig:
        rid = await _awaiting_verification(rig, "sig-window")
        account = f"op-win-{unique}"
        await Accounts(owner_pool).create(account, (Role.OPERATOR,), "test")
        proof = VerifyIdentity(method="document_check", operator=account)
        # The time-skipping server's clock is the workflow's: it may run ahead of ours.
        now = await time_skipping_env.get_current_time()
        stale = TEST_ACT_SIGNER.sign(
            _authority(
                proof,
                Act.VERIFY_IDENTITY,
                rid,
                account,
                (Role.OPERATOR,),
                issued_at=now - DEFAULT_ACT_WINDOW - timedelta(minutes=1),
            )
        )
        await _refused_and_recorded(
            rig,
            rid,
            Act.VERIFY_IDENTITY,
            proof.model_copy(update={"authority": stale}),
            "more than 5 minutes before it reached the request",
        )
        fresh = TEST_ACT_SIGNER.sign(
            _authority(
                proof,
                Act.VERIFY_IDENTITY,
                rid,
                account,
                (Role.OPERATOR,),
                issued_at=now - timedelta(minutes=1),
            )
        )
        taken = await _send(
            rig.client, rid, Act.VERIFY_IDENTITY, proof.model_copy(update={"authority": fresh})
        )
        assert taken.step_done and "identity.verified" in await event_types(pool, rid)
        await end_open_requests(rig.client, pool, "request_id = $1", rid)


async def test_n2_invented_accounts_signing_with_what_a_dsr_user_held_do_no_harm(
    rig: Rig, pool: asyncpg.Pool
) -> None:
    """Review N2: `forge_act.py` verified identity and decided as "ghost" [operator] and
    recorded the payment as "nobody-at-all" [cashier], with the act key file `dsr` held.
    A `dsr` user now holds no signing key; whatever they sign with (the old HMAC key, a key
    of their own, or even the API's own key) an invented account's act is refused."""
    rid = await _awaiting_verification(rig, "n2")
    own_key = ActSigner(Ed25519PrivateKey.generate())

    def forged(argument: BaseModel, act: Act, account: str, role: Role) -> list[BaseModel]:
        def authority() -> ActAuthority:  # each with an act id of its own
            return _authority(argument, act, rid, account, (role,))

        return [
            argument.model_copy(update={"authority": signed})
            for signed in (
                _hmac_signed(authority(), bytes(range(32))),
                own_key.sign(authority()),
                TEST_ACT_SIGNER.sign(authority()),
            )
        ]

    async def attempt(argument: BaseModel, act: Act, account: str, role: Role) -> None:
        for each in forged(argument, act, account, role):
            with pytest.raises(WorkflowUpdateFailedError):
                await _send(rig.client, rid, act, each)

    await attempt(
        VerifyIdentity(method="document_check", operator="ghost"),
        Act.VERIFY_IDENTITY,
        "ghost",
        Role.OPERATOR,
    )
    assert (await _view(rig.client, rid)).step is Step.VERIFY_IDENTITY
    # The real operator verifies; the ghost's decision is refused, the real one taken.
    await acts.verify_identity(
        rid, "document_check", actor("op-n2", Role.OPERATOR), client=rig.client, pool=pool
    )
    await at_step(rig.client, pool, rid, Step.DECIDE)
    await attempt(
        Decide(outcome="disclosed_in_full", operator="ghost"), Act.DECIDE, "ghost", Role.OPERATOR
    )
    assert (await _view(rig.client, rid)).step is Step.DECIDE
    await acts.decide(
        rid, "disclosed_in_full", actor("op-n2", Role.OPERATOR), client=rig.client, pool=pool
    )
    view = await at_step(rig.client, pool, rid, Step.PAYMENT)
    assert view.invoice_id is not None
    await attempt(
        RecordPayment(
            invoice_id=view.invoice_id,
            amount_yen=1000,
            reference="forged-1",
            operator="nobody-at-all",
        ),
        Act.RECORD_PAYMENT,
        "nobody-at-all",
        Role.CASHIER,
    )
    assert (await _view(rig.client, rid)).step is Step.PAYMENT
    actors = await pool.fetch(
        "SELECT type, actor, payload->>'account' AS claimed FROM request_events"
        " WHERE request_id = $1 AND (actor IN ('ghost', 'nobody-at-all')"
        " OR type = 'act.refused') ORDER BY seq",
        rid,
    )
    assert all(row["type"] == "act.refused" and row["actor"] == "system" for row in actors)
    assert [row["claimed"] for row in actors] == ["ghost"] * 6 + ["nobody-at-all"] * 3
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM accounts WHERE account IN ('ghost', 'nobody-at-all')"
        )
        == 0
    )
    # The request goes on with real accounts only.
    await acts.record_payment(
        rid,
        view.invoice_id,
        1000,
        "bank-transfer-1",
        actor("cash-n2", Role.CASHIER),
        client=rig.client,
        pool=pool,
    )
    assert await outcome_of(rig.client, rid) == "disclosed_in_full"


async def test_a_bad_signature_verified_inside_the_workflow_sandbox_is_a_refusal(
    time_skipping_env: WorkflowEnvironment, unique: str
) -> None:
    """`cryptography` passed through the sandbox (worker.SANDBOX_RESTRICTIONS): a signature
    that does not verify is a refusal, and the worker lives on."""
    client = time_skipping_env.client
    signed = TEST_ACT_SIGNER.sign(
        ActAuthority(
            account="op-1",
            roles=(Role.OPERATOR,),
            act="decide",
            request_id="r-1",
            act_id="act-1",
            argument_digest="0" * 64,
            issued_at=datetime.now(UTC),
        )
    )
    pem = public_pem(TEST_ACT_SIGNER.public_key).decode("ascii")
    queue = f"sandbox-signature-{unique}"
    async with Worker(
        client,
        task_queue=queue,
        workflows=[VerifySignatureInSandbox],
        workflow_runner=SandboxedWorkflowRunner(restrictions=SANDBOX_RESTRICTIONS),
    ):
        for authority, expected in (
            (signed.model_copy(update={"act_id": "act-2"}), "signature does not verify"),
            (signed, "verified"),
        ):
            result = await client.execute_workflow(
                VerifySignatureInSandbox.run,
                args=[authority, pem],
                id=f"sandbox-signature-{uuid.uuid4().hex[:12]}",
                task_queue=queue,
            )
            assert expected in result


async def test_without_the_passthrough_the_sandbox_would_kill_the_worker(unique: str) -> None:
    """What the passthrough prevents: with the SDK's default restrictions, the same bad
    signature aborts the worker's process (PyO3 cannot import the exception class inside
    the sandbox). In a process of its own, so only that one dies, and on a time-skipping
    server of its own: a client killed while it waits on a workflow leaves the server
    skipping no time for anyone after it (the suite's shared server stalled)."""
    async with time_skipping_server() as own:
        await _abort_in_a_process(own, unique)


async def _abort_in_a_process(time_skipping_env: WorkflowEnvironment, unique: str) -> None:
    workflow_id = f"sandbox-abort-{unique}"
    script = ROOT / "tests" / "support" / "sandboxed_signature.py"
    done = await asyncio.to_thread(
        subprocess.run,
        [
            sys.executable,
            str(script),
            time_skipping_env.client.service_client.config.target_host,
            f"sandbox-abort-{unique}",
            workflow_id,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        timeout=120,
    )
    try:
        assert done.returncode not in (0, 3), done.stderr[-2000:]
        assert b"panic" in done.stderr, done.stderr[-2000:]
    finally:
        try:
            await time_skipping_env.client.get_workflow_handle(workflow_id).terminate()
        except RPCError:
            pass
