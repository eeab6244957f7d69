"""The registers' writes as bodies, shared by the API's routes and the `dsr` commands that
send them (the command's option help is each field's description): posting a version of
the privacy policy (Article 9) and changing a purpose (Article 4). An inventory load's
body is the inventory itself (domain/inventory.py, docs/inventory.md). And the replies
the commands print."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from domain.policy_text import DeclaredPurpose
from domain.purposes import ChangeId, NoticeMethod, PurposeName, PurposeText, Reason

MAX_POLICY_TEXT = 500_000  # characters; a privacy policy is a few pages


class PolicyPosting(BaseModel):
    """`dsr policy post FILE`: a version of the privacy policy as posted."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=MAX_POLICY_TEXT,
        description="the policy's text as posted (UTF-8); its sha256 is kept with it",
    )
    effective_at: AwareDatetime | None = Field(
        default=None,
        description="when it takes effect (ISO 8601 date or time); unset: on posting",
    )
    new_purpose: str | None = Field(
        default=None,
        max_length=2_000,
        description="the purpose this text adds at the end of Article 3's list: its id and "
        "its Japanese text as ID=JAPANESE TEXT (the English one is the text's)",
    )
    includes_provision: bool = Field(
        default=False,
        description="the new purpose includes provision to third parties (Article 5 ¶1)",
    )

    @model_validator(mode="after")
    def _declares_a_purpose(self) -> PolicyPosting:
        self.declared()
        return self

    def declared(self) -> DeclaredPurpose | None:
        """The new purpose `new_purpose` declares, or None (ValueError: it does not fit)."""
        if self.new_purpose is None:
            if self.includes_provision:
                raise ValueError("--includes-provision marks the purpose --new-purpose declares")
            return None
        purpose_id, equals, text_ja = self.new_purpose.partition("=")
        if not equals or not purpose_id.strip() or not text_ja.strip():
            raise ValueError(
                "--new-purpose takes ID=JAPANESE TEXT, e.g. partner_marketing=...のため"
            )
        return DeclaredPurpose(purpose_id.strip(), text_ja.strip(), self.includes_provision)


class PolicyPosted(BaseModel):
    version: str
    sha256: str
    posted_at: AwareDatetime
    effective_at: AwareDatetime
    new_purpose: str | None
    includes_provision: bool


class PolicyVersionRow(BaseModel):
    version: str
    posted_at: AwareDatetime
    effective_at: AwareDatetime
    sha256: str
    in_force: bool


MAX_WAIT = 45.0  # seconds a purpose change's call waits at most (the client's timeout is 60)


class PurposeChangeBody(BaseModel):
    """`dsr purposes change`: an administrator's change of a purpose (Article 4). Who
    decided is the calling account; when, the time the API takes it."""

    model_config = ConfigDict(extra="forbid")

    change_id: ChangeId = Field(
        description="this change's id (letters, digits, . _ -); the same id again shows "
        "the first change instead of making another"
    )
    purpose_id: PurposeName = Field(
        description="the purpose to change (`dsr purposes list` shows the ids)"
    )
    new_text: PurposeText = Field(description="the purpose's text after the change")
    new_text_ja: PurposeText = Field(
        description="the same text in Japanese: the change is published and notified in both"
    )
    related: bool = Field(
        description="the changed purpose is reasonably considered to be related to the "
        "purpose before the change (Article 4 ¶1); not: the change is recorded and refused"
    )
    reason: Reason = Field(description="why it is (or is not) related; at least 10 characters")
    method: NoticeMethod = Field(
        description="publish on the website, notify each affected person, or both"
    )
    wait: float = Field(
        default=10.0,
        ge=0,
        le=MAX_WAIT,
        description="how long to wait for the result, in seconds (default 10); the change "
        "runs on either way",
    )


class PurposeChangeReply(BaseModel):
    """Where a change stands after the call's wait: `done` or `refused` with its result,
    `running` with its progress so far (None: no worker has taken it yet), or `failed`."""

    change_id: str
    workflow_id: str
    started: bool = Field(description="false: started earlier under this change id")
    state: Literal["done", "refused", "running", "failed"]
    result: dict[str, Any] | None = None
    progress: dict[str, Any] | None = None
    failure: str | None = None


class ProvisionFindingRow(BaseModel):
    provision_id: int
    subject_id: str
    partner_id: str
    kind: str
    detail: str


class ProvisionFindings(BaseModel):
    findings: list[ProvisionFindingRow]
    count: int


class SystemCheckRow(BaseModel):
    system: str
    kind: str
    findings: list[str]
