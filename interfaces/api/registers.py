"""The organisation's registers, as `dsr policy`, `dsr purposes` and `dsr provisions` use
them: the privacy policy's versions (Article 9), the purposes of use and Article 4's
change of one, and the provisions with no valid basis (Article 5).

- Reading the policy's versions and the purposes takes any enabled account; the
  provisions' findings name subjects and partners: operator or auditor (admin holds both).
- Posting a version and changing a purpose take an administrator. A change is signed for
  the calling account here, in the API (service/purpose_changes.py), and runs as the
  `PurposeChange` workflow; the reply says where it stands after the body's `wait`.
- 409: refused (the detail says why); nothing was written. 503: the schema is missing.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends

from domain.authority import Role
from interfaces.api.auth import require
from interfaces.api.deps import Svc
from interfaces.api.problems import CONFLICT, UNAVAILABLE, Problem, responses
from interfaces.api.register_models import (
    PolicyPosted,
    PolicyPosting,
    PolicyVersionRow,
    ProvisionFindingRow,
    ProvisionFindings,
    PurposeChangeBody,
    PurposeChangeReply,
)
from service import purpose_changes, registers
from service.acts import Actor
from service.requests import Refused, Unavailable
from store.accounts import Account

router = APIRouter()
Anyone = Annotated[Account, Depends(require())]
Admin = Annotated[Account, Depends(require(Role.ADMIN))]
Reader = Annotated[Account, Depends(require(Role.OPERATOR, Role.AUDITOR))]


def refused(error: Exception) -> Problem:
    return Problem(409, str(error), type=CONFLICT, title="Refused")


def unavailable(error: Exception) -> Problem:
    return Problem(503, str(error), type=UNAVAILABLE, title="Schema missing")


@router.get(
    "/policy/versions",
    tags=["registers"],
    response_model=list[PolicyVersionRow],
    responses=responses(401),
)
async def list_policy_versions(services: Svc, account: Anyone) -> list[PolicyVersionRow]:
    """Every posted version of the privacy policy: when posted, when in force, its sha256
    (`dsr policy list`). Any account."""
    return [PolicyVersionRow(**row) for row in await registers.policy_listing(services.pool)]


@router.post(
    "/policy/versions",
    tags=["registers"],
    status_code=201,
    response_model=PolicyPosted,
    responses=responses(401, 403, 409, 422),
)
async def post_policy_version(body: PolicyPosting, services: Svc, account: Admin) -> PolicyPosted:
    """Record a version of the privacy policy as posted (`dsr policy post`), with the
    purpose its Article 3 adds, if any. Role: admin."""
    try:
        posted = await registers.post_policy_version(
            services.pool,
            body.text,
            effective_at=body.effective_at,
            new_purpose=body.declared(),
            posted_by=account.account,
        )
    except Refused as error:
        raise refused(error) from None
    return PolicyPosted(**posted)


@router.get(
    "/purposes",
    tags=["registers"],
    response_model=list[dict[str, Any]],
    responses=responses(401),
)
async def list_purposes(services: Svc, account: Anyone) -> list[dict[str, Any]]:
    """Every purpose of use with its versions: text, in force from, until, the change
    that made it (`dsr purposes list`). Any account."""
    return await registers.purposes_listing(services.pool)


@router.post(
    "/purposes/changes",
    tags=["registers"],
    response_model=PurposeChangeReply,
    responses=responses(401, 403, 409, 422),
)
async def change_purpose(
    body: PurposeChangeBody, services: Svc, account: Admin
) -> PurposeChangeReply:
    """Change a purpose (Article 4; `dsr purposes change`): judged related or refused, then
    published and/or every affected person notified. The same `change_id` again shows the
    first change. Waits up to `wait` seconds for the result. Role: admin."""
    actor = Actor(account.account, account.roles, services.act_signer)
    try:
        proposal = purpose_changes.proposal_of(
            actor,
            change_id=body.change_id,
            purpose_id=body.purpose_id,
            new_text=body.new_text,
            new_text_ja=body.new_text_ja,
            related=body.related,
            reason=body.reason,
            method=body.method,
        )
        done = await purpose_changes.propose_change(
            proposal,
            actor,
            client=services.client,
            pool=services.pool,
            task_queue=services.task_queue,
            wait=body.wait,
        )
    except purpose_changes.NotInRegister as error:
        raise Problem(
            409,
            f"{error.field}: {error}",
            type=CONFLICT,
            title="Refused",
            errors=[(error.field, str(error))],
        ) from None
    except Refused as error:
        raise refused(error) from None
    return PurposeChangeReply(
        change_id=done.change_id,
        workflow_id=done.workflow_id,
        started=done.started,
        state=done.state,
        result=done.result,
        progress=done.progress,
        failure=done.failure,
    )


@router.get(
    "/provisions/findings",
    tags=["registers"],
    response_model=ProvisionFindings,
    responses=responses(401, 403, 503),
)
async def provision_findings(services: Svc, account: Reader) -> ProvisionFindings:
    """Every provision of personal data to a partner with no valid basis on record
    (Article 5), as compliance findings (`dsr provisions check`); changes nothing. Role:
    operator or auditor."""
    try:
        findings = await registers.provision_findings(services.pool)
    except Unavailable as error:
        raise unavailable(error) from None
    rows = [
        ProvisionFindingRow(
            provision_id=f.provision_id,
            subject_id=f.subject_id,
            partner_id=f.partner_id,
            kind=f.kind.value,
            detail=f.detail,
        )
        for f in findings
    ]
    return ProvisionFindings(findings=rows, count=len(rows))
