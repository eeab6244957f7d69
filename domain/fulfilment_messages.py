"""The messages of fulfilment in the organisation's systems that cross Temporal: system
names, kinds, counts and keys, never a value or an identity."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.authority import ActAuthority
from domain.datamap import NAME, SystemKind
from domain.events import NewEvent
from domain.findings import Findings
from domain.messages import Decide, NoteId, OperatorId
from domain.requests import RequestKind


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MappedSystem(_Message):
    name: str = Field(pattern=NAME)
    kind: SystemKind
    owner: str | None = None  # a manual system's owner account


class LookUpSystems(_Message):
    """Which systems the data map names: the step that opens a request's collection, and
    stores the bookkeeping recorded before it (`preceding`)."""

    request_id: str
    idempotency_key: str
    occurred_at: AwareDatetime
    preceding: tuple[NewEvent, ...] = ()


class MappedSystems(_Message):
    systems: tuple[MappedSystem, ...] = ()


class CollectFrom(_Message):
    request_id: str
    kind: RequestKind
    system: str
    idempotency_key: str
    occurred_at: AwareDatetime


class SystemCollected(_Message):
    system: str
    reachable: bool
    rows: int = 0
    items: int = 0


class CarryOutIn(_Message):
    request_id: str
    kind: RequestKind
    system: str
    decision: Decide
    findings: Findings
    idempotency_key: str
    occurred_at: AwareDatetime


class SystemCarriedOut(_Message):
    system: str
    rows: int
    refused: int


class OpenTask(_Message):
    """A manual system's owner is asked to find (`collect`) or to carry out (`act`)."""

    request_id: str
    system: str
    owner: str
    step: str = Field(pattern=r"^(collect|act)$")
    idempotency_key: str
    occurred_at: AwareDatetime


class ConfirmSystem(_Message):
    """A manual system's owner confirms, by a signed act, what was found or done there; or
    (step `measure`) the account responsible for an alternative measure taken outside the
    service confirms it was taken, `system` naming the measure (Art 8 ¶4)."""

    system: str = Field(pattern=NAME)
    step: str = Field(pattern=r"^(collect|act|measure)$")
    rows: int = Field(ge=0, le=1_000_000)
    operator: OperatorId
    note_id: NoteId | None = None
    authority: ActAuthority | None = None


class WaiveSystem(_Message):
    """An operator records why a system cannot do its part: the request goes on, and the
    notice says what was not done there and why."""

    system: str = Field(pattern=NAME)
    reason_note_id: NoteId
    operator: OperatorId
    authority: ActAuthority | None = None
