"""Who is calling: every /api/v1 call but /health carries `Authorization: Bearer <token>`
of an enabled account (store/accounts.py). No token, or one that signs nobody in, is 401,
counted per minute, reason and route in `access_refusal_counts` (review N8: anyone can
send them, so each is not a row of its own); an account without a role the call needs is
403, recorded with the account in `access_refusals`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from domain.authority import Role
from interfaces.api.deps import services_of
from interfaces.api.problems import FORBIDDEN, UNAUTHENTICATED, Problem
from interfaces.api.services import Services
from store.accounts import Account, Accounts

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="An account's token, printed once by `dsr accounts create NAME --role ROLE` "
    "or `POST /api/v1/accounts`.",
)


async def refuse(
    services: Services, request: Request, status: int, account: str | None, reason: str
) -> None:
    """A 403 (`account` named) is a row of its own; an anonymous 401 is counted."""
    accounts = Accounts(services.pool)
    if status == 401 and account is None:
        await accounts.count_refusal(reason, request.method, route_of(request))
        return
    await accounts.record_refusal(status, account, request.method, request.url.path, reason)


def route_of(request: Request) -> str:
    """The route as the API declares it (`/api/v1/requests/{request_id}`), not the path
    the caller typed: a caller cannot make a new count per path. (The matched route may
    be the router's own, without the prefix it was included under: the prefix is the part
    of the path before the route's own match.)"""
    route = request.scope.get("route")
    template = getattr(route, "path_format", None)
    pattern = getattr(route, "path_regex", None)
    if template is None or pattern is None:
        return "(no route)"
    path = request.scope.get("path", "")
    for start in [0] + [i for i, c in enumerate(path) if c == "/" and i > 0]:
        if pattern.match(path[start:]):
            return path[:start] + template
    return template


def require(*roles: Role) -> Callable[..., Awaitable[Account]]:
    """A dependency: the calling account, which must hold one of `roles` (admin holds
    every role); with no roles named, any enabled account."""

    async def authenticated(
        request: Request,
        services: Annotated[Services, Depends(services_of)],
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
    ) -> Account:
        accounts = Accounts(services.pool)
        account = await accounts.authenticate(credentials.credentials if credentials else None)
        if account is None:
            reason = "no bearer token" if credentials is None else "unknown or disabled token"
            await refuse(services, request, 401, None, reason)
            raise Problem(
                401,
                f"{reason}: send `Authorization: Bearer <token>` with an enabled account's token",
                type=UNAUTHENTICATED,
                title="Unauthenticated",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if roles and not any(account.holds(role) for role in roles):
            needed = " or ".join(role.value for role in roles)
            reason = f"account {account.account} does not hold the {needed} role"
            await refuse(services, request, 403, account.account, reason)
            raise Problem(403, f"{reason} this call needs", type=FORBIDDEN)
        return account

    return authenticated
