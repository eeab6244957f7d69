"""N2 on a real database: an inventory load can no longer add a purpose of use that then
makes its items "within purpose" (the review's (S) probe), a purpose outside Article 3 comes
in only as incidental to one of Article 3's with its relatedness judged, and relabelling an
item in a later load does not wash out its past use for Article 8."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from domain.inventory import InvalidInventory, parse_inventory
from domain.investigation import investigate
from domain.purposes import PurposeVersion
from domain.requests import RequestKind
from store.holdings import load_holdings
from store.inventory import InventoryStore
from store.purposes import PURPOSES_STREAM, define_purpose

BEYOND = {"action": "suspend_use", "grounds": ["used_beyond_purpose"]}
JUDGED = {
    "text_ja": "ご購入に応じてポイントを付与するため",
    "incidental_to": "billing",
    "judged_by": "admin",
    "judged_at": "2026-10-01T10:00:00+09:00",
    "related_because": "Points are earned on the usage fees we bill.",
}


def item(field: str, purpose: str | None, **more: Any) -> dict[str, Any]:
    return {
        "category": "history",
        "field": field,
        "value": f"{field} of the subject",
        "purpose": purpose,
        "lawfully_obtained": True,
        **more,
    }


def subject(subject_id: str, *items: dict[str, Any]) -> dict[str, Any]:
    return {
        "subject_id": subject_id,
        "name": "Hanako Yamada",
        "email": f"{subject_id}@example.jp",
        "items": list(items),
    }


async def beyond_purpose(pool: asyncpg.Pool, subject_id: str) -> tuple[int, set[str]]:
    """What an Article 8 investigation of a "used beyond purpose" request finds: the count
    and the fields in breach."""
    async with pool.acquire() as connection:
        held = await load_holdings(connection, RequestKind.SUSPENSION, subject_id, BEYOND)
    findings = investigate(RequestKind.SUSPENSION, BEYOND, held)
    fields = {i.field for i in held.items if i.item_id in findings.items_in_breach}
    return findings.used_beyond_purpose, fields


async def test_a_load_cannot_define_a_purpose_that_makes_its_items_within_purpose(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N2 (S): the load defined `sell_to_brokers_…` in force from the load, and the Art 8
    investigation then judged the broker item within purpose. Now the load is refused with
    a message saying why, nothing is loaded, and the item counts as beyond purpose."""
    sold, resale = f"sell_to_brokers_{unique}", f"resale_{unique}"
    sid = f"s-{unique}"
    data = {
        "purposes": [{"id": sold, "text": "To sell browsing history to data brokers"}],
        "subjects": [subject(sid, item("browsing", sold), item("segment", resale))],
    }
    with pytest.raises(InvalidInventory) as refused:
        parse_inventory(data)
    assert refused.value.problems == [
        (
            "purposes.0.incidental_to",
            f"{sold} is not one of Article 3's purposes: a load adds a purpose only as "
            "incidental to one of them (incidental_to, judged_by, judged_at, "
            "related_because); any other purpose of use is Article 4's change of a purpose "
            "(`dsr purposes change`) or a new policy",
        )
    ]
    assert await pool.fetchval("SELECT count(*) FROM purposes WHERE purpose_id = $1", sold) == 0
    # Loaded without its purpose, both items are found beyond purpose.
    await InventoryStore(pool).load(parse_inventory({"subjects": data["subjects"]}))
    assert await beyond_purpose(pool, sid) == (2, {"browsing", "segment"})


