"""Accounts, for administrators: make one (its token is shown in the reply, once), list
them, disable one (its token no longer signs in).

The API's database role may not write accounts: making and disabling go through the
database's functions with the calling administrator's own token (store/accounts.py
`Administration`), which the database checks and records as the one who acted."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Response, Security
from fastapi.security import HTTPAuthorizationCredentials

from domain.authority import Role
from interfaces.api.auth import bearer, require
from interfaces.api.deps import Svc
from interfaces.api.models import AccountRow, CreatedAccount, DisabledAccount, NewAccount
from interfaces.api.problems import CONFLICT, FORBIDDEN, NOT_FOUND, Problem, responses
from store.accounts import (
    Account,
    AccountProblem,
    Accounts,
    Administration,
    NoSuchAccount,
    NotAdministrator,
)

router = APIRouter()
Admin = Annotated[Account, Depends(require(Role.ADMIN))]
Name = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9._@-]{0,63}$")]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


def _administration(services: Svc, credentials: Credentials) -> Administration:
    """The caller's own token, for the database to check again (`require` has signed it in)."""
    return Administration(services.pool, credentials.credentials if credentials else "")


@router.post(
    "/accounts",
    status_code=201,
    response_model=CreatedAccount,
    responses=responses(401, 403, 409, 422),
)
async def create_account(
    body: NewAccount,
    response: Response,
    services: Svc,
    account: Admin,
    credentials: Credentials,
) -> CreatedAccount:
    """Make an account with its roles; the reply carries its bearer token, which is not
    kept and cannot be shown again. Role: admin."""
    try:
        made = await _administration(services, credentials).create(body.account, tuple(body.roles))
    except AccountProblem as error:
        raise Problem(409, str(error), type=CONFLICT) from None
    except NotAdministrator as error:  # disabled between signing in and now
        raise Problem(403, str(error), type=FORBIDDEN) from None
    response.headers["Cache-Control"] = "no-store"
    return CreatedAccount(account=body.account, roles=sorted(set(body.roles)), token=made.token)


@router.get("/accounts", response_model=list[AccountRow], responses=responses(401, 403))
async def list_accounts(services: Svc, account: Admin) -> list[AccountRow]:
    """Every account, its roles, who made it and whether it is disabled. Role: admin."""
    return [AccountRow(**row) for row in await Accounts(services.pool).list()]


@router.post(
    "/accounts/{name}/disable",
    response_model=DisabledAccount,
    responses=responses(401, 403, 404, 422),
)
async def disable_account(
    name: Name, services: Svc, account: Admin, credentials: Credentials
) -> DisabledAccount:
    """Disable an account: its token no longer signs in. Disabling it again changes
    nothing. Role: admin."""
    try:
        now = await _administration(services, credentials).disable(name)
    except NoSuchAccount:
        raise Problem(404, f"no account {name}", type=NOT_FOUND) from None
    except NotAdministrator as error:
        raise Problem(403, str(error), type=FORBIDDEN) from None
    return DisabledAccount(
        account=name,
        disabled=True,
        message=(
            f"account {name} is disabled: its token no longer signs in"
            if now
            else f"account {name} was disabled already"
        ),
    )
