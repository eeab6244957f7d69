"""`dsr record-refund REQUEST_ID --invoice ID --paid-on DATE --reference TEXT`: the cashier
records that a fee paid after the payment window was refunded (N7), as the signed-in
account; service/refunds.py does it."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from datetime import date
from typing import Any

from interfaces.cli.records import emit
from runtime.settings import Settings
from service.acts import Forbidden
from service.refunds import record_fee_refund
from service.requests import connections, signed_in
from store.accounts import Accounts

COMMAND = "record-refund"


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date, YYYY-MM-DD: {text[:40]!r}") from None


def add_parsers(commands: Any) -> None:
    sub = commands.add_parser(
        COMMAND,
        help="record that the refund of a fee paid after the payment window was paid (the "
        "invoice becomes refunded) and tell the person",
    )
    sub.add_argument("request_id")
    sub.add_argument("--invoice", dest="invoice_id", required=True)
    sub.add_argument(
        "--paid-on", dest="refunded_on", type=_day, required=True, help="the refund's date"
    )
    sub.add_argument("--reference", required=True, help="the refund transfer's reference")


async def run(args: argparse.Namespace, settings: Settings) -> None:
    async with connections(settings, temporal=False) as (_, pool):
        actor = await signed_in(settings, pool, doing=f"dsr {COMMAND}")
        try:
            done = await record_fee_refund(
                args.request_id,
                actor,
                invoice_id=args.invoice_id,
                refunded_on=args.refunded_on,
                reference=args.reference,
                pool=pool,
                settings=settings,
            )
        except Forbidden as error:
            await Accounts(pool).record_refusal(
                403, actor.account, "CLI", f"dsr {COMMAND}", str(error)
            )
            raise
    document = {**asdict(done), "refunded_on": done.refunded_on.isoformat()}
    emit(
        args.output,
        {**document, "message": done.message()},
        f"{done.message()}; by {actor.account}",
    )
