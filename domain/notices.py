"""What the organisation tells the person, and how each notice reads.

Every notice says exactly what was done and what was not: the items acted on and the
rest left as they were, the categories left out of a disclosure and under which clause,
the changes made and those that would have changed nothing. Rendering is pure; the
activity that queues a notice reads the facts (and the personal parts) from Postgres and
passes them in, with the organisation's time zone for dates a person reads.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from domain.deadlines import Commitment
from domain.decisions import DISCLOSING, FEE_PER_CASE_YEN, LEGACY_OUTCOMES, Outcome
from domain.field_vocabulary import field_label, split_item_label
from domain.notice_texts import MONTHS_EN, TEXTS
from domain.payments import PaymentMethod
from domain.requests import Language, RequestKind


class NoticeKind(StrEnum):
    RECEIPT = "receipt"
    ANSWER = "answer"
    IDENTITY_PROOF_REQUESTED = "identity_proof_requested"
    FEE_REQUEST = "fee_request"
    DEADLINE_EXTENDED = "deadline_extended"
    OUTCOME = "outcome"
    CLOSED_IDENTITY_NOT_VERIFIED = "closed_identity_not_verified"
    CLOSED_FEE_UNPAID = "closed_fee_unpaid"


@dataclass(frozen=True)
class NoticeFacts:
    """What a notice states; gathered from the store by the activity that queues it."""

    outcome: Outcome | None = None
    reason: str | None = None
    due_at: datetime | None = None
    commitment: Commitment | None = None
    # Identity (the registration match only proposes; see docs/policy-interpretation.md)
    registration_matched: bool = False
    identity_confirmed: bool = False  # by the privacy center's code, before the receipt
    # Deadline extension
    extended_step: str | None = None
    # Article 6
    refusal_grounds: tuple[str, ...] = ()
    # category, field, value, suspended: the notice counts them by category and never
    # writes a value (the items are delivered through the privacy center, by the link)
    disclosed_items: tuple[tuple[str, str, str, bool], ...] = ()
    disclosure_link: str | None = None  # the privacy center's page of the disclosure
    disclosure_link_expires_at: datetime | None = None
    excluded: dict[str, int] = field(default_factory=dict)  # suspended; ¶2 by count
    withheld: dict[str, int] = field(default_factory=dict)  # ¶1 by count
    to_disclose: dict[str, int] = field(default_factory=dict)  # by count, in a fee request
    included: tuple[str, ...] = ()
    inclusion_reason: str | None = None
    legacy_exclusion: bool = False  # decided before N3: history left out whole

    invoice_id: str | None = None
    amount_yen: int | None = None
    fee_paid: bool = False
    fee_waived_legacy: bool = False  # asked again for what the old ¶2 reading left out (C7)
    paid_late_on: date | None = None  # a payment made after the window (N7): refund due
    # Article 7: (field, action, new value) made; (field, action, why) not made
    changes_made: tuple[tuple[str, str, str | None], ...] = ()
    changes_not_made: tuple[tuple[str, str, str], ...] = ()
    # Article 8
    breaches: tuple[str, ...] = ()
    acted_items: tuple[tuple[str, str], ...] = ()  # (category, field)
    items_left: int = 0
    already_suspended: int = 0
    alternative_ground: str | None = None
    measure: str | None = None
    # Article 5
    stopped_partners: tuple[str, ...] = ()
    already_stopped: tuple[str, ...] = ()
    continued_partners: tuple[tuple[str, str], ...] = ()  # (partner, exception)
    not_third_parties: tuple[tuple[str, str], ...] = ()  # (partner, relationship)
    # Art 5 ¶2, as on record: (partner, relationship, ((particular, text), ...))
    particulars: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = ()
    consents_kept: tuple[str, ...] = ()  # stopped, consent kept: a typed address only (N13)
    unknown_partners: tuple[str, ...] = ()
    # The organisation's systems (connectors/): (system, what, detail) each, `what` one of
    # done, nothing, kept, waived, not_reached, owner; detail a count or a reason
    systems: tuple[tuple[str, str, str], ...] = ()


def format_date(moment: datetime | date, zone: ZoneInfo, language: Language) -> str:
    """A date as a person reads it, in the organisation's time zone."""
    local = moment.astimezone(zone) if isinstance(moment, datetime) else moment
    if language is Language.JA:
        return f"{local.year}年{local.month}月{local.day}日"
    return f"{local.day} {MONTHS_EN[local.month - 1]} {local.year}"


@dataclass(frozen=True)
class RenderedNotice:
    subject: str
    body: str


