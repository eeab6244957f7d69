"""Article 6 ¶1 part by part on the time-skipping server with the real store (review
2026-12-06, N17): an operator names a single item by the id `dsr review` shows, with its
ground; the fee request and the outcome notice count it, and the disclosure leaves it out."""

from __future__ import annotations

import re

import asyncpg
import pytest

from domain.deadlines import Step
from service import acts
from store.sealing import vault_of
from tests.support.cli import Dsr
from tests.support.privacy import HELD_VALUES, REASON
from tests.support.scenarios import Scenario, at_step, check_record, outcome_notice, outcome_of
from tests.support.temporal import Rig, actor


async def review(dsr: Dsr, request_id: str) -> str:
    """`dsr review ID` as the operator runs it, against the served API (its output)."""
    code, out, err = await dsr("review", request_id)
    assert (code, err) == (0, ""), err
    return out


async def test_n17_a_partial_disclosure_withholds_one_item_by_its_id(
    rig: Rig, pool: asyncpg.Pool, dsr: Dsr, unique: str
) -> None:
    """N17: "Withholding under Art 6 ¶1 works by whole category only." Art 6: "we may not
    disclose all or part of it". The phone number alone is withheld on its ground: the
    address, contact information too, is disclosed; the notices say which part was
    withheld and why; a part that names no ground, or no item found, is refused and changes
    nothing."""
    request = await Scenario(rig, "dis-item").disclosure().verified().at(Step.DECIDE)
    shown = await review(dsr, request.id)
    found = re.search(r"#(\d+) contact/phone", shown)
    assert found is not None, shown
    phone = found.group(1)
    decide = {"client": rig.client, "pool": pool, "reason": REASON}
    for part, says in (
        (f"{phone}=because", "not an Article 6 ground"),
        ("999999999=violation_of_other_laws", "item 999999999 is not among"),
        (f"{phone}", "PART=GROUND"),
    ):
        with pytest.raises(acts.Refused, match=says):
            await acts.decide(
                request.id, "disclosed_in_part", actor("op-1"), withheld_parts=(part,), **decide
            )
    await acts.decide(
        request.id,
        "disclosed_in_part",
        actor("op-1"),
        withheld_parts=(f"{phone}=violation_of_other_laws",),
        **decide,
    )
    view = await at_step(rig.client, pool, request.id, Step.PAYMENT)
    fee = await outcome_notice(pool, request.id, "fee_request")
    assert "contact information (1 item), on the ground that disclosure would violate" in fee
    assert view.invoice_id is not None
    await acts.record_payment(
        request.id,
        view.invoice_id,
        1000,
        "bank-ref-1",
        actor("cashier-1"),
        client=rig.client,
        pool=pool,
    )
    assert await outcome_of(rig.client, request.id) == "disclosed_in_part"

    async with pool.acquire() as connection:
        sealed = await connection.fetchval(
            "SELECT items FROM disclosures WHERE request_id = $1", request.id
        )
        fields = {item["field"] for item in vault_of(connection).open_json(sealed)}
    assert "phone" not in fields and {"address", "email"} <= fields
    notice = await outcome_notice(pool, request.id)
    assert HELD_VALUES["phone"] not in notice
    assert (
        "Contact information / Telephone number (1 item), on the ground that disclosure would "
        "violate other laws and regulations" in notice
    )
    await check_record(rig.client, pool, request.id, "disclosure_item_withheld")
