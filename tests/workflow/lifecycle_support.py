"""Seeding a subject's holdings and driving requests through their lifecycles. Personal
data is stored sealed under the subject's key: the seed seals it as the stores do, and
what a test reads of it is opened (`opened`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client
from temporalio.worker import Worker

from domain.deadlines import Step
from domain.messages import StatusView
from service import acts
from service.requests import status, submit
from store.events import EventStore
from store.sealing import vault_of
from tests.store.support import opened
from tests.support import PERSONAL, actor, eventually, keep_history, readable_history
from worker import request_activities

REASON = "Disclosing this would reveal another customer's dispute (secret-reason-marker)."
MEASURE = "Your record is flagged do-not-contact in every system (secret-measure-marker)."
HELD_VALUES = {"name": "Hanako Yamada-Testperson", "phone": "090-1234-5678",
               "address": "1-2-3 Minato, Tokyo", "bank_account": "MUFG 1234567",
               "purchases": "37 orders since 2019", "segment": "frequent-night-buyer",
               "ad_profile": "lookalike-audience-7"}
STATEMENT = "My phone number changed last spring (secret-statement-marker)."
ALL_PERSONAL = [*PERSONAL.values(), REASON, MEASURE, STATEMENT, *HELD_VALUES.values()]


async def seed_subject(pool: asyncpg.Pool, subject_id: str, *, registered: bool = True) -> None:
    """A subject holding data in every category, one item used beyond the purposes of
    Article 3, one obtained wrongfully, and partners on every Article 5 footing."""
    email = PERSONAL["email"] if registered else "someone.else@example.jp"
    rows = [
        ("identity", "name", HELD_VALUES["name"], "provide_service", True),
        ("contact", "email", email, "service_emails", True),
        ("contact", "phone", HELD_VALUES["phone"], "important_notices", True),
        ("contact", "address", HELD_VALUES["address"], "billing", True),
        ("financial", "bank_account", HELD_VALUES["bank_account"], "billing", True),
        ("transaction", "purchases", HELD_VALUES["purchases"], "provide_service", True),
        ("history", "login_history", "logins", "prevent_abuse", True),
        ("characteristic", "segment", HELD_VALUES["segment"], "resale_to_brokers", True),
        ("characteristic", "ad_profile", HELD_VALUES["ad_profile"], "provide_service", False),
    ]
    async with pool.acquire() as connection, connection.transaction():
        vault = vault_of(connection)
        await connection.execute(
            "INSERT INTO subjects (subject_id) VALUES ($1) ON CONFLICT DO NOTHING", subject_id)
        values = await vault.seal_all(connection, subject_id, *(row[2] for row in rows))
        await connection.executemany(
            """INSERT INTO personal_data
                   (subject_id, category, field, value, purpose, lawfully_obtained, value_index)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            [(subject_id, category, field, value, purpose, lawful,
              vault.blind_index(plain) if field == "email" else None)
             for (category, field, plain, purpose, lawful), value in zip(rows, values,
                                                                         strict=True)])
        await connection.executemany(
            """INSERT INTO third_party_provisions (subject_id, partner_id, relationship,
                   legal_basis, data_items)
               VALUES ($1, $2, $3, $4, $5)""",
            [(subject_id, "adnet-1", "third_party", "consent", ["purchases"]),
             (subject_id, "broker-2", "third_party", "opt_out_notified", ["segment"]),
             (subject_id, "tax-office", "third_party", "cooperation_with_authorities",
              ["name", "bank_account"]),
             (subject_id, "group-co", "joint_use", "not_third_party", ["name"]),
             (subject_id, "call-centre", "entrustment", "not_third_party", ["phone"])])


Running = tuple[Client, str, Worker]  # the `running` fixture: client, task queue, worker


async def outcome_of(client: Client, request_id: str) -> str:
    """The outcome a request's workflow closed with."""
    result = await client.get_workflow_handle(f"dsr-{request_id}").result()
    return result["outcome"] if isinstance(result, dict) else result.outcome


def activities_replacing(pool: asyncpg.Pool, maildrop: Path, **faulty: Any) -> list[Any]:
    """The worker's real activities, with those named replaced by a test's faulty stand-in
    (registered under the same activity name): fault injection for one test's worker."""
    real = request_activities(pool, maildrop)
    unknown = set(faulty) - {a.__name__ for a in real}
    assert not unknown, f"no such activities: {unknown}"
    return [faulty.get(a.__name__, a) for a in real]


def request(kind: str, request_id: str, subject_id: str, details: dict[str, Any],
            language: str = "en") -> dict:
    if kind == "correction":
        details = {"statement": STATEMENT, **details}
    return {"request_id": request_id, "kind": kind, "subject_id": subject_id,
            "requester": {"name": PERSONAL["name"], "email": PERSONAL["email"]},
            "details": details, "language": language}


async def start(client: Client, pool: asyncpg.Pool, task_queue: str, kind: str,
                request_id: str, subject_id: str, details: dict[str, Any],
                language: str = "en") -> None:
    result = await submit(request(kind, request_id, subject_id, details, language),
                          client=client, pool=pool, task_queue=task_queue)
    assert result.created and result.workflow_started


async def verified(client: Client, pool: asyncpg.Pool, request_id: str) -> StatusView:
    """An operator verifies the requester, as every request that discloses, changes or
    erases data needs; returns the reply the operator sees."""
    await at_step(client, pool, request_id, Step.VERIFY_IDENTITY)
    return await acts.verify_identity(request_id, "document_check", actor("op-2"), client=client,
                                      pool=pool)


async def at_step(client: Client, pool: asyncpg.Pool, request_id: str, step: Step) -> StatusView:
    async def probe() -> StatusView:
        return await status(request_id, client=client, pool=pool)
    return await eventually(probe, lambda view: view.step is step)


async def event_types(pool: asyncpg.Pool, request_id: str) -> list[str]:
    return [event.type.value for event in await EventStore(pool).events(request_id)]


async def outcome_notice(pool: asyncpg.Pool, request_id: str, notice: str = "outcome") -> str:
    """The notice's body, opened."""
    return await opened(pool, await pool.fetchval(
        "SELECT body FROM notifications WHERE request_id = $1 AND notice = $2",
        request_id, notice))


async def held_values(pool: asyncpg.Pool, subject_id: str) -> dict[str, str]:
    """The subject's items by field, opened."""
    return {row["field"]: await opened(pool, row["value"]) for row in await pool.fetch(
        "SELECT field, value FROM personal_data WHERE subject_id = $1", subject_id)}


async def check_record(client: Client, pool: asyncpg.Pool, request_id: str,
                       history_name: str) -> None:
    """After any path: the chain verifies, no personal value reached Temporal, and the
    history is kept for replay when DSR_RECORD_HISTORIES=1."""
    assert (await EventStore(pool).verify(request_id)).intact
    handle = client.get_workflow_handle(f"dsr-{request_id}")
    history = await handle.fetch_history()
    readable = readable_history(history.to_json())
    # The raw description: the test server stores an unset Datetime attribute as null,
    # which the SDK's typed decoding does not accept.
    raw = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=f"dsr-{request_id}")))
    attributes = raw.workflow_execution_info.search_attributes.indexed_fields
    visible = readable + "".join(
        payload.data.decode("utf-8", "replace") for payload in attributes.values())
    leaked = [value for value in ALL_PERSONAL if value in visible]
    assert leaked == [], f"personal data in Temporal: {leaked}"
    keep_history(history_name, history.to_json())