class _Writer:
    def __init__(self, language: Language, zone: ZoneInfo) -> None:
        self.texts, self.language, self.zone = TEXTS[language], language, zone
        self.parts: list[str] = []

    def t(self, key: str, **fields: object) -> str:
        return self.texts[key].format(**fields)

    def add(self, key: str, **fields: object) -> None:
        self.parts.append(self.t(key, **fields))

    def date(self, moment: datetime | date) -> str:
        return format_date(moment, self.zone, self.language)

    def join(self, values: Iterable[str]) -> str:
        return self.t("list_sep").join(values)

    def items(self, count: int) -> str:
        return self.t("items_one" if count == 1 else "items", count=count)

    def counted(self, counts: dict[str, int]) -> str:
        return self.join(
            self.t("counted", what=self.t(f"cat.{c}"), items=self.items(n))
            for c, n in sorted(counts.items())
        )

    def field(self, label: str) -> str:
        """An item's field as the person reads it, and the system it is kept in, if any."""
        field_, place = split_item_label(label)
        name = field_label(field_, self.language)
        if place is None:
            return name
        return self.t("item.in_system", field=name, system=place[0], collection=place[1])

    def item(self, category: str, label: str, value: str | None = None) -> str:
        """One item on a line of its own: its category, its field and its value, if any."""
        what = self.t(f"cat.{category}")
        if value is None:
            line = self.t("item", category=what, field=self.field(label))
        else:
            line = self.t("item.value", category=what, field=self.field(label), value=value)
        return line[:1].upper() + line[1:]

    def lines(self, heading: str, lines: Iterable[str], **fields: object) -> None:
        self.parts.append(
            self.t(heading, **fields) + "\n" + "\n".join(f"- {line}" for line in lines)
        )


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
    w = _Writer(language, zone)
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
            _left_out(w, facts)
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
            _left_out(w, facts)
        case NoticeKind.OUTCOME:
            if facts.outcome is None:
                raise ValueError("an outcome notice needs the outcome")
            _outcome(w, facts)
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
    w: _Writer, label: str, request_id: str, commitment: Commitment | None, identity_confirmed: bool
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


def _outcome(w: _Writer, facts: NoticeFacts) -> None:
    outcome = facts.outcome
    if outcome in DISCLOSING or outcome is Outcome.NOTHING_TO_DISCLOSE:
        _disclosure(w, facts)
    elif outcome is Outcome.DISCLOSURE_REFUSED:
        w.add("refused", grounds=_grounds(w, facts.refusal_grounds))
    elif outcome is Outcome.CORRECTION_MADE:
        _correction(w, facts)
    elif outcome is Outcome.CORRECTION_DECLINED:
        w.add("correction.declined")
    elif outcome in (Outcome.USE_SUSPENDED, Outcome.ERASED, Outcome.ALTERNATIVE_MEASURES):
        _suspension(w, facts)
    elif outcome is Outcome.SUSPENSION_REFUSED:
        if facts.already_suspended:
            w.add("suspension.refused_already", items=w.items(facts.already_suspended))
        else:
            w.add("suspension.refused")
    elif outcome in (Outcome.PROVISION_STOPPED, Outcome.STOP_REFUSED, Outcome.NO_PROVISION_TO_STOP):
        _provision(w, facts)
    elif outcome is Outcome.IDENTITY_NOT_VERIFIED:
        w.add("closed.identity_not_verified")
    elif outcome is Outcome.FEE_UNPAID:
        w.add("closed.fee_unpaid")
        _left_out(w, facts)  # as the closing notice: what was decided stands, with its reason
        return
    if facts.reason and outcome not in DISCLOSING:
        w.add("reason", text=facts.reason)
    if facts.systems:
        w.lines("systems", (_system_line(w, *system) for system in facts.systems))


def _identity_check(request_kind: RequestKind, matched: bool) -> str:
    if not matched:
        return "identity.unmatched"
    # A suspension or a stop neither discloses nor changes: its own words say what it does.
    own = f"identity.matched.{request_kind.value}"
    return own if own in TEXTS[Language.EN] else "identity.matched"


def _system_line(w: _Writer, system: str, what: str, detail: str) -> str:
    if what in ("done", "owner", "owner_found"):
        count = int(detail)
        records = w.t("records_one" if count == 1 else "records", count=count)
        return w.t(f"system.{what}", system=system, records=records)
    if what == "kept":
        return w.t("system.kept", system=system, reasons=detail)
    if what == "waived":
        return w.t("system.waived", system=system, reason=detail)
    return w.t(f"system.{what}", system=system)


def _grounds(w: _Writer, grounds: Iterable[str]) -> str:
    return w.t("ground_sep").join(w.t(f"ground.{g}") for g in grounds)


