"""Fulfilment where the data lives: requests searched and carried out in two real
PostgreSQL databases of the organisation (a CRM whose orders are reached through their
customer, a marketing list found by e-mail), on the time-skipping server with the real
store. Each system's part is its own durable step; events name systems, collections and
counts; nothing of the subject reaches Temporal; every other person's rows stay as they
were, byte for byte."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from connectors.base import Collected, Connector, Identities, SystemUnavailable
from domain.deadlines import Step
from domain.fulfilment import Plan
from interfaces.cli.review import render as render_review
from runtime.connectors import OpenSystems, connector_for
from service import acts, system_acts
from service.requests import status
from store.events import EventStore
from store.review import review_document
from tests.support.faults import FailAfterEffect
from tests.support.organisations import (
    CONSENT_KEPT,
    DESK_BODY,
    Organisation,
    crm_variable,
    desk_variable,
    marketing_variable,
    organisation,
    rows_of,
)
from tests.support.privacy import HELD_VALUES, NEW_PHONE
from tests.support.scenarios import (
    Scenario,
    check_record,
    event_types,
    outcome_notice,
    outcome_of,
)
from tests.support.temporal import Rig, actor, eventually, rigged


@pytest.fixture
async def shop(postgres_server: str, unique: str) -> AsyncIterator[Organisation]:
    async with organisation(postgres_server, f"s-{unique}") as made:
        yield made


@pytest.fixture
def secrets_set(shop: Organisation) -> Iterator[None]:
    """The databases' URLs where the map says they are: in the environment."""
    variables = {
        crm_variable(shop): shop.crm,
        marketing_variable(shop): shop.marketing,
        desk_variable(shop): shop.desk,
        desk_variable(shop) + "_AUTH": f"Bearer {shop.desk_token}",
    }
    os.environ.update(variables)
    yield
    for name in variables:
        del os.environ[name]


class Flaky:
    """A connector whose system can be taken down and brought back by the test."""

    def __init__(self, inner: Connector) -> None:
        self.inner, self.name, self.system = inner, inner.name, inner.system
        self.down = False
        self.refused_calls = 0

    def _gate(self) -> None:
        if self.down:
            self.refused_calls += 1
            raise SystemUnavailable(f"{self.name}: cannot be reached (test)")

    async def collect(self, identities: Identities) -> Collected:
        self._gate()
        return await self.inner.collect(identities)

    async def apply(self, plan: Plan, identities: Identities) -> None:
        self._gate()
        await self.inner.apply(plan, identities)

    async def confirm(self, plan: Plan, identities: Identities) -> list[str]:
        self._gate()
        return await self.inner.confirm(plan, identities)

    async def check(self) -> list[str]:
        return await self.inner.check()

    async def close(self) -> None:
        await self.inner.close()


@dataclass
class Systems:
    open: OpenSystems
    crm: Flaky


@pytest.fixture
async def systems(shop: Organisation, secrets_set: None) -> AsyncIterator[Systems]:
    data_map = shop.data_map()
    inner = connector_for("crm", data_map.systems["crm"])
    marketing = connector_for("marketing", data_map.systems["marketing"])
    desk = connector_for("desk", data_map.systems["desk"])
    assert inner is not None and marketing is not None and desk is not None
    crm = Flaky(inner)
    yield Systems(OpenSystems(data_map, {"crm": crm, "desk": desk, "marketing": marketing}), crm)
    for connector in (crm, desk, marketing):
        await connector.close()


@pytest.fixture
async def shop_rig(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    systems: Systems,
) -> AsyncIterator[Rig]:
    async with rigged(
        time_skipping_env.client, pool, tmp_path, unique, systems=systems.open
    ) as rig:
        yield rig


async def _payloads(pool: asyncpg.Pool, request_id: str, type: str) -> list[dict]:
    return [
        event.payload
        for event in await EventStore(pool).events(request_id)
        if event.type.value == type
    ]


