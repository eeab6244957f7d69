"""The operators' acts on a request, as client calls: each validates its input, stores
any text for the person in Postgres, and sends the workflow an update carrying only ids.
A refused update withdraws the stored text, so a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, TypeAdapter, ValidationError
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode

from activities.event_store import UnknownRequest
from activities.intake_store import IntakeStore
from domain.messages import (
    ApproveMeasure,
    Decide,
    ExtendDeadline,
    RecordPayment,
    RespondToInquiry,
    StatusView,
    VerifyIdentity,
)
from domain.requests import Text


class Refused(Exception):
    """The user's input was refused; nothing was written. Exit status 2."""


class Unanswered(Exception):
    """The workflow did not answer (no worker running?). Exit status 1."""


def _build(model: type[BaseModel], **fields: Any) -> Any:
    try:
        return model(**fields)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "input"
        raise Refused(f"{field}: {first['msg'].removeprefix('Value error, ').lower()}") from None


def valid_text(label: str, text: str) -> str:
    try:
        return TypeAdapter(Text).validate_python(text)
    except ValidationError as error:
        raise Refused(f"{label}: {error.errors()[0]['msg'].lower()}") from None


async def send_act(
    request_id: str, update: str, make_argument: Callable[[dict[str, str]], BaseModel], *,
    client: Client, pool: asyncpg.Pool, texts: dict[str, tuple[str, str]] | None = None,
    store: Callable[[IntakeStore, str, str, str], Awaitable[str]] | None = None,
    withdraw: Callable[[IntakeStore, list[str]], Awaitable[None]] | None = None,
    operator: str = "",
) -> StatusView:
    """Store `texts` ({name: (purpose, body)}) as notes, build the update's argument from
    their ids, send it; on refusal withdraw the notes and raise Refused."""
    intake = IntakeStore(pool)
    try:
        summary = await intake.summary(request_id)
    except UnknownRequest as error:
        raise Refused(str(error)) from None
    make_argument({name: "00000000-0000-4000-8000-000000000000" for name in texts or {}})
    stored: dict[str, str] = {}
    store = store or (lambda i, purpose, body, who: i.store_note(request_id, purpose, body, who))
    withdraw = withdraw or (lambda i, ids: i.withdraw_notes(ids))
    for name, (purpose, body) in (texts or {}).items():
        stored[name] = await store(intake, purpose, body, operator)
    handle = client.get_workflow_handle(summary.workflow_id)
    try:
        return await handle.execute_update(update, make_argument(stored), result_type=StatusView)
    except WorkflowUpdateFailedError as error:
        await withdraw(intake, list(stored.values()))
        cause = getattr(error.cause, "message", None) or str(error.cause)
        raise Refused(f"request {request_id}: {cause}") from None
    except RPCError as error:
        await withdraw(intake, list(stored.values()))
        if error.status == RPCStatusCode.NOT_FOUND:
            raise Refused(f"request {request_id} is no longer open") from None
        raise
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        # The act may still be admitted later, so its text stays for it to cite.
        raise Unanswered(
            f"request {request_id}: no worker answered in time; the {update} may still be "
            "applied when one does — check with `dsr status`") from None


async def respond(
    request_id: str, text: str, operator: str, *, client: Client, pool: asyncpg.Pool
) -> StatusView:
    """Answer an inquiry: the text goes to Postgres, the workflow gets its id."""
    texts = {"answer_id": ("answer", valid_text("answer text", text))}
    return await send_act(
        request_id, "respond",
        lambda ids: _build(RespondToInquiry, operator=operator, **ids),
        client=client, pool=pool, texts=texts, operator=operator,
        store=lambda intake, _, body, who: intake.store_answer(request_id, body, who),
        withdraw=_withdraw_answers,
    )


async def _withdraw_answers(intake: IntakeStore, answer_ids: list[str]) -> None:
    for answer_id in answer_ids:
        await intake.withdraw_answer(answer_id)


async def verify_identity(request_id: str, method: str, operator: str, *, client: Client,
                          pool: asyncpg.Pool) -> StatusView:
    argument = _build(VerifyIdentity, method=method, operator=operator)
    return await send_act(request_id, "verify_identity", lambda _: argument,
                          client=client, pool=pool)


async def record_payment(request_id: str, invoice_id: str, amount_yen: int, reference: str,
                         operator: str, *, client: Client, pool: asyncpg.Pool) -> StatusView:
    argument = _build(RecordPayment, invoice_id=invoice_id, amount_yen=amount_yen,
                      reference=reference, operator=operator)
    return await send_act(request_id, "record_payment", lambda _: argument,
                          client=client, pool=pool)


async def decide(
    request_id: str, outcome: str, operator: str, *, client: Client, pool: asyncpg.Pool,
    reason: str | None = None, measure: str | None = None, inclusion: str | None = None,
    refusal_grounds: tuple[str, ...] = (), alternative_ground: str | None = None,
    withheld_categories: tuple[str, ...] = (), included_categories: tuple[str, ...] = (),
    continued_partners: tuple[str, ...] = (), declined_changes: tuple[int, ...] = (),
) -> StatusView:
    texts = {}
    if reason is not None:
        texts["reason_note_id"] = ("reason", valid_text("reason", reason))
    if measure is not None:
        texts["measure_note_id"] = ("measure", valid_text("measure", measure))
    if inclusion is not None:
        texts["inclusion_note_id"] = ("inclusion", valid_text("inclusion reason", inclusion))
    fields = dict(outcome=outcome, operator=operator, refusal_grounds=refusal_grounds,
                  alternative_ground=alternative_ground, withheld_categories=withheld_categories,
                  included_categories=included_categories,
                  continued_partners=continued_partners, declined_changes=declined_changes)
    return await send_act(request_id, "decide", lambda notes: _build(Decide, **fields, **notes),
                          client=client, pool=pool, texts=texts, operator=operator)


async def approve_measure(request_id: str, operator: str, *, client: Client,
                          pool: asyncpg.Pool) -> StatusView:
    argument = _build(ApproveMeasure, operator=operator)
    return await send_act(request_id, "approve_measure", lambda _: argument,
                          client=client, pool=pool)


async def extend_deadline(request_id: str, step: str, until: datetime, reason: str,
                          operator: str, *, client: Client, pool: asyncpg.Pool) -> StatusView:
    texts = {"reason_note_id": ("reason", valid_text("reason", reason))}
    fields = dict(step=step, until=until, operator=operator)
    return await send_act(
        request_id, "extend_deadline",
        lambda notes: _build(ExtendDeadline, **fields, **notes),
        client=client, pool=pool, texts=texts, operator=operator)

