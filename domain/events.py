"""Events: each state change of a request is one appended event, and events are the record."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

# Payloads are flat, small and never personal: ids, steps, outcomes, due times.
PayloadValue = str | int | bool | None


class EventType(StrEnum):
    RECEIVED = "request.received"
    CLOSED = "request.closed"
    STEP_FAILED = "step.failed"  # a permanent error: the request stops, visibly
    NOTICE_QUEUED = "notice.queued"
    NOTICE_DELIVERED = "notice.delivered"
    NOTICE_UNDELIVERABLE = "notice.undeliverable"  # its recipient was erased: never sent
    ANSWER_RECORDED = "answer.recorded"
    IDENTITY_VERIFIED = "identity.verified"
    IDENTITY_CHECKED = "identity.registration_checked"  # not verified: an operator must
    INVOICE_ISSUED = "invoice.issued"
    PAYMENT_RECORDED = "payment.recorded"
    INVOICE_LAPSED = "invoice.lapsed"
    # A payment made after the person's window (its value date after the day named): it is
    # recorded, nothing is disclosed, and the fee is to be refunded (domain/payments.py).
    PAYMENT_RECEIVED_LATE = "payment.received_late"
    # The cashier recorded that such a fee was refunded, outside the service (payload: the
    # invoice, amount and day; the refund's reference is kept sealed on the invoice).
    PAYMENT_REFUNDED = "payment.refunded"
    INVESTIGATION_COMPLETED = "investigation.completed"
    DECISION_RECORDED = "decision.recorded"
    MEASURE_APPROVED = "measure.approved"
    # Art 8 ¶4: the account responsible confirms a measure taken outside the service was
    # taken (its signed act; domain/alternative_measures.py)
    MEASURE_CONFIRMED = "measure.confirmed"
    DISCLOSURE_COMPILED = "disclosure.compiled"
    # Art 6: the person opened the disclosure in the privacy center with a fresh code, and
    # downloaded it (payload: the code's challenge id and the format; no personal data)
    DISCLOSURE_OPENED = "disclosure.opened"
    DISCLOSURE_DOWNLOADED = "disclosure.downloaded"
    # Art 6 (C4): an operator issued the disclosure's link again (payload: when the new one
    # expires and the notice that carries it; the link itself is never written here)
    DISCLOSURE_LINK_REISSUED = "disclosure.link_reissued"
    CORRECTION_APPLIED = "correction.applied"
    USE_SUSPENDED = "use.suspended"
    DATA_ERASED = "data.erased"
    # Crypto-shredding (store/shredding.py): the subject's data key destroyed and the values
    # kept sealed again under a new one; by an erasure, or by retention for a closed request.
    SUBJECT_KEY_SHREDDED = "subject_key.shredded"
    PERSONAL_DATA_SHREDDED = "request.personal_data_shredded"
    # Maildrop files of the subject's notices removed by an erasure before a relay took them.
    NOTICES_WITHDRAWN = "notices.withdrawn"
    ALTERNATIVE_MEASURE_TAKEN = "alternative_measure.taken"
    NOTHING_TO_CARRY_OUT = "act.nothing_to_carry_out"
    PROVISION_STOPPED = "provision.stopped"
    # The organisation's systems (connectors/): what each held and what was done there,
    # by system, collection and row count, never a value.
    SYSTEM_COLLECTED = "system.collected"
    SYSTEM_UNREACHABLE = "system.unreachable"  # could not be searched: the notice says so
    SYSTEM_CARRIED_OUT = "system.carried_out"  # the decision made there, and confirmed
    SYSTEM_FAILED = "system.failed"  # it refused for good: waits for an operator
    SYSTEM_WAIVED = "system.waived"  # an operator recorded why it cannot do its part
    SYSTEM_TASK_OPENED = "system.task_opened"  # a manual system's owner is to find or act
    SYSTEM_CONFIRMED = "system.confirmed"  # the owner's signed act: found or done
    DEADLINE_PAUSED = "deadline.paused"
    DEADLINE_RESUMED = "deadline.resumed"
    DEADLINE_LAPSED = "deadline.lapsed"
    DEADLINE_STARTED = "deadline.started"
    DEADLINE_REMINDED = "deadline.reminded"
    DEADLINE_MET = "deadline.met"
    DEADLINE_BREACHED = "deadline.breached"
    DEADLINE_COMPLETED_LATE = "deadline.completed_late"
    DEADLINE_EXTENDED = "deadline.extended"
    # The worker refused an operator's act after taking its update: its signature, its age
    # or its account (missing, disabled, without the role) did not hold. Payload: the
    # account it named, the act, its id, the key id, the reason; no personal data.
    ACT_REFUSED = "act.refused"


# The `request.received` payload names the deadline policy that times the request (the
# privacy policy in force is recorded on the request itself, store/privacy_policy.py).
# Events recorded before the key said so call it `policy_version`; both read the same.
RECEIVED_DEADLINE_POLICY = "deadline_policy_version"
_RECEIVED_DEADLINE_POLICY_BEFORE = "policy_version"


def received_deadline_policy(payload: dict[str, PayloadValue]) -> str | None:
    """The deadline policy's version a `request.received` event recorded, old or new."""
    value = payload.get(RECEIVED_DEADLINE_POLICY, payload.get(_RECEIVED_DEADLINE_POLICY_BEFORE))
    return None if value is None else str(value)


class NewEvent(BaseModel):
    """An event to append. `occurred_at` is the workflow's time (`workflow.now()`), passed in;
    `idempotency_key` is derived from the workflow id and step, so a retry appends nothing."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    type: EventType
    payload: dict[str, PayloadValue] = Field(default_factory=dict)
    occurred_at: AwareDatetime
    actor: str
    idempotency_key: str


class RecordedEvent(BaseModel):
    """An event as the store holds it, with its place in the request's hash chain."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    seq: int
    type: EventType
    payload: dict[str, PayloadValue]
    occurred_at: datetime
    actor: str
    idempotency_key: str
    prev_hash: str
    hash: str
