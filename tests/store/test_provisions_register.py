"""Article 5's register on a real database (store/provisions.py), fed by inventory loads:
footings and consents recorded as chained register events with their projections in step,
a second load appending nothing, a withdrawal standing against an older file, the purposes
a file defines, an item's used_at, and the findings `dsr provisions check` reports. The
purpose that includes provision, which the opt-out stands on, is the register's (put there as
Article 4 leaves it, tests/support/purposes.py), never the file's (review of issue 24: C3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from domain.authority import Role
from domain.inventory import parse_inventory
from domain.provision_register import OptOutMatter
from domain.provision_rule import FindingKind
from interfaces.api.services import Services
from store.accounts import Accounts
from store.database import create_pool
from store.inventory import InventoryLoad, InventoryStore, RegisterConflict
from store.provision_check import check_provisions
from store.provisions import (
    BASES_STREAM,
    CONSENTS_STREAM,
    withdraw_standing_consents,
)
from store.registers import verify_stream
from store.sealing import Vault
from tests.support.cli import Dsr, cli_settings, served
from tests.support.database import database_with_roles
from tests.support.purposes import define_in_register
from tests.support.temporal import TEST_ACT_SIGNER

NAME, EMAIL, PHONE = "Saburo Kato", "saburo@example.jp", "+81 90-5555-0101"
GIVEN = "2026-05-10T10:00:00+09:00"
MATTERS = [m.value for m in OptOutMatter]
PARTICULARS = {
    "items": "name and phone",
    "scope_of_joint_users": "group companies",
    "purpose": "fraud prevention",
    "person_responsible": "Security Office",
}

# Article 5 ¶1's first matter: a purpose of use that includes provision to third parties.
# No file may bring one (C3): it enters the register through Article 4, as
# `register_providing` records it, each test with its own (the register is shared).
PROVIDING_TEXT = "To provide users' contact details to marketing partners"


def providing(unique: str) -> str:
    """The test's own purpose that includes provision to third parties."""
    return f"partners_provision_{unique}"


async def register_providing(pool: asyncpg.Pool, unique: str) -> None:
    """The providing purpose as an Article 4 change leaves it: established, in force since
    2026-03-01 (before the opt-out's announcement), marked as including provision."""
    await define_in_register(
        pool,
        providing(unique),
        PROVIDING_TEXT,
        includes_provision=True,
        change_id=f"chg-{unique}",
    )


