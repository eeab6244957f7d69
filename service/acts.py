"""The operators' acts on a request, as client calls: each validates its input, stores
any text for the person in Postgres, and sends the workflow an update carrying only ids.
A refused update withdraws the stored text, so a refusal changes nothing."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from pydantic import BaseModel, TypeAdapter, ValidationError
from temporalio.client import (
    Client,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.service import RPCError, RPCStatusCode
from temporalio.workflow import UpdateMethodMultiParam

from domain.authority import (
    ACT_ROLES,
    Act,
    ActAuthority,
    ActSigner,
    Role,
    argument_digest,
    holds,
)
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
from domain.withholding import parse_part
from store.accounts import Accounts
from store.events import UnknownRequest
from store.intake import IntakeStore
from workflows.data_subject_request import DataSubjectRequest

ACT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,63}")


class Refused(Exception):
    """The user's input was refused; nothing was written. Exit status 2."""


class Unanswered(Exception):
    """The workflow did not answer (no worker running?). Exit status 1."""


class Forbidden(Refused):
    """The account lacks the act's role; nothing was written. Exit status 2, HTTP 403."""


@dataclass(frozen=True)
class Actor:
    """The authenticated account an act is done as, and the API's signer that signs for
    it (Ed25519; only the API's process holds the private key). Made after checking the
    account's token."""

    account: str
    roles: frozenset[Role]
    signer: ActSigner = field(repr=False)

    def authorise(self, act: Act, request_id: str, act_id: str, argument: BaseModel) -> BaseModel:
        """The argument with its signed authority (send_act has checked the role)."""
        authority = self.signer.sign(
            ActAuthority(
                account=self.account,
                roles=tuple(sorted(self.roles)),
                act=act.value,
                request_id=request_id,
                act_id=act_id,
                argument_digest=argument_digest(argument.model_dump(mode="json")),
                issued_at=datetime.now(UTC),
            ),
        )
        return argument.model_copy(update={"authority": authority})


def act_argument(model: type[BaseModel], **fields: Any) -> Any:
    """The act's argument, or Refused naming the first field that does not fit."""
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


ACT_WAIT = 30.0  # seconds an act waits to be taken before the caller is told it was not

# The workflow's update that carries each act (its name is the act's value).
# (Typed loosely: each update takes its own model, and mypy reads an async update's result as
# a coroutine; every one returns the StatusView the caller gets.)
UPDATES: dict[Act, UpdateMethodMultiParam[[DataSubjectRequest, Any], Any]] = {
    Act.RESPOND: DataSubjectRequest.respond,
    Act.VERIFY_IDENTITY: DataSubjectRequest.verify_identity,
    Act.DECIDE: DataSubjectRequest.decide,
    Act.RECORD_PAYMENT: DataSubjectRequest.record_payment,
    Act.APPROVE_MEASURE: DataSubjectRequest.approve_measure,
    Act.EXTEND_DEADLINE: DataSubjectRequest.extend_deadline,
    Act.WAIVE_SYSTEM: DataSubjectRequest.waive_system,
    Act.CONFIRM_SYSTEM: DataSubjectRequest.confirm_system,
}


def act_id_for(request_id: str, act: Act, argument: dict[str, Any], texts: dict[str, str]) -> str:
    """An act's id, from what the caller sent: the same command sent again (after a
    timeout, say) is the same act, and Temporal returns the first one's result."""
    document = json.dumps(
        {"request": request_id, "act": act.value, "argument": argument, "texts": texts},
        sort_keys=True,
        ensure_ascii=False,
    )
    return f"act-{hashlib.sha256(document.encode('utf-8')).hexdigest()[:32]}"


def _act_id_valid(act_id: str) -> str:
    if not ACT_ID.fullmatch(act_id):
        raise Refused("--act-id must be 1-64 letters, digits and . _ : -")
    return act_id


