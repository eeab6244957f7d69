"""What crosses Temporal when closed requests' histories are archived: a batch size in,
counts out. No request ids, let alone personal data, are needed on either side."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ArchiveBatch(BaseModel):
    """How much one run of `ArchiveClosedRequests` may do; the rest waits for the next."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    limit: int = Field(default=200, ge=1, le=1000, description="requests looked at, at most")
    page: int = Field(default=50, ge=1, le=500, description="requests read from the store at once")


class ArchiveCounts(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    archived: int = 0
    """Histories written into the archive by this run."""
    already_archived: int = 0
    """Written meanwhile by another run: nothing to do."""
    still_running: int = 0
    """Closed in the store, but the workflow has not finished yet: the next run takes them."""
    gone: int = 0
    """Temporal no longer had the history: noted as a gap, not looked for again."""
    more: bool = False
    """The limit was reached; more closed requests may be waiting."""
