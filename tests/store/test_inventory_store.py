"""Loading an inventory into the real store: the example's rows as it says (names and
values sealed under the subject's key, the e-mail with its blind index), a second load
changes nothing, and no load undoes what a person's request did (a suspension, a stop of
provision, a correction, an erasure)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from domain.authority import Role
from domain.events import EventType
from domain.inventory import HeldItemRecord, Inventory, parse_inventory
from domain.provision_rule import FindingKind
from domain.requests import DataCategory, parse_submission
from service import registers
from service.requests import Unavailable
from store.accounts import Accounts
from store.database import create_pool
from store.events import EventStore
from store.intake import IntakeStore
from store.inventory import InventoryLoad, InventoryStore
from store.provision_check import check_provisions
from store.sealing import ERASED, Vault, key_of, vault_of
from tests.support.builders import POLICY, T0, event
from tests.support.cli import Dsr, cli_settings, served_dsr
from tests.support.database import scratch_database
from tests.support.inventory import example, partner
from tests.support.sealing import assert_sealed, opened, sealed, shred_recorded

# The example's counts: user-42 lists 12 items and user-7 three; each also gets name and
# email. Its registers: two purposes (one includes the opt-out provision), six partners'
# footings, one consent.
FIRST_LOAD = InventoryLoad(
    subjects_added=2,
    items_added=19,
    provisions_added=7,
    purposes_added=1,  # C3: no purpose that includes provision comes by a file
    bases_added=6,
    consents_added=1,
)
RECORDS = 2 + 19 + 7 + 1 + 6 + 1
REGISTERS = 1 + 6 + 1


async def snapshot(pool: asyncpg.Pool, *subject_ids: str) -> dict[str, list[dict]]:
    tables = {
        "subjects": "subject_id",
        "personal_data": "item_id",
        "third_party_provisions": "provision_id",
    }
    return {
        table: [
            dict(row)
            for row in await pool.fetch(
                f"SELECT * FROM {table} WHERE subject_id = ANY($1::text[]) ORDER BY {key}",
                list(subject_ids),
            )
        ]
        for table, key in tables.items()
    }


async def test_the_example_loads_as_it_says(pool: asyncpg.Pool, unique: str) -> None:
    assert await InventoryStore(pool).load(parse_inventory(example(unique))) == FIRST_LOAD
    sid = f"user-42-{unique}"
    name = await pool.fetchval("SELECT name FROM subjects WHERE subject_id = $1", sid)
    assert_sealed(name, "Hanako")
    assert await opened(pool, name) == "Hanako Yamada"
    stored = await pool.fetch("SELECT * FROM personal_data WHERE subject_id = $1", sid)
    # One key for the subject: its name and every value sealed under it.
    assert {key_of(row["value"]) for row in stored} == {key_of(name)}
    items = {
        row["field"]: {**dict(row), "value": await opened(pool, row["value"])} for row in stored
    }
    assert len(items) == 14
    assert items["browsing_history"]["used_at"] == datetime.fromisoformat(
        "2026-11-01T00:00:00+09:00"
    )
    assert items["phone"]["used_at"] is None  # used since it was acquired
    async with pool.acquire() as connection:
        address_index = vault_of(connection).blind_index("hanako@example.jp")
    assert {
        f: row["value_index"] for f, row in items.items() if row["value_index"] is not None
    } == {"email": address_index}
    assert (items["email"]["category"], items["email"]["value"], items["email"]["purpose"]) == (
        "contact",
        "hanako@example.jp",
        "respond_to_inquiries",
    )
    assert (items["name"]["category"], items["name"]["value"]) == ("identity", "Hanako Yamada")
    assert items["browsing_history"]["purpose"] == "sell_to_data_brokers"
    assert [f for f, row in items.items() if not row["lawfully_obtained"]] == ["social_profile"]
    assert items["social_profile"]["source"] == "scraped_social_media"
    assert items["phone"]["source"] == "registration"
    assert all(row["suspended_at"] is None for row in items.values())
    provisions = {
        row["partner_id"].removesuffix(f"-{unique}"): row
        for row in await pool.fetch(
            "SELECT * FROM third_party_provisions WHERE subject_id = $1", sid
        )
    }
    footing = {
        "ad-network-1": ("third_party", "consent"),
        "data-broker-2": ("third_party", "opt_out_notified"),
        "tax-office": ("third_party", "cooperation_with_authorities"),
        "mail-printer": ("entrustment", "not_third_party"),
        "acme-merger": ("business_succession", "not_third_party"),
        "group-company": ("joint_use", "not_third_party"),
    }
    assert {p: (r["relationship"], r["legal_basis"]) for p, r in provisions.items()} == footing
    assert provisions["tax-office"]["data_items"] == ["name", "address", "payment_receipts"]
    given = datetime.fromisoformat("2026-05-10T10:00:00+09:00")
    assert {p: r["consented_at"] for p, r in provisions.items() if r["consented_at"]} == {
        "ad-network-1": given
    }
    assert all(r["stopped_at"] is None for r in provisions.values())
    # The registers: every partner's footing, the consent, the purpose in force from the load.
    bases = {
        row["partner_id"].removesuffix(f"-{unique}"): row
        for row in await pool.fetch(
            "SELECT * FROM provision_bases WHERE partner_id = ANY($1::text[])",
            [partner(p, unique) for p in footing],
        )
    }
    assert {p: (r["relationship"], r["legal_basis"]) for p, r in bases.items()} == footing
    assert bases["data-broker-2"]["commission_notified_at"] == date(2026, 4, 15)
    assert len(bases["data-broker-2"]["particulars"]["matters_announced"]) == 5
    assert set(bases["group-company"]["particulars"]["joint_use"]) == {
        "items",
        "scope_of_joint_users",
        "purpose",
        "person_responsible",
    }
    consent = await pool.fetchrow("SELECT * FROM consents WHERE subject_id = $1", sid)
    assert (
        consent["partner_id"],
        consent["data_items"],
        consent["given_at"],
        consent["withdrawn_at"],
    ) == (partner("ad-network-1", unique), ["interest_segment", "purchases"], given, None)
    purpose = await pool.fetchrow(
        "SELECT * FROM purposes WHERE purpose_id = $1", f"loyalty_points_{unique}"
    )
    points = await pool.fetchrow(
        "SELECT acquired_at FROM personal_data WHERE field = 'points_balance' AND subject_id = $1",
        f"user-7-{unique}",
    )
    assert purpose["effective_from"] == points["acquired_at"]  # within purpose from the start


async def test_loading_the_same_file_again_changes_nothing(pool: asyncpg.Pool, unique: str) -> None:
    inventory = parse_inventory(example(unique))
    store = InventoryStore(pool)
    first = await store.load(inventory)
    assert first.changed_anything
    ids = (f"user-42-{unique}", f"user-7-{unique}")
    before = await snapshot(pool, *ids)
    events = await pool.fetchval("SELECT count(*) FROM register_events")
    again = await store.load(inventory)
    assert again == InventoryLoad(unchanged=RECORDS)
    assert await pool.fetchval("SELECT count(*) FROM register_events") == events
    assert not again.changed_anything
    assert await snapshot(pool, *ids) == before


async def test_a_reload_updates_what_changed_and_leaves_the_rest(
    pool: asyncpg.Pool, unique: str
) -> None:
    data = example(unique)
    store = InventoryStore(pool)
    await store.load(parse_inventory(data))
    sid = f"user-42-{unique}"
    [fax] = await sealed(pool, sid, "03-0000-0000")
    await pool.execute(
        "INSERT INTO personal_data (subject_id, category, field, value) VALUES ($1,"
        " 'contact', 'fax', $2)",
        sid,
        fax,
    )
    hanako = data["subjects"][0]
    hanako["name"] = "Hanako Tanaka"
    phone = next(i for i in hanako["items"] if i["field"] == "phone")
    phone |= {"value": "+81 90-8765-4321", "lawfully_obtained": True}
    hanako["items"] = [i for i in hanako["items"] if i["field"] != "drivers_license"]
    hanako["provisions"][0]["items"].reverse()  # the same items: no change
    hanako["provisions"][1]["items"].append("login_history")
    result = await store.load(parse_inventory(data))
    assert result == InventoryLoad(
        subjects_changed=1,
        items_changed=2,
        provisions_changed=1,
        unchanged=1 + 11 + 5 + 6 + REGISTERS,
    )
    values = await _fields(pool, sid)
    assert values["phone"] == "+81 90-8765-4321"
    assert values["name"] == "Hanako Tanaka"
    # Absent from the file, so left alone: the loader never deletes.
    assert values["drivers_license"] == "301234567890" and values["fax"] == "03-0000-0000"
    assert await pool.fetchval(
        "SELECT data_items FROM third_party_provisions WHERE subject_id = $1 AND partner_id = $2",
        sid,
        partner("data-broker-2", unique),
    ) == ["browsing_history", "login_history"]


async def test_a_reload_keeps_a_suspension_and_a_stop(pool: asyncpg.Pool, unique: str) -> None:
    data = example(unique)
    store = InventoryStore(pool)
    await store.load(parse_inventory(data))
    sid = f"user-42-{unique}"
    await pool.execute(
        "UPDATE personal_data SET suspended_at = $2 WHERE subject_id = $1"
        " AND field = 'browsing_history'",
        sid,
        T0,
    )
    broker = partner("data-broker-2", unique)
    await pool.execute(
        "UPDATE third_party_provisions SET stopped_at = $2 WHERE subject_id = $1"
        " AND partner_id = $3",
        sid,
        T0,
        broker,
    )
    # Reloading the very file, and one that changes the suspended item and stopped provision.
    assert not (await store.load(parse_inventory(data))).changed_anything
    hanako = data["subjects"][0]
    next(i for i in hanako["items"] if i["field"] == "browsing_history")["value"] = "updated"
    hanako["provisions"][1]["items"].append("purchases")
    assert (await store.load(parse_inventory(data))).items_changed == 1
    item = await pool.fetchrow(
        "SELECT value, suspended_at FROM personal_data"
        " WHERE subject_id = $1 AND field = 'browsing_history'",
        sid,
    )
    assert (await opened(pool, item["value"]), item["suspended_at"]) == ("updated", T0)
    provision = await pool.fetchrow(
        "SELECT data_items, stopped_at FROM third_party_provisions"
        " WHERE subject_id = $1 AND partner_id = $2",
        sid,
        broker,
    )
    assert (provision["data_items"], provision["stopped_at"]) == (
        ["browsing_history", "purchases"],
        T0,
    )
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM provision_feed WHERE subject_id = $1 AND partner_id = $2",
            sid,
            broker,
        )
        == 0
    )


async def _request(
    pool: asyncpg.Pool,
    request_id: str,
    subject_id: str,
    kind: str,
    details: dict[str, Any],
    carried_out: EventType,
    **payload: Any,
) -> None:
    await IntakeStore(pool).record_submission(
        parse_submission(
            {
                "request_id": request_id,
                "kind": kind,
                "subject_id": subject_id,
                "requester": {"name": "Hanako Yamada", "email": "hanako@example.jp"},
                "details": details,
            }
        ),
        POLICY,
    )
    await EventStore(pool).append(event(request_id, carried_out, **payload))


async def _fields(pool: asyncpg.Pool, subject_id: str) -> dict[str, str]:
    """The subject's items, opened."""
    return {
        row["field"]: await opened(pool, row["value"])
        for row in await pool.fetch(
            "SELECT field, value FROM personal_data WHERE subject_id = $1", subject_id
        )
    }


