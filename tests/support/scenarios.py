"""Scenarios: a subject's holdings seeded and a request driven to the step a test starts
from (`Scenario`), and the helpers a story continues with. Personal
data is stored sealed under the subject's key: the seed seals it as the stores do, and
what a test reads of it is opened (`opened`)."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Self

import asyncpg
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DescribeWorkflowExecutionRequest
from temporalio.client import Client

from domain.deadlines import DeadlinePolicy, Step
from domain.inventory import parse_inventory
from domain.messages import StatusView
from domain.requests import workflow_id_for
from service import acts
from service.requests import status, submit
from store.events import EventStore
from store.inventory import InventoryStore
from store.sealing import vault_of
from tests.support.builders import submission
from tests.support.histories import keep_history
from tests.support.privacy import (
    ALL_PERSONAL,
    HELD_VALUES,
    PERSONAL,
    STATEMENT,
    leaks,
    readable_history,
)
from tests.support.purposes import define_in_register
from tests.support.sealing import opened
from tests.support.temporal import Rig, actor, eventually

# Article 5's register for the seeded partners, complete, so each stands on its footing
# (domain/provision_rule.py): broker-2's opt-out with its matters, the Commission's
# notification and a purpose of use that includes the provision (put in Article 3's
# register as an Article 4 change leaves it, `SEED_PROVIDING`: a file cannot bring one,
# review C3); group-co's joint use and call-centre's entrustment with their Article 5 ¶2
# particulars. The seeded segment is held for `resale_to_brokers`, beyond purpose, so the
# opt-out carries none of it (C2).
SEED_PROVIDING = "segments_to_brokers"
SEED_REGISTER: dict[str, Any] = {
    "provision_bases": [
        {
            "partner": "broker-2",
            "relationship": "third_party",
            "legal_basis": "opt_out_notified",
            "opt_out": {
                "matters": [
                    "provision_in_purpose",
                    "items_provided",
                    "means_of_provision",
                    "stops_on_request",
                    "how_to_request",
                ],
                "announced_at": "2026-04-01",
                "commission_notified_at": "2026-04-15",
                "purpose": "segments_to_brokers",
            },
        },
        {
            "partner": "group-co",
            "relationship": "joint_use",
            "legal_basis": "not_third_party",
            "joint_use": {
                "items": "name",
                "scope_of_joint_users": "the group companies",
                "purpose": "fraud prevention",
                "person_responsible": "the Security Office",
            },
        },
        {
            "partner": "call-centre",
            "relationship": "entrustment",
            "legal_basis": "not_third_party",
            "entrustment": {"handling": "answering calls", "purpose": "important notices"},
        },
    ],
}


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
            "INSERT INTO subjects (subject_id) VALUES ($1) ON CONFLICT DO NOTHING", subject_id
        )
        values = await vault.seal_all(connection, subject_id, *(row[2] for row in rows))
        await connection.executemany(
            """INSERT INTO personal_data
                   (subject_id, category, field, value, purpose, lawfully_obtained, value_index)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            [
                (
                    subject_id,
                    category,
                    field,
                    value,
                    purpose,
                    lawful,
                    vault.blind_index(plain) if field == "email" else None,
                )
                for (category, field, plain, purpose, lawful), value in zip(
                    rows, values, strict=True
                )
            ],
        )
        await connection.executemany(
            """INSERT INTO third_party_provisions (subject_id, partner_id, relationship,
                   legal_basis, data_items)
               VALUES ($1, $2, $3, $4, $5)""",
            [
                (subject_id, "adnet-1", "third_party", "consent", ["purchases"]),
                (subject_id, "broker-2", "third_party", "opt_out_notified", ["segment"]),
                (
                    subject_id,
                    "tax-office",
                    "third_party",
                    "cooperation_with_authorities",
                    ["name", "bank_account"],
                ),
                (subject_id, "group-co", "joint_use", "not_third_party", ["name"]),
                (subject_id, "call-centre", "entrustment", "not_third_party", ["phone"]),
            ],
        )
    await define_in_register(
        pool,
        SEED_PROVIDING,
        "To provide customer segments to data brokers (provision to third parties)",
        includes_provision=True,
        change_id="seed-providing",
    )
    await InventoryStore(pool).load(parse_inventory(SEED_REGISTER))


