"""What the privacy center's challenges answer (challenges.py): a challenge made or
refused, what a form's challenge still needs after the reply, a code's verdict, and a
message to send."""

from __future__ import annotations

import enum
import uuid
from dataclasses import dataclass
from typing import Any


class Refusal(enum.StrEnum):
    RATE_LIMITED = "rate_limited"
    ADDRESS_LOCKED = "address_locked"


@dataclass(frozen=True)
class Addressing:
    """What a form's challenge still needs once the reply is on its way (N8): who the
    address is, the form sealed under their key, and the code's message queued to them.
    Only the process's memory holds the code and the form until then."""

    challenge_id: uuid.UUID
    code: str
    email: str
    name: str
    details: dict[str, Any]
    code_message: Any
    any_address: bool


@dataclass(frozen=True)
class Started:
    challenge_id: uuid.UUID | None
    notice_id: int | None = None  # the code's message, if the address is registered
    refused: Refusal | None = None
    addressing: Addressing | None = None  # a form's: to do after the reply (address())


class Verdict(enum.StrEnum):
    UNKNOWN = "unknown"
    LOCKED = "locked"
    EXPIRED = "expired"
    WRONG = "wrong"
    USED = "used"
    VERIFIED = "verified"


@dataclass(frozen=True)
class Checked:
    verdict: Verdict
    attempts_left: int = 0
    request: dict[str, Any] | None = None  # the submission to make, when VERIFIED
    opens: str | None = None  # the request whose disclosure a VERIFIED code opens


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
