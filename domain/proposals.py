"""The domain's suggestion from an investigation's findings, which an operator settles:
the outcome the article points to, and why."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from domain.decisions import (
    Outcome,
    requested_outcome,
)
from domain.findings import Findings, Placement, disclosure_plan
from domain.requests import RequestKind


class Proposal(BaseModel):
    model_config = ConfigDict(frozen=True)

    outcome: Outcome
    why: str


def propose(kind: RequestKind, findings: Findings) -> Proposal:
    match kind:
        case RequestKind.DISCLOSURE:
            plan = disclosure_plan(findings)
            disclosed = sum(plan.counts(findings, Placement.DISCLOSED).values())
            left = sum(plan.counts(findings, Placement.EXCLUDED).values())
            if not disclosed:
                return Proposal(
                    outcome=Outcome.NOTHING_TO_DISCLOSE,
                    why="no personal information about the person is held among what was "
                    f"asked for ({left} items held in a form that does not identify them)",
                )
            if left:
                return Proposal(
                    outcome=Outcome.DISCLOSED_EXCEPT_NOT_IDENTIFYING,
                    why=f"{disclosed} items may be disclosed; {left} items held in a form "
                    "that does not identify the person are excluded in principle (Art 6 ¶2)",
                )
            return Proposal(
                outcome=Outcome.DISCLOSED_IN_FULL,
                why=f"{disclosed} items may be disclosed; no refusal ground is known",
            )
        case RequestKind.CORRECTION:
            effective = [c.index for c in findings.changes if c.effective]
            if not effective:
                return Proposal(
                    outcome=Outcome.CORRECTION_DECLINED,
                    why="none of the requested changes would change what we hold",
                )
            return Proposal(
                outcome=Outcome.CORRECTION_MADE,
                why=f"{len(effective)} of {len(findings.changes)} requested "
                "changes would change what we hold",
            )
        case RequestKind.SUSPENSION:
            if not findings.grounds_substantiated:
                return Proposal(
                    outcome=Outcome.SUSPENSION_REFUSED,
                    why="the investigation found no item used beyond purpose or "
                    "obtained wrongfully on the grounds given",
                )
            return Proposal(
                outcome=requested_outcome(findings),
                why=f"{len(findings.items_in_breach)} items were found in breach "
                "of the grounds given",
            )
        case RequestKind.THIRD_PARTY_STOP:
            if not findings.third_party_partners:
                return Proposal(
                    outcome=Outcome.NO_PROVISION_TO_STOP,
                    why="none of the partners named receives the person's data as a third party",
                )
            return Proposal(
                outcome=Outcome.PROVISION_STOPPED,
                why=f"{len(findings.third_party_partners)} third-party provisions can be stopped",
            )
    raise ValueError(f"no decision is taken on {kind.value} requests")
