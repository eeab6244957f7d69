"""Article 9: the privacy policy's versions. "Unless otherwise specified by the
Organization, the changed Privacy Policy shall take effect when posted on this website."

A version is its text's sha256, when it was posted and when it took effect (the posting,
unless an effective time was given). The version in force at a moment is the one with the
latest effective time not after it; every request records the one in force at its receipt,
beside the deadline policy's version (domain/deadlines.py), which is another thing."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class PolicyVersion:
    version: str
    text_sha256: str
    posted_at: datetime
    effective_at: datetime


class PostingRefused(ValueError):
    """A version that cannot be recorded; the message says why."""


def text_digest(text: bytes) -> str:
    return hashlib.sha256(text).hexdigest()


def version_name(posted_at: datetime, digest: str) -> str:
    """A readable, unique name: the posting date and the start of the digest."""
    return f"{posted_at.date().isoformat()}.{digest[:12]}"


def new_version(
    text: bytes,
    posted_at: datetime,
    effective_at: datetime | None,
    existing: Iterable[PolicyVersion],
) -> PolicyVersion:
    """The version to record, or PostingRefused: an empty text, a text identical to the
    latest version's or to one posted the same day (a version's name), or an effective
    time before the posting (a policy cannot have been
    in force before anyone could read it)."""
    if not text.strip():
        raise PostingRefused("the policy file is empty")
    effective = effective_at or posted_at
    if effective < posted_at:
        raise PostingRefused(
            "--effective is before the posting: a policy takes effect when "
            "posted, or later (Article 9)"
        )
    digest = text_digest(text)
    latest = max(existing, key=lambda v: v.effective_at, default=None)
    if latest is not None and latest.text_sha256 == digest:
        raise PostingRefused(f"this text is version {latest.version} already")
    name = version_name(posted_at, digest)
    if any(v.version == name for v in existing):
        raise PostingRefused(
            f"this text was posted the same day already, as version {name}: a version is "
            "named by its day and text, so post it again on another day"
        )
    return PolicyVersion(name, digest, posted_at, effective)


def in_force(versions: Iterable[PolicyVersion], at: datetime) -> PolicyVersion | None:
    effective = [v for v in versions if v.effective_at <= at]
    return max(effective, key=lambda v: (v.effective_at, v.posted_at), default=None)
