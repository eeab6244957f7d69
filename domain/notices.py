"""What the organisation tells the person, and how each notice reads.

Rendering is pure; the activity that queues a notice reads the personal parts (the
requester's name, the operator's answer) from Postgres and passes them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.decisions import Outcome
from domain.requests import RequestKind


class NoticeKind(StrEnum):
    RECEIPT = "receipt"
    ANSWER = "answer"
    FEE_REQUEST = "fee_request"
    OUTCOME = "outcome"
    CLOSED_IDENTITY_NOT_VERIFIED = "closed_identity_not_verified"
    CLOSED_FEE_UNPAID = "closed_fee_unpaid"


@dataclass(frozen=True)
class OutcomeFacts:
    """What an outcome notice states; read from the store by the activity that queues it."""

    outcome: Outcome
    reason: str | None = None
    measure: str | None = None
    refusal_grounds: tuple[str, ...] = ()
    provision_exception: str | None = None
    disclosed_items: tuple[tuple[str, str, str], ...] = ()  # (category, field, value)
    withheld_categories: tuple[str, ...] = ()
    stopped_partners: tuple[str, ...] = ()
    not_third_parties: tuple[tuple[str, str], ...] = ()  # (partner, relationship)
    invoice_id: str | None = None
    amount_yen: int | None = None


_OUTCOME_SENTENCE = {
    Outcome.DISCLOSED_IN_FULL: "We disclose to you the personal information we hold about you, "
    "below.",
    Outcome.DISCLOSED_IN_PART: "We disclose part of the personal information we hold about you, "
    "below; the rest is withheld under Article 6.",
    Outcome.DISCLOSURE_REFUSED: "We have decided not to disclose the personal information "
    "requested, under Article 6.",
    Outcome.CORRECTION_MADE: "We have made the correction, addition or deletion you requested.",
    Outcome.CORRECTION_DECLINED: "We have decided not to make the correction you requested.",
    Outcome.USE_SUSPENDED: "We have suspended the use of your personal information.",
    Outcome.ERASED: "We have erased your personal information.",
    Outcome.SUSPENSION_REFUSED: "We have decided not to suspend use of or erase your personal "
    "information.",
    Outcome.ALTERNATIVE_MEASURES: "Suspending use or erasing would involve a large expense or "
    "be otherwise difficult, so under Article 8 we have taken alternative measures to protect "
    "your rights and interests instead.",
    Outcome.PROVISION_STOPPED: "We have stopped providing your personal information to the "
    "third parties named below.",
    Outcome.STOP_REFUSED: "We will not stop this provision, because the law permits it "
    "without your consent in this case (Article 5).",
    Outcome.IDENTITY_NOT_VERIFIED: "We have closed your request because we could not verify "
    "your identity within the time allowed. You are welcome to make a new request.",
    Outcome.FEE_UNPAID: "We have closed your request because the disclosure fee was not paid "
    "within the time allowed. You are welcome to make a new request.",
}


def _outcome_body(facts: OutcomeFacts) -> str:
    parts = [_OUTCOME_SENTENCE[facts.outcome]]
    if facts.refusal_grounds:
        parts.append("Grounds: " + "; ".join(g.replace("_", " ") for g in facts.refusal_grounds)
                     + ".")
    if facts.provision_exception:
        parts.append("Legal basis: " + facts.provision_exception.replace("_", " ") + ".")
    if facts.reason:
        parts.append(f"Reason: {facts.reason}")
    if facts.measure:
        parts.append(f"Alternative measures taken: {facts.measure}")
    if facts.disclosed_items:
        lines = [f"- {category} / {field}: {value}"
                 for category, field, value in facts.disclosed_items]
        parts.append("Personal information held:\n" + "\n".join(lines))
    if facts.withheld_categories:
        parts.append("Withheld: " + ", ".join(facts.withheld_categories) + ".")
    if facts.disclosed_items or facts.outcome is Outcome.DISCLOSED_IN_FULL:
        parts.append("History information and characteristic information are not disclosed, "
                     "in principle (Article 6).")
    if facts.stopped_partners:
        parts.append("Provision stopped to: " + ", ".join(facts.stopped_partners) + ".")
    if facts.not_third_parties:
        listed = ", ".join(f"{partner} ({relation.replace('_', ' ')})"
                           for partner, relation in facts.not_third_parties)
        parts.append("These recipients are not third parties under Article 5 (entrustment, "
                     f"business succession or joint use), so provision to them continues: "
                     f"{listed}.")
    return "\n\n".join(parts)

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
    facts: OutcomeFacts | None = None,
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
        case NoticeKind.FEE_REQUEST:
            if facts is None or facts.invoice_id is None:
                raise ValueError("a fee request needs the invoice")
            due = f" by {due_at}" if due_at else ""
            return RenderedNotice(
                subject=f"Fee for your {label} [{request_id}]",
                body=f"{greeting}\n\nA fee of {facts.amount_yen:,} yen per case applies to "
                f"the disclosure of personal information (Article 6). Please pay invoice "
                f"{facts.invoice_id}{due}.\n\nSesenergy",
            )
        case NoticeKind.OUTCOME | NoticeKind.CLOSED_IDENTITY_NOT_VERIFIED | \
                NoticeKind.CLOSED_FEE_UNPAID:
            if facts is None:
                raise ValueError("an outcome notice needs the outcome")
            return RenderedNotice(
                subject=f"The outcome of your {label} [{request_id}]",
                body=f"{greeting}\n\n{_outcome_body(facts)}\n\nReference: {request_id}"
                "\n\nSesenergy",
            )
    raise ValueError(f"unknown notice kind {kind}")
