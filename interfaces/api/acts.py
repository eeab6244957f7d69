"""The operators' acts, `POST /requests/{id}/acts/<act>`: each done as the calling
account, signed with the act key (service/acts.py), and answered with where the
request stands after it.

- 200: the act was taken (or it is the same act again: its first result).
- 403: the account lacks the act's role (recorded in `access_refusals`).
- 404: no such request. 422: the body does not fit; nothing was written.
- 409: the request refused the act (not at that step, a rule of the policy, the same
  account approving its own measure...); the detail says why; nothing was written.
- 503 with Retry-After: no worker took the act in time; sending the same act again
  returns its result once one runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from domain.authority import ACT_ROLES, Act
from domain.messages import StatusView
from interfaces.api.auth import refuse, require
from interfaces.api.deps import RequestId, Svc, known
from interfaces.api.models import (
    ApproveMeasureBody,
    ConfirmSystemBody,
    DecideBody,
    ExtendBody,
    RecordPaymentBody,
    RespondBody,
    VerifyIdentityBody,
    WaiveSystemBody,
)
from interfaces.api.problems import ACT_REFUSED, FORBIDDEN, NOT_TAKEN, Problem, responses
from interfaces.api.services import Services
from service import acts, system_acts
from store.accounts import Account

router = APIRouter()
_ERRORS = responses(401, 403, 404, 409, 422, 503)


def _signed_in(act: Act) -> Callable[..., Awaitable[Account]]:
    return require(ACT_ROLES[act])


async def _act(
    request: Request,
    services: Services,
    account: Account,
    request_id: str,
    doing: Callable[[acts.Actor], Awaitable[StatusView]],
) -> StatusView:
    await known(services, request_id)
    actor = acts.Actor(account.account, account.roles, services.act_signer)
    try:
        return await doing(actor)
    except acts.Forbidden as error:
        await refuse(services, request, 403, account.account, str(error))
        raise Problem(403, str(error), type=FORBIDDEN) from None
    except acts.Unanswered as error:
        raise Problem(
            503,
            str(error),
            type=NOT_TAKEN,
            title="Act not taken yet",
            headers={"Retry-After": "30"},
        ) from None
    except acts.Refused as error:
        raise Problem(
            409, f"{error}. Nothing was written.", type=ACT_REFUSED, title="Act refused"
        ) from None


@router.post("/requests/{request_id}/acts/respond", response_model=StatusView, responses=_ERRORS)
async def respond(
    request_id: RequestId,
    body: RespondBody,
    request: Request,
    services: Svc,
    account: Annotated[Account, Depends(_signed_in(Act.RESPOND))],
) -> StatusView:
    """Answer an inquiry (Art. 10). Role: operator."""
    return await _act(
        request,
        services,
        account,
        request_id,
        lambda actor: acts.respond(
            request_id,
            body.text,
            actor,
            client=services.client,
            pool=services.pool,
            act_id=body.act_id,
        ),
    )


@router.post(
    "/requests/{request_id}/acts/verify-identity", response_model=StatusView, responses=_ERRORS
)
async def verify_identity(
    request_id: RequestId,
    body: VerifyIdentityBody,
    request: Request,
    services: Svc,
    account: Annotated[Account, Depends(_signed_in(Act.VERIFY_IDENTITY))],
) -> StatusView:
    """Record how the requester's identity was verified. Role: operator."""
    return await _act(
        request,
        services,
        account,
        request_id,
        lambda actor: acts.verify_identity(
            request_id,
            body.method.value,
            actor,
            client=services.client,
            pool=services.pool,
            act_id=body.act_id,
        ),
    )


@router.post(
    "/requests/{request_id}/acts/record-payment", response_model=StatusView, responses=_ERRORS
)
async def record_payment(
    request_id: RequestId,
    body: RecordPaymentBody,
    request: Request,
    services: Svc,
    account: Annotated[Account, Depends(_signed_in(Act.RECORD_PAYMENT))],
) -> StatusView:
    """Record the payment of a disclosure's fee (Art. 6). Role: cashier."""
    return await _act(
        request,
        services,
        account,
        request_id,
        lambda actor: acts.record_payment(
            request_id,
            body.invoice_id,
            body.amount_yen,
            body.reference,
            actor,
            client=services.client,
            pool=services.pool,
            act_id=body.act_id,
            paid_on=body.paid_on,
        ),
    )


