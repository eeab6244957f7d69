"""`POST /requests/{id}/disclosure-link`: an operator issues a disclosure's link again
(C4; service/disclosure_links.py), as the calling account.

- 200: a new link was issued, the old one opens nothing, and the e-mail was sent.
- 403: the account lacks the operator role (recorded in `access_refusals`).
- 404: no such request. 409: no compiled disclosure to open, or the subject was erased;
  nothing was written. 503: the link was issued but its e-mail not sent; call again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from domain.link_reissue import REISSUE_ROLE
from interfaces.api.auth import require
from interfaces.api.deps import RequestId, Svc, known
from interfaces.api.problems import ACT_REFUSED, Problem, responses
from service.acts import Actor
from service.disclosure_links import reissue_disclosure_link
from service.requests import Refused, Unavailable
from store.accounts import Account

router = APIRouter()


class LinkReissuedReply(BaseModel):
    request_id: str
    expires_at: datetime
    notification_id: int
    handed_to: str | None = None  # where the sender took the e-mail
    message: str


@router.post(
    "/requests/{request_id}/disclosure-link",
    response_model=LinkReissuedReply,
    responses=responses(401, 403, 404, 409, 503),
)
async def reissue_link(
    request_id: RequestId,
    request: Request,
    services: Svc,
    account: Annotated[Account, Depends(require(REISSUE_ROLE))],
) -> LinkReissuedReply:
    """Issue the disclosure's link again and e-mail it to the person. Role: operator."""
    del request  # the role was checked (and a refusal recorded) by the dependency
    await known(services, request_id)
    actor = Actor(account.account, account.roles, services.act_signer)
    try:
        done = await reissue_disclosure_link(
            request_id, actor, pool=services.pool, settings=services.settings
        )
    except Refused as error:
        raise Problem(
            409, f"{error}. Nothing was written.", type=ACT_REFUSED, title="Act refused"
        ) from None
    except Unavailable as error:
        raise Problem(503, str(error), title="E-mail not sent") from None
    return LinkReissuedReply(
        request_id=done.request_id,
        expires_at=done.expires_at,
        notification_id=done.notification_id,
        handed_to=done.handed_to,
        message=done.message(services.settings),
    )
