"""Playing operator for the benchmark, through the same client calls the CLI uses.

`drive_request` submits one request and takes the operator's acts as the store's
projection (`requests.step`) shows each step open; what a request cost is read after the
timed section, in batches: `receipt_delivered_at` (the delivery moment of its receipt
notice) and `count_history` (activities and events in its workflow history)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from bench.report import LOCAL_ACTIVITY_MARKER
from domain.authority import ActSigner, Role
from domain.deadlines import Step
from runtime.act_keys import install_act_key
from runtime.settings import Settings
from service import acts
from service.acts import Actor
from service.requests import respond, submit
from store.accounts import Accounts
from store.sealing import vault_of

EMAIL = "bench.subject@example.jp"
DETAILS = {
    "inquiry": {"text": "Which data do you hold about me?"},
    "correction": {
        "changes": [{"field": "phone", "action": "correct", "new_value": "03-1"}],
        "statement": "My phone number changed.",
    },
    "suspension": {"action": "suspend_use", "grounds": ["used_beyond_purpose"]},
    "third_party_stop": {"partners": ["adnet-1"]},
    "disclosure": {},
}
DECISION = {
    "correction": "correction_made",
    "suspension": "use_suspended",
    "third_party_stop": "provision_stopped",
    "disclosure": "disclosed_in_full",
}
# The bench's operator, an administrator, and its signing key; its workers verify acts
# with the public key (`bench_act_keys` writes both for them) and find the bench's
# accounts in the store (`bench_accounts`).
BENCH_ACT_KEY = Ed25519PrivateKey.generate()
BENCH_ACT_SIGNER = ActSigner(BENCH_ACT_KEY)
OPERATOR = Actor("bench-op", frozenset({Role.ADMIN}), BENCH_ACT_SIGNER)
BENCH_ADMIN = "bench-admin"


def bench_act_keys(folder: Path) -> dict[str, str]:
    """The bench's act keys as files under `folder`; the variables that name them."""
    settings = Settings(
        DSR_ACT_SIGNING_KEY=str(folder / "act-signing-ed25519.pem"),
        DSR_ACT_PUBLIC_KEYS=str(folder / "act-public"),
    )
    install_act_key(settings, BENCH_ACT_KEY)
    return {
        "DSR_ACT_SIGNING_KEY": str(folder / "act-signing-ed25519.pem"),
        "DSR_ACT_PUBLIC_KEYS": str(folder / "act-public"),
    }


async def bench_accounts(pool: asyncpg.Pool) -> None:
    """The accounts the bench acts as, in the store where the workers look them up."""
    accounts = Accounts(pool)
    for name in (OPERATOR.account, BENCH_ADMIN):
        if not await accounts.exists(name):
            await accounts.create(name, (Role.ADMIN,), "bench")


STEP_WAIT = 300.0  # seconds a request may sit before the step the operator acts on opens


@dataclass(frozen=True)
class Driven:
    request_id: str
    kind: str
    submitted_at: datetime  # this machine's clock, just before `submit`


async def seed_subjects(pool: asyncpg.Pool, tag: str, n: int) -> list[str]:
    """Registered subjects with a little data each (a match verifies only a stop request;
    the others are verified by the bench's operator, as they are in production)."""
    subjects = [f"bench-subject-{tag}-{i}" for i in range(n)]
    async with pool.acquire() as connection, connection.transaction():
        await connection.executemany(
            "INSERT INTO subjects (subject_id) VALUES ($1)", [(s,) for s in subjects]
        )
        # Held as the inventory holds it: sealed under each subject's key, the e-mail
        # with its blind index (the identity check matches the requester's by it).
        vault = vault_of(connection)
        email_index = vault.blind_index(EMAIL)
        rows = []
        for s in subjects:
            email, phone, purchases = await vault.seal_all(
                connection, s, EMAIL, "090-0000-0000", "12 orders"
            )
            rows += [
                (s, "contact", "email", email, email_index, "service_emails"),
                (s, "contact", "phone", phone, None, "important_notices"),
                (s, "transaction", "purchases", purchases, None, "ad_resale"),
            ]
        await connection.executemany(
            """INSERT INTO personal_data (subject_id, category, field, value, value_index,
                                          purpose)
               VALUES ($1, $2, $3, $4, $5, $6)""",
            rows,
        )
        await connection.executemany(
            """INSERT INTO third_party_provisions (subject_id, partner_id, relationship,
                   legal_basis) VALUES ($1, 'adnet-1', 'third_party', 'consent')""",
            [(s,) for s in subjects],
        )
    return subjects


