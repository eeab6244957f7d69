"""`POST /requests/{id}/refund`: the cashier records that a fee paid after the payment
window was refunded (N7; service/refunds.py), as the calling account.

- 200: the invoice is refunded, `payment.refunded` recorded, and the person told.
- 403: the account lacks the cashier role (recorded in `access_refusals`).
- 404: no such request. 409: the invoice is not refund_due, refunded already, another
  request's, the request is not closed, or the date is wrong; nothing was written.
- 503: the refund was recorded but its notice not sent; call again to send it.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from domain.refunds import REFUND_ROLE
from interfaces.api.auth import require
from interfaces.api.deps import RequestId, Svc, known
from interfaces.api.models import RecordRefundBody
from interfaces.api.problems import ACT_REFUSED, Problem, responses
from service.acts import Actor
from service.refunds import record_fee_refund
from service.requests import Refused, Unavailable
from store.accounts import Account

router = APIRouter()


class RefundRecordedReply(BaseModel):
    request_id: str
    invoice_id: str
    amount_yen: int
    refunded_on: date
    notification_id: int | None
    handed_to: str | None = None  # where the sender took the e-mail
    message: str


@router.post(
    "/requests/{request_id}/refund",
    response_model=RefundRecordedReply,
    responses=responses(401, 403, 404, 409, 503),
)
async def record_refund(
    request_id: RequestId,
    body: RecordRefundBody,
    services: Svc,
    account: Annotated[Account, Depends(require(REFUND_ROLE))],
) -> RefundRecordedReply:
    """Record that a late fee's refund was paid, and tell the person. Role: cashier."""
    await known(services, request_id)
    actor = Actor(account.account, account.roles, services.act_signer)
    try:
        done = await record_fee_refund(
            request_id,
            actor,
            invoice_id=body.invoice_id,
            refunded_on=body.paid_on,
            reference=body.reference,
            pool=services.pool,
            settings=services.settings,
        )
    except Refused as error:
        raise Problem(
            409, f"{error}. Nothing was written.", type=ACT_REFUSED, title="Act refused"
        ) from None
    except Unavailable as error:
        raise Problem(503, str(error), title="Notice not sent") from None
    return RefundRecordedReply(
        request_id=done.request_id,
        invoice_id=done.invoice_id,
        amount_yen=done.amount_yen,
        refunded_on=done.refunded_on,
        notification_id=done.notification_id,
        handed_to=done.handed_to,
        message=done.message(),
    )
