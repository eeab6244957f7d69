"""What an outcome notice says, request kind by request kind: the items disclosed and
what was left out (Article 6), the changes made and not made (Article 7), the items
suspended or erased and the rest (Article 8), the recipients stopped, continued or not
third parties (Article 5), and what each of the organisation's systems did.
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.decisions import DISCLOSING, Outcome
from domain.notice_measures import measure_taken, plain_withheld, withheld_parts
from domain.notice_writer import NoticeFacts, NoticeWriter


def write_outcome(w: NoticeWriter, facts: NoticeFacts) -> None:
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
        left_out(w, facts)  # as the closing notice: what was decided stands, with its reason
        return
    if facts.reason and outcome not in DISCLOSING:
        w.add("reason", text=facts.reason)
    if facts.systems:
        w.lines("systems", (_system_line(w, *system) for system in facts.systems))


def _system_line(w: NoticeWriter, system: str, what: str, detail: str) -> str:
    if what in ("done", "owner", "owner_found"):
        count = int(detail)
        records = w.t("records_one" if count == 1 else "records", count=count)
        return w.t(f"system.{what}", system=system, records=records)
    if what == "kept":
        return w.t("system.kept", system=system, reasons=detail)
    if what == "waived":
        return w.t("system.waived", system=system, reason=detail)
    return w.t(f"system.{what}", system=system)


def _grounds(w: NoticeWriter, grounds: Iterable[str]) -> str:
    return w.t("ground_sep").join(w.t(f"ground.{g}") for g in grounds)


def _disclosure(w: NoticeWriter, facts: NoticeFacts) -> None:
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
    left_out(w, facts)
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


def left_out(w: NoticeWriter, facts: NoticeFacts) -> None:
    """What a disclosure leaves out, and under which clause: withheld on an Article 6 ¶1
    ground (with the reason), and under ¶2 what is held in a form that does not identify the
    person (a decision recorded before issue 24 left out history and characteristic
    information whole, and says so as such)."""
    if facts.withheld:
        plain = plain_withheld(facts)
        if plain:
            w.add(
                "disclosed.withheld",
                what=w.counted(plain),
                grounds=_grounds(w, facts.refusal_grounds),
            )
        withheld_parts(w, facts)
        if facts.reason:
            w.add("reason", text=facts.reason)
    if facts.excluded:
        key = "disclosed.excluded_legacy" if facts.legacy_exclusion else "disclosed.excluded"
        w.add(key, what=w.counted(facts.excluded))


def _correction(w: NoticeWriter, facts: NoticeFacts) -> None:
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


def _suspension(w: NoticeWriter, facts: NoticeFacts) -> None:
    breach = w.t("or_sep").join(w.t(f"breach.{b}") for b in facts.breaches)
    w.lines(
        "suspension.found",
        (w.item(c, f) for c, f in facts.acted_items),
        breach=breach,
    )
    if facts.outcome is Outcome.ALTERNATIVE_MEASURES:
        w.add("alternative", ground=w.t(f"alternative.{facts.alternative_ground}"))
        measure_taken(w, facts)
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


def _provision(w: NoticeWriter, facts: NoticeFacts) -> None:
    if facts.stopped_partners:
        w.add("provision.stopped", partners=w.recipients(facts.stopped_partners))
    for partner, exception in facts.continued_partners:
        w.add(
            "provision.continued",
            partner=w.recipient(partner),
            exception=w.t(f"exception.{exception}"),
        )
    if facts.already_stopped:
        w.add("provision.already_stopped", partners=w.recipients(facts.already_stopped))
    if facts.consents_kept:
        w.add("provision.consent_kept", partners=w.recipients(facts.consents_kept))
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
            partners=w.recipients(p for p, _ in facts.not_third_parties),
        )
    for partner, relationship, particulars in facts.particulars:
        w.add(
            f"provision.particulars.{relationship}",
            partner=w.recipient(partner),
            **dict(particulars),
        )
    if facts.unknown_partners:
        # Quoted as entered: a company's name may hold commas of its own.
        quoted = (w.t("provision.quoted", text=text) for text in facts.unknown_partners)
        w.add("provision.unknown", partners=w.join(quoted))