async def test_a_disclosure_finds_the_subject_in_every_system(
    shop_rig: Rig, pool: asyncpg.Pool
) -> None:
    request = await Scenario(shop_rig, "dis").disclosure().verified().at(Step.DECIDE)
    collected = {p["system"]: p for p in await _payloads(pool, request.id, "system.collected")}
    assert collected["crm"]["collections"] == "customers:1,orders:2"
    assert collected["crm"]["rows"] == 3 and collected["crm"]["items"] == 5
    assert collected["marketing"]["collections"] == "subscribers:1"
    assert collected["desk"]["collections"] == "tickets:1"
    document = await review_document(pool, request.id)
    # N16: what the staff write is quoted as written, so the review says in which language.
    assert document["language"] == "en"
    assert "notices to the person are in English" in render_review(document)
    where = {(i["system"], i["collection"], i["field"], i["value"]) for i in document["items"]}
    assert ("crm", "customers", "phone", HELD_VALUES["phone"]) in where
    assert ("crm", "orders", "address", HELD_VALUES["address"]) in where
    assert ("marketing", "subscribers", "segment", HELD_VALUES["segment"]) in where
    assert ("desk", "tickets", "body", DESK_BODY) in where
    assert ("inventory", None, "phone", HELD_VALUES["phone"]) in where
    await check_record(shop_rig.client, pool, request.id, "connectors_disclosure_at_decide")
    handle = shop_rig.client.get_workflow_handle(request.workflow_id)
    assert "secret-desk-marker" not in (await handle.fetch_history()).to_json()
    await _ended(handle)


async def _erase(rig: Rig, pool: asyncpg.Pool, label: str) -> str:
    request = await (
        Scenario(rig, label).suspension("erase", "used_beyond_purpose").verified().at(Step.DECIDE)
    )
    await acts.decide(request.id, "erased", actor("op-1"), client=rig.client, pool=pool)
    assert await outcome_of(rig.client, request.id) == "erased"
    return request.id


async def test_an_erasure_changes_exactly_the_subjects_mapped_rows_in_each_system(
    shop_rig: Rig, pool: asyncpg.Pool, shop: Organisation
) -> None:
    before = {
        "customers": await rows_of(shop.crm, "customers"),
        "orders": await rows_of(shop.crm, "orders"),
        "subscribers": await rows_of(shop.marketing, "subscribers"),
    }
    request_id = await _erase(shop_rig, pool, "era")
    tickets = await _tickets(shop)
    assert tickets == {
        "T-1": ("My bill", None),  # the body, used beyond purpose, set to null
        "T-2": ("Moving house", "Please move my supply."),
    }
    after = {
        "customers": await rows_of(shop.crm, "customers"),
        "orders": await rows_of(shop.crm, "orders"),
        "subscribers": await rows_of(shop.marketing, "subscribers"),
    }
    # The orders' addresses are used beyond purpose (delete_row): gone. The subscriber's
    # segment is too, but its row holds the proof of consent the map keeps: kept whole.
    assert set(before["orders"]) - set(after["orders"]) == {"10", "11"}
    assert set(after["subscribers"]) == {"sub-1", "sub-2"}
    # Everything else, the subject's customer row included (within purpose), is as it was.
    for table, rows in after.items():
        for key, row in rows.items():
            assert before[table][key] == row, f"{table} {key} changed"
    done = {p["system"]: p for p in await _payloads(pool, request_id, "system.carried_out")}
    assert done["crm"]["collections"] == "orders:2" and done["crm"]["rows"] == 2
    assert done["marketing"]["rows"] == 0 and CONSENT_KEPT in done["marketing"]["refused"]
    assert done["desk"]["collections"] == "tickets:1"
    notice = await outcome_notice(pool, request_id)
    assert "crm: done, in 2 records" in notice and "desk: done, in 1 record" in notice
    assert (
        "marketing: kept as it is; the reason, as our records state it: "
        f"subscribers.consent_proof: {CONSENT_KEPT}" in notice
    )
    assert "marketing: nothing" not in notice and "marketing: done" not in notice
    # What the system keeps is not among what the notice says was erased, and the
    # service's own copy of it stays.
    erased = notice.split("We have erased the items above.")[0]
    assert "segment (marketing" not in erased and "Address (crm: orders)" in erased
    held = await pool.fetchval(
        "SELECT count(*) FROM personal_data WHERE subject_id = $1 AND system = 'marketing'",
        shop.subject_id,
    )
    assert held == 2
    types = await event_types(pool, request_id)
    # Each system's part before the service's own records, and its key's shredding.
    assert types.index("system.carried_out") < types.index("data.erased")
    await check_record(shop_rig.client, pool, request_id, "connectors_erased")


