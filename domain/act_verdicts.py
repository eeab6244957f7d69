"""What crosses Temporal when the worker checks an operator's act (domain/authority.py):
the act as the update carried it, with the workflow's time, and the verdict."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict

from domain.authority import ActAuthority


class CheckAct(BaseModel):
    """Activity input: the act's authority, for this request and act, taken at
    `acted_at` (`workflow.now()` when its update reached the request)."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    act: str
    authority: ActAuthority
    acted_at: AwareDatetime


class ActVerdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    problem: str | None = None
