"""Accounts, for administrators: make one (its token is shown in the reply, once), list
them, disable one (its token no longer signs in)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response

from domain.authority import Role
from interfaces.api.auth import require
from interfaces.api.deps import Svc
from interfaces.api.models import AccountRow, CreatedAccount, DisabledAccount, Me, NewAccount
from interfaces.api.problems import CONFLICT, NOT_FOUND, Problem, responses
from store.accounts import Account, AccountProblem, Accounts

router = APIRouter()
Admin = Annotated[Account, Depends(require(Role.ADMIN))]
Anyone = Annotated[Account, Depends(require())]
Name = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._@-]{0,63}$")]


@router.post(
    "/accounts",
    status_code=201,
    response_model=CreatedAccount,
    responses=responses(401, 403, 409, 422),
)
async def create_account(
    body: NewAccount, response: Response, services: Svc, account: Admin
) -> CreatedAccount:
    """Make an account with its roles; the reply carries its bearer token, which is not
    kept and cannot be shown again. Role: admin."""
    try:
        token = await Accounts(services.pool).create(
            body.account, tuple(body.roles), created_by=account.account
        )
    except AccountProblem as error:
        raise Problem(409, str(error), type=CONFLICT) from None
    response.headers["Cache-Control"] = "no-store"
    return CreatedAccount(account=body.account, roles=sorted(set(body.roles)), token=token)


@router.get("/accounts", response_model=list[AccountRow], responses=responses(401, 403))
async def list_accounts(services: Svc, account: Admin) -> list[AccountRow]:
    """Every account, its roles, who made it and whether it is disabled. Role: admin."""
    return [AccountRow(**row) for row in await Accounts(services.pool).list()]


@router.post(
    "/accounts/{name}/disable",
    response_model=DisabledAccount,
    responses=responses(401, 403, 404, 422),
)
async def disable_account(name: Name, services: Svc, account: Admin) -> DisabledAccount:
    """Disable an account: its token no longer signs in. Disabling it again changes
    nothing. Role: admin."""
    accounts = Accounts(services.pool)
    if not await accounts.exists(name):
        raise Problem(404, f"no account {name}", type=NOT_FOUND)
    now = await accounts.disable(name)
    return DisabledAccount(
        account=name,
        disabled=True,
        message=(
            f"account {name} is disabled: its token no longer signs in"
            if now
            else f"account {name} was disabled already"
        ),
    )


@router.get("/me", response_model=Me, responses=responses(401))
async def me(account: Anyone) -> Me:
    """The account the token signs in, and its roles (`dsr login` checks a token so).
    Any enabled account."""
    return Me(account=account.account, roles=sorted(account.roles))