async def test_a_suspension_sets_the_flag_and_a_correction_changes_the_field(
    shop_rig: Rig, pool: asyncpg.Pool, shop: Organisation
) -> None:
    request = await (
        Scenario(shop_rig, "sus")
        .suspension("suspend_use", "used_beyond_purpose")
        .verified()
        .at(Step.DECIDE)
    )
    await acts.decide(request.id, "use_suspended", actor("op-1"), client=shop_rig.client, pool=pool)
    assert await outcome_of(shop_rig.client, request.id) == "use_suspended"
    crm = await asyncpg.connect(shop.crm)
    try:
        flags = dict(await crm.fetch("SELECT id, restricted FROM orders ORDER BY id"))
        assert flags == {10: True, 11: True, 20: False, 30: False}
        assert not await crm.fetchval("SELECT bool_or(restricted) FROM customers")
    finally:
        await crm.close()

    correction = await (
        Scenario(shop_rig, "cor", subject=request.subject_id)
        .unseeded()
        .correction({"field": "phone", "action": "correct", "new_value": NEW_PHONE})
        .verified()
        .at(Step.DECIDE)
    )
    await acts.decide(
        correction.id, "correction_made", actor("op-1"), client=shop_rig.client, pool=pool
    )
    assert await outcome_of(shop_rig.client, correction.id) == "correction_made"
    crm = await asyncpg.connect(shop.crm)
    try:
        phones = dict(await crm.fetch("SELECT id, phone FROM customers ORDER BY id"))
        assert phones == {1: NEW_PHONE, 2: "03-0000-0002", 3: None}
    finally:
        await crm.close()
    await check_record(shop_rig.client, pool, correction.id, "connectors_corrected")


async def test_each_effect_happens_once_when_an_activity_fails_after_it(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    systems: Systems,
    shop: Organisation,
) -> None:
    faults = FailAfterEffect()
    async with rigged(
        time_skipping_env.client,
        pool,
        tmp_path,
        unique,
        interceptors=(faults,),
        systems=systems.open,
    ) as rig:
        request_id = await _erase(rig, pool, "once")
    retried = {name for name, attempts in faults.attempts.values() if len(attempts) > 1}
    assert {"collect_from_system", "carry_out_in_system"} <= retried
    assert len(await _payloads(pool, request_id, "system.collected")) == 3
    assert len(await _payloads(pool, request_id, "system.carried_out")) == 3
    assert (await _tickets(shop))["T-1"] == ("My bill", None)
    assert set(await rows_of(shop.crm, "orders")) == {"20", "30"}
    assert set(await rows_of(shop.marketing, "subscribers")) == {"sub-1", "sub-2"}


