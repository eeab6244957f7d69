"""What the organisation tells the person, and how each notice reads.

Every notice says exactly what was done and what was not: the items acted on and the
rest left as they were, the categories left out of a disclosure and under which clause,
the changes made and those that would have changed nothing. Rendering is pure; the
activity that queues a notice reads the facts (and the personal parts) from Postgres and
passes them in, with the organisation's time zone for dates a person reads.
"""

from __future__ import annotations

from dataclasses import replace
from zoneinfo import ZoneInfo

from domain.deadlines import Commitment
from domain.decisions import FEE_PER_CASE_YEN, LEGACY_OUTCOMES
from domain.notice_texts import TEXTS
from domain.notice_writer import (
    NoticeFacts,
    NoticeKind,
    NoticeWriter,
    RenderedNotice,
    format_date,
)
from domain.outcome_notices import left_out, write_outcome
from domain.payments import PaymentMethod
from domain.requests import Language, RequestKind

__all__ = ["NoticeFacts", "NoticeKind", "RenderedNotice", "format_date", "render_notice"]


def render_notice(
    kind: NoticeKind,
    *,
    request_kind: RequestKind,
    request_id: str,
    requester_name: str,
    language: Language = Language.EN,
    zone: ZoneInfo,
    answer_text: str | None = None,
    facts: NoticeFacts | None = None,
    payment: PaymentMethod | None = None,
) -> RenderedNotice:
    facts = facts or NoticeFacts()
    if facts.outcome in LEGACY_OUTCOMES:  # decided before N3 (docs/policy-interpretation.md)
        facts = replace(facts, legacy_exclusion=True)
    w = NoticeWriter(language, zone)
    label = w.t(f"kind.{request_kind.value}")
    subject_key = {
        NoticeKind.CLOSED_IDENTITY_NOT_VERIFIED: "outcome",
        NoticeKind.CLOSED_FEE_UNPAID: "outcome",
    }.get(kind, kind.value)
    subject = w.t(f"subject.{subject_key}", label=label, request_id=request_id)
    match kind:
        case NoticeKind.RECEIPT:
            _receipt(w, label, request_id, facts.commitment, facts.identity_confirmed)
        case NoticeKind.ANSWER:
            if not answer_text:
                raise ValueError("an answer notice needs the answer text")
            w.add("answer")
            w.parts.append(answer_text)
        case NoticeKind.IDENTITY_PROOF_REQUESTED:
            if facts.due_at is None:
                raise ValueError("a request for proof of identity needs its due date")
            w.add("identity.ask", label=label)
            w.add(_identity_check(request_kind, facts.registration_matched))
            w.add("identity.how", request_id=request_id, date=w.date(facts.due_at))
            w.add("identity.documents")
        case NoticeKind.FEE_REQUEST:
            if facts.invoice_id is None or facts.due_at is None or facts.amount_yen is None:
                raise ValueError("a fee request needs the invoice and its due date")
            # The fee request is where the person first learns the decision: it says what
            # will be disclosed and what will not, and why (Art 6 ¶1, "without delay").
            w.add("fee.decided")
            if facts.to_disclose:
                w.add("fee.to_disclose", what=w.counted(facts.to_disclose))
            left_out(w, facts)
            w.add(
                "fee.request",
                amount=f"{facts.amount_yen:,}",
                invoice_id=facts.invoice_id,
                date=w.date(facts.due_at),
            )
            w.parts += (payment or PaymentMethod()).how_to_pay(
                w.texts, w.language, facts.invoice_id
            )
            w.add("fee.late_payment", date=w.date(facts.due_at))
        case NoticeKind.DEADLINE_EXTENDED:
            if facts.due_at is None or facts.extended_step is None:
                raise ValueError("an extension notice needs the step and its new due date")
            step_sentence = f"extension.{facts.extended_step}"
            if step_sentence in w.texts:  # each step says what takes longer in its own words
                w.add(step_sentence, label=label, date=w.date(facts.due_at))
            else:
                w.add(
                    "extension",
                    step=w.t(f"step.{facts.extended_step}"),
                    label=label,
                    date=w.date(facts.due_at),
                )
            if facts.reason:
                w.add("reason", text=facts.reason)
        case NoticeKind.CLOSED_IDENTITY_NOT_VERIFIED:
            w.add("closed.identity_not_verified")
        case NoticeKind.CLOSED_FEE_UNPAID:
            if late := facts.paid_late_on:  # paid after the window: refunded (N7)
                w.add("closed.fee_paid_late", invoice_id=facts.invoice_id, paid_on=w.date(late))
            else:
                w.add("closed.fee_unpaid")
            left_out(w, facts)
        case NoticeKind.OUTCOME:
            if facts.outcome is None:
                raise ValueError("an outcome notice needs the outcome")
            write_outcome(w, facts)
    body = "\n\n".join(
        [
            w.t("greeting", name=requester_name),
            *w.parts,
            w.t("reference", request_id=request_id),
            w.t("closing"),
            w.t("signature"),
        ]
    )
    return RenderedNotice(subject=subject, body=body)


def _receipt(
    w: NoticeWriter,
    label: str,
    request_id: str,
    commitment: Commitment | None,
    identity_confirmed: bool,
) -> None:
    w.add("receipt", label=label, request_id=request_id)
    if commitment is None:
        return
    if commitment.answer_by is not None:
        w.add("receipt.answer_by", date=w.date(commitment.answer_by))
    if commitment.decide_within_days is not None:
        w.add(
            "receipt.identity_confirmed" if identity_confirmed else "receipt.after_identity",
            days=commitment.decide_within_days,
        )
    if commitment.disclose_within_days_of_payment is not None:
        w.add(
            "receipt.fee",
            amount=f"{FEE_PER_CASE_YEN:,}",
            days=commitment.disclose_within_days_of_payment,
        )


def _identity_check(request_kind: RequestKind, matched: bool) -> str:
    if not matched:
        return "identity.unmatched"
    # A suspension or a stop neither discloses nor changes: its own words say what it does.
    own = f"identity.matched.{request_kind.value}"
    return own if own in TEXTS[Language.EN] else "identity.matched"
