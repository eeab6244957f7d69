"""The API's own bodies: the operators' acts (the `dsr` command's options, typed with the
domain's own types so bad input is a 422 before anything is written), and the replies.
A submission's body is the intake contract itself (domain/requests.py)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from domain.authority import ROLE_MEANING, Role
from domain.datamap import NAME
from domain.deadlines import Step
from domain.decisions import AlternativeMeasure, AlternativeMeasureGround, Outcome, RefusalGround
from domain.event_log import Checkpoint, SignedCheckpoint
from domain.events import NewEvent
from domain.lifecycle import RequestStatus
from domain.messages import IdentityMethod
from domain.requests import DataCategory, Identifier, RequestKind, Text

REQUEST_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"  # as interfaces/api/deps.py's RequestId
ActId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
AccountName = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._@-]{0,63}$")]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")

    act_id: ActId | None = Field(
        default=None,
        description="The act's id: the same id (or, without one, the same body) sent again "
        "is the same act and returns its first result.",
    )


class RespondBody(_Body):
    text: Text = Field(
        description="The answer to the inquiry (kept in the store, never in Temporal)."
    )


class VerifyIdentityBody(_Body):
    method: IdentityMethod = Field(
        description="How the requester's identity was verified (registration_match is the "
        "service's own, automatic)."
    )


class RecordPaymentBody(_Body):
    invoice_id: Identifier = Field(description="The invoice paid, as the fee notice names it.")
    amount_yen: int = Field(gt=0, le=10_000_000, description="The amount paid, in yen.")
    reference: Identifier = Field(description="The payment's reference (the bank transfer's).")
    paid_on: date | None = Field(
        default=None,
        description="The payment's value date, YYYY-MM-DD (the day the person paid; unset: "
        "today). A payment made by the window's last day is accepted during its grace, one "
        "made later is refunded.",
    )


class DecideBody(_Body):
    outcome: Outcome = Field(description="The decision's outcome.")
    refusal_grounds: list[RefusalGround] = Field(
        default=[], max_length=3, description="The Article 6 ground(s) of a refusal."
    )
    alternative_ground: AlternativeMeasureGround | None = Field(
        default=None,
        description="Why the change asked for is not made and an alternative measure is "
        "taken instead (Art. 8).",
    )
    withheld_categories: list[DataCategory] = Field(
        default=[], max_length=len(DataCategory), description="A category withheld whole."
    )
    withheld_parts: list[str] = Field(
        default=[],
        max_length=500,
        description="Art. 6 ¶1 part by part, each with its own ground: `CATEGORY=GROUND` or "
        "`ITEM_ID=GROUND` (the item ids `dsr review` shows).",
    )
    alternative_measure: AlternativeMeasure | None = Field(
        default=None, description="The alternative measure taken (Art. 8 ¶4)."
    )
    measure_confirmer: Identifier | None = Field(
        default=None,
        description="For a measure taken outside the service: the account responsible for "
        "taking it, who confirms it was taken (`confirm-system` with step `measure`).",
    )
    included_categories: list[DataCategory] = Field(
        default=[],
        max_length=len(DataCategory),
        description="Disclose this category's items held in a form that does not identify "
        "the person after all (Art. 6 ¶2's 'in principle'); say why in `inclusion`.",
    )
    continued_partners: list[Identifier] = Field(
        default=[],
        max_length=100,
        description="A third party whose provision continues on its recorded Art. 5 exception.",
    )
    declined_changes: list[Annotated[int, Field(ge=0, lt=100)]] = Field(
        default=[],
        max_length=100,
        description="A requested change judged not necessary, counted from 0 (`dsr decide "
        "--decline-change N` counts from 1, as `dsr review` numbers them); needs a reason.",
    )
    reason: Text | None = Field(
        default=None, description="Why: a refusal, a partial disclosure, an alternative measure."
    )
    measure: Text | None = Field(default=None, description="The alternative measure (Art. 8).")
    inclusion: Text | None = Field(
        default=None,
        description="Why information held in a form that does not identify the person is "
        "disclosed after all (Art. 6 ¶2).",
    )


class ApproveMeasureBody(_Body):
    pass


class ExtendBody(_Body):
    step: Step = Field(description="The step whose deadline is extended (the current one).")
    until: AwareDatetime = Field(
        description="The new due time, ISO 8601 with its zone, e.g. 2026-12-24T17:00+09:00."
    )
    reason: Text = Field(description="Why the deadline is extended; the person is told.")


SystemName = Annotated[str, StringConstraints(pattern=NAME)]


class WaiveSystemBody(_Body):
    system: SystemName = Field(description="The system's name in the data map.")
    reason: Text = Field(description="Why the system cannot do its part: the notice says it.")


class ConfirmSystemBody(_Body):
    system: SystemName = Field(
        description="The manual system's name in the data map; with step `measure`, the "
        "alternative measure's kind (Art. 8 ¶4)."
    )
    step: Literal["collect", "act", "measure"] = Field(
        description="collect: what was found there; act: what was done there; measure: "
        "the alternative measure was taken."
    )
    rows: int = Field(ge=0, le=1_000_000, description="Rows found there, or changed there.")
    note: Text | None = Field(default=None, description="What was found or done.")


class RecordRefundBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_id: Identifier = Field(description="The invoice whose late payment was refunded.")
    paid_on: date = Field(description="The day the refund was paid to the person, YYYY-MM-DD.")
    reference: Identifier = Field(description="The refund transfer's reference.")


class SubmissionReply(BaseModel):
    request_id: str
    workflow_id: str
    kind: str
    created: bool
    workflow_started: bool
    closed: bool
    outcome: str | None
    message: str


class RequestRow(BaseModel):
    request_id: str
    kind: RequestKind
    status: RequestStatus
    step: str | None
    due_at: datetime | None
    overdue: bool
    outcome: str | None
    submitted_at: datetime
    closed_at: datetime | None
    deadline_policy_version: str
    privacy_policy_version: str | None = Field(
        default=None, description="the privacy policy in force at receipt (Article 9)"
    )
    personal_data_shredded_at: datetime | None = Field(
        default=None, description="when retention shredded the request's personal data"
    )


class Timeline(BaseModel):
    """What `dsr show` shows: the request, its deadlines, and its events in order."""

    request: dict[str, Any]
    deadlines: list[dict[str, Any]]
    events: list[dict[str, Any]]


class ChainCheck(BaseModel):
    request_id: str
    events: int
    intact: bool
    first_broken_seq: int | None
    problem: str | None
    compliance_projection: str | None = Field(
        description="Where the compliance projection differs from what the events fold to."
    )


class HistoryEvidenceBody(BaseModel):
    """What an exported workflow history recorded (audit/histories.py reads it): the
    events it wrote to the store and the checkpoints signed at its close."""

    source: str = Field(max_length=1000, description="Where the history was read from.")
    workflow_id: str | None
    events: list[tuple[int, NewEvent]] = Field(description="(history event #, event).")
    checkpoints: list[tuple[int, SignedCheckpoint]] = Field(
        description="(history event #, signed checkpoint)."
    )


class PinnedCheckpoints(BaseModel):
    """Checkpoints the caller verified with a key it pinned, on its own machine: the log
    is held against these only, and the service's own key is not used."""

    checkpoints: list[Checkpoint] = Field(max_length=100_000)
    witnessed: int = Field(ge=0, description="How many came from the witness folder.")
    from_histories: int = Field(ge=0, description="How many came from histories.")
    witness: str = Field(max_length=1000, description="The witness folder the caller read.")


class AuditVerifyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_ids: list[Annotated[str, StringConstraints(pattern=REQUEST_ID)]] = Field(
        default=[],
        max_length=10_000,
        description="The requests to check; none: every request, every register stream, "
        "and the event log against the signed checkpoints.",
    )
    histories: list[HistoryEvidenceBody] = Field(
        default=[],
        max_length=10_000,
        description="Exported workflow histories to hold the store against.",
    )
    pinned: PinnedCheckpoints | None = Field(
        default=None,
        description="Checkpoints trusted by the caller's pinned key; unset: the service's "
        "own checkpoint key and witness folder.",
    )


class LogCheckReply(BaseModel):
    intact: bool
    entries: int
    witnessed_checkpoints: int
    history_checkpoints: int
    histories: int
    problems: list[str]
    notes: list[str]
    newest: Checkpoint | None
    summary: str


class AuditVerifyReply(BaseModel):
    """`dsr audit verify`: each verdict; `intact` false when any part is broken."""

    intact: bool
    requests: list[ChainCheck]
    registers: list[dict[str, Any]] = Field(
        description="Each register stream's chain, as a request's, under its logged name."
    )
    event_log: LogCheckReply | None = Field(
        description="The whole log (no request named), against the trusted checkpoints."
    )
    histories: LogCheckReply | None = Field(
        description="The named requests' histories against the store."
    )


class WitnessReply(BaseModel):
    """The witness folder's signed checkpoints as they are, for an auditor's `dsr` to
    verify with the key it pinned."""

    folder: str
    checkpoints: list[tuple[str, SignedCheckpoint]]
    unreadable: list[tuple[str, str]]


class AuditExport(BaseModel):
    """What `dsr audit export --request ID` writes for the request: its manifest entry,
    its workflow history (as `temporal workflow show -o json`) and the store's record."""

    manifest: dict[str, Any]
    history: dict[str, Any]
    store: dict[str, Any]


class NewAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    account: AccountName = Field(description="The name: lower-case letters, digits and . _ @ -")
    roles: list[Role] = Field(
        min_length=1,
        max_length=len(Role),
        description="; ".join(f"{r.value}: {m}" for r, m in ROLE_MEANING.items()),
    )


class CreatedAccount(BaseModel):
    account: str
    roles: list[Role]
    token: str = Field(description="The bearer token: shown this once, kept only as a hash.")


class AccountRow(BaseModel):
    account: str
    roles: list[Role]
    created_at: datetime
    created_by: str
    disabled_at: datetime | None


class DisabledAccount(BaseModel):
    account: str
    disabled: bool
    message: str


class Me(BaseModel):
    """The calling account, as `dsr login` checks a token."""

    account: str
    roles: list[Role]


class Health(BaseModel):
    status: str