async def test_a_reload_does_not_undo_a_correction(pool: asyncpg.Pool, unique: str) -> None:
    data = example(unique)
    store = InventoryStore(pool)
    await store.load(parse_inventory(data))
    hanako = data["subjects"][0]["subject_id"]
    await _request(
        pool,
        f"cor-{unique}",
        hanako,
        "correction",
        {
            "changes": [
                {"field": "phone", "action": "correct", "new_value": "+81 70-1111-2222"},
                {"field": "date_of_birth", "action": "delete"},
            ],
            "statement": "I changed my number and never gave my birth date.",
        },
        EventType.CORRECTION_APPLIED,
    )
    # What carrying the correction out did to the rows.
    [phone] = await sealed(pool, hanako, "+81 70-1111-2222")
    await pool.execute(
        "UPDATE personal_data SET value = $2 WHERE subject_id = $1 AND field = 'phone'",
        hanako,
        phone,
    )
    await pool.execute(
        "DELETE FROM personal_data WHERE subject_id = $1 AND field = 'date_of_birth'", hanako
    )

    assert await store.load(parse_inventory(data)) == InventoryLoad(
        kept=2, unchanged=2 + 12 + 5 + 7 + REGISTERS
    )
    held = await _fields(pool, hanako)
    assert held["phone"] == "+81 70-1111-2222" and "date_of_birth" not in held