@router.post("/requests/{request_id}/acts/decide", response_model=StatusView, responses=_ERRORS)
async def decide(
    request_id: RequestId,
    body: DecideBody,
    request: Request,
    services: Svc,
    account: Annotated[Account, Depends(_signed_in(Act.DECIDE))],
) -> StatusView:
    """Decide the request's outcome, with its grounds and reasons. Role: operator."""
    return await _act(
        request,
        services,
        account,
        request_id,
        lambda actor: acts.decide(
            request_id,
            body.outcome.value,
            actor,
            client=services.client,
            pool=services.pool,
            reason=body.reason,
            measure=body.measure,
            inclusion=body.inclusion,
            refusal_grounds=tuple(g.value for g in body.refusal_grounds),
            alternative_ground=body.alternative_ground.value if body.alternative_ground else None,
            withheld_categories=tuple(c.value for c in body.withheld_categories),
            included_categories=tuple(c.value for c in body.included_categories),
            continued_partners=tuple(body.continued_partners),
            declined_changes=tuple(body.declined_changes),
            act_id=body.act_id,
            withheld_parts=tuple(body.withheld_parts),
            alternative_measure=body.alternative_measure.value
            if body.alternative_measure
            else None,
            measure_confirmer=body.measure_confirmer,
        ),
    )


@router.post(
    "/requests/{request_id}/acts/approve-measure", response_model=StatusView, responses=_ERRORS
)
async def approve_measure(
    request_id: RequestId,
    request: Request,
    services: Svc,
    account: Annotated[Account, Depends(_signed_in(Act.APPROVE_MEASURE))],
    body: ApproveMeasureBody | None = None,
) -> StatusView:
    """Approve an alternative measure (Art. 8) another account proposed. Role: approver."""
    act_id = body.act_id if body else None
    return await _act(
        request,
        services,
        account,
        request_id,
        lambda actor: acts.approve_measure(
            request_id, actor, client=services.client, pool=services.pool, act_id=act_id
        ),
    )


@router.post("/requests/{request_id}/acts/extend", response_model=StatusView, responses=_ERRORS)
async def extend_deadline(
    request_id: RequestId,
    body: ExtendBody,
    request: Request,
    services: Svc,
    account: Annotated[Account, Depends(_signed_in(Act.EXTEND_DEADLINE))],
) -> StatusView:
    """Extend a step's deadline, with the reason. Role: approver."""
    return await _act(
        request,
        services,
        account,
        request_id,
        lambda actor: acts.extend_deadline(
            request_id,
            body.step.value,
            body.until,
            body.reason,
            actor,
            client=services.client,
            pool=services.pool,
            act_id=body.act_id,
        ),
    )


@router.post(
    "/requests/{request_id}/acts/waive-system", response_model=StatusView, responses=_ERRORS
)
async def waive_system(
    request_id: RequestId,
    body: WaiveSystemBody,
    request: Request,
    services: Svc,
    account: Annotated[Account, Depends(_signed_in(Act.WAIVE_SYSTEM))],
) -> StatusView:
    """Record why a system of the data map cannot do its part; the request goes on and its
    notice says what was not done there, and why. Role: approver."""
    return await _act(
        request,
        services,
        account,
        request_id,
        lambda actor: system_acts.waive_system(
            request_id,
            body.system,
            body.reason,
            actor,
            client=services.client,
            pool=services.pool,
            act_id=body.act_id,
        ),
    )


@router.post(
    "/requests/{request_id}/acts/confirm-system", response_model=StatusView, responses=_ERRORS
)
async def confirm_system(
    request_id: RequestId,
    body: ConfirmSystemBody,
    request: Request,
    services: Svc,
    account: Annotated[Account, Depends(_signed_in(Act.CONFIRM_SYSTEM))],
) -> StatusView:
    """As a manual system's owner: confirm what was found there (`collect`) or done there
    (`act`). Role: system_owner, and the account the data map names as the owner."""
    return await _act(
        request,
        services,
        account,
        request_id,
        lambda actor: system_acts.confirm_system(
            request_id,
            body.system,
            body.step,
            body.rows,
            actor,
            client=services.client,
            pool=services.pool,
            note=body.note,
            act_id=body.act_id,
        ),
    )