async def send_act(
    request_id: str,
    act: Act,
    make_argument: Callable[[dict[str, str]], BaseModel],
    *,
    client: Client,
    pool: asyncpg.Pool,
    texts: dict[str, tuple[str, str]] | None = None,
    store: Callable[[IntakeStore, str, str, str, str], Awaitable[str]] | None = None,
    withdraw: Callable[[IntakeStore, list[str]], Awaitable[None]] | None = None,
    actor: Actor,
    act_id: str | None = None,
    wait: float = ACT_WAIT,
) -> StatusView:
    """Store `texts` ({name: (purpose, body)}) as notes, build the update's argument from
    their ids, send it as one act; on refusal withdraw the notes and raise Refused.

    The act's id is `act_id` or derived from what was sent, and so are its notes' ids: the
    same act sent twice is one act, one note, one event, and the same reply. The act is
    signed for `actor`, who must hold its role (Forbidden before anything is written)."""
    act = Act(act)
    if not holds(actor.roles, ACT_ROLES[act]):
        raise Forbidden(
            f"account {actor.account} does not hold the "
            f"{ACT_ROLES[act].value} role {act.value} needs"
        )
    intake = IntakeStore(pool)
    try:
        summary = await intake.summary(request_id)
    except UnknownRequest as error:
        raise Refused(str(error)) from None
    probe = make_argument({name: "00000000-0000-4000-8000-000000000000" for name in texts or {}})
    act_id = (
        _act_id_valid(act_id)
        if act_id
        else act_id_for(
            request_id,
            act,
            probe.model_dump(mode="json"),
            {name: body for name, (_, body) in (texts or {}).items()},
        )
    )
    stored: dict[str, str] = {}
    store = store or (
        lambda i, purpose, body, who, note_id: i.store_note(request_id, purpose, body, who, note_id)
    )
    withdraw = withdraw or (lambda i, ids: i.withdraw_notes(ids))
    for name, (purpose, body) in (texts or {}).items():
        note_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"dsr:{request_id}:{act_id}:{name}"))
        stored[name] = await store(intake, purpose, body, actor.account, note_id)
    handle = client.get_workflow_handle(summary.workflow_id)
    try:
        async with asyncio.timeout(wait):
            return await handle.execute_update(
                UPDATES[act],
                actor.authorise(act, request_id, act_id, make_argument(stored)),
                id=act_id,
            )
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        # Not taken yet (no worker running?): the act may be taken when one runs; its text
        # stays for it to cite, and sending the same command again is the same act.
        raise Unanswered(
            f"request {request_id}: the {act.value} was not taken within {wait:.0f}s (is a "
            f"worker running?); it may still be taken when one runs. Send the same command "
            f"again to see its result: it is the same act ({act_id})"
        ) from None
    except WorkflowUpdateFailedError as error:
        await withdraw(intake, list(stored.values()))
        cause = getattr(error.cause, "message", None) or str(error.cause)
        raise Refused(f"request {request_id}: {cause}") from None
    except RPCError as error:
        await withdraw(intake, list(stored.values()))
        if error.status == RPCStatusCode.NOT_FOUND:
            raise Refused(f"request {request_id} is no longer open") from None
        raise


async def respond(
    request_id: str,
    text: str,
    operator: Actor,
    *,
    client: Client,
    pool: asyncpg.Pool,
    act_id: str | None = None,
) -> StatusView:
    """Answer an inquiry: the text goes to Postgres, the workflow gets its id."""
    texts = {"answer_id": ("answer", valid_text("answer text", text))}
    return await send_act(
        request_id,
        Act.RESPOND,
        lambda ids: act_argument(RespondToInquiry, operator=operator.account, **ids),
        client=client,
        pool=pool,
        texts=texts,
        actor=operator,
        act_id=act_id,
        store=lambda intake, _, body, who, answer_id: intake.store_answer(
            request_id, body, who, answer_id
        ),
        withdraw=_withdraw_answers,
    )


async def _withdraw_answers(intake: IntakeStore, answer_ids: list[str]) -> None:
    for answer_id in answer_ids:
        await intake.withdraw_answer(answer_id)


async def verify_identity(
    request_id: str,
    method: str,
    operator: Actor,
    *,
    client: Client,
    pool: asyncpg.Pool,
    act_id: str | None = None,
) -> StatusView:
    argument = act_argument(VerifyIdentity, method=method, operator=operator.account)
    return await send_act(
        request_id,
        Act.VERIFY_IDENTITY,
        lambda _: argument,
        client=client,
        pool=pool,
        actor=operator,
        act_id=act_id,
    )