def inventory(
    unique: str,
    *,
    consent: dict[str, Any] | None = None,
    opt_out: dict[str, Any] | None = None,
    joint_use: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One subject provided to three partners of the test's own: on consent, on opt-out and
    in joint use, with the footings and the consent on record unless told otherwise. Its
    phone is held for the providing purpose (`register_providing`), so the opt-out may carry
    it (C2: an opt-out carries only items held for its own purpose, within purpose)."""
    return {
        "provision_bases": [
            {"partner": f"ads-{unique}", "relationship": "third_party", "legal_basis": "consent"},
            {
                "partner": f"broker-{unique}",
                "relationship": "third_party",
                "legal_basis": "opt_out_notified",
                "opt_out": opt_out
                if opt_out is not None
                else {
                    "matters": MATTERS,
                    "announced_at": "2026-04-01",
                    "commission_notified_at": "2026-04-15",
                    "purpose": providing(unique),
                },
            },
            {
                "partner": f"group-{unique}",
                "relationship": "joint_use",
                "legal_basis": "not_third_party",
                "joint_use": joint_use if joint_use is not None else PARTICULARS,
            },
        ],
        "subjects": [
            {
                "subject_id": f"sub-{unique}",
                "name": NAME,
                "email": EMAIL,
                "items": [
                    {
                        "category": "contact",
                        "field": "phone",
                        "value": PHONE,
                        "purpose": providing(unique),
                        "lawfully_obtained": True,
                    }
                ],
                "provisions": [
                    {
                        "partner": f"ads-{unique}",
                        "relationship": "third_party",
                        "legal_basis": "consent",
                        "items": ["phone"],
                    },
                    {
                        "partner": f"broker-{unique}",
                        "relationship": "third_party",
                        "legal_basis": "opt_out_notified",
                        "items": ["phone"],
                    },
                    {
                        "partner": f"group-{unique}",
                        "relationship": "joint_use",
                        "legal_basis": "not_third_party",
                        "items": ["name", "phone"],
                    },
                ],
                "consents": [
                    consent
                    if consent is not None
                    else {"partner": f"ads-{unique}", "items": ["phone"], "given_at": GIVEN}
                ],
            }
        ],
    }


async def load(pool: asyncpg.Pool, data: dict[str, Any]) -> InventoryLoad:
    return await InventoryStore(pool).load(parse_inventory(data))


async def events(pool: asyncpg.Pool, unique: str) -> list[asyncpg.Record]:
    return await pool.fetch(
        """SELECT stream, seq, type, payload, actor FROM register_events
            WHERE idempotency_key LIKE $1 ORDER BY stream, seq""",
        f"%-{unique}/%",
    )


async def consent_row(pool: asyncpg.Pool, unique: str) -> asyncpg.Record:
    return await pool.fetchrow(
        """SELECT c.given_at, c.withdrawn_at, c.version, c.data_items, p.consented_at
             FROM consents c JOIN third_party_provisions p USING (subject_id, partner_id)
            WHERE c.subject_id = $1""",
        f"sub-{unique}",
    )


async def test_footings_and_consents_are_chained_register_events_appended_once(
    pool: asyncpg.Pool, unique: str
) -> None:
    await register_providing(pool, unique)
    data = inventory(unique)
    first = await load(pool, data)
    assert (first.bases_added, first.consents_added) == (3, 1)
    recorded = await events(pool, unique)
    assert [(r["stream"], r["type"]) for r in recorded] == [
        (CONSENTS_STREAM, "consent.given"),
        *[(BASES_STREAM, "provision_basis.recorded")] * 3,
    ]
    given = recorded[0]["payload"]
    assert given == {
        "subject_id": f"sub-{unique}",
        "partner_id": f"ads-{unique}",
        "items": "phone",
        "given_at": datetime.fromisoformat(GIVEN).isoformat(),
        "version": 1,
    }
    broker = next(
        r["payload"]
        for r in recorded
        if r["payload"].get("partner_id") == f"broker-{unique}" and r["stream"] == BASES_STREAM
    )
    assert broker["commission_notified_at"] == "2026-04-15"
    assert broker["matters_announced"] == ",".join(sorted(MATTERS))
    assert broker["provision_purpose"] == providing(unique)
    # Nothing personal in the register: ids, field names, dates and the organisation's texts.
    shown = json.dumps([dict(r) for r in recorded], default=str)
    assert not any(value in shown for value in (NAME, EMAIL, PHONE, "Saburo"))
    assert {r["actor"] for r in recorded} == {"inventory"}
    async with pool.acquire() as connection:
        for stream in (BASES_STREAM, CONSENTS_STREAM):
            assert (await verify_stream(connection, stream)).intact, stream
    assert (
        await pool.fetchval(
            "SELECT count(*) FROM event_log WHERE request_id = 'register/' || $1 AND seq = ANY($2)",
            CONSENTS_STREAM,
            [r["seq"] for r in recorded if r["stream"] == CONSENTS_STREAM],
        )
        == 1
    )

    again = await load(pool, data)
    # The subject, its name, e-mail and phone, provisions, bases and consent (the providing
    # purpose is the register's, not the file's).
    assert not again.changed_anything and again.unchanged == 1 + 3 + 3 + 3 + 1
    assert len(await events(pool, unique)) == len(recorded)


async def test_a_footing_changed_and_changed_back_is_recorded_each_time(
    pool: asyncpg.Pool, unique: str
) -> None:
    await register_providing(pool, unique)
    await load(pool, inventory(unique))
    unnotified = inventory(unique, opt_out={"matters": MATTERS, "announced_at": "2026-04-01"})
    assert (await load(pool, unnotified)).bases_changed == 1
    row = await pool.fetchrow(
        "SELECT * FROM provision_bases WHERE partner_id = $1", f"broker-{unique}"
    )
    assert (row["commission_notified_at"], row["version"]) == (None, 2)
    assert (await load(pool, inventory(unique))).bases_changed == 1
    versions = [
        r["payload"]["version"]
        for r in await events(pool, unique)
        if r["payload"].get("partner_id") == f"broker-{unique}"
    ]
    assert versions == [1, 2, 3]
    assert (
        await pool.fetchval(
            "SELECT commission_notified_at FROM provision_bases WHERE partner_id = $1",
            f"broker-{unique}",
        )
        is not None
    )
    async with pool.acquire() as connection:
        assert (await verify_stream(connection, BASES_STREAM)).intact


async def test_a_withdrawal_stands_against_an_older_file_and_a_later_consent_replaces_it(
    pool: asyncpg.Pool, unique: str
) -> None:
    ads = f"ads-{unique}"
    await register_providing(pool, unique)
    await load(pool, inventory(unique))
    assert (await consent_row(pool, unique))["consented_at"] == datetime.fromisoformat(GIVEN)
    withdrawn = {
        "partner": ads,
        "items": ["phone"],
        "given_at": GIVEN,
        "withdrawn_at": "2026-06-01T09:00:00+09:00",
    }
    assert (await load(pool, inventory(unique, consent=withdrawn))).consents_changed == 1
    row = await consent_row(pool, unique)
    assert (row["withdrawn_at"], row["consented_at"]) == (
        datetime.fromisoformat("2026-06-01T09:00:00+09:00"),
        None,
    )
    count = len(await events(pool, unique))
    # The file from before the withdrawal: the withdrawal stands, nothing is appended.
    older = await load(pool, inventory(unique))
    assert (older.kept, older.consents_changed) == (1, 0)
    assert len(await events(pool, unique)) == count
    assert (await consent_row(pool, unique))["withdrawn_at"] is not None
    # A consent given again, later: a new version, standing.
    later = {"partner": ads, "items": ["phone", "name"], "given_at": "2026-07-01T10:00:00Z"}
    assert (await load(pool, inventory(unique, consent=later))).consents_changed == 1
    row = await consent_row(pool, unique)
    assert (
        row["version"],
        row["withdrawn_at"],
        sorted(row["data_items"]),
        row["consented_at"],
    ) == (2, None, ["name", "phone"], datetime(2026, 7, 1, 10, tzinfo=UTC))
    assert (await load(pool, inventory(unique))).kept == 1  # older than what is on record
    types = [r["type"] for r in await events(pool, unique) if r["stream"] == CONSENTS_STREAM]
    assert types == ["consent.given", "consent.withdrawn", "consent.given"]


async def test_a_stop_withdraws_the_standing_consent_once(pool: asyncpg.Pool, unique: str) -> None:
    await register_providing(pool, unique)
    await load(pool, inventory(unique))
    at = datetime(2026, 8, 1, tzinfo=UTC)
    async with pool.acquire() as connection, connection.transaction():
        withdrawn = await withdraw_standing_consents(
            connection,
            f"sub-{unique}",
            [f"ads-{unique}", f"broker-{unique}"],
            at,
            request_id=f"tps-{unique}",
        )
    assert withdrawn == [f"ads-{unique}"]
    async with pool.acquire() as connection, connection.transaction():
        assert (
            await withdraw_standing_consents(
                connection, f"sub-{unique}", [f"ads-{unique}"], at, request_id=f"tps2-{unique}"
            )
            == []
        )
    last = [r for r in await events(pool, unique) if r["stream"] == CONSENTS_STREAM][-1]
    assert (last["type"], last["actor"], last["payload"]["request_id"]) == (
        "consent.withdrawn",
        "system",
        f"tps-{unique}",
    )
    assert (await consent_row(pool, unique))["consented_at"] is None


# Article 3's last line: a purpose the file adds is incidental to one of Article 3's, judged.
JUDGED = {
    "text_ja": "ポイントを付与するため",
    "incidental_to": "billing",
    "judged_by": "admin",
    "judged_at": "2026-10-01T10:00:00+09:00",
    "related_because": "Earned and redeemed on the usage fees we bill.",
}


async def test_the_purposes_a_file_defines_and_those_it_may_not_change(
    pool: asyncpg.Pool, unique: str
) -> None:
    points = f"points_{unique}"
    data = inventory(unique) | {
        "purposes": [
            {"id": points, "text": "To grant loyalty points"} | JUDGED,
            {"id": f"receipts_{unique}", "text": "To send receipts"} | JUDGED,
        ]
    }
    data["subjects"][0]["items"][0]["purpose"] = points
    assert (await load(pool, data)).purposes_added == 2
    defined = await pool.fetch(
        "SELECT * FROM purposes WHERE purpose_id = ANY($1::text[])", [points, f"receipts_{unique}"]
    )
    assert {(r["purpose_id"], r["version"], r["incidental_to"]) for r in defined} == {
        (points, 1, "billing"),
        (f"receipts_{unique}", 1, "billing"),
    }
    assert (await load(pool, data)).unchanged >= 2  # the same texts: nothing to define

    refused = [
        (
            {"id": points, "text": "To grant and sell loyalty points"} | JUDGED,
            "purposes.0",
            f"{points} is in the register already with another text (version 1); a purpose is "
            "changed by Article 4's procedure, `dsr purposes change`, not by a load",
        ),
        (
            {"id": "billing", "text": "To bill users and resell their data"},
            "purposes.0",
            "billing is in the register already with another text",
        ),
        (
            {"id": points, "text": "To grant loyalty points"}
            | JUDGED
            | {"incidental_to": "provide_service"},
            "purposes.0",
            f"{points} is in the register already with another incidental_to (version 1)",
        ),
    ]
    for purpose, path, message in refused:
        other = inventory(f"{unique}x") | {"purposes": [purpose]}
        with pytest.raises(RegisterConflict) as conflict:
            await load(pool, other)
        assert conflict.value.problems[0][0] == path
        assert conflict.value.problems[0][1].startswith(message)
        # Nothing of the refused file was loaded.
        assert (
            await pool.fetchval(
                "SELECT count(*) FROM subjects WHERE subject_id = $1", f"sub-{unique}x"
            )
            == 0
        )


async def test_times_later_than_the_load_are_refused(pool: asyncpg.Pool, unique: str) -> None:
    soon = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    data = inventory(
        unique, consent={"partner": f"ads-{unique}", "items": ["phone"], "given_at": soon}
    )
    data["subjects"][0]["items"][0]["used_at"] = soon
    data["purposes"] = [{"id": f"p_{unique}", "text": "P"} | JUDGED | {"judged_at": soon}]
    with pytest.raises(RegisterConflict) as conflict:
        await load(pool, data)
    assert [path for path, _ in conflict.value.problems] == [
        "purposes.0.judged_at",
        "subjects.0.items.0.used_at",
        "subjects.0.consents.0.given_at",
    ]


async def test_an_items_use_starts_when_its_purpose_changes_or_when_the_file_says(
    pool: asyncpg.Pool, unique: str
) -> None:
    await register_providing(pool, unique)
    data = inventory(unique)
    await load(pool, data)
    query = """SELECT acquired_at, used_at FROM personal_data
                WHERE subject_id = $1 AND field = 'phone'"""
    first = await pool.fetchrow(query, f"sub-{unique}")
    assert first["used_at"] is None  # since acquired
    data["subjects"][0]["items"][0]["purpose"] = "service_emails"
    assert (await load(pool, data)).items_changed == 1
    changed = await pool.fetchrow(query, f"sub-{unique}")
    assert changed["used_at"] is not None and changed["used_at"] >= first["acquired_at"]
    assert (await load(pool, data)).items_changed == 0  # and it stays so
    data["subjects"][0]["items"][0]["used_at"] = "2026-02-01T00:00:00Z"
    assert (await load(pool, data)).items_changed == 1
    assert (await pool.fetchrow(query, f"sub-{unique}"))["used_at"] == datetime(
        2026, 2, 1, tzinfo=UTC
    )
    assert (await load(pool, data)).items_changed == 0


async def test_the_check_finds_each_provision_with_no_valid_basis(
    pool: asyncpg.Pool, unique: str
) -> None:
    withdrawn = {
        "partner": f"ads-{unique}",
        "items": ["phone"],
        "given_at": GIVEN,
        "withdrawn_at": "2026-06-01T00:00:00Z",
    }
    await register_providing(pool, unique)
    await load(
        pool,
        inventory(
            unique,
            consent=withdrawn,
            opt_out={
                "matters": MATTERS,
                "announced_at": "2026-04-01",
                "purpose": providing(unique),
            },
            joint_use={"items": "name and phone"},
        ),
    )
    mine = [f for f in await check_provisions(pool) if f.subject_id == f"sub-{unique}"]
    assert {(f.partner_id.removesuffix(f"-{unique}"), f.kind) for f in mine} == {
        ("ads", FindingKind.CONSENT_WITHDRAWN),
        ("broker", FindingKind.OPT_OUT_NO_COMMISSION_NOTIFICATION),
        ("group", FindingKind.JOINT_USE_PARTICULARS_MISSING),
    }
    # Complete again: nothing found; a stopped provision is not judged at all.
    await load(
        pool,
        inventory(
            unique,
            consent={
                "partner": f"ads-{unique}",
                "items": ["phone"],
                "given_at": "2026-07-01T00:00:00Z",
            },
        ),
    )
    assert [f for f in await check_provisions(pool) if f.subject_id == f"sub-{unique}"] == []
    await pool.execute(
        "UPDATE consents SET withdrawn_at = given_at WHERE subject_id = $1", f"sub-{unique}"
    )
    await pool.execute(
        "UPDATE third_party_provisions SET stopped_at = now()"
        " WHERE subject_id = $1 AND partner_id = $2",
        f"sub-{unique}",
        f"ads-{unique}",
    )
    assert [f for f in await check_provisions(pool) if f.subject_id == f"sub-{unique}"] == []


async def test_dsr_provisions_check_reports_findings_and_exits_3(
    postgres_server: str,
    vault: Vault,
    tmp_path: Path,
    unique: str,
) -> None:
    """On a database of its own, so that the findings are exactly this test's; `dsr` a
    subprocess holding only DSR_URL and DSR_TOKEN, against the API served over it."""
    async with database_with_roles(postgres_server, "dsr_provisions_check") as roles:
        fresh = await create_pool(roles.runtime_url, max_size=2, vault=vault)
        try:
            accounts = Accounts(fresh)
            auditor = await accounts.create("auditor-1", (Role.AUDITOR,), "test")
            intake = await accounts.create("intake-1", (Role.INTAKE,), "test")
            client: Any = None  # the check asks no workflow
            services = Services(
                client, fresh, cli_settings(tmp_path, f"provisions-{unique}"), TEST_ACT_SIGNER
            )
            folder = tmp_path / "elsewhere"
            folder.mkdir()
            async with served(services) as url:
                await _check_through_the_api(Dsr(url, auditor, folder), fresh, unique, intake)
        finally:
            await fresh.close()


async def _check_through_the_api(
    command: Dsr, fresh: asyncpg.Pool, unique: str, intake: str
) -> None:
    """`dsr provisions check`: no finding, then three (exit 3), as JSON, refused to an
    intake account and an unknown token, and none again once the consent is renewed."""
    auditor = command.token

    async def dsr(token: str, *argv: str) -> tuple[int, str, str]:
        return await command(*argv, token=token)

    assert await dsr(auditor, "provisions", "check") == (
        0,
        "every running provision has a valid basis on record (Article 5)\n",
        "",
    )

    withdrawn = {
        "partner": f"ads-{unique}",
        "items": ["phone"],
        "given_at": GIVEN,
        "withdrawn_at": "2026-06-01T00:00:00Z",
    }
    await register_providing(fresh, unique)
    await InventoryStore(fresh).load(
        parse_inventory(
            inventory(
                unique,
                consent=withdrawn,
                opt_out={
                    "matters": MATTERS,
                    "announced_at": "2026-04-01",
                    "purpose": providing(unique),
                },
                joint_use={"items": "name and phone"},
            )
        )
    )
    code, out, err = await dsr(auditor, "provisions", "check")
    assert (code, err) == (3, "")
    header, *rows, total = out.splitlines()
    assert header.split() == ["provision", "subject", "partner", "finding", "detail"]
    assert sorted(row.split()[3] for row in rows) == [
        "consent_withdrawn",
        "joint_use_particulars_missing",
        "opt_out_no_commission_notification",
    ]
    assert all(f"sub-{unique}" in row for row in rows)
    assert total == ("3 findings on 3 provisions with no valid basis on record (Article 5)")
    assert NAME not in out and PHONE not in out

    code, out, _ = await dsr(auditor, "--output", "json", "provisions", "check")
    report = json.loads(out)
    assert (code, report["count"]) == (3, 3)
    assert {(f["partner_id"], f["kind"]) for f in report["findings"]} == {
        (f"ads-{unique}", "consent_withdrawn"),
        (f"broker-{unique}", "opt_out_no_commission_notification"),
        (f"group-{unique}", "joint_use_particulars_missing"),
    }

    # Reading the findings takes an operator's, auditor's or administrator's account.
    code, out, err = await dsr(intake, "provisions", "check")
    assert (code, out) == (2, "")
    assert err == (
        "dsr: account intake-1 does not hold the operator or auditor role this call needs\n"
    )
    assert (
        await fresh.fetchval(
            "SELECT count(*) FROM access_refusals WHERE account = 'intake-1'"
            " AND path = '/api/v1/provisions/findings' AND status = 403"
        )
        == 1
    )
    code, _, err = await dsr("dsr_not-a-token", "provisions", "check")
    assert code == 2 and "signs no one in" in err

    await InventoryStore(fresh).load(
        parse_inventory(
            inventory(
                unique,
                consent={
                    "partner": f"ads-{unique}",
                    "items": ["phone"],
                    "given_at": "2026-07-01T00:00:00Z",
                },
            )
        )
    )
    assert (await dsr(auditor, "provisions", "check"))[0] == 0


async def test_a_consent_given_before_a_withdrawal_on_record_does_not_revive_it(
    pool: asyncpg.Pool, unique: str
) -> None:
    """A stop withdrew the consent in August; a file listing a consent given in July (after
    the one on record, before the withdrawal) leaves it withdrawn."""
    await register_providing(pool, unique)
    await load(pool, inventory(unique))
    async with pool.acquire() as connection, connection.transaction():
        await withdraw_standing_consents(
            connection,
            f"sub-{unique}",
            [f"ads-{unique}"],
            datetime(2026, 8, 1, tzinfo=UTC),
            request_id=f"tps-{unique}",
        )
    count = len(await events(pool, unique))
    july = {"partner": f"ads-{unique}", "items": ["phone"], "given_at": "2026-07-01T10:00:00Z"}
    assert (await load(pool, inventory(unique, consent=july))).kept == 1
    assert len(await events(pool, unique)) == count
    row = await consent_row(pool, unique)
    assert row["withdrawn_at"] is not None and row["consented_at"] is None