async def test_a_correction_whose_details_were_shredded_still_guards_its_field(
    pool: asyncpg.Pool, unique: str
) -> None:
    """Retention shreds a closed request's details; its event still names the fields."""
    data = example(unique)
    store = InventoryStore(pool)
    await store.load(parse_inventory(data))
    hanako = data["subjects"][0]["subject_id"]
    rid = f"cor-{unique}"
    await _request(
        pool,
        rid,
        hanako,
        "correction",
        {
            "changes": [{"field": "phone", "action": "correct", "new_value": "+81 70-1111-2222"}],
            "statement": "I changed my number.",
        },
        EventType.CORRECTION_APPLIED,
        made="phone:correct",
        not_made="",
    )
    [phone] = await sealed(pool, hanako, "+81 70-1111-2222")
    await pool.execute(
        "UPDATE personal_data SET value = $2 WHERE subject_id = $1 AND field = 'phone'",
        hanako,
        phone,
    )
    async with pool.acquire() as connection:
        async with connection.transaction():
            shredded = await shred_recorded(connection, hanako, forget_requests=frozenset({rid}))
        vault_of(connection).keyring.destroy(shredded.destroyed_key)
    assert (
        await opened(
            pool,
            await pool.fetchval("SELECT details FROM request_details WHERE request_id = $1", rid),
        )
        == ERASED
    )

    assert await store.load(parse_inventory(data)) == InventoryLoad(
        kept=1, unchanged=2 + 13 + 5 + 7 + REGISTERS
    )
    assert (await _fields(pool, hanako))["phone"] == "+81 70-1111-2222"


