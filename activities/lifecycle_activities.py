"""The activities of identity, fee, investigation, decision and action (Articles 5-8).

Each writes its effect and its event in one transaction, keyed by the workflow's
idempotency key: a retry finds the event and does nothing twice. Personal data is opened
where it is read (store/sealing.py). An erasure's last steps come after its transaction,
and a retry repeats them: destroying the subject's old key, and withdrawing the subject's
notices still in the maildrop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from domain.decisions import FEE_PER_CASE_YEN
from domain.events import EventType, NewEvent
from domain.findings import Findings
from domain.identity import identity_method
from domain.investigation import investigate
from domain.messages import (
    ActionReport,
    CarryOut,
    CheckIdentity,
    IdentityCheck,
    Investigation,
    Invoice,
    QueueNotice,
    RecordByOperator,
    RequestStep,
)
from domain.proposals import Proposal, propose
from domain.requests import RequestKind
from mail.maildrop import MaildropSender
from mail.withdrawal import withdraw_notices
from store.connection import Connection
from store.decision_effects import (
    DetailsErased,
    carry_out_in,
    destroy_shredded_key,
    request_details,
    shredded_event_key,
    shredded_payload,
)
from store.events import EventStore, UnknownRequest
from store.holdings import load_holdings
from store.identity_checks import code_verified, registration_matched
from store.legacy_waiver import legacy_left_out
from store.lifecycle import (
    close_invoice,
    lock_request,
    note_is_stored,
    record_investigation,
    record_invoice,
    recorded_event,
    recorded_investigation,
    subject_of,
)
from store.stop_consents import consents_on_stop
from store.taking_measures import MeasureNotConfirmed

log = structlog.get_logger(__name__)


def _refused(message: str, kind: str) -> ApplicationError:
    return ApplicationError(message, type=kind, non_retryable=True)


async def _lock_request(connection: Connection, request_id: str) -> None:
    if not await lock_request(connection, request_id):
        raise _refused(f"no request with id {request_id!r}", "UnknownRequest")


SendNotice = Callable[[QueueNotice], Awaitable[None]]


class LifecycleActivities:
    def __init__(
        self,
        pool: asyncpg.Pool,
        events: EventStore,
        send_notice: SendNotice | None = None,
        *,
        sender: object | None = None,
    ) -> None:
        self._pool = pool
        self._events = events
        self._send_notice = send_notice  # for the identity-proof request of check_identity
        # Where notices are delivered: a maildrop's files still there are withdrawn by an
        # erasure. Any other sender (SMTP) has handed them over already: nothing to take
        # back, and nothing is recorded.
        self._maildrop = sender if isinstance(sender, MaildropSender) else None

    async def _append(self, connection: Connection, event: NewEvent) -> None:
        await self._append_all(connection, (event,))

    async def _append_all(self, connection: Connection, events: tuple[NewEvent, ...]) -> None:
        try:
            await self._events.append_all_in(connection, events)
        except UnknownRequest as error:
            raise _refused(str(error), "UnknownRequest") from error

    @activity.defn(name="match_registration")
    async def match_registration(self, step: RequestStep) -> IdentityCheck:
        """Compare the requester's e-mail with the subject's registered one. A match
        verifies identity only where the domain says it suffices; otherwise it is on record
        as a proposal, and an operator verifies."""
        async with self._pool.acquire() as connection, connection.transaction():
            await self._append_all(connection, step.preceding)
            done = await recorded_event(connection, step.idempotency_key)
            if done is not None:
                return IdentityCheck(
                    matched=bool(done["payload"].get("registration_match", True)),
                    verified=done["type"] == EventType.IDENTITY_VERIFIED,
                )
            matched = await registration_matched(connection, step.request_id)
            verified_by_code = await code_verified(connection, step.request_id)
            method = identity_method(step.kind, matched=matched, code_verified=verified_by_code)
            verified = method is not None
            await self._append(
                connection,
                NewEvent(
                    request_id=step.request_id,
                    type=EventType.IDENTITY_VERIFIED if verified else EventType.IDENTITY_CHECKED,
                    payload={"method": method}
                    if verified
                    else {"registration_match": matched, "needs": "operator_verification"},
                    occurred_at=step.occurred_at,
                    actor="system",
                    idempotency_key=step.idempotency_key,
                ),
            )
        log.info("registration match", matched=matched, verified=verified)
        return IdentityCheck(matched=matched, verified=verified)

    @activity.defn(name="check_identity")
    async def check_identity(self, order: CheckIdentity) -> IdentityCheck:
        """The registration match and, when it does not verify the requester, the notice
        asking them for proof: each idempotent by its own key, so a retry does neither
        twice."""
        check = await self.match_registration(
            RequestStep(
                request_id=order.request_id,
                kind=order.kind,
                idempotency_key=order.idempotency_key,
                occurred_at=order.occurred_at,
                preceding=order.preceding,
            )
        )
        if not check.verified:
            if self._send_notice is None:
                raise _refused("this worker was built without a notice sender", "NoNoticeSender")
            await self._send_notice(order.proof_request)
        return check

    @activity.defn(name="record_operator_act")
    async def record_operator_act(self, act: RecordByOperator) -> None:
        """An operator's act on record: the notes it cites must be this request's."""
        async with self._pool.acquire() as connection, connection.transaction():
            await self._append_all(connection, act.preceding)
            for note_id in act.notes:
                if not await note_is_stored(connection, note_id, act.request_id):
                    raise _refused(
                        f"note {note_id} is not stored for request {act.request_id}", "UnknownNote"
                    )
            await self._append(
                connection,
                NewEvent(
                    request_id=act.request_id,
                    type=act.event,
                    payload=act.payload,
                    occurred_at=act.occurred_at,
                    actor=act.operator,
                    idempotency_key=act.idempotency_key,
                ),
            )
        log.info("operator act recorded", event_type=act.event.value, operator=act.operator)

    @activity.defn(name="issue_invoice")
    async def issue_invoice(self, step: RequestStep) -> Invoice:
        invoice_id = f"inv-{step.request_id}"
        async with self._pool.acquire() as connection, connection.transaction():
            await self._append_all(connection, step.preceding)
            await record_invoice(
                connection, invoice_id, step.request_id, FEE_PER_CASE_YEN, step.occurred_at
            )
            await self._append(
                connection,
                NewEvent(
                    request_id=step.request_id,
                    type=EventType.INVOICE_ISSUED,
                    payload={"invoice_id": invoice_id, "amount_yen": FEE_PER_CASE_YEN},
                    occurred_at=step.occurred_at,
                    actor="system",
                    idempotency_key=step.idempotency_key,
                ),
            )
        log.info("invoice issued", invoice_id=invoice_id)
        return Invoice(invoice_id=invoice_id, amount_yen=FEE_PER_CASE_YEN)

    @activity.defn(name="settle_invoice")
    async def settle_invoice(self, act: RecordByOperator) -> None:
        """Mark the invoice paid (payment.recorded), paid late with a refund due
        (payment.received_late) or lapsed (invoice.lapsed), with its event."""
        paid = act.event is EventType.PAYMENT_RECORDED
        async with self._pool.acquire() as connection, connection.transaction():
            await _lock_request(connection, act.request_id)
            await self._append_all(connection, act.preceding)
            if await recorded_event(connection, act.idempotency_key) is not None:
                return
            reference, paid_on = act.payload.get("reference"), act.payload.get("paid_on")
            if not await close_invoice(
                connection,
                str(act.payload["invoice_id"]),
                paid=paid,
                at=act.occurred_at,
                reference=None if reference is None else str(reference),
                value_date=None if paid_on is None else date.fromisoformat(str(paid_on)),
                refund_due=act.event is EventType.PAYMENT_RECEIVED_LATE,
            ):
                raise _refused(
                    f"invoice {act.payload['invoice_id']} is no longer open", "InvoiceNotOpen"
                )
            await self._append(
                connection,
                NewEvent(
                    request_id=act.request_id,
                    type=act.event,
                    payload=act.payload,
                    occurred_at=act.occurred_at,
                    actor=act.operator,
                    idempotency_key=act.idempotency_key,
                ),
            )

    @activity.defn(name="investigate")
    async def investigate(self, step: RequestStep) -> Investigation:
        async with self._pool.acquire() as connection, connection.transaction():
            await _lock_request(connection, step.request_id)
            await self._append_all(connection, step.preceding)
            stored = await recorded_investigation(connection, step.request_id)
            if stored is not None:
                # A retry after the first attempt committed: what is on record stands, even
                # if the subject's data has changed since.
                return Investigation(
                    findings=Findings.model_validate(stored[0]),
                    proposal=Proposal.model_validate(stored[1]),
                )
            try:
                subject_id, details = await request_details(connection, step.request_id)
            except DetailsErased as error:
                raise _refused(str(error), "DetailsErased") from None
            except LookupError:
                raise _refused(
                    f"no request with id {step.request_id!r}", "UnknownRequest"
                ) from None
            findings = investigate(
                step.kind, details, await load_holdings(connection, step.kind, subject_id, details)
            )
            if step.kind is RequestKind.DISCLOSURE:  # what an old-reading decision owes (C7)
                owed = await legacy_left_out(connection, subject_id, step.request_id)
                findings = findings.model_copy(update={"legacy_left_out": owed})
            proposal = propose(step.kind, findings)
            await record_investigation(
                connection,
                step.request_id,
                findings.model_dump(mode="json"),
                proposal.model_dump(mode="json"),
                step.occurred_at,
            )
            await self._append(
                connection,
                NewEvent(
                    request_id=step.request_id,
                    type=EventType.INVESTIGATION_COMPLETED,
                    payload={
                        "items": sum(findings.items_by_category.values()),
                        "used_beyond_purpose": findings.used_beyond_purpose,
                        "obtained_wrongfully": findings.obtained_wrongfully,
                        "items_in_breach": len(findings.items_in_breach),
                        "already_suspended": findings.already_suspended,
                        "changes_effective": sum(1 for c in findings.changes if c.effective),
                        "third_party_partners": len(findings.third_party_partners),
                        "not_third_parties": len(findings.not_third_parties),
                        "proposed_outcome": proposal.outcome.value,
                    },
                    occurred_at=step.occurred_at,
                    actor="system",
                    idempotency_key=step.idempotency_key,
                ),
            )
        log.info("investigation completed", proposed=proposal.outcome.value)
        return Investigation(findings=findings, proposal=proposal)

    @activity.defn(name="carry_out")
    async def carry_out(self, order: CarryOut) -> ActionReport:
        async with self._pool.acquire() as connection:
            async with connection.transaction():
                # Locked first, so a slow attempt and its retry cannot both apply the effects.
                await _lock_request(connection, order.request_id)
                await self._append_all(connection, order.preceding)
                done = await recorded_event(connection, order.idempotency_key)
                if done is not None:
                    report = ActionReport(
                        event=EventType(done["type"]),
                        items_affected=done["payload"]["items_affected"],
                    )
                else:
                    report = await self._carry_out_in(connection, order)
            if report.event is EventType.DATA_ERASED:
                await destroy_shredded_key(connection, order)
                if self._maildrop is not None:
                    await withdraw_notices(connection, self._events, order, self._maildrop)
        log.info("decision carried out", event_type=report.event.value, items=report.items_affected)
        return report

    async def _carry_out_in(self, connection: Connection, order: CarryOut) -> ActionReport:
        """The effects and their event; an erasure's shredding of the subject's key is
        recorded after it, in the same transaction."""
        try:
            effect = await carry_out_in(connection, order)
        except DetailsErased as error:
            raise _refused(str(error), "DetailsErased") from None
        except MeasureNotConfirmed as error:
            raise _refused(str(error), "MeasureNotConfirmed") from None
        payload = {**effect.payload, "items_affected": effect.report.items_affected}
        if effect.report.event is EventType.PROVISION_STOPPED:
            # Article 5's register: asking to stop provision withdraws the person's consent
            # to those partners, in the stop's transaction, when the requester proved who
            # they are (N13: a typed address alone stops, but withdraws nothing).
            subject_id = await subject_of(connection, order.request_id)
            assert subject_id is not None  # the request's row is locked: it is there
            payload |= await consents_on_stop(
                connection,
                order.request_id,
                subject_id,
                filter(None, str(effect.payload["partners"]).split(",")),
                order.occurred_at,
            )
        events = [
            NewEvent(
                request_id=order.request_id,
                type=effect.report.event,
                payload=payload,
                occurred_at=order.occurred_at,
                actor="system",
                idempotency_key=order.idempotency_key,
            )
        ]
        if effect.shredded is not None:
            events.append(
                NewEvent(
                    request_id=order.request_id,
                    type=EventType.SUBJECT_KEY_SHREDDED,
                    payload=shredded_payload(effect.shredded),
                    occurred_at=order.occurred_at,
                    actor="system",
                    idempotency_key=shredded_event_key(order.idempotency_key),
                )
            )
        await self._append_all(connection, tuple(events))
        return effect.report

    def all(self) -> list:
        return [
            self.match_registration,
            self.check_identity,
            self.record_operator_act,
            self.issue_invoice,
            self.settle_invoice,
            self.investigate,
            self.carry_out,
        ]
