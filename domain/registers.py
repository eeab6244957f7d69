"""The organisation's registers (Articles 3, 4, 5 and 9) as streams of events: what was
decided, posted, given or withdrawn, by whom and when. Each stream is hash-chained like a
request's events (domain/chain.py, with the stream in place of the request id) and its
events join the global log the checkpoints sign.

Streams: `purposes` (Article 3's purposes and every change to them), `purpose-change/<id>`
(one change's proposal, judgement, publication and notices), `privacy-policy`
(Article 9's versions), `provision-bases` (Article 5's footing per partner) and
`consents` (consent given and withdrawn, per subject and partner). Payloads are flat and
hold no personal data: ids, purpose texts, dates, counts."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from domain.events import PayloadValue

LOG_PREFIX = "register/"
"""How the global log names a stream: a request id never holds a slash."""


class RegisterEventType(StrEnum):
    PURPOSE_DEFINED = "purpose.defined"
    PURPOSE_CHANGE_PROPOSED = "purpose_change.proposed"
    PURPOSE_CHANGE_REFUSED = "purpose_change.refused"
    PURPOSE_CHANGE_ACCEPTED = "purpose_change.accepted"
    PURPOSE_CHANGED = "purpose.changed"
    PURPOSE_CHANGE_PUBLISHED = "purpose_change.published"
    PURPOSE_CHANGE_NOTICES_SENT = "purpose_change.notices_sent"
    PURPOSE_CHANGE_COMPLETED = "purpose_change.completed"
    PRIVACY_POLICY_POSTED = "privacy_policy.posted"
    PROVISION_BASIS_RECORDED = "provision_basis.recorded"
    CONSENT_GIVEN = "consent.given"
    CONSENT_WITHDRAWN = "consent.withdrawn"


class NewRegisterEvent(BaseModel):
    """An event to append to a register's stream; `idempotency_key` makes a retry append
    nothing."""

    model_config = ConfigDict(frozen=True)

    stream: str = Field(pattern=r"^[a-z][a-z0-9-]*(/[A-Za-z0-9._:-]+)?$")
    type: RegisterEventType
    payload: dict[str, PayloadValue] = Field(default_factory=dict)
    occurred_at: AwareDatetime
    actor: str
    idempotency_key: str


def logged_name(stream: str) -> str:
    return f"{LOG_PREFIX}{stream}"