async def outcome_of(client: Client, request_id: str) -> str:
    """The outcome a request's workflow closed with."""
    result = await client.get_workflow_handle(workflow_id_for(request_id)).result()
    return result["outcome"] if isinstance(result, dict) else result.outcome


async def start(
    client: Client,
    pool: asyncpg.Pool,
    task_queue: str,
    kind: str,
    request_id: str,
    subject_id: str,
    details: dict[str, Any],
    language: str = "en",
    deadline_policy: DeadlinePolicy | None = None,
) -> None:
    form = submission(
        kind,
        request_id,
        subject_id,
        person=PERSONAL,
        details=details,
        language=language,
        statement=STATEMENT if kind == "correction" else None,
    )
    result = await submit(
        form,
        client=client,
        pool=pool,
        task_queue=task_queue,
        **({"deadline_policy": deadline_policy} if deadline_policy else {}),
    )
    assert result.created and result.workflow_started


async def verified(client: Client, pool: asyncpg.Pool, request_id: str) -> StatusView:
    """An operator verifies the requester, as every request that discloses, changes or
    erases data needs; returns the reply the operator sees."""
    await at_step(client, pool, request_id, Step.VERIFY_IDENTITY)
    return await acts.verify_identity(
        request_id, "document_check", actor("op-2"), client=client, pool=pool
    )


async def at_step(client: Client, pool: asyncpg.Pool, request_id: str, step: Step) -> StatusView:
    async def probe() -> StatusView:
        return await status(request_id, client=client, pool=pool)

    return await eventually(probe, lambda view: view.step is step)


async def event_types(pool: asyncpg.Pool, request_id: str) -> list[str]:
    return [event.type.value for event in await EventStore(pool).events(request_id)]


async def outcome_notice(pool: asyncpg.Pool, request_id: str, notice: str = "outcome") -> str:
    """The notice's body, opened, once it is on record: a step is reached (and queried)
    before the activity that queues its notice has run, e.g. the request for proof of
    identity follows the opening of the identity window."""

    async def body() -> str | None:
        sealed: str | None = await pool.fetchval(
            "SELECT body FROM notifications WHERE request_id = $1 AND notice = $2",
            request_id,
            notice,
        )
        return sealed

    sealed = await eventually(body, lambda found: found is not None)
    assert sealed is not None
    return await opened(pool, sealed)


async def held_values(pool: asyncpg.Pool, subject_id: str) -> dict[str, str]:
    """The subject's items by field, opened."""
    return {
        row["field"]: await opened(pool, row["value"])
        for row in await pool.fetch(
            "SELECT field, value FROM personal_data WHERE subject_id = $1", subject_id
        )
    }


async def check_record(
    client: Client, pool: asyncpg.Pool, request_id: str, history_name: str
) -> None:
    """After any path: the chain verifies, no personal value reached Temporal, and the
    history is kept for replay when DSR_RECORD_HISTORIES=1."""
    assert (await EventStore(pool).verify(request_id)).intact
    handle = client.get_workflow_handle(workflow_id_for(request_id))
    history = await handle.fetch_history()
    readable = readable_history(history.to_json())
    # The raw description: the test server stores an unset Datetime attribute as null,
    # which the SDK's typed decoding does not accept.
    raw = await client.workflow_service.describe_workflow_execution(
        DescribeWorkflowExecutionRequest(
            namespace=client.namespace,
            execution=WorkflowExecution(workflow_id=workflow_id_for(request_id)),
        )
    )
    attributes = raw.workflow_execution_info.search_attributes.indexed_fields
    visible = readable + "".join(
        payload.data.decode("utf-8", "replace") for payload in attributes.values()
    )
    leaked = leaks(visible, ALL_PERSONAL)
    assert leaked == [], f"personal data in Temporal: {leaked}"
    keep_history(history_name, history.to_json())


