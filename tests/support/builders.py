"""Builders: the one submission builder (`submission`, and `parsed` for what the edge
admits of it), store rows and events at a fixed clock."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg

from domain.events import EventType, NewEvent
from domain.requests import RequestKind, SubjectRequest, parse_submission, workflow_id_for
from store.intake import IntakeStore

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = "test-policy"
NAME = "Hanako Yamada"
EMAIL = "hanako@example.jp"
TEXT = "How long do you keep my purchase history?"


REQUESTER = {"name": NAME, "email": EMAIL}
# A typical case of each kind of request, as the privacy center's forms send it.
DETAILS: dict[str, dict[str, Any]] = {
    RequestKind.INQUIRY.value: {"text": TEXT},
    RequestKind.DISCLOSURE.value: {"categories": ["identity", "contact"]},
    RequestKind.CORRECTION.value: {
        "changes": [
            {"field": "address", "action": "correct", "new_value": "1-2-3 Chiyoda, Tokyo"},
            {"field": "nickname", "action": "delete"},
        ],
        "statement": "I moved last spring.",
    },
    RequestKind.SUSPENSION.value: {
        "action": "erase",
        "grounds": ["obtained_wrongfully"],
        "statement": "I never signed up.",
    },
    RequestKind.THIRD_PARTY_STOP.value: {"partners": ["partner-42", "ads.example:eu"]},
}


def submission(
    kind: str | RequestKind = RequestKind.INQUIRY,
    request_id: str = "req-2026.001",
    subject_id: str = "subj:77",
    /,
    *,
    person: Mapping[str, str] | None = None,
    name: Any = None,
    email: Any = None,
    text: Any = None,
    statement: str | None = None,
    **overrides: Any,
) -> dict[str, Any]:
    """A valid submission of `kind`, as the edge receives it: the requester and details of
    a typical case unless given. `person` (a mapping like `tests.support.privacy.PERSONAL`)
    supplies the requester and an inquiry's text; `name`, `email` and `text` set one of
    them; `statement` is added to the details; `overrides` replace whole fields."""
    kind = RequestKind(kind).value
    data: dict[str, Any] = {
        "request_id": request_id,
        "subject_id": subject_id,
        "kind": kind,
        "requester": dict(REQUESTER),
        "details": copy.deepcopy(DETAILS[kind]),
    }
    if person is not None:
        data["requester"] = {"name": person["name"], "email": person["email"]}
        if kind == RequestKind.INQUIRY.value and "text" in person:
            data["details"] = {"text": person["text"]}
    if name is not None:
        data["requester"]["name"] = name
    if email is not None:
        data["requester"]["email"] = email
    if text is not None:
        data["details"] = {"text": text}
    data.update(overrides)
    if statement is not None:
        data["details"] = {"statement": statement, **data["details"]}
    return data


def parsed(
    kind: str | RequestKind = RequestKind.INQUIRY, /, *args: str, **overrides: Any
) -> SubjectRequest:
    """`submission(...)` as the edge admits it."""
    return parse_submission(submission(kind, *args, **overrides))


async def new_request(pool: asyncpg.Pool, unique: str, label: str = "r") -> str:
    """A fresh request row (status 'submitted', no events yet); returns its id."""
    request_id = f"{label}-{unique}"
    await IntakeStore(pool).record_submission(
        parsed("inquiry", request_id, f"subj-{unique}"), POLICY
    )
    return request_id


async def late_fee_request(
    pool: asyncpg.Pool,
    unique: str,
    *,
    email: str,
    language: str = "en",
    closed: bool = True,
    paid_on: date = date(2026, 2, 20),
) -> tuple[str, str]:
    """A disclosure request whose fee was paid after its window (N7): its invoice
    `refund_due`, paid on `paid_on`, and the request closed unless `closed` is False;
    returns the request id and the invoice id."""
    request_id = f"late-{unique}-{uuid.uuid4().hex[:6]}"
    await IntakeStore(pool).record_submission(
        parsed("disclosure", request_id, f"subj-{request_id}", email=email, language=language),
        POLICY,
    )
    invoice_id = f"inv-{request_id}"
    await pool.execute(
        """INSERT INTO invoices (invoice_id, request_id, amount_yen, issued_at, status,
                                 paid_at, payment_reference, value_date)
           VALUES ($1, $2, 1000, $3, 'refund_due', $3, 'bank-123', $4)""",
        invoice_id,
        request_id,
        T0,
        paid_on,
    )
    if closed:
        await pool.execute(
            "UPDATE requests SET status = 'closed' WHERE request_id = $1", request_id
        )
    return request_id, invoice_id


def event(
    request_id: str,
    type: EventType,
    *,
    minutes: int = 0,
    key: str | None = None,
    actor: str = "system",
    **payload: Any,
) -> NewEvent:
    return NewEvent(
        request_id=request_id,
        type=type,
        payload=payload,
        occurred_at=T0 + timedelta(minutes=minutes),
        actor=actor,
        idempotency_key=key or f"{workflow_id_for(request_id)}:{type.value}:{uuid.uuid4().hex}",
    )


def mapped_field(column: str, **rules: Any) -> dict[str, Any]:
    """A field of a data map (domain/datamap.py) as YAML gives it: contact information
    used for billing, lawfully obtained, unless `rules` say otherwise."""
    return {
        "column": column,
        "category": "contact",
        "purposes": ["billing"],
        "lawfully_obtained": True,
        **rules,
    }