async def test_a_reload_does_not_bring_erased_items_back(pool: asyncpg.Pool, unique: str) -> None:
    data = example(unique)
    store = InventoryStore(pool)
    await store.load(parse_inventory(data))
    hanako, taro = (s["subject_id"] for s in data["subjects"])
    # An erasure that names what it erased, and one recorded before erasures named them.
    await _request(
        pool,
        f"era-{unique}",
        hanako,
        "suspension",
        {"action": "erase", "grounds": ["obtained_wrongfully"]},
        EventType.DATA_ERASED,
        items="characteristic/social_profile",
    )
    await pool.execute(
        "DELETE FROM personal_data WHERE subject_id = $1 AND field = 'social_profile'", hanako
    )
    await _request(
        pool,
        f"old-{unique}",
        taro,
        "suspension",
        {"action": "erase", "grounds": ["used_beyond_purpose"]},
        EventType.DATA_ERASED,
    )
    await pool.execute(
        "DELETE FROM personal_data WHERE subject_id = $1 AND field IN ('phone', 'purchases')", taro
    )
    new_item = {
        "category": "contact",
        "field": "line_id",
        "value": "hanako.y",
        "purpose": None,
        "lawfully_obtained": True,
    }
    data["subjects"][0]["items"].append(new_item)
    data["subjects"][1]["items"].append(new_item)

    result = await store.load(parse_inventory(data))
    assert result == InventoryLoad(items_added=1, kept=1 + 3, unchanged=2 + 13 + 3 + 7 + REGISTERS)
    assert "social_profile" not in await _fields(pool, hanako)
    assert (await _fields(pool, hanako))["line_id"] == "hanako.y"
    assert set(await _fields(pool, taro)) == {"name", "email", "points_balance"}


