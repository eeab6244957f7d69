"""What the organisation tells the person, and how each notice reads.

Rendering is pure; the activity that queues a notice reads the personal parts (the
requester's name, the operator's answer) from Postgres and passes them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.requests import RequestKind


class NoticeKind(StrEnum):
    RECEIPT = "receipt"
    ANSWER = "answer"


_KIND_LABEL = {
    RequestKind.DISCLOSURE: "request for disclosure of personal information (Article 6)",
    RequestKind.CORRECTION: "request for correction, addition or deletion (Article 7)",
    RequestKind.SUSPENSION: "request for suspension of use or erasure (Article 8)",
    RequestKind.THIRD_PARTY_STOP: "request to stop provision to third parties (Article 5)",
    RequestKind.INQUIRY: "inquiry regarding our Privacy Policy (Article 10)",
}


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    body: str


def render_notice(
    kind: NoticeKind,
    *,
    request_kind: RequestKind,
    request_id: str,
    requester_name: str,
    due_at: str | None = None,
    answer_text: str | None = None,
) -> RenderedNotice:
    label = _KIND_LABEL[request_kind]
    greeting = f"Dear {requester_name},"
    match kind:
        case NoticeKind.RECEIPT:
            due = f" We will respond by {due_at}." if due_at else ""
            return RenderedNotice(
                subject=f"We have received your {label} [{request_id}]",
                body=f"{greeting}\n\nWe have received your {label}, reference {request_id}."
                f"{due}\n\nSesenergy",
            )
        case NoticeKind.ANSWER:
            if not answer_text:
                raise ValueError("an answer notice needs the answer text")
            return RenderedNotice(
                subject=f"Our answer to your {label} [{request_id}]",
                body=f"{greeting}\n\n{answer_text}\n\nReference: {request_id}\n\nSesenergy",
            )
    raise ValueError(f"unknown notice kind {kind}")
