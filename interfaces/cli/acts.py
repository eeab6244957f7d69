"""The operators' acts on the command line: `dsr verify-identity`, `record-payment`,
`decide`, `approve-measure`, `extend`, `waive-system`, `confirm-system`, and on closed
requests `reissue-disclosure-link` and `record-refund`.

Each builds the API's own body (interfaces/api/models.py), whose field descriptions are
the options' help, and posts it; the API signs the act as the token's account, never as
a name typed here. The reply says where the request stands."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

import typer

from domain.deadlines import Step
from domain.decisions import AlternativeMeasure, AlternativeMeasureGround, Outcome, RefusalGround
from domain.messages import IdentityMethod
from domain.requests import DataCategory
from interfaces.api.models import (
    ApproveMeasureBody,
    ConfirmSystemBody,
    DecideBody,
    ExtendBody,
    RecordPaymentBody,
    RecordRefundBody,
    VerifyIdentityBody,
    WaiveSystemBody,
)
from interfaces.cli.client import Api
from interfaces.cli.options import RequestIdArg, about, build, output, read_text, run
from interfaces.cli.output import emit
from interfaces.cli.requests import ActIdOption, act, where_it_stands, whoami


def _file(model: type[Any], field: str) -> str:
    return f"{about(model, field)} A file; - for standard input."


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"not a date, YYYY-MM-DD: {text[:40]!r}") from None


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"not an ISO 8601 time: {text[:40]!r}") from None
    if moment.tzinfo is None:
        raise typer.BadParameter("give the time zone, e.g. 2026-12-24T17:00+09:00")
    return moment


def _send(name: str, request_id: str, body: Any) -> None:
    reply, account = run(lambda api: act(api, request_id, name, body.model_dump(mode="json")))
    emit(
        output(),
        reply,
        f"{name} recorded for {request_id} by {account}; {where_it_stands(reply)}",
    )


def verify_identity(
    request_id: RequestIdArg,
    method: Annotated[IdentityMethod, typer.Option(help=about(VerifyIdentityBody, "method"))],
    act_id: ActIdOption = None,
) -> None:
    """Record that the requester's identity is verified (role: operator)."""
    _send("verify-identity", request_id, build(VerifyIdentityBody, method=method, act_id=act_id))


def record_payment(
    request_id: RequestIdArg,
    invoice: Annotated[str, typer.Option(help=about(RecordPaymentBody, "invoice_id"))],
    amount: Annotated[int, typer.Option(help=about(RecordPaymentBody, "amount_yen"))],
    reference: Annotated[str, typer.Option(help=about(RecordPaymentBody, "reference"))],
    paid_on: Annotated[
        date | None,
        typer.Option(
            metavar="DATE",
            parser=_day,
            help=about(RecordPaymentBody, "paid_on"),
            show_default=False,
        ),
    ] = None,
    act_id: ActIdOption = None,
) -> None:
    """Record the payment of a disclosure's fee (role: cashier)."""
    body = build(
        RecordPaymentBody,
        invoice_id=invoice,
        amount_yen=amount,
        reference=reference,
        paid_on=paid_on,
        act_id=act_id,
    )
    _send("record-payment", request_id, body)


Many = typer.Option  # a repeatable option: give it once per value


def decide(
    request_id: RequestIdArg,
    outcome: Annotated[Outcome, typer.Option(help=about(DecideBody, "outcome"))],
    ground: Annotated[
        list[RefusalGround] | None, Many(help=about(DecideBody, "refusal_grounds"))
    ] = None,
    withhold: Annotated[
        list[DataCategory] | None, Many(help=about(DecideBody, "withheld_categories"))
    ] = None,
    withhold_part: Annotated[
        list[str] | None,
        Many(metavar="PART=GROUND", help=about(DecideBody, "withheld_parts")),
    ] = None,
    include: Annotated[
        list[DataCategory] | None, Many(help=about(DecideBody, "included_categories"))
    ] = None,
    include_reason_file: Annotated[
        str | None, typer.Option(metavar="FILE", help=_file(DecideBody, "inclusion"))
    ] = None,
    continue_partner: Annotated[
        list[str] | None,
        Many("--continue", metavar="PARTNER", help=about(DecideBody, "continued_partners")),
    ] = None,
    decline_change: Annotated[
        list[int] | None,
        Many(metavar="N", min=1, help=about(DecideBody, "declined_changes")),
    ] = None,
    alternative_ground: Annotated[
        AlternativeMeasureGround | None,
        typer.Option(help=about(DecideBody, "alternative_ground")),
    ] = None,
    reason_file: Annotated[
        str | None, typer.Option(metavar="FILE", help=_file(DecideBody, "reason"))
    ] = None,
    measure_file: Annotated[
        str | None, typer.Option(metavar="FILE", help=_file(DecideBody, "measure"))
    ] = None,
    measure_kind: Annotated[
        AlternativeMeasure | None, typer.Option(help=about(DecideBody, "alternative_measure"))
    ] = None,
    confirmed_by: Annotated[
        str | None,
        typer.Option(metavar="ACCOUNT", help=about(DecideBody, "measure_confirmer")),
    ] = None,
    act_id: ActIdOption = None,
) -> None:
    """Settle the decision on a request (role: operator)."""
    body = build(
        DecideBody,
        outcome=outcome,
        refusal_grounds=ground or [],
        withheld_categories=withhold or [],
        withheld_parts=withhold_part or [],
        included_categories=include or [],
        inclusion=read_text(include_reason_file) if include_reason_file else None,
        continued_partners=continue_partner or [],
        declined_changes=[n - 1 for n in decline_change or []],
        alternative_ground=alternative_ground,
        reason=read_text(reason_file) if reason_file else None,
        measure=read_text(measure_file) if measure_file else None,
        alternative_measure=measure_kind,
        measure_confirmer=confirmed_by,
        act_id=act_id,
    )
    _send("decide", request_id, body)


