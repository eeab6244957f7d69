"""Review N3, kept as tests (issue 21): the API's and the worker's database roles each hold
only what their process needs. With the API's URL nobody mints an administrator, marks a
subject's key destroyed or appends to a request's events; with the worker's nobody makes an
account; and the database's account functions act only for an enabled administrator's
token, recording that administrator, not a name the caller gives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from domain.authority import Role
from domain.chain import GENESIS_HASH, canonical_encoding, link_hash
from domain.events import EventType
from store.accounts import (
    AccountProblem,
    Accounts,
    Administration,
    NoSuchAccount,
    NotAdministrator,
    token_hash,
)
from store.database import create_pool
from store.event_door import NotTheApisEvent
from store.events import EventStore
from store.refunds import record_refund
from store.sealing import Vault
from tests.support.builders import event, late_fee_request
from tests.support.database import Roles


@pytest.fixture
async def api(roles: Roles) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(roles.api_url)
    yield connection
    await connection.close()


@pytest.fixture
async def worker(roles: Roles) -> AsyncIterator[asyncpg.Connection]:
    connection = await asyncpg.connect(roles.worker_url)
    yield connection
    await connection.close()


async def _accounts(owner_pool: asyncpg.Pool, *names: str) -> list[dict]:
    rows = await owner_pool.fetch(
        "SELECT account, roles, created_by FROM accounts WHERE account = ANY($1) ORDER BY 1",
        list(names),
    )
    return [dict(row) for row in rows]


async def test_n3a_the_api_role_inserts_no_admin_and_changes_no_roles(
    api: asyncpg.Connection, owner_pool: asyncpg.Pool, unique: str
) -> None:
    operator = f"op-{unique}"
    await Accounts(owner_pool).create(operator, (Role.OPERATOR,), "tests")
    mallory = f"mallory-{unique}"
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await api.execute(
            """INSERT INTO accounts (account, roles, token_hash, created_by)
               VALUES ($1, '{admin}', $2, 'admin')""",
            mallory,
            token_hash(f"dsr_{unique}"),
        )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await api.execute("UPDATE accounts SET roles = '{admin}' WHERE account = $1", operator)
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await api.execute("UPDATE accounts SET disabled_at = now() WHERE account = $1", operator)
    assert await _accounts(owner_pool, mallory, operator) == [
        {"account": operator, "roles": ["operator"], "created_by": "tests"}
    ]


async def test_n3a_the_functions_act_for_no_wrong_non_admin_or_disabled_token(
    roles: Roles, owner_pool: asyncpg.Pool, unique: str
) -> None:
    accounts = Accounts(owner_pool)
    operator = await accounts.create(f"op-{unique}", (Role.OPERATOR,), "tests")
    gone = await accounts.create(f"gone-{unique}", (Role.ADMIN,), "tests")
    assert await accounts.disable(f"gone-{unique}")
    admin_hash = await owner_pool.fetchval(
        "SELECT token_hash FROM accounts WHERE account = $1", f"gone-{unique}"
    )
    api = await asyncpg.create_pool(roles.api_url, min_size=1, max_size=1)
    try:
        for token in (
            "",
            f"dsr_not-a-token-{unique}",
            operator,  # enabled, not an administrator
            gone,  # an administrator, disabled
            admin_hash,  # the hash the API may read is not the token
        ):
            administration = Administration(api, token)
            with pytest.raises(NotAdministrator):
                await administration.create(f"minted-{unique}", (Role.ADMIN,))
            with pytest.raises(NotAdministrator):
                await administration.set_roles(f"op-{unique}", (Role.ADMIN,))
            with pytest.raises(NotAdministrator):
                await administration.disable(f"op-{unique}")
    finally:
        await api.close()
    assert await _accounts(owner_pool, f"minted-{unique}", f"op-{unique}") == [
        {"account": f"op-{unique}", "roles": ["operator"], "created_by": "tests"}
    ]
    assert not await owner_pool.fetchval(
        "SELECT count(*) FROM account_changes WHERE account = $1", f"minted-{unique}"
    )


async def test_n3a_an_administrators_token_makes_an_account_recording_who(
    roles: Roles, owner_pool: asyncpg.Pool, unique: str
) -> None:
    admin = f"admin-{unique}"
    admin_token = await Accounts(owner_pool).create(admin, (Role.ADMIN,), "tests")
    api = await asyncpg.create_pool(roles.api_url, min_size=1, max_size=1)
    try:
        administration = Administration(api, admin_token)
        made = await administration.create(f"aud-{unique}", (Role.AUDITOR, Role.AUDITOR))
        assert made.created_by == admin
        assert (await Accounts(api).authenticate(made.token)) is not None
        with pytest.raises(AccountProblem, match="exists already"):
            await administration.create(f"aud-{unique}", (Role.AUDITOR,))
        assert await administration.set_roles(f"aud-{unique}", (Role.AUDITOR, Role.OPERATOR))
        assert not await administration.set_roles(f"aud-{unique}", (Role.OPERATOR, Role.AUDITOR))
        assert await administration.disable(f"aud-{unique}")
        assert not await administration.disable(f"aud-{unique}")
        assert await Accounts(api).authenticate(made.token) is None
        with pytest.raises(NoSuchAccount):
            await administration.disable(f"ghost-{unique}")
    finally:
        await api.close()
    assert await _accounts(owner_pool, f"aud-{unique}") == [
        {"account": f"aud-{unique}", "roles": ["auditor", "operator"], "created_by": admin}
    ]
    changes = await owner_pool.fetch(
        "SELECT change, roles, changed_by FROM account_changes WHERE account = $1 "
        "ORDER BY change_id",
        f"aud-{unique}",
    )
    assert [tuple(row) for row in changes] == [
        ("made", ["auditor"], admin),
        ("roles", ["auditor", "operator"], admin),
        ("disabled", ["auditor", "operator"], admin),
    ]


async def test_n3a_the_worker_role_makes_no_account(
    worker: asyncpg.Connection, owner_pool: asyncpg.Pool, unique: str
) -> None:
    admin_token = await Accounts(owner_pool).create(f"admin-{unique}", (Role.ADMIN,), "tests")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await worker.execute(
            """INSERT INTO accounts (account, roles, token_hash, created_by)
               VALUES ($1, '{admin}', $2, 'admin')""",
            f"w-{unique}",
            token_hash(f"dsr_{unique}"),
        )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await worker.execute("UPDATE accounts SET roles = '{admin}'")
    # Not even with an administrator's token: the functions are the API's alone.
    with pytest.raises(asyncpg.InsufficientPrivilegeError, match="make_account"):
        await worker.fetchval(
            "SELECT make_account($1, $2, '{admin}', $3)",
            admin_token,
            f"w-{unique}",
            token_hash(f"dsr_{unique}"),
        )
    assert await _accounts(owner_pool, f"w-{unique}") == []


async def test_n3b_the_api_role_marks_no_key_destroyed(
    api: asyncpg.Connection, owner_pool: asyncpg.Pool, unique: str
) -> None:
    await owner_pool.execute("INSERT INTO subjects (subject_id) VALUES ($1)", f"t-{unique}")
    await owner_pool.execute(
        "INSERT INTO subject_keys (key_id, subject_id) VALUES ($1, $2)",
        f"k-{unique}",
        f"t-{unique}",
    )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await api.execute(
            "UPDATE subject_keys SET destroyed_at = now() WHERE subject_id = $1", f"t-{unique}"
        )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await api.execute("DELETE FROM subject_keys WHERE subject_id = $1", f"t-{unique}")
    assert (
        await owner_pool.fetchval(
            "SELECT destroyed_at FROM subject_keys WHERE key_id = $1", f"k-{unique}"
        )
        is None
    )


async def test_n3c_the_api_role_appends_no_request_event(
    api: asyncpg.Connection, owner_pool: asyncpg.Pool, unique: str
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await api.execute(
            """INSERT INTO request_events
                 (request_id, seq, type, payload, occurred_at, actor, prev_hash, hash)
               VALUES ($1, 14, 'deadline.extended', '{}', now(), 'ap1', 'x', 'y')""",
            f"inq-{unique}",
        )
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await api.execute(
            "UPDATE requests SET last_seq = 14 WHERE request_id = $1", f"inq-{unique}"
        )
    assert not await owner_pool.fetchval(
        "SELECT count(*) FROM request_events WHERE request_id = $1", f"inq-{unique}"
    )


async def test_n3c_the_api_appends_only_its_own_kinds_each_as_the_next_link(
    roles: Roles, pool: asyncpg.Pool, vault: Vault, unique: str
) -> None:
    """What the API records itself (a person's access to a disclosure, a refund on a closed
    request and its notice) goes through the database's door, chained; an act of the
    workflow's, an access claimed by staff, or a stale head is refused, nothing written."""
    request_id, invoice_id = await late_fee_request(pool, unique, email=f"p-{unique}@example.net")
    api = await create_pool(roles.api_url, max_size=2, vault=vault)
    try:
        events = EventStore(api)
        opened = await events.append(
            event(request_id, EventType.DISCLOSURE_OPENED, actor="subject", challenge_id="c")
        )
        assert opened.seq == 1
        with pytest.raises(NotTheApisEvent):
            await events.append(
                event(request_id, EventType.DEADLINE_EXTENDED, actor="ap1", step="decide")
            )
        async with api.acquire() as connection:
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="subject"):
                await connection.execute(
                    "SELECT append_api_event($1, 2, 'disclosure.downloaded', '{}', now(), "
                    "'op1', $2, $3, $4)",
                    request_id,
                    f"k-{unique}",
                    opened.hash,
                    "f" * 64,
                )
            with pytest.raises(asyncpg.SerializationError):
                await connection.execute(
                    "SELECT append_api_event($1, 1, 'disclosure.downloaded', '{}', now(), "
                    "'subject', $2, $3, $4)",
                    request_id,
                    f"k2-{unique}",
                    "0" * 64,
                    "f" * 64,
                )
        refunded = await record_refund(
            api,
            request_id,
            invoice_id=invoice_id,
            refunded_on=date(2026, 3, 1),
            reference="bank-9",
            account=f"cash-{unique}",
            recorded_at=datetime.now(UTC),
            zone=ZoneInfo("Asia/Tokyo"),
        )
        assert refunded.notification_id is not None
    finally:
        await api.close()
    recorded = await EventStore(pool).events(request_id)
    assert [e.type for e in recorded] == [
        EventType.DISCLOSURE_OPENED,
        EventType.PAYMENT_REFUNDED,
        EventType.NOTICE_QUEUED,
    ]
    # Each a link of the chain (the builder's request, closed by hand, has no other
    # events: its projection is not the events' fold, so `verify` would say so).
    for before, after in zip([None, *recorded], recorded, strict=False):
        assert after.prev_hash == (before.hash if before else GENESIS_HASH)
        assert after.hash == link_hash(
            after.prev_hash,
            canonical_encoding(
                request_id=after.request_id,
                seq=after.seq,
                type=after.type.value,
                payload=after.payload,
                occurred_at=after.occurred_at,
                actor=after.actor,
                idempotency_key=after.idempotency_key,
            ),
        )
    head = await pool.fetchrow(
        "SELECT last_seq, last_hash FROM requests WHERE request_id = $1", request_id
    )
    assert tuple(head) == (3, recorded[-1].hash)