async def test_a_purpose_defined_without_a_judgement_is_not_a_purpose_of_use(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N2: a purpose an earlier load defined with no relatedness judgement (as loads did
    before issue 24) stays beyond purpose until a file gives it its judgement."""
    sold, sid = f"sold_{unique}", f"s-{unique}"
    async with pool.acquire() as connection, connection.transaction():
        await define_purpose(
            connection,
            PurposeVersion(sold, 1, "To sell data", datetime(2026, 1, 1, tzinfo=UTC)),
            occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        )
    await InventoryStore(pool).load(parse_inventory({"subjects": [subject(sid, item("b", sold))]}))
    assert await beyond_purpose(pool, sid) == (1, {"b"})
    # A later file gives it its judgement: it is a purpose of use from that load on. The
    # item used for it before stays beyond purpose; one the same load adds is within it.
    judged = {"id": sold, "text": "To sell data"} | JUDGED
    loaded = await InventoryStore(pool).load(
        parse_inventory(
            {"purposes": [judged], "subjects": [subject(sid, item("b", sold), item("c", sold))]}
        )
    )
    assert loaded.purposes_added == 1
    versions = await pool.fetch(
        "SELECT version, judged_by, superseded_at FROM purposes WHERE purpose_id = $1"
        " ORDER BY version",
        sold,
    )
    assert [(v["version"], v["judged_by"]) for v in versions] == [(1, None), (2, "admin")]
    assert versions[0]["superseded_at"] is not None and versions[1]["superseded_at"] is None
    assert await beyond_purpose(pool, sid) == (1, {"b"})
    again = await InventoryStore(pool).load(parse_inventory({"purposes": [judged]}))
    assert not again.changed_anything


async def test_an_incidental_purpose_comes_in_with_who_judged_it_related_when_and_why(
    pool: asyncpg.Pool, unique: str
) -> None:
    points, sid = f"points_{unique}", f"s-{unique}"
    data = {
        "purposes": [{"id": points, "text": "To grant loyalty points"} | JUDGED],
        "subjects": [subject(sid, item("points_balance", points))],
    }
    loaded = await InventoryStore(pool).load(parse_inventory(data))
    assert loaded.purposes_added == 1
    row = await pool.fetchrow("SELECT * FROM purposes WHERE purpose_id = $1", points)
    assert (row["incidental_to"], row["judged_by"], row["text_ja"]) == (
        "billing",
        "admin",
        "ご購入に応じてポイントを付与するため",
    )
    assert row["judgement"] == JUDGED["related_because"]
    assert row["judged_at"] == datetime.fromisoformat(JUDGED["judged_at"])
    payload = await pool.fetchval(
        "SELECT payload FROM register_events WHERE stream = $1 AND type = 'purpose.defined'"
        " AND payload->>'purpose_id' = $2",
        PURPOSES_STREAM,
        points,
    )
    assert payload["related_judged_by"] == "admin"
    assert payload["related_because"] == JUDGED["related_because"]
    assert await beyond_purpose(pool, sid) == (0, set())


async def test_relabelling_an_item_does_not_wash_out_its_past_use(
    pool: asyncpg.Pool, unique: str
) -> None:
    """N2: a later load that gave an item another purpose reset its use to the load, so
    its past use beyond purpose disappeared from any later Article 8 investigation. The
    earlier use is kept, and the item is judged by every purpose it was used under."""
    sid, resale = f"s-{unique}", f"resale_{unique}"
    since = "2026-03-01T00:00:00+09:00"
    store = InventoryStore(pool)
    await store.load(
        parse_inventory({"subjects": [subject(sid, item("segment", resale, used_at=since))]})
    )
    assert await beyond_purpose(pool, sid) == (1, {"segment"})
    relabelled = await store.load(
        parse_inventory({"subjects": [subject(sid, item("segment", "provide_service"))]})
    )
    assert relabelled.items_changed == 1
    past = await pool.fetchval(
        "SELECT past_uses FROM personal_data WHERE subject_id = $1 AND field = 'segment'", sid
    )
    assert [(use["purpose"], datetime.fromisoformat(use["since"])) for use in past] == [
        (resale, datetime.fromisoformat(since))
    ]
    assert await beyond_purpose(pool, sid) == (1, {"segment"})
    # A load that changes nothing adds no past use.
    again = await store.load(
        parse_inventory({"subjects": [subject(sid, item("segment", "provide_service"))]})
    )
    assert not again.changed_anything
