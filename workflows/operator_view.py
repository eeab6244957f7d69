"""What an operator sees of a request in the Web UI, derived from its status view:
search attributes to filter on and current details in Markdown. No personal data."""

from __future__ import annotations

from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeUpdate

with workflow.unsafe.imports_passed_through():
    from domain.messages import StatusView
    from workflows import search_attributes as sa


def search_attribute_updates(
    view: StatusView, *, versions_apart: bool
) -> list[SearchAttributeUpdate[Any]]:
    """`versions_apart`: the request runs under the patch that names the deadline and the
    privacy policy's versions apart (workflows/search_attributes.py)."""
    updates: list[SearchAttributeUpdate[Any]] = [
        sa.KIND.value_set(view.kind.value),
        sa.STATUS.value_set(view.status.value),
        sa.STEP.value_set(view.step.value) if view.step else sa.STEP.value_unset(),
        sa.DUE_AT.value_set(view.due_at) if view.due_at else sa.DUE_AT.value_unset(),
        sa.OVERDUE.value_set(view.overdue),
    ]
    if not versions_apart:
        return [*updates, sa.LEGACY_POLICY_VERSION.value_set(view.deadline_policy_version)]
    updates.append(sa.DEADLINE_POLICY_VERSION.value_set(view.deadline_policy_version))
    if view.privacy_policy_version is not None:
        updates.append(sa.PRIVACY_POLICY_VERSION.value_set(view.privacy_policy_version))
    return updates


def current_details(view: StatusView) -> str:
    lines = [
        f"**{view.kind.value}** request `{view.request_id}`",
        f"- status: **{view.status.value}**",
    ]
    if view.step is not None:
        if view.step_done:
            following = view.next_step.value if view.next_step else "closing"
            lines.append(f"- step: **{view.step.value}** done; next: {following}")
        else:
            lines.append(
                f"- step: **{view.step.value}**, waiting for {view.awaiting or 'our own work'}"
            )
    if view.due_at is not None:
        flag = " **OVERDUE**" if view.overdue else ""
        lines.append(f"- due: {view.due_at.isoformat(timespec='minutes')}{flag}")
    if view.proposal is not None and view.outcome is None:
        lines.append(f"- proposed: {view.proposal.outcome.value}")
    if view.invoice_id is not None:
        lines.append(f"- invoice: {view.invoice_id}")
    if view.outcome is not None:
        lines.append(f"- outcome: {view.outcome}")
    lines.append(f"- deadline policy: {view.deadline_policy_version}")
    if view.privacy_policy_version is not None:
        lines.append(f"- privacy policy at receipt: {view.privacy_policy_version}")
    return "\n".join(lines)
