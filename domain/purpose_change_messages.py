"""What crosses Temporal in a purpose change (Article 4): the `PurposeChange` workflow's
order, its activities' inputs and outputs, its progress and result. Ids, counts and the
organisation's own texts only; no personal data (no address, no notice body).

The order carries the proposal with the administrator's signed authority for it
(domain/authority.py, act `change_purpose`), so a change started by talking to Temporal
directly, without the API's signing key, is refused before anything is recorded."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.authority import ActAuthority, ActSigner, Role, argument_digest
from domain.purposes import PurposeChangeProposal

CHANGE_ACT = "change_purpose"

# A batch of notices is one activity: large enough that the workflow's history stays
# small (a few events per batch), small enough that a retried batch redoes little.
DEFAULT_BATCH_SIZE = 1000
# Batches per workflow run before it continues as new, carrying its cursor and counts.
DEFAULT_BATCHES_PER_RUN = 25


def change_subject(change_id: str) -> str:
    """What an authority to change a purpose names in place of a request id."""
    return f"purpose-change/{change_id}"


def workflow_id(change_id: str) -> str:
    return f"purpose-change-{change_id}"


def change_authority(
    signer: ActSigner,
    account: str,
    roles: Iterable[Role],
    proposal: PurposeChangeProposal,
    issued_at: datetime,
) -> ActAuthority:
    """The signed statement that `account` proposes exactly this change (the worker checks
    it with its public keys, and the account in the store, before recording anything)."""
    return signer.sign(
        ActAuthority(
            account=account,
            roles=tuple(sorted(set(roles))),
            act=CHANGE_ACT,
            request_id=change_subject(proposal.change_id),
            act_id=proposal.change_id,
            argument_digest=argument_digest(proposal.model_dump(mode="json")),
            issued_at=issued_at,
        ),
    )


class RecordChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    proposal: PurposeChangeProposal
    authority: ActAuthority
    occurred_at: AwareDatetime


class Judgement(BaseModel):
    """How the change was judged and recorded (Article 4 ¶1)."""

    model_config = ConfigDict(frozen=True)

    change_id: str
    accepted: bool
    refusal: str | None = None
    from_version: int | None = None
    to_version: int | None = None
    affected: int = Field(0, description="subjects holding an item under the purpose")
    published: bool = False


class ChangeStep(BaseModel):
    model_config = ConfigDict(frozen=True)

    change_id: str
    occurred_at: AwareDatetime


class NoticeBatch(BaseModel):
    """The next `limit` affected subjects after `after` (subject id order)."""

    model_config = ConfigDict(frozen=True)

    change_id: str
    number: int = Field(ge=0)
    after: str | None
    limit: int = Field(ge=1, le=5000)
    occurred_at: AwareDatetime


class BatchOutcome(BaseModel):
    model_config = ConfigDict(frozen=True)

    number: int
    subjects: int
    through: str | None = Field(description="the batch's last subject id: the next cursor")
    delivered: int
    unreachable: int
    more: bool


class CompleteChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    change_id: str
    occurred_at: AwareDatetime
    batches: int
    unreachable: int


class ChangeCompleted(BaseModel):
    model_config = ConfigDict(frozen=True)

    notified: int


class FanOut(BaseModel):
    """The workflow's state carried from run to run (continue-as-new): the judgement, the
    cursor (last subject id done) and the counts so far, and the batches' size."""

    model_config = ConfigDict(frozen=True)

    batch_size: int = Field(DEFAULT_BATCH_SIZE, ge=1, le=5000)
    batches_per_run: int = Field(DEFAULT_BATCHES_PER_RUN, ge=1, le=500)
    judgement: Judgement | None = None
    cursor: str | None = None
    batches: int = 0
    notified: int = 0
    unreachable: int = 0
    runs: int = 1


class PurposeChangeOrder(BaseModel):
    """The `PurposeChange` workflow's input."""

    model_config = ConfigDict(frozen=True)

    proposal: PurposeChangeProposal
    authority: ActAuthority
    fanout: FanOut = FanOut()


Phase = Literal["judging", "refused", "publishing", "notifying", "completing", "done"]


class ChangeProgress(BaseModel):
    """The `progress` query's answer."""

    change_id: str
    phase: Phase
    affected: int = 0
    notified: int = 0
    unreachable: int = 0
    batches: int = 0
    runs: int = 1


class PurposeChangeResult(BaseModel):
    change_id: str
    purpose_id: str
    status: Literal["refused", "done"]
    refusal: str | None = None
    from_version: int | None = None
    to_version: int | None = None
    method: str
    published: bool = False
    affected: int = 0
    notified: int = 0
    unreachable: int = 0
    batches: int = 0
    runs: int = 1