class StepWatch:
    """Waits for steps in the store's projection, as an operator's screen would: one
    query every `every` seconds for all the requests waited on, instead of one each (a
    workflow query would cost the worker a task each time; 50 pollers of their own would
    cost Postgres and this process hundreds of reads a second)."""

    def __init__(self, pool: asyncpg.Pool, every: float = 0.05) -> None:
        self._pool = pool
        self._every = every
        self._waiting: dict[str, tuple[str, asyncio.Future[None]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> StepWatch:
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass

    async def at(self, request_id: str, step: Step, within: float = STEP_WAIT) -> None:
        future = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = (step.value, future)
        try:
            async with asyncio.timeout(within):
                await future
        except TimeoutError:
            raise RuntimeError(
                f"request {request_id} never showed step {step.value} in "
                f"the store within {within:.0f}s"
            ) from None
        finally:
            self._waiting.pop(request_id, None)

    async def _run(self) -> None:
        while True:
            if self._waiting:
                rows = await self._pool.fetch(
                    "SELECT request_id, step FROM requests WHERE request_id = ANY($1)",
                    list(self._waiting),
                )
                for row in rows:
                    wanted = self._waiting.get(row["request_id"])
                    if wanted and wanted[0] == row["step"] and not wanted[1].done():
                        wanted[1].set_result(None)
            await asyncio.sleep(self._every)


async def _act(act: Callable[[], Awaitable[object]]) -> None:
    # The projection can show a step a moment before the workflow opens it for updates
    # (or, with bookkeeping stored in batches, a moment after): an early act is refused
    # and sent again. An act not taken in time is sent again too: it is the same act.
    unanswered = 0
    for _ in range(200):
        try:
            await act()
            return
        except acts.Refused as refusal:
            if "comes after" not in str(refusal) and "no invoice" not in str(refusal):
                raise
        except acts.Unanswered:  # each one waited ACT_WAIT (30 s) already
            unanswered += 1
            if unanswered == 4:
                raise
        await asyncio.sleep(0.05)
    raise RuntimeError("the workflow never reached the step the store showed")


async def drive_request(
    client: Client,
    pool: asyncpg.Pool,
    watch: StepWatch,
    queue: str,
    kind: str,
    request_id: str,
    subject_id: str,
) -> Driven:
    """Submit one request and drive it to its close (the workflow's result)."""
    submitted = datetime.now(UTC)
    await submit(
        {
            "request_id": request_id,
            "kind": kind,
            "subject_id": subject_id,
            "requester": {"name": "Bench Subject", "email": EMAIL},
            "details": DETAILS[kind],
        },
        client=client,
        pool=pool,
        task_queue=queue,
    )
    if kind == "inquiry":
        await _act(
            lambda: respond(
                request_id, "We hold your contact data.", OPERATOR, client=client, pool=pool
            )
        )
    else:
        if kind != "third_party_stop":
            await watch.at(request_id, Step.VERIFY_IDENTITY)
            await _act(
                lambda: acts.verify_identity(
                    request_id, "document_check", OPERATOR, client=client, pool=pool
                )
            )
        await watch.at(request_id, Step.DECIDE)
        await _act(
            lambda: acts.decide(request_id, DECISION[kind], OPERATOR, client=client, pool=pool)
        )
        if kind == "disclosure":  # the fee follows the decision to disclose
            await watch.at(request_id, Step.PAYMENT)
            await _act(
                lambda: acts.record_payment(
                    request_id,
                    f"inv-{request_id}",
                    1000,
                    "bench-pay",
                    OPERATOR,
                    client=client,
                    pool=pool,
                )
            )
    await client.get_workflow_handle(f"dsr-{request_id}").result()
    return Driven(request_id, kind, submitted)


async def receipt_delivered_at(
    pool: asyncpg.Pool, request_ids: Iterable[str]
) -> dict[str, datetime]:
    """When each request's receipt notice was delivered: `recorded_at` of the
    `notice.delivered` event for the receipt's notification, the database's clock when
    the transaction recording the delivery ran, just after the notice was written to the
    maildrop. (`notifications.delivered_at` is not that moment: it is the workflow's
    time when it ordered the delivery, before the notice was sent.)"""
    rows = await pool.fetch(
        """SELECT n.request_id, min(e.recorded_at) AS delivered
             FROM notifications n
             JOIN request_events e
               ON e.request_id = n.request_id AND e.type = 'notice.delivered'
              AND e.payload->>'notification_id' = n.notification_id::text
            WHERE n.request_id = ANY($1) AND n.notice = 'receipt'
            GROUP BY n.request_id""",
        list(request_ids),
    )
    return {row["request_id"]: row["delivered"] for row in rows}


def receipt_latencies_ms(driven: Iterable[Driven], delivered: dict[str, datetime]) -> list[float]:
    return [
        1000 * (delivered[d.request_id] - d.submitted_at).total_seconds()
        for d in driven
        if d.request_id in delivered
    ]


async def count_history(client: Client, request_id: str) -> tuple[int, int]:
    """(activities, history events) of a request's workflow: activities through the task
    queue (ACTIVITY_TASK_SCHEDULED) and local activities (their markers)."""
    history = await client.get_workflow_handle(f"dsr-{request_id}").fetch_history()
    activities = sum(
        1
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        or (
            e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and e.marker_recorded_event_attributes.marker_name == LOCAL_ACTIVITY_MARKER
        )
    )
    return activities, len(history.events)
