"""Every notice the service can send, rendered with facts like a real request's: each
notice kind, each outcome (and the variants a notice words differently), each step an
extension can name, in a language of choice, and Article 4's notice of a changed purpose.
For tests that read all of them, and for reading them yourself:
`python -m tests.support.notices ja`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from domain.deadlines import DeadlinePolicy, Step
from domain.decisions import OUTCOMES_BY_KIND, Outcome
from domain.field_vocabulary import split_item_label
from domain.notice_texts import TEXTS
from domain.notices import NoticeFacts, NoticeKind, RenderedNotice, render_notice
from domain.payments import PaymentMethod
from domain.purpose_notice import PurposeTexts, notice_of_change
from domain.requests import Language, RequestKind

TOKYO = ZoneInfo("Asia/Tokyo")
DUE = datetime(2026, 12, 9, 20, 41, tzinfo=UTC)
NAMES = {Language.EN: "Hanako Yamada", Language.JA: "山田花子"}
REQUEST_ID = "req-7"
# Items as the store names them: the service's own records, a field kept in one of the
# organisation's systems, and one no vocabulary knows (shown by its id).
DISCLOSED = (
    ("identity", "name", "Hanako Yamada", False),
    ("identity", "date_of_birth", "1988-04-12", False),
    ("identity", "drivers_license", "301234567890", False),
    ("contact", "phone (customer-db: customers)", "+81 90-1234-5678", False),
    ("transaction", "loyalty_tier", "gold", True),
)
SYSTEMS = (
    ("customer-db", "done", "3"),
    ("crm", "done", "1"),
    ("analytics", "nothing", ""),
    ("billing", "kept", "Bills are kept for 7 years under the Corporation Tax Act."),
    ("support-desk", "waived", "The ticket was already deleted by its owner."),
    ("archive", "not_reached", ""),
    ("paper-files", "owner", "2"),
    ("call-centre", "owner_found", "1"),
)
# Recipients as the store names them (store/notice_facts.py): the name the disclosure gives
# each, with its id.
AD_NETWORK = "Ad Network Inc. (ad-network-1)"
DATA_BROKER = "Data Broker K.K. (data-broker-2)"
MAIL_PRINTER = "Mail Printer Co. (mail-printer)"
GROUP_COMPANY = "Sesenergy Group (group-company)"
TAX_OFFICE = "Tokyo Regional Taxation Bureau (tax-office)"
# A disclosure's items are delivered in the privacy center; its notice links there.
LINK = {
    "disclosure_link": "https://privacy.example.jp/disclosure/tok",
    "disclosure_link_expires_at": DUE,
}
_OUTCOME_FACTS: dict[Outcome, NoticeFacts] = {
    Outcome.DISCLOSED_IN_FULL: NoticeFacts(
        disclosed_items=DISCLOSED, invoice_id="inv-7", amount_yen=1000, fee_paid=True, **LINK
    ),
    Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING: NoticeFacts(
        disclosed_items=DISCLOSED,
        excluded={"history": 2},
        invoice_id="inv-7",
        amount_yen=1000,
        fee_paid=True,
        **LINK,
    ),
    Outcome.NOTHING_TO_DISCLOSE: NoticeFacts(),
    Outcome.DISCLOSED_EXCEPT_HISTORY_AND_CHARACTERISTIC: NoticeFacts(
        disclosed_items=DISCLOSED,
        **LINK,
        excluded={"history": 2},
        included=("characteristic",),
        inclusion_reason="You asked for your interest segments in particular.",
        invoice_id="inv-7",
        amount_yen=1000,
        fee_paid=True,
    ),
    Outcome.DISCLOSED_IN_PART: NoticeFacts(
        disclosed_items=DISCLOSED,
        withheld={"financial": 1},
        refusal_grounds=("significant_hindrance_to_business",),
        reason="A fraud investigation about this account is under way.",
        invoice_id="inv-7",
        amount_yen=1000,
        fee_paid=True,
        **LINK,
    ),
    Outcome.DISCLOSURE_REFUSED: NoticeFacts(
        refusal_grounds=("risk_to_life_body_property_or_rights", "violation_of_other_laws"),
        reason="A court order forbids disclosure while the case is pending.",
    ),
    Outcome.CORRECTION_MADE: NoticeFacts(
        changes_made=(
            ("phone", "correct", "03-5555-0000"),
            ("nickname", "add", "Hana"),
            ("loyalty_tier", "delete", None),
        ),
        changes_not_made=(
            ("fax", "delete", "not_held"),
            ("email", "add", "already_held"),
            ("address", "correct", "already_this_value"),
            ("date_of_birth", "correct", "declined"),
        ),
        reason="The date of birth matches the document you sent at registration.",
    ),
    Outcome.CORRECTION_DECLINED: NoticeFacts(
        reason="The name is as shown on the identity document you sent."
    ),
    Outcome.USE_SUSPENDED: NoticeFacts(
        breaches=("used_beyond_purpose", "obtained_wrongfully"),
        acted_items=(("history", "browsing_history"), ("history", "page (analytics: web)")),
        items_left=1,
        already_suspended=1,
        systems=SYSTEMS,
    ),
    Outcome.ERASED: NoticeFacts(
        breaches=("obtained_wrongfully",),
        acted_items=(("characteristic", "social_profile"),),
        items_left=5,
        systems=SYSTEMS,
    ),
    Outcome.ALTERNATIVE_MEASURES: NoticeFacts(
        breaches=("used_beyond_purpose",),
        acted_items=(("history", "login_history"),),
        alternative_ground="large_expense",
        measure="The items are masked in every report and no longer sent to any partner.",
        alternative_measure="restrict_access",
        measure_confirmed_by="it-owner",
        measure_confirmed_at=datetime(2026, 12, 9, 20, 41, tzinfo=UTC),
        reason="Erasing them would require rebuilding the archive.",
    ),
    Outcome.SUSPENSION_REFUSED: NoticeFacts(
        reason="Every item is used for a purpose of Article 3 and was given at registration."
    ),
    Outcome.PROVISION_STOPPED: NoticeFacts(
        stopped_partners=(AD_NETWORK,),
        already_stopped=(DATA_BROKER,),
        not_third_parties=((MAIL_PRINTER, "entrustment"), (GROUP_COMPANY, "joint_use")),
        unknown_partners=("Example Data Inc.",),
    ),
    Outcome.STOP_REFUSED: NoticeFacts(
        continued_partners=((TAX_OFFICE, "cooperation_with_authorities"),),
        reason="The tax office asked for these records under the National Tax Act.",
    ),
    Outcome.NO_PROVISION_TO_STOP: NoticeFacts(unknown_partners=("foo", "Example Data, Inc.")),
    Outcome.IDENTITY_NOT_VERIFIED: NoticeFacts(),
    Outcome.FEE_UNPAID: NoticeFacts(
        withheld={"financial": 1},
        refusal_grounds=("significant_hindrance_to_business",),
        reason="A fraud investigation about this account is under way.",
        excluded={"history": 2},
    ),
}
# Outcomes a notice words differently with other facts.
_VARIANTS: dict[str, tuple[Outcome, NoticeFacts]] = {
    "nothing_to_disclose, only what does not identify held": (
        Outcome.NOTHING_TO_DISCLOSE,
        NoticeFacts(excluded={"history": 1}),
    ),
    "correction_made, none made": (
        Outcome.CORRECTION_MADE,
        NoticeFacts(changes_not_made=(("phone", "correct", "already_this_value"),)),
    ),
    "use_suspended, 1 item": (
        Outcome.USE_SUSPENDED,
        NoticeFacts(breaches=("used_beyond_purpose",), acted_items=(("contact", "email"),)),
    ),
    "suspension_refused, already suspended": (
        Outcome.SUSPENSION_REFUSED,
        NoticeFacts(already_suspended=1, reason="Nothing else is used beyond purpose."),
    ),
    "disclosed_except_history_and_characteristic, both left out": (
        Outcome.DISCLOSED_EXCEPT_HISTORY_AND_CHARACTERISTIC,
        NoticeFacts(
            disclosed_items=DISCLOSED,
            excluded={"history": 2, "characteristic": 1},
            invoice_id="inv-7",
            amount_yen=1000,
            fee_paid=True,
            **LINK,
        ),
    ),
    # Art 5 ¶2: provision to a joint user and an entrustee continues, on its particulars;
    # a stop confirmed only by the typed address keeps the consent on record (N13).
    "provision_stopped, particulars and consent kept": (
        Outcome.PROVISION_STOPPED,
        NoticeFacts(
            stopped_partners=(AD_NETWORK,),
            consents_kept=(AD_NETWORK,),
            not_third_parties=((MAIL_PRINTER, "entrustment"), (GROUP_COMPANY, "joint_use")),
            particulars=(
                (
                    MAIL_PRINTER,
                    "entrustment",
                    (("handling", "printing and mailing"), ("purpose", "billing")),
                ),
                (
                    GROUP_COMPANY,
                    "joint_use",
                    (
                        ("items", "name, e-mail address"),
                        ("scope_of_joint_users", "Sesenergy group companies"),
                        ("purpose", "customer support"),
                        ("person_responsible", "Sesenergy"),
                    ),
                ),
            ),
        ),
    ),
    "no_provision_to_stop, no recipient named": (Outcome.NO_PROVISION_TO_STOP, NoticeFacts()),
}
# How the fee is paid, as the organisation may configure it (domain/payments.py).
PAYMENTS: dict[str, PaymentMethod] = {
    "bank and page": PaymentMethod(
        bank_transfer_en="Mizuho Bank, Shibuya Branch, ordinary account 1234567, Sesenergy",
        bank_transfer_ja="みずほ銀行 渋谷支店 普通 1234567 セセナジー",
        url="https://pay.example.jp/{invoice_id}",
    ),
    "page only": PaymentMethod(url="https://pay.example.jp/{invoice_id}"),
    "bank only": PaymentMethod(
        bank_transfer_en="Mizuho Bank, Shibuya Branch, ordinary account 1234567, Sesenergy",
        bank_transfer_ja="みずほ銀行 渋谷支店 普通 1234567 セセナジー",
    ),
}
# Article 4 ¶2: a purpose of use changed within what is related to it (domain/purposes.py).
PURPOSE_BEFORE = PurposeTexts(
    en="To send information about our services",
    ja="当組織のサービスに関するご案内をお送りするため",
)
PURPOSE_AFTER = PurposeTexts(
    en="To send information about our services and those of our group companies",
    ja="当組織および当組織のグループ会社のサービスに関するご案内をお送りするため",
)


def _fields_named() -> frozenset[str]:
    every = [*_OUTCOME_FACTS.values(), *(facts for _, facts in _VARIANTS.values())]
    labels = [
        *(item[1] for facts in every for item in facts.disclosed_items),
        *(item[1] for facts in every for item in facts.acted_items),
        *(change[0] for facts in every for change in facts.changes_made),
        *(change[0] for facts in every for change in facts.changes_not_made),
    ]
    return frozenset(split_item_label(label)[0] for label in labels)


FIELDS_NAMED = _fields_named()
"""Every field id the sample facts name, known to the vocabulary or not."""


def kind_of(outcome: Outcome) -> RequestKind:
    return next(
        (kind for kind, outcomes in OUTCOMES_BY_KIND.items() if outcome in outcomes),
        RequestKind.DISCLOSURE,  # closed before a decision: a disclosure's words
    )


def _render(
    notice: NoticeKind,
    kind: RequestKind,
    language: Language,
    facts: NoticeFacts,
    answer: str | None = None,
    payment: PaymentMethod | None = None,
) -> RenderedNotice:
    return render_notice(
        notice,
        request_kind=kind,
        request_id=REQUEST_ID,
        requester_name=NAMES[language],
        language=language,
        zone=TOKYO,
        answer_text=answer,
        facts=facts,
        payment=payment,
    )


def every_notice(language: Language) -> Iterator[tuple[str, RenderedNotice]]:
    """(what it is, the notice) for every notice kind, outcome and variant."""
    policy = DeadlinePolicy()
    for kind in RequestKind:
        inquiry, disclosure = kind is RequestKind.INQUIRY, kind is RequestKind.DISCLOSURE
        for confirmed in (False, True):
            facts = NoticeFacts(
                commitment=policy.commitment(inquiry, disclosure, DUE),
                identity_confirmed=confirmed,
            )
            yield (
                f"receipt {kind.value} confirmed={confirmed}",
                _render(NoticeKind.RECEIPT, kind, language, facts),
            )
        for step in Step:
            facts = NoticeFacts(due_at=DUE, extended_step=step.value, reason="Staff shortage.")
            yield (
                f"deadline_extended {kind.value} {step.value}",
                _render(NoticeKind.DEADLINE_EXTENDED, kind, language, facts),
            )
        if not inquiry:
            for matched in (False, True):
                facts = NoticeFacts(due_at=DUE, registration_matched=matched)
                yield (
                    f"identity_proof_requested {kind.value} matched={matched}",
                    _render(NoticeKind.IDENTITY_PROOF_REQUESTED, kind, language, facts),
                )
    answer = "当組織は、ご購入の記録を7年間保管しています。"
    if language is Language.EN:
        answer = "We keep the records of your purchases for 7 years."
    yield "answer", _render(NoticeKind.ANSWER, RequestKind.INQUIRY, language, NoticeFacts(), answer)
    # To a guest of the CONTACT form, or an address not on record (N8): a general answer,
    # which says so, as store/outbox.py appends it (domain/guests.py answer_is_general).
    general = answer + "\n\n" + TEXTS[language]["answer.unverified"].format(request_id=REQUEST_ID)
    yield (
        "answer, general (guest or address not on record)",
        _render(NoticeKind.ANSWER, RequestKind.INQUIRY, language, NoticeFacts(), general),
    )
    fee = NoticeFacts(
        invoice_id="inv-7",
        amount_yen=1000,
        due_at=DUE,
        to_disclose={"identity": 3, "contact": 1},
        withheld={"financial": 1},
        excluded={"history": 2},
        refusal_grounds=("significant_hindrance_to_business",),
        reason="A fraud investigation about this account is under way.",
    )
    yield "fee_request", _render(NoticeKind.FEE_REQUEST, RequestKind.DISCLOSURE, language, fee)
    for how, payment in PAYMENTS.items():
        yield (
            f"fee_request, {how}",
            _render(NoticeKind.FEE_REQUEST, RequestKind.DISCLOSURE, language, fee, None, payment),
        )
    closings = {
        NoticeKind.CLOSED_IDENTITY_NOT_VERIFIED: Outcome.IDENTITY_NOT_VERIFIED,
        NoticeKind.CLOSED_FEE_UNPAID: Outcome.FEE_UNPAID,
    }
    for notice, closed in closings.items():
        facts = replace(_OUTCOME_FACTS[closed], outcome=closed)
        yield notice.value, _render(notice, RequestKind.DISCLOSURE, language, facts)
    # Paid after the window (N7): closed, and the fee refunded.
    late = NoticeFacts(
        outcome=Outcome.FEE_UNPAID, invoice_id="inv-7", paid_late_on=datetime(2026, 12, 11).date()
    )
    yield (
        f"{NoticeKind.CLOSED_FEE_UNPAID.value}, paid late",
        _render(NoticeKind.CLOSED_FEE_UNPAID, RequestKind.DISCLOSURE, language, late),
    )
    for outcome in Outcome:
        if outcome is Outcome.ANSWERED:
            continue  # an answer is its own notice (above)
        # An outcome added later still renders, with every fact a notice can state.
        facts = replace(_OUTCOME_FACTS.get(outcome, _ALL_FACTS), outcome=outcome)
        yield (
            f"outcome {outcome.value}",
            _render(NoticeKind.OUTCOME, kind_of(outcome), language, facts),
        )
    for name, (outcome, facts) in _VARIANTS.items():
        yield (
            f"outcome {name}",
            _render(
                NoticeKind.OUTCOME, kind_of(outcome), language, replace(facts, outcome=outcome)
            ),
        )


_ALL_FACTS = NoticeFacts(
    **{
        key: value
        for facts in _OUTCOME_FACTS.values()
        for key, value in vars(facts).items()
        if value not in ((), {}, None, 0, False)
    }
)


def purpose_change_notice(language: Language) -> RenderedNotice:
    """Article 4 ¶2's notice of a changed purpose (its own letter: no request, no
    reference)."""
    return notice_of_change(PURPOSE_BEFORE, PURPOSE_AFTER, language, NAMES[language])


def main() -> None:
    language = Language(sys.argv[1] if len(sys.argv) > 1 else "en")
    notices = [*every_notice(language), ("purpose_change", purpose_change_notice(language))]
    for name, notice in notices:
        print(f"===== {name}\nSubject: {notice.subject}\n\n{notice.body}\n")


if __name__ == "__main__":
    main()
