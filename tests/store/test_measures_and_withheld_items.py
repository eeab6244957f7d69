"""Article 8 ¶4's alternative measure taken and Article 6 ¶1's single items withheld, with
the example inventory against the real store (review 2026-12-06: old item 7 and N17)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.exceptions import ApplicationError

from activities.lifecycle_activities import LifecycleActivities
from domain.alternative_measures import AlternativeMeasure, AlternativeMeasureGround
from domain.authority import Role
from domain.decisions import Outcome, RefusalGround, fee_due, validate_decision
from domain.events import EventType
from domain.inventory import parse_inventory
from domain.messages import Decide
from domain.requests import Language, RequestKind, SuspensionAction, SuspensionGround
from domain.withholding import WithheldPart
from store.events import EventStore
from store.inventory import InventoryStore
from store.recipients import PROVISION_STOPPED, recipients_by_field
from store.sealing import vault_of
from tests.support.builders import event
from tests.support.cli import cli_settings, served_dsr
from tests.support.inventory import example, partner
from tests.support.outcomes import (
    carry_out_order,
    decided_and_carried_out,
    investigated,
    outcome_notice,
    submitted,
)

S, D = RequestKind.SUSPENSION, RequestKind.DISCLOSURE
NOTE = "00000000-0000-4000-8000-000000000007"  # the measure's particulars (not read here)


async def _wrongly_obtained_segment(pool: asyncpg.Pool, unique: str) -> str:
    """The example, with user-42's interest segment (provided to ad-network-1 on their
    consent) obtained by wrongful means; a suspension request on that ground."""
    data = example(unique)
    for item in data["subjects"][0]["items"]:
        if item["field"] == "interest_segment":
            item["lawfully_obtained"] = False
    await InventoryStore(pool).load(parse_inventory(data))
    return await submitted(
        pool,
        f"alt-{unique}",
        S,
        f"user-42-{unique}",
        {
            "action": SuspensionAction.SUSPEND_USE.value,
            "grounds": [SuspensionGround.OBTAINED_WRONGFULLY.value],
        },
    )


async def _fed(pool: asyncpg.Pool, unique: str) -> set[tuple[str, str]]:
    rows = await pool.fetch(
        "SELECT partner_id, field FROM provision_feed WHERE subject_id = $1", f"user-42-{unique}"
    )
    return {(r["partner_id"], r["field"]) for r in rows}


async def _taken(pool: asyncpg.Pool, rid: str) -> list[Any]:
    events = await EventStore(pool).events(rid)
    return [e for e in events if e.type is EventType.ALTERNATIVE_MEASURE_TAKEN]


def _measure(measure: AlternativeMeasure, confirmer: str | None = None) -> Decide:
    return Decide(
        outcome=Outcome.ALTERNATIVE_MEASURES,
        alternative_ground=AlternativeMeasureGround.LARGE_EXPENSE,
        alternative_measure=measure,
        measure_confirmer=confirmer,
        measure_note_id=NOTE,
        reason_note_id=NOTE,
        operator="op-1",
    )


async def test_old7_stopping_provision_is_applied_and_the_feed_no_longer_carries_the_items(
    pool: asyncpg.Pool, unique: str
) -> None:
    """Old item 7 (Art 8 ¶4): "this alternative measure shall be taken" - and now it is:
    the measure the service applies itself marks the items in breach, `provision_feed`
    stops carrying them to ad-network-1 (the purchases it also gets stay), the event says
    which measure on how many items, and the notice says the service applied it."""
    rid = await _wrongly_obtained_segment(pool, unique)
    ad_network = partner("ad-network-1", unique)
    assert (ad_network, "interest_segment") in await _fed(pool, unique)
    found = await investigated(pool, rid, S)
    assert found.findings.grounds_substantiated
    decision = _measure(AlternativeMeasure.STOP_PROVISION_TO_THIRD_PARTIES)
    validate_decision(S, found.findings, decision.choice())
    await decided_and_carried_out(pool, rid, S, decision, found)

    fed = await _fed(pool, unique)
    assert (ad_network, "interest_segment") not in fed
    assert (ad_network, "purchases") in fed
    # The disclosure names the partner as the feed has it: on record, held back, and why.
    async with pool.acquire() as connection:
        named = await recipients_by_field(connection, f"user-42-{unique}")
    [segment_to_ads] = [r for r in named["interest_segment"] if r["partner_id"] == ad_network]
    assert segment_to_ads["held_back"] == PROVISION_STOPPED and not segment_to_ads["provided"]
    [taken] = [
        e
        for e in await EventStore(pool).events(rid)
        if e.type is EventType.ALTERNATIVE_MEASURE_TAKEN
    ]
    assert taken.payload["measure"] == "stop_provision_to_third_parties"
    assert taken.payload["applied_by"] == "service"
    assert taken.payload["items_affected"] == len(found.findings.items_in_breach) >= 1
    facts, text = await outcome_notice(pool, rid, S)
    assert facts.measure_applied and facts.alternative_measure == "stop_provision_to_third_parties"
    assert "stopping the provision of these items to any third party" in text
    assert "Our request service applied it itself" in text
    _, ja = await outcome_notice(pool, rid, S, Language.JA)
    assert "これらの項目の第三者への提供の停止" in ja


async def test_old7_a_measure_taken_outside_is_told_only_once_its_taker_confirmed_it(
    pool: asyncpg.Pool, unique: str
) -> None:
    """Old item 7: a measure the service cannot apply (restricting access in the systems
    that use the items) is not recorded as taken until the account the decision named
    confirmed it: before, carrying the decision out is refused for good and records
    nothing; after, the record and the notice name who confirmed it, and when."""
    rid = await _wrongly_obtained_segment(pool, unique)
    found = await investigated(pool, rid, S)
    decision = _measure(AlternativeMeasure.RESTRICT_ACCESS, confirmer="it-owner")
    validate_decision(S, found.findings, decision.choice())
    before = await _fed(pool, unique)
    with pytest.raises(ApplicationError, match="nobody has confirmed it") as refused:
        await decided_and_carried_out(pool, rid, S, decision, found)
    assert refused.value.non_retryable
    assert await _taken(pool, rid) == []

    await EventStore(pool).append(
        event(
            rid,
            EventType.MEASURE_CONFIRMED,
            minutes=90,
            actor="it-owner",
            measure="restrict_access",
            step="measure",
            rows=2,
            note_id=None,
        )
    )
    await LifecycleActivities(pool, EventStore(pool)).carry_out(
        carry_out_order(rid, S, decision, found)
    )
    [taken] = [
        e
        for e in await EventStore(pool).events(rid)
        if e.type is EventType.ALTERNATIVE_MEASURE_TAKEN
    ]
    assert taken.payload["confirmed_by"] == "it-owner"
    assert taken.payload["items_affected"] == 0  # nothing in the service's records changed
    assert await _fed(pool, unique) == before
    facts, text = await outcome_notice(pool, rid, S)
    assert facts.measure_confirmed_by == "it-owner" and not facts.measure_applied
    assert "restricting access to these items to the staff who need it" in text
    assert "it-owner, the member of staff responsible for it, confirmed on" in text
    _, ja = await outcome_notice(pool, rid, S, Language.JA)
    assert "担当責任者" in ja and "it-owner" in ja


@pytest.fixture
async def review(pool: asyncpg.Pool, unique: str, tmp_path: Path) -> AsyncIterator[Any]:
    """`dsr [--output json] review RID` as an operator runs it (a subprocess holding only
    DSR_URL and DSR_TOKEN, the API served over the suite's pool); its standard output."""
    client: Any = None  # a review asks no workflow
    async with served_dsr(
        client,
        pool,
        cli_settings(tmp_path, f"review-{unique}"),
        folder=tmp_path / "elsewhere",
        account=f"reviewer-{unique}",
        roles=(Role.OPERATOR,),
    ) as dsr:

        async def run(rid: str, output: str) -> str:
            code, out, err = await dsr("--output", output, "review", rid)
            assert (code, err) == (0, ""), err
            return out

        yield run


async def test_n17_one_item_is_withheld_by_its_id_with_its_ground(
    pool: asyncpg.Pool, unique: str, review: Any
) -> None:
    """N17: "Withholding under Art 6 ¶1 works by whole category only." Art 6: "we may not
    disclose all or part of it". `dsr review` shows each item's id; the decision withholds
    user-42's phone alone on one ground and the transaction records whole on another; the
    compiled disclosure leaves out exactly those (the address, also contact information, is
    disclosed), counts them, and the notice tells each part with its ground."""
    await InventoryStore(pool).load(parse_inventory(example(unique)))
    rid = await submitted(pool, f"dis-{unique}", D, f"user-42-{unique}", {})
    found = await investigated(pool, rid, D)
    plain = await review(rid, "text")
    document: dict[str, Any] = json.loads(await review(rid, "json"))
    phone = next(i["item_id"] for i in document["items"] if i["field"] == "phone")
    assert f"#{phone} contact/phone" in plain
    assert found.findings.personal_items[phone].value == "contact"

    decision = Decide(
        outcome=Outcome.DISCLOSED_IN_PART,
        withheld_parts=(
            WithheldPart(item_id=phone, ground=RefusalGround.VIOLATION_OF_OTHER_LAWS),
            WithheldPart(
                category="transaction", ground=RefusalGround.SIGNIFICANT_HINDRANCE_TO_BUSINESS
            ),
        ),
        reason_note_id=NOTE,
        operator="op-1",
    )
    validate_decision(D, found.findings, decision.choice())
    assert fee_due(found.findings, decision.choice())
    await decided_and_carried_out(pool, rid, D, decision, found)

    async with pool.acquire() as connection:
        row = await connection.fetchrow(
            "SELECT items, withheld, withheld_parts FROM disclosures WHERE request_id = $1", rid
        )
        compiled = {i["field"] for i in vault_of(connection).open_json(row["items"])}
    assert "phone" not in compiled and "address" in compiled
    assert not compiled & {"purchases", "payment_receipts"}
    assert row["withheld"] == {"contact": 1, "transaction": 2}
    assert row["withheld_parts"] == [
        {"category": "contact", "field": "phone", "items": 1, "ground": "violation_of_other_laws"},
        {
            "category": "transaction",
            "field": None,
            "items": 2,
            "ground": "significant_hindrance_to_business",
        },
    ]
    _, text = await outcome_notice(pool, rid, D)
    assert "Withheld under Article 6, each part on its own ground:" in text
    assert (
        "Contact information / Telephone number (1 item), on the ground that disclosure would"
        in (text)
    )
    assert "transaction records (2 items), on the ground that disclosure could" in text
    assert "Grounds:" not in text  # nothing was withheld on a decision-wide ground
    _, ja = await outcome_notice(pool, rid, D, Language.JA)
    assert "開示いたしません" in ja and "他の法令に違反することとなること" in ja