async def record_payment(
    request_id: str,
    invoice_id: str,
    amount_yen: int,
    reference: str,
    operator: Actor,
    *,
    client: Client,
    pool: asyncpg.Pool,
    act_id: str | None = None,
    paid_on: date | None = None,
) -> StatusView:
    argument = act_argument(
        RecordPayment,
        invoice_id=invoice_id,
        amount_yen=amount_yen,
        reference=reference,
        paid_on=paid_on,
        operator=operator.account,
    )
    return await send_act(
        request_id,
        Act.RECORD_PAYMENT,
        lambda _: argument,
        client=client,
        pool=pool,
        actor=operator,
        act_id=act_id,
    )


async def decide(
    request_id: str,
    outcome: str,
    operator: Actor,
    *,
    client: Client,
    pool: asyncpg.Pool,
    reason: str | None = None,
    measure: str | None = None,
    inclusion: str | None = None,
    refusal_grounds: tuple[str, ...] = (),
    alternative_ground: str | None = None,
    withheld_categories: tuple[str, ...] = (),
    included_categories: tuple[str, ...] = (),
    continued_partners: tuple[str, ...] = (),
    declined_changes: tuple[int, ...] = (),
    act_id: str | None = None,
    withheld_parts: tuple[str, ...] = (),
    alternative_measure: str | None = None,
    measure_confirmer: str | None = None,
) -> StatusView:
    """`withheld_parts`: `CATEGORY=GROUND` or `ITEM_ID=GROUND` each (Art 6 ¶1, item ids as
    `dsr review` shows them); `alternative_measure` and `measure_confirmer`: Art 8 ¶4's
    measure and, for one taken outside the service, the account that confirms it."""
    try:
        parts = tuple(parse_part(p) for p in withheld_parts)
    except ValueError as error:
        raise Refused(f"decision not accepted: {error}") from None
    # The request waits for this account's confirmation: one that cannot give it would
    # leave the request waiting for ever.
    if measure_confirmer and not await Accounts(pool).may(measure_confirmer, Role.SYSTEM_OWNER):
        raise Refused(
            f"decision not accepted: {measure_confirmer[:64]!r} is not an enabled account "
            "holding the system_owner role, so it could not confirm the measure was taken"
        )
    texts = {}
    if reason is not None:
        texts["reason_note_id"] = ("reason", valid_text("reason", reason))
    if measure is not None:
        texts["measure_note_id"] = ("measure", valid_text("measure", measure))
    if inclusion is not None:
        texts["inclusion_note_id"] = ("inclusion", valid_text("inclusion reason", inclusion))
    fields = dict(
        outcome=outcome,
        operator=operator.account,
        refusal_grounds=refusal_grounds,
        alternative_ground=alternative_ground,
        withheld_categories=withheld_categories,
        included_categories=included_categories,
        continued_partners=continued_partners,
        declined_changes=declined_changes,
        **({"withheld_parts": parts} if parts else {}),
        **({"alternative_measure": alternative_measure} if alternative_measure else {}),
        **({"measure_confirmer": measure_confirmer} if measure_confirmer else {}),
    )
    return await send_act(
        request_id,
        Act.DECIDE,
        lambda notes: act_argument(Decide, **fields, **notes),
        client=client,
        pool=pool,
        texts=texts,
        actor=operator,
        act_id=act_id,
    )


async def approve_measure(
    request_id: str,
    operator: Actor,
    *,
    client: Client,
    pool: asyncpg.Pool,
    act_id: str | None = None,
) -> StatusView:
    argument = act_argument(ApproveMeasure, operator=operator.account)
    return await send_act(
        request_id,
        Act.APPROVE_MEASURE,
        lambda _: argument,
        client=client,
        pool=pool,
        actor=operator,
        act_id=act_id,
    )


async def extend_deadline(
    request_id: str,
    step: str,
    until: datetime,
    reason: str,
    operator: Actor,
    *,
    client: Client,
    pool: asyncpg.Pool,
    act_id: str | None = None,
) -> StatusView:
    texts = {"reason_note_id": ("reason", valid_text("reason", reason))}
    fields = dict(step=step, until=until, operator=operator.account)
    return await send_act(
        request_id,
        Act.EXTEND_DEADLINE,
        lambda notes: act_argument(ExtendDeadline, **fields, **notes),
        client=client,
        pool=pool,
        texts=texts,
        actor=operator,
        act_id=act_id,
    )