async def test_a_system_down_during_act_holds_the_request_until_it_returns(
    shop_rig: Rig, pool: asyncpg.Pool, systems: Systems, shop: Organisation
) -> None:
    request = await (
        Scenario(shop_rig, "down")
        .suspension("erase", "used_beyond_purpose")
        .verified()
        .at(Step.DECIDE)
    )
    systems.crm.down = True
    await acts.decide(request.id, "erased", actor("op-1"), client=shop_rig.client, pool=pool)
    await eventually(lambda: _refused_calls(systems), lambda calls: calls >= 2, within=60)
    view = await status(request.id, client=shop_rig.client, pool=pool)
    assert view.step is Step.ACT and view.outcome is None
    # The marketing list and the desk did their part; the CRM has not: its rows are there.
    assert sorted(p["system"] for p in await _payloads(pool, request.id, "system.carried_out")) == [
        "desk",
        "marketing",
    ]
    assert set(await rows_of(shop.crm, "orders")) == {"10", "11", "20", "30"}
    systems.crm.down = False
    assert await outcome_of(shop_rig.client, request.id) == "erased"
    assert set(await rows_of(shop.crm, "orders")) == {"20", "30"}


async def _ended(handle: WorkflowHandle[Any, Any]) -> None:
    """A request left waiting at its decision ends with its test: its deadline's timers
    would otherwise fire for a worker that is gone, and hold the time-skipping server's
    clock for every later test."""
    await handle.terminate(reason="the test is over")


async def _tickets(shop: Organisation) -> dict[str, tuple[str, str | None]]:
    connection = await asyncpg.connect(shop.crm)
    try:
        return {
            row["id"]: (row["subject"], row["body"])
            for row in await connection.fetch(
                "SELECT id, subject, body FROM support_desk.tickets ORDER BY id"
            )
        }
    finally:
        await connection.close()


async def _refused_calls(systems: Systems) -> int:
    return systems.crm.refused_calls


async def test_a_manual_system_waits_for_its_owners_signed_act(
    time_skipping_env: WorkflowEnvironment,
    pool: asyncpg.Pool,
    unique: str,
    tmp_path: Path,
    shop: Organisation,
    secrets_set: None,
) -> None:
    data_map = shop.data_map(
        archive={
            "kind": "manual",
            "owner": "archivist",
            "collections": {
                "boxes": {
                    "identities": [{"column": "name", "identity": "subject_id"}],
                    "fields": {
                        "letters": {
                            "column": "letters",
                            "category": "history",
                            "purposes": ["respond_to_inquiries"],
                            "lawfully_obtained": True,
                            "suspension": "refuse",
                            "reason": "paper letters are kept as they are",
                        }
                    },
                }
            },
        }
    )
    connectors = {
        name: connector
        for name, system in data_map.systems.items()
        if (connector := connector_for(name, system)) is not None
    }
    try:
        async with rigged(
            time_skipping_env.client,
            pool,
            tmp_path,
            unique,
            systems=OpenSystems(data_map, connectors),
        ) as rig:
            request = await Scenario(rig, "man").disclosure().verified().at(Step.INVESTIGATE)

            async def waiting() -> tuple[str, ...]:
                view = await status(request.id, client=rig.client, pool=pool)
                return view.awaiting_systems

            assert await eventually(waiting, lambda names: names == ("archive",)) == ("archive",)
            with pytest.raises(acts.Refused, match="confirmed by its owner"):
                await system_acts.confirm_system(
                    request.id,
                    "archive",
                    "collect",
                    2,
                    actor("op-1"),
                    client=rig.client,
                    pool=pool,
                )
            view = await system_acts.confirm_system(
                request.id,
                "archive",
                "collect",
                2,
                actor("archivist"),
                client=rig.client,
                pool=pool,
                note="two letters in box 7",
            )
            assert view.awaiting_systems == ()
            await eventually(
                lambda: status(request.id, client=rig.client, pool=pool),
                lambda view: view.step is Step.DECIDE,
            )
            confirmed = await _payloads(pool, request.id, "system.confirmed")
            assert [(p["system"], p["step"], p["rows"]) for p in confirmed] == [
                ("archive", "collect", 2)
            ]
            assert "two letters" not in str(confirmed)
            await _ended(rig.client.get_workflow_handle(request.workflow_id))
    finally:
        for connector in connectors.values():
            await connector.close()