@dataclass(frozen=True)
class Started:
    """A request a scenario started: its ids, and the operator's view at the step reached
    (None when the scenario named no step)."""

    id: str
    subject_id: str
    view: StatusView | None

    @property
    def workflow_id(self) -> str:
        return workflow_id_for(self.id)


class Scenario:
    """A request told as a story: whose it is, what it asks, how far it has come.

        started = await Scenario(rig, "dis").disclosure().verified().at(Step.DECIDE)

    The request id is `{label}-{unique}`, the subject `s-{unique}` unless named; the
    subject's holdings are seeded (`seed_subject`) unless `.unseeded()`; awaiting it
    submits the request, and verifies the requester and waits for the step when asked."""

    def __init__(self, rig: Rig, label: str, *, subject: str | None = None) -> None:
        self.rig = rig
        self.request_id = f"{label}-{rig.unique}"
        self.subject_id = subject or f"s-{rig.unique}"
        self._kind, self._details, self._language = "inquiry", {"text": PERSONAL["text"]}, "en"
        self._seed: bool | None = True  # registered; False: another address; None: none
        self._verified, self._step = False, None
        self._policy: DeadlinePolicy | None = None
        self._not_identifying: tuple[str, ...] = ()

    def _asks(self, kind: str, details: dict[str, Any]) -> Self:
        self._kind, self._details = kind, details
        return self

    def inquiry(self, text: str = PERSONAL["text"]) -> Self:
        return self._asks("inquiry", {"text": text})

    def disclosure(self, **details: Any) -> Self:
        return self._asks("disclosure", details)

    def correction(self, *changes: dict[str, Any]) -> Self:
        return self._asks("correction", {"changes": list(changes)})

    def suspension(self, action: str, *grounds: str) -> Self:
        return self._asks("suspension", {"action": action, "grounds": list(grounds)})

    def third_party_stop(self, *partners: str) -> Self:
        return self._asks("third_party_stop", {"partners": list(partners)})

    def in_language(self, language: str) -> Self:
        self._language = language
        return self

    def under(self, policy: DeadlinePolicy) -> Self:
        """Submitted under this deadline policy instead of the current one."""
        self._policy = policy
        return self

    def unregistered(self) -> Self:
        """The subject's address on record is not the requester's."""
        self._seed = False
        return self

    def unseeded(self) -> Self:
        """The subject holds nothing (or the test seeds it itself)."""
        self._seed = None
        return self

    def held_without_identifying(self, *fields: str) -> Self:
        """These seeded items are held in a form that does not identify the person
        (analytics keyed by a cookie, say): Article 6 ¶2 leaves them out of a disclosure."""
        self._not_identifying = fields
        return self

    def verified(self) -> Self:
        self._verified = True
        return self

    def at(self, step: Step) -> Self:
        self._step = step
        return self

    async def run(self) -> Started:
        rig = self.rig
        if self._seed is not None:
            await seed_subject(rig.pool, self.subject_id, registered=self._seed)
            await rig.pool.execute(
                "UPDATE personal_data SET identifying = false"
                " WHERE subject_id = $1 AND field = ANY($2::text[])",
                self.subject_id,
                list(self._not_identifying),
            )
        await start(
            rig.client,
            rig.pool,
            rig.task_queue,
            self._kind,
            self.request_id,
            self.subject_id,
            self._details,
            self._language,
            self._policy,
        )
        if self._verified:
            await verified(rig.client, rig.pool, self.request_id)
        view = None
        if self._step is not None:
            view = await at_step(rig.client, rig.pool, self.request_id, self._step)
        return Started(self.request_id, self.subject_id, view)

    def __await__(self) -> Generator[Any, None, Started]:
        return self.run().__await__()