async def test_a_subject_known_from_intake_gets_its_name(pool: asyncpg.Pool, unique: str) -> None:
    data = example(unique)
    await pool.execute(
        "INSERT INTO subjects (subject_id) VALUES ($1)", data["subjects"][1]["subject_id"]
    )
    result = await InventoryStore(pool).load(parse_inventory(data))
    assert (result.subjects_added, result.subjects_changed) == (1, 1)
    assert (
        await opened(
            pool,
            await pool.fetchval(
                "SELECT name FROM subjects WHERE subject_id = $1", data["subjects"][1]["subject_id"]
            ),
        )
        == "Taro Suzuki"
    )


async def test_a_load_is_one_transaction(pool: asyncpg.Pool, unique: str) -> None:
    good = parse_inventory(example(unique))
    # Past validation only by construct(): the store's own check must then refuse it.
    broken = HeldItemRecord.model_construct(
        category=DataCategory.HISTORY,
        field="x",
        value=None,
        purpose=None,
        source="registration",
        lawfully_obtained=True,
    )
    subject = good.subjects[1].model_copy(update={"items": [*good.subjects[1].items, broken]})
    with pytest.raises(asyncpg.NotNullViolationError):
        await InventoryStore(pool).load(
            Inventory.model_construct(subjects=[good.subjects[0], subject])
        )
    assert await snapshot(pool, *(s.subject_id for s in good.subjects)) == {
        "subjects": [],
        "personal_data": [],
        "third_party_provisions": [],
    }
    # Nor any register: not the purpose, nor a footing, nor a consent, nor their events.
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM purposes WHERE purpose_id = $1", good.purposes[0].id
        )
        == 0
    )
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM provision_bases WHERE partner_id LIKE $1", f"%-{unique}"
        )
        == 0
    )
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM register_events WHERE idempotency_key LIKE $1", f"%-{unique}/%"
        )
        == 0
    )


@pytest.fixture
async def dsr(pool: asyncpg.Pool, unique: str, tmp_path: Path) -> AsyncIterator[Dsr]:
    """`dsr` as an administrator runs it: a subprocess holding DSR_URL and DSR_TOKEN, the
    API served over the suite's pool (a load asks no workflow: no Temporal)."""
    client: Any = None
    async with served_dsr(
        client,
        pool,
        cli_settings(tmp_path, f"inventory-{unique}"),
        folder=tmp_path / "elsewhere",
        account=f"loader-{unique}",
    ) as running:
        yield running


async def test_the_command_loads_and_says_what_it_did(
    dsr: Dsr, unique: str, tmp_path: Path
) -> None:
    file = tmp_path / "inventory.json"
    file.write_text(json.dumps(example(unique)), encoding="utf-8")

    assert await dsr("inventory", "load", str(file)) == (
        0,
        f"inventory {file} loaded: subjects 2 added, 0 changed; items 19 added, 0 changed; "
        "provisions 7 added, 0 changed; purposes 1 added; provision bases 6 added, 0 changed; "
        "consents 1 added, 0 changed; 0 unchanged\n",
        "",
    )
    code, out, err = await dsr("--output", "json", "inventory", "load", str(file))
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "file": str(file),
        "subjects": 2,
        "subjects_added": 0,
        "subjects_changed": 0,
        "items_added": 0,
        "items_changed": 0,
        "provisions_added": 0,
        "provisions_changed": 0,
        "purposes_added": 0,
        "bases_added": 0,
        "bases_changed": 0,
        "consents_added": 0,
        "consents_changed": 0,
        "kept": 0,
        "unchanged": RECORDS,
        "changed": False,
    }
    # From standard input, as `-`.
    code, out, _ = await dsr("inventory", "load", "-", stdin=file.read_text(encoding="utf-8"))
    assert (code, out) == (
        0,
        f"inventory -: nothing changed ({RECORDS} records already as in the file)\n",
    )


