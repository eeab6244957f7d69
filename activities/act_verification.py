"""The worker's check of an operator's act, once its update is taken (domain/authority.py):
the signature against the public keys the worker lists, the act's age against the window,
and the account as the store knows it at the time of the act. Its verdict is the
activity's result, so a replay reads the check as it ran, whatever keys are listed then."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta

import asyncpg
import structlog
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from temporalio import activity

from domain.act_verdicts import ActVerdict, CheckAct
from domain.authority import (
    ACT_NAMES,
    ACT_ROLES,
    DEFAULT_ACT_WINDOW,
    Act,
    ActAuthority,
    Role,
    freshness_problem,
    signature_problem,
    standing_problem,
)
from store.account_standing import Standing, account_standing

log = structlog.get_logger(__name__)

StandingOf = Callable[[str], Awaitable[Standing | None]]


class ActVerification:
    """`public_keys`: the keys the worker verifies acts with, by key id (DSR_ACT_PUBLIC_KEYS);
    `window`: how long after it was issued an act is taken (DSR_ACT_WINDOW); `standing_of`:
    the account's standing (the store's, unless a test gives its own)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        public_keys: Mapping[str, Ed25519PublicKey],
        window: timedelta = DEFAULT_ACT_WINDOW,
        standing_of: StandingOf | None = None,
    ) -> None:
        self._keys = dict(public_keys)
        self._window = window
        self._standing_of = standing_of or (lambda account: account_standing(pool, account))

    async def problem(
        self, authority: ActAuthority, needed: Role | None, acted_at: datetime
    ) -> str | None:
        """Why the act may not be taken at `acted_at`: its signature, its age, or its
        account (which must hold `needed`); None when it may."""
        problem = signature_problem(self._keys, authority) or freshness_problem(
            authority.issued_at, acted_at, self._window
        )
        if problem is not None:
            return problem
        standing = await self._standing_of(authority.account)
        return standing_problem(
            authority,
            standing.roles if standing else None,
            standing.enabled if standing else False,
            needed,
        )

    @activity.defn(name="check_act")
    async def check_act(self, order: CheckAct) -> ActVerdict:
        authority = order.authority
        needed = ACT_ROLES.get(Act(order.act)) if order.act in ACT_NAMES else None
        problem = await self.problem(authority, needed, order.acted_at)
        if problem is not None:
            log.warning(
                "act refused",
                request_id=order.request_id,
                act=order.act,
                key_id=authority.key_id[:32],
                reason=problem,
            )
        return ActVerdict(problem=problem)

    def all(self) -> list:
        return [self.check_act]
