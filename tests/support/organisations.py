"""An organisation's own systems for the connector tests: two real PostgreSQL databases (a
CRM whose orders are reached through their customer, and a marketing list found by
e-mail) and the demo's HTTP support desk (its records in the CRM's database, served on a
port of its own), the subject's rows in each beside other people's, and the data map
naming them.

The subject's values are the suite's personal values (tests/support/privacy.py), so the
leak checks find them if any reaches Temporal.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg

from connectors.demo.support_desk import create_support_desk_schema, support_desk_serving
from domain.datamap import DataMap
from tests.support.database import scratch_database
from tests.support.privacy import HELD_VALUES, PERSONAL

CRM_SCHEMA = """
CREATE TABLE customers (
    id        bigint PRIMARY KEY,
    account   text NOT NULL UNIQUE,
    email     text,
    phone     text,
    full_name text NOT NULL,
    created   date NOT NULL DEFAULT '2020-01-01',
    restricted boolean NOT NULL DEFAULT false);
CREATE TABLE orders (
    id          bigint PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES customers (id),
    address     text,
    total       integer NOT NULL,
    restricted  boolean NOT NULL DEFAULT false);
CREATE INDEX ON customers (email);
CREATE INDEX ON orders (customer_id);
"""

MARKETING_SCHEMA = """
CREATE TABLE subscribers (
    id      text PRIMARY KEY,
    email   text NOT NULL,
    segment text,
    consent_proof text,
    restricted boolean NOT NULL DEFAULT false);