def _disclosure(w: _Writer, facts: NoticeFacts) -> None:
    # The opening follows what the act recorded, not the label decided: data held can
    # change between the decision and the act, and the notice says what was done.
    if facts.disclosed_items:
        w.add(
            "disclosed.part"
            if facts.withheld
            else "disclosed.except"
            if facts.excluded
            else "disclosed.full"
        )
        # Article 6 items are delivered through the privacy center, never in the e-mail
        # (no value of them is written here): the notice says what is ready, and where.
        if facts.disclosure_link is None or facts.disclosure_link_expires_at is None:
            raise ValueError("a disclosure's outcome notice needs the link to its items")
        counts: dict[str, int] = {}
        for category, _field, _value, _paused in facts.disclosed_items:
            counts[category] = counts.get(category, 0) + 1
        w.add("disclosed.ready", what=w.counted(counts))
        w.add(
            "disclosed.link",
            url=facts.disclosure_link,
            date=w.date(facts.disclosure_link_expires_at),
        )
    elif facts.excluded and not facts.withheld:
        if not facts.legacy_exclusion:  # (which _left_out says as such)
            w.add("disclosed.only_excluded")
    elif not facts.withheld:
        w.add("disclosed.none_held")
    _left_out(w, facts)
    if facts.included:
        w.add("disclosed.included", what=w.join(w.t(f"cat.{c}") for c in facts.included))
        if facts.inclusion_reason:
            w.add("reason", text=facts.inclusion_reason)
    if facts.fee_paid and facts.invoice_id:
        w.add(
            "disclosed.fee_paid", amount=f"{facts.amount_yen or 0:,}", invoice_id=facts.invoice_id
        )
    elif facts.fee_waived_legacy and facts.disclosed_items:
        w.add("disclosed.fee_waived_legacy")


def _left_out(w: _Writer, facts: NoticeFacts) -> None:
    """What a disclosure leaves out, and under which clause: withheld on an Article 6 ¶1
    ground (with the reason), and under ¶2 what is held in a form that does not identify the
    person (a decision recorded before issue 24 left out history and characteristic
    information whole, and says so as such)."""
    if facts.withheld:
        w.add(
            "disclosed.withheld",
            what=w.counted(facts.withheld),
            grounds=_grounds(w, facts.refusal_grounds),
        )
        if facts.reason:
            w.add("reason", text=facts.reason)
    if facts.excluded:
        key = "disclosed.excluded_legacy" if facts.legacy_exclusion else "disclosed.excluded"
        w.add(key, what=w.counted(facts.excluded))


def _correction(w: _Writer, facts: NoticeFacts) -> None:
    made = {
        "correct": "correction.corrected",
        "add": "correction.added",
        "delete": "correction.deleted",
    }
    if facts.changes_made:
        w.lines(
            "correction.made",
            (
                w.t(made[action], field=w.field(field_), value=value)
                for field_, action, value in facts.changes_made
            ),
        )
    else:  # the data changed between the investigation and the act: say so, claim nothing
        w.add("correction.none_made")
    if facts.changes_not_made:
        w.lines(
            "correction.not_made",
            (
                w.t(f"correction.why.{why}", field=w.field(field_), action=w.t(f"action.{action}"))
                for field_, action, why in facts.changes_not_made
            ),
        )


def _suspension(w: _Writer, facts: NoticeFacts) -> None:
    breach = w.t("or_sep").join(w.t(f"breach.{b}") for b in facts.breaches)
    w.lines(
        "suspension.found",
        (w.item(c, f) for c, f in facts.acted_items),
        breach=breach,
    )
    if facts.outcome is Outcome.ALTERNATIVE_MEASURES:
        w.add("alternative", ground=w.t(f"alternative.{facts.alternative_ground}"))
        if facts.measure:
            w.add("alternative.measure", text=facts.measure)
        return
    erased = facts.outcome is Outcome.ERASED
    w.add("suspension.erased" if erased else "suspension.suspended")
    if facts.already_suspended:
        w.add("suspension.already", items=w.items(facts.already_suspended))
    if facts.items_left:  # nothing else held: no rest to speak of
        w.add(
            "suspension.rest_kept_erase" if erased else "suspension.rest_kept_suspend",
            items=w.items(facts.items_left),
            breach=breach,
        )


def _provision(w: _Writer, facts: NoticeFacts) -> None:
    if facts.stopped_partners:
        w.add("provision.stopped", partners=w.join(facts.stopped_partners))
    for partner, exception in facts.continued_partners:
        w.add("provision.continued", partner=partner, exception=w.t(f"exception.{exception}"))
    if facts.already_stopped:
        w.add("provision.already_stopped", partners=w.join(facts.already_stopped))
    if facts.consents_kept:
        w.add("provision.consent_kept", partners=w.join(facts.consents_kept))
    # Said of recipients on record only: text that matched none is told apart below.
    acted = facts.stopped_partners or facts.continued_partners or facts.already_stopped
    if not acted and (facts.not_third_parties or not facts.unknown_partners):
        w.add("provision.none")
    if facts.not_third_parties:
        relationships = w.join(
            dict.fromkeys(w.t(f"relationship.{r}") for _, r in facts.not_third_parties)
        )
        w.add(
            "provision.not_third_parties",
            relationships=relationships,
            partners=w.join(p for p, _ in facts.not_third_parties),
        )
    for partner, relationship, particulars in facts.particulars:
        w.add(f"provision.particulars.{relationship}", partner=partner, **dict(particulars))
    if facts.unknown_partners:
        # Quoted as entered: a company's name may hold commas of its own.
        quoted = (w.t("provision.quoted", text=text) for text in facts.unknown_partners)
        w.add("provision.unknown", partners=w.join(quoted))
