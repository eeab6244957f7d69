"""`dsr accounts create|list|disable`: the people and services that may use the service.

Making or disabling an account takes an administrator's token (DSR_TOKEN, or the local
administrator's on the embedded default), which the database's own functions check again
(store/accounts.py `Administration`): no role of the service writes accounts. The first
administrator of a deployment on its own PostgreSQL is `dsr-admin accounts bootstrap NAME`.
"""

from __future__ import annotations

import argparse
from typing import Any

from domain.authority import ROLE_MEANING, Role
from interfaces.cli.records import emit
from runtime.settings import Settings
from service.acts import Forbidden
from service.requests import Refused, connections, signed_in
from store.accounts import (
    AccountProblem,
    Accounts,
    Administration,
    NoSuchAccount,
    NotAdministrator,
    read_token_file,
)


def add_parsers(commands: Any) -> None:
    accounts = commands.add_parser("accounts", help="make, list and disable accounts")
    sub = accounts.add_subparsers(dest="accounts_command", required=True)
    create = sub.add_parser("create", help="make an account and print its token, once")
    create.add_argument("name", help="lower-case letters, digits and . _ @ -")
    create.add_argument(
        "--role",
        dest="roles",
        action="append",
        required=True,
        choices=[r.value for r in Role],
        help="; ".join(f"{r.value}: {m}" for r, m in ROLE_MEANING.items()),
    )
    sub.add_parser("list", help="every account, its roles and whether it is disabled")
    disable = sub.add_parser("disable", help="disable an account: its token no longer signs in")
    disable.add_argument("name")


async def run(args: argparse.Namespace, settings: Settings) -> None:
    async with connections(settings, temporal=False) as (_, pool):
        accounts = Accounts(pool)
        admin = await signed_in(settings, pool, doing=f"dsr accounts {args.accounts_command}")
        if Role.ADMIN not in admin.roles:
            reason = f"account {admin.account} does not hold the admin role"
            await accounts.record_refusal(
                403, admin.account, "CLI", f"dsr accounts {args.accounts_command}", reason
            )
            raise Forbidden(reason)
        token = settings.api.token or read_token_file(settings.admin_token_file()) or ""
        administration = Administration(pool, token)
        if args.accounts_command == "create":
            try:
                made = await administration.create(args.name, tuple(Role(r) for r in args.roles))
            except (AccountProblem, NotAdministrator) as error:
                raise Refused(str(error)) from None
            token = made.token
            emit(
                args.output,
                {"account": args.name, "roles": sorted(set(args.roles)), "token": token},
                f"account {args.name} made with roles {', '.join(sorted(set(args.roles)))}.\n"
                f"Its token, shown this once (keep it secret; DSR_TOKEN or "
                f"`Authorization: Bearer ...`):\n{token}",
            )
        elif args.accounts_command == "list":
            rows = await accounts.list()
            emit(
                args.output,
                rows,
                "\n".join(
                    f"{r['account']:<24} {','.join(r['roles']):<32} "
                    + (f"disabled {r['disabled_at']:%Y-%m-%d}" if r["disabled_at"] else "active")
                    for r in rows
                )
                or "no accounts",
            )
        elif args.accounts_command == "disable":
            try:
                if not await administration.disable(args.name):
                    raise Refused(f"no enabled account named {args.name}")
            except (NoSuchAccount, NotAdministrator) as error:
                raise Refused(str(error)) from None
            emit(
                args.output,
                {"account": args.name, "disabled": True},
                f"account {args.name} disabled",
            )
