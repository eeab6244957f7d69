"""The operators' acts on the command line (`dsr verify-identity`, `record-payment`,
`decide`, `approve-measure`, `extend`): their options, and each act sent through
service/acts.py as the signed-in account."""

from __future__ import annotations

import argparse
from datetime import date, datetime
from typing import Any

from domain.deadlines import Step
from domain.decisions import AlternativeMeasure, AlternativeMeasureGround, Outcome, RefusalGround
from domain.messages import IdentityMethod
from domain.requests import DataCategory
from service import acts, system_acts

# Each act is done as the signed-in account (`u`), never as a name typed on the command line.
OPERATOR_ACTS = {
    "verify-identity": lambda a, u, c, p, _t: acts.verify_identity(
        a.request_id, a.method, u, client=c, pool=p, act_id=a.act_id
    ),
    "record-payment": lambda a, u, c, p, _t: acts.record_payment(
        a.request_id,
        a.invoice_id,
        a.amount_yen,
        a.reference,
        u,
        client=c,
        pool=p,
        act_id=a.act_id,
        paid_on=a.paid_on,
    ),
    "decide": lambda a, u, c, p, texts: acts.decide(
        a.request_id,
        a.outcome,
        u,
        client=c,
        pool=p,
        reason=texts.get("reason"),
        measure=texts.get("measure"),
        inclusion=texts.get("include_reason"),
        refusal_grounds=tuple(a.ground),
        alternative_ground=a.alternative_ground,
        withheld_categories=tuple(a.withhold),
        included_categories=tuple(a.include),
        continued_partners=tuple(a.continue_partner),
        declined_changes=tuple(n - 1 for n in a.decline_change),
        act_id=a.act_id,
        withheld_parts=tuple(a.withhold_part),
        alternative_measure=a.measure_kind,
        measure_confirmer=a.confirmed_by,
    ),
    "approve-measure": lambda a, u, c, p, _t: acts.approve_measure(
        a.request_id, u, client=c, pool=p, act_id=a.act_id
    ),
    "waive-system": lambda a, u, c, p, texts: system_acts.waive_system(
        a.request_id, a.system, texts.get("reason", ""), u, client=c, pool=p, act_id=a.act_id
    ),
    "confirm-system": lambda a, u, c, p, texts: system_acts.confirm_system(
        a.request_id,
        a.system,
        a.step,
        a.rows,
        u,
        client=c,
        pool=p,
        note=texts.get("note"),
        act_id=a.act_id,
    ),
    "extend": lambda a, u, c, p, texts: acts.extend_deadline(
        a.request_id, a.step, a.until, texts.get("reason", ""), u, client=c, pool=p, act_id=a.act_id
    ),
}


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give the time zone, e.g. 2026-12-24T17:00+09:00")
    return moment


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date, YYYY-MM-DD: {text[:40]!r}") from None


def add_parsers(commands: Any) -> None:
    def act(name: str, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help)
        sub.add_argument("request_id")
        sub.add_argument("--act-id", help=ACT_ID_HELP)
        return sub

    sub = act("verify-identity", "record that the requester's identity is verified")
    sub.add_argument(
        "--method",
        required=True,
        choices=[m.value for m in IdentityMethod if m.value != "registration_match"],
    )
    sub = act("record-payment", "record payment of the disclosure fee")
    sub.add_argument("--invoice", dest="invoice_id", required=True)
    sub.add_argument("--amount", dest="amount_yen", type=int, required=True, help="in yen")
    sub.add_argument("--reference", required=True, help="the payment's reference")
    sub.add_argument(
        "--paid-on",
        type=_day,
        default=None,
        help="the payment's value date, YYYY-MM-DD (default: today); a payment made by the "
        "window's last day is accepted during its grace, one made later is refunded",
    )
    sub = act("decide", "settle the decision on a request")
    sub.add_argument(
        "--outcome",
        required=True,
        choices=[o.value for o in Outcome if o.value not in _NOT_DECIDED],
    )
    sub.add_argument(
        "--ground",
        action="append",
        default=[],
        choices=[g.value for g in RefusalGround],
        help="Article 6 ground",
    )
    sub.add_argument(
        "--withhold",
        action="append",
        default=[],
        choices=[c.value for c in DataCategory],
        help="withheld category",
    )
    sub.add_argument(
        "--withhold-part",
        action="append",
        default=[],
        metavar="PART=GROUND",
        help="withhold one part on its own Article 6 ground: a category, or one item by the "
        "id `dsr review` shows (#ID), e.g. 42=violation_of_other_laws",
    )
    sub.add_argument(
        "--include",
        action="append",
        default=[],
        choices=[c.value for c in DataCategory],
        help="disclose this category's items held in a form that does not identify the "
        "person after all (Art 6 ¶2's 'in principle')",
    )
    sub.add_argument(
        "--include-reason-file",
        metavar="FILE",
        help="why what does not identify the person is disclosed",
    )
    sub.add_argument(
        "--continue",
        dest="continue_partner",
        action="append",
        default=[],
        metavar="PARTNER",
        help="a third party whose provision continues on its recorded Art 5 exception",
    )
    sub.add_argument(
        "--decline-change",
        action="append",
        default=[],
        type=int,
        metavar="N",
        help="a requested change (numbered as `dsr review` shows them) judged "
        "not necessary; needs --reason-file",
    )
    sub.add_argument("--alternative-ground", choices=[g.value for g in AlternativeMeasureGround])
    sub.add_argument("--reason-file", metavar="FILE", help="the reason told to the person")
    sub.add_argument("--measure-file", metavar="FILE", help="the alternative measure")
    sub.add_argument(
        "--measure-kind",
        choices=[m.value for m in AlternativeMeasure],
        help="which alternative measure (Art 8 ¶4): the service applies "
        "stop_provision_to_third_parties itself; the others are confirmed by --confirmed-by",
    )
    sub.add_argument(
        "--confirmed-by",
        metavar="ACCOUNT",
        help="for a measure taken outside the service: the account responsible for taking "
        "it (role system_owner), who confirms it was taken "
        "(`dsr confirm-system REQUEST --system MEASURE --step measure --rows N`)",
    )
    act("approve-measure", "approve an alternative measure (a second operator)")
    sub = act("extend", "extend the current step's deadline")
    sub.add_argument("--step", required=True, choices=[s.value for s in Step])
    sub.add_argument("--until", required=True, type=_moment, help="new due time, ISO 8601")
    sub.add_argument("--reason-file", metavar="FILE", required=True)
    sub = act(
        "waive-system",
        "record why a system of the data map cannot do its part (approver); the notice says so",
    )
    sub.add_argument("--system", required=True, help="the system's name in the data map")
    sub.add_argument("--reason-file", metavar="FILE", required=True)
    sub = act(
        "confirm-system",
        "as a manual system's owner: confirm what was found there or done there; as the "
        "account responsible for an alternative measure: confirm it was taken (--step measure)",
    )
    sub.add_argument(
        "--system",
        required=True,
        help="the system's name in the data map; with --step measure, the measure's kind",
    )
    sub.add_argument("--step", required=True, choices=("collect", "act", "measure"))
    sub.add_argument("--rows", required=True, type=int, help="rows found, or changed")
    sub.add_argument("--note-file", metavar="FILE", help="what was found or done")


ACT_ID_HELP = (
    "this act's id (default: derived from what you send, so the same command sent "
    "again is the same act and returns its first result)"
)
_NOT_DECIDED = {
    Outcome.ANSWERED.value,
    Outcome.IDENTITY_NOT_VERIFIED.value,
    Outcome.FEE_UNPAID.value,
}
