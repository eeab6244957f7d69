"""`dsr reissue-disclosure-link REQUEST_ID`: an operator issues a disclosure's link again
(C4), as the signed-in account; service/disclosure_links.py does it."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from interfaces.cli.records import emit
from runtime.settings import Settings
from service.acts import Forbidden
from service.disclosure_links import reissue_disclosure_link
from service.requests import connections, signed_in
from store.accounts import Accounts

COMMAND = "reissue-disclosure-link"


def add_parsers(commands: Any) -> None:
    sub = commands.add_parser(
        COMMAND,
        help="issue a disclosure's link again (the old one stops opening) and e-mail it to "
        "the person, with the day it can be used until",
    )
    sub.add_argument("request_id")


async def run(args: argparse.Namespace, settings: Settings) -> None:
    async with connections(settings, temporal=False) as (_, pool):
        actor = await signed_in(settings, pool, doing=f"dsr {COMMAND}")
        try:
            done = await reissue_disclosure_link(
                args.request_id, actor, pool=pool, settings=settings
            )
        except Forbidden as error:
            await Accounts(pool).record_refusal(
                403, actor.account, "CLI", f"dsr {COMMAND}", str(error)
            )
            raise
    emit(
        args.output,
        {**asdict(done), "message": done.message(settings)},
        f"{done.message(settings)}; by {actor.account}",
    )