CREATE INDEX ON subscribers (email);
"""


CONSENT_KEPT = "the record of the consent is kept for 3 years as proof"
DESK_BODY = "Please stop selling my usage profile (secret-desk-marker)."


@dataclass(frozen=True)
class Organisation:
    """The two databases' URLs (as the server's superuser) and the subject they hold."""

    crm: str
    marketing: str
    subject_id: str
    desk: str  # the support desk's base URL
    desk_token: str

    def data_map(self, **extra_systems: dict[str, Any]) -> DataMap:
        return DataMap.model_validate({"systems": {**organisation_systems(self), **extra_systems}})


def organisation_systems(organisation: Organisation) -> dict[str, Any]:
    """The map of both databases, their URLs in variables named after the test's subject
    (the connector reads them through `secret_of`, as in production)."""
    return {
        "crm": {
            "kind": "postgres",
            "connection": {"env": crm_variable(organisation)},
            "collections": {
                "customers": {
                    "identities": [
                        {"column": "account", "identity": "subject_id"},
                        {"column": "email", "identity": "email"},
                    ],
                    "suspension_flag": "restricted",
                    "fields": {
                        "email": {
                            "column": "email",
                            "category": "contact",
                            "purposes": ["service_emails"],
                            "lawfully_obtained": True,
                            "identifies": True,
                            "erasure": "mask",
                        },
                        "phone": {
                            "column": "phone",
                            "category": "contact",
                            "purposes": ["important_notices"],
                            "lawfully_obtained": True,
                        },
                        "full_name": {
                            "column": "full_name",
                            "category": "identity",
                            "purposes": ["provide_service"],
                            "lawfully_obtained": True,
                            "as": "name",
                            "erasure": "mask",
                        },
                    },
                },
                "orders": {
                    "through": {
                        "collection": "customers",
                        "column": "customer_id",
                        "references": "id",
                    },
                    "suspension_flag": "restricted",
                    "fields": {
                        "address": {
                            "column": "address",
                            "category": "contact",
                            "purposes": ["sell_to_brokers"],
                            "lawfully_obtained": True,
                            "erasure": "delete_row",
                        },
                    },
                },
            },
        },
        "desk": {
            "kind": "http",
            "connection": {"env": desk_variable(organisation)},
            "auth": {"env": desk_variable(organisation) + "_AUTH"},
            "operations": {
                "collect": "GET /subjects/{email}",
                "erase": "POST /subjects/{email}/erase",
                "suspend": "POST /subjects/{email}/suspend",
                "correct": "POST /subjects/{email}/correct",
            },
            "collections": {
                "tickets": {
                    "identities": [{"column": "contact_email", "identity": "email"}],
                    "fields": {
                        "body": {
                            "column": "body",
                            "category": "history",
                            "purposes": ["resale_to_brokers"],
                            "lawfully_obtained": True,
                        },
                        "subject": {
                            "column": "subject",
                            "category": "history",
                            "purposes": ["respond_to_inquiries"],
                            "lawfully_obtained": True,
                        },
                    },
                },
            },
        },
        "marketing": {
            "kind": "postgres",
            "connection": {"env": marketing_variable(organisation)},
            "collections": {
                "subscribers": {
                    "key": "id",
                    "identities": [{"column": "email", "identity": "email"}],
                    "suspension_flag": "restricted",
                    "fields": {
                        "segment": {
                            "column": "segment",
                            "category": "characteristic",
                            "purposes": ["resale_to_brokers"],
                            "lawfully_obtained": True,
                            "erasure": "delete_row",
                        },
                        "consent_proof": {
                            "column": "consent_proof",
                            "category": "history",
                            "purposes": ["resale_to_brokers"],
                            "lawfully_obtained": True,
                            "erasure": "refuse",
                            "reason": CONSENT_KEPT,
                        },
                    },
                },
            },
        },
    }


def crm_variable(organisation: Organisation) -> str:
    return f"CRM_URL_{organisation.subject_id.upper().replace('-', '_')}"


def desk_variable(organisation: Organisation) -> str:
    return f"DESK_URL_{organisation.subject_id.upper().replace('-', '_')}"


def marketing_variable(organisation: Organisation) -> str:
    return f"MARKETING_URL_{organisation.subject_id.upper().replace('-', '_')}"


@contextlib.asynccontextmanager
async def organisation(server: str, subject_id: str) -> AsyncIterator[Organisation]:
    """Both databases made for one test, with the subject's rows and two other people's,
    dropped afterwards."""
    async with (
        scratch_database(server, "crm") as crm,
        scratch_database(server, "mkt") as marketing,
    ):
        connection = await asyncpg.connect(crm)
        try:
            await connection.execute(CRM_SCHEMA)
            await connection.executemany(
                "INSERT INTO customers (id, account, email, phone, full_name)"
                " VALUES ($1, $2, $3, $4, $5)",
                [
                    (1, subject_id, PERSONAL["email"], HELD_VALUES["phone"], PERSONAL["name"]),
                    (2, "other-2", "other2@example.com", "03-0000-0002", "Other Two"),
                    (3, "other-3", "other3@example.com", None, "Other Three"),
                ],
            )
            await create_support_desk_schema(connection)
            await connection.executemany(
                "INSERT INTO support_desk.tickets (id, contact_email, subject, body)"
                " VALUES ($1, $2, $3, $4)",
                [
                    ("T-1", PERSONAL["email"], "My bill", DESK_BODY),
                    ("T-2", "other2@example.com", "Moving house", "Please move my supply."),
                ],
            )
            await connection.executemany(
                "INSERT INTO orders (id, customer_id, address, total) VALUES ($1, $2, $3, $4)",
                [
                    (10, 1, HELD_VALUES["address"], 1200),
                    (11, 1, HELD_VALUES["address"], 800),
                    (20, 2, "2-2-2 Other, Osaka", 500),
                    (30, 3, "3-3-3 Other, Kyoto", 700),
                ],
            )
        finally:
            await connection.close()
        connection = await asyncpg.connect(marketing)
        try:
            await connection.execute(MARKETING_SCHEMA)
            await connection.executemany(
                "INSERT INTO subscribers (id, email, segment, consent_proof)"
                " VALUES ($1, $2, $3, $4)",
                [
                    ("sub-1", PERSONAL["email"], HELD_VALUES["segment"], "signed 2024-01-02"),
                    ("sub-2", "other2@example.com", "weekend-buyer", None),
                ],
            )
        finally:
            await connection.close()
        token = secrets.token_urlsafe(16)
        async with support_desk_serving(crm, token) as desk:
            yield Organisation(crm, marketing, subject_id, desk, token)


async def rows_of(url: str, table: str) -> dict[str, str]:
    """Every row of a table as its JSON text, by key: a dump to compare before and after."""
    connection = await asyncpg.connect(url)
    try:
        return {
            str(row["id"]): row["json"]
            for row in await connection.fetch(
                f"SELECT id, row_to_json(t)::text AS json FROM {table} t ORDER BY id"
            )
        }
    finally:
        await connection.close()
