"""Builders shared by the store tests: submissions, events and a fixed clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from activities.intake_store import IntakeStore
from domain.events import EventType, NewEvent
from domain.requests import SubjectRequest, parse_submission

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = "test-policy"
NAME = "Hanako Yamada"
EMAIL = "hanako.yamada@example.jp"
TEXT = "How long do you keep my purchase history?"


def inquiry(
    request_id: str, subject_id: str, *, name: str = NAME, email: str = EMAIL, text: str = TEXT
) -> SubjectRequest:
    return parse_submission({
        "request_id": request_id,
        "kind": "inquiry",
        "subject_id": subject_id,
        "requester": {"name": name, "email": email},
        "details": {"text": text},
    })


async def new_request(pool: asyncpg.Pool, unique: str, label: str = "r") -> str:
    """A fresh request row (status 'submitted', no events yet); returns its id."""
    request_id = f"{label}-{unique}"
    await IntakeStore(pool).record_submission(inquiry(request_id, f"subj-{unique}"), POLICY)
    return request_id


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
        idempotency_key=key or f"dsr-{request_id}:{type.value}:{uuid.uuid4().hex}",
    )