def approve_measure(request_id: RequestIdArg, act_id: ActIdOption = None) -> None:
    """Approve an alternative measure another account proposed (role: approver)."""
    _send("approve-measure", request_id, build(ApproveMeasureBody, act_id=act_id))


def extend(
    request_id: RequestIdArg,
    step: Annotated[Step, typer.Option(help=about(ExtendBody, "step"))],
    until: Annotated[
        datetime, typer.Option(metavar="TIME", parser=_moment, help=about(ExtendBody, "until"))
    ],
    reason_file: Annotated[str, typer.Option(metavar="FILE", help=_file(ExtendBody, "reason"))],
    act_id: ActIdOption = None,
) -> None:
    """Extend the current step's deadline (role: approver)."""
    body = build(ExtendBody, step=step, until=until, reason=read_text(reason_file), act_id=act_id)
    _send("extend", request_id, body)


def waive_system(
    request_id: RequestIdArg,
    system: Annotated[str, typer.Option(help=about(WaiveSystemBody, "system"))],
    reason_file: Annotated[
        str, typer.Option(metavar="FILE", help=_file(WaiveSystemBody, "reason"))
    ],
    act_id: ActIdOption = None,
) -> None:
    """Record why a system of the data map cannot do its part; the notice says so
    (role: approver)."""
    body = build(WaiveSystemBody, system=system, reason=read_text(reason_file), act_id=act_id)
    _send("waive-system", request_id, body)


def confirm_system(
    request_id: RequestIdArg,
    system: Annotated[str, typer.Option(help=about(ConfirmSystemBody, "system"))],
    step: Annotated[
        Literal["collect", "act", "measure"], typer.Option(help=about(ConfirmSystemBody, "step"))
    ],
    rows: Annotated[int, typer.Option(help=about(ConfirmSystemBody, "rows"))],
    note_file: Annotated[
        str | None, typer.Option(metavar="FILE", help=_file(ConfirmSystemBody, "note"))
    ] = None,
    act_id: ActIdOption = None,
) -> None:
    """As a manual system's owner: confirm what was found or done there; as the account
    responsible for an alternative measure: confirm it was taken, --step measure
    (role: system_owner)."""
    body = build(
        ConfirmSystemBody,
        system=system,
        step=step,
        rows=rows,
        note=read_text(note_file) if note_file else None,
        act_id=act_id,
    )
    _send("confirm-system", request_id, body)


def reissue_disclosure_link(request_id: RequestIdArg) -> None:
    """Issue a closed disclosure's link again (the old one stops opening) and e-mail it to
    the person, with the day it can be used until (role: operator)."""

    async def reissue(api: Api) -> tuple[Any, str]:
        account = await whoami(api)
        return await api.post(f"/requests/{request_id}/disclosure-link"), account

    reply, account = run(reissue)
    emit(output(), reply, f"{reply['message']}; by {account}")


def record_refund(
    request_id: RequestIdArg,
    invoice: Annotated[str, typer.Option(help=about(RecordRefundBody, "invoice_id"))],
    paid_on: Annotated[
        date, typer.Option(metavar="DATE", parser=_day, help=about(RecordRefundBody, "paid_on"))
    ],
    reference: Annotated[str, typer.Option(help=about(RecordRefundBody, "reference"))],
) -> None:
    """Record that the refund of a fee paid after the payment window was paid (the invoice
    becomes refunded), and tell the person (role: cashier)."""
    body = build(RecordRefundBody, invoice_id=invoice, paid_on=paid_on, reference=reference)

    async def refund(api: Api) -> tuple[Any, str]:
        account = await whoami(api)
        sent = await api.post(f"/requests/{request_id}/refund", body.model_dump(mode="json"))
        return sent, account

    reply, account = run(refund)
    emit(output(), reply, f"{reply['message']}; by {account}")


def register(app: typer.Typer) -> None:
    app.command("verify-identity")(verify_identity)
    app.command("record-payment")(record_payment)
    app.command("decide")(decide)
    app.command("approve-measure")(approve_measure)
    app.command("extend")(extend)
    app.command("waive-system")(waive_system)
    app.command("confirm-system")(confirm_system)
    app.command("reissue-disclosure-link")(reissue_disclosure_link)
    app.command("record-refund")(record_refund)