async def test_loading_says_so_when_the_database_has_no_schema(
    postgres_server: str, vault: Vault
) -> None:
    """The API's load (service/registers.py) on a database without the schema: 503 with
    this message (the account's token could not be checked there either)."""
    async with scratch_database(postgres_server, "dsr_inventory_empty") as url:
        empty = await create_pool(url, max_size=1, vault=vault)
        try:
            with pytest.raises(Unavailable) as refused:
                await registers.load_inventory(empty, parse_inventory(example("empty")))
        finally:
            await empty.close()
    assert str(refused.value) == (
        "the database's schema is missing or older than this dsr: apply the migrations "
        "with `make run` or `dsr-admin setup`"
    )


async def test_the_command_refuses_a_file_that_would_change_a_purpose(
    dsr: Dsr, pool: asyncpg.Pool, unique: str, tmp_path: Path
) -> None:
    data = example(unique)
    data["purposes"].append({"id": "billing", "text": "To bill users and resell their data"})
    file = tmp_path / "inventory.json"
    file.write_text(json.dumps(data), encoding="utf-8")
    code, out, err = await dsr("inventory", "load", str(file))
    assert (code, out) == (2, "")
    assert err == (
        "dsr: refused inventory: purposes.1: billing is in the register already with another "
        "text (version 1); a purpose is changed by Article 4's procedure, `dsr purposes "
        "change`, not by a load\n"
        f"dsr: {file}: conflicts with the registers (1 problem); nothing was loaded\n"
    )
    assert await snapshot(pool, *(s["subject_id"] for s in data["subjects"])) == {
        "subjects": [],
        "personal_data": [],
        "third_party_provisions": [],
    }


async def test_an_account_other_than_an_admin_loads_nothing(
    pool: asyncpg.Pool, unique: str, tmp_path: Path, dsr: Dsr
) -> None:
    file = tmp_path / "inventory.json"
    data = example(unique)
    file.write_text(json.dumps(data), encoding="utf-8")
    operator = await Accounts(pool).create(f"op-{unique}", (Role.OPERATOR,), "tests")
    code, out, err = await dsr("inventory", "load", str(file), token=operator)
    assert (code, out) == (2, "")
    assert "does not hold the admin role" in err
    assert (await snapshot(pool, *(s["subject_id"] for s in data["subjects"])))["subjects"] == []


async def test_c3_the_examples_opt_out_stands_on_nothing_and_the_feed_carries_nothing_to_it(
    pool: asyncpg.Pool, unique: str
) -> None:
    """C3 (review of issue 24): the example no longer brings a sale to partners as an
    "incidental" purpose, so its data broker's opt-out names a purpose Article 3's register
    does not hold: `dsr provisions check` finds it (`opt_out_purpose_missing`) and the
    feed carries nothing to the broker, while the consented ad network still gets what the
    consent covers."""
    await InventoryStore(pool).load(parse_inventory(example(unique)))
    subject = f"user-42-{unique}"
    broker, ads = partner("data-broker-2", unique), partner("ad-network-1", unique)
    findings = [f for f in await check_provisions(pool) if f.subject_id == subject]
    assert [(f.partner_id, f.kind) for f in findings] == [
        (broker, FindingKind.OPT_OUT_PURPOSE_MISSING)
    ]
    fed = await pool.fetch(
        "SELECT partner_id, field FROM provision_feed WHERE subject_id = $1", subject
    )
    assert not any(row["partner_id"] == broker for row in fed)
    assert {row["field"] for row in fed if row["partner_id"] == ads} == {
        "interest_segment",
        "purchases",
    }
