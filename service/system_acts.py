"""The acts on a request's part in the organisation's systems (docs/connectors.md): an
approver waives a system that cannot do its part, a manual system's owner confirms what
was found or done there. Sent as every act is (service/acts.py)."""

from __future__ import annotations

import asyncpg
from temporalio.client import Client

from domain.authority import Act
from domain.fulfilment_messages import ConfirmSystem, WaiveSystem
from domain.messages import StatusView
from service.acts import Actor, act_argument, send_act, valid_text


async def waive_system(
    request_id: str,
    system: str,
    reason: str,
    operator: Actor,
    *,
    client: Client,
    pool: asyncpg.Pool,
    act_id: str | None = None,
) -> StatusView:
    """Record why a system of the data map cannot do its part: the request goes on without
    it, and its notice says what was not done there, and why."""
    texts = {"reason_note_id": ("reason", valid_text("reason", reason))}
    return await send_act(
        request_id,
        Act.WAIVE_SYSTEM,
        lambda notes: act_argument(WaiveSystem, system=system, operator=operator.account, **notes),
        client=client,
        pool=pool,
        texts=texts,
        actor=operator,
        act_id=act_id,
    )


async def confirm_system(
    request_id: str,
    system: str,
    step: str,
    rows: int,
    operator: Actor,
    *,
    client: Client,
    pool: asyncpg.Pool,
    note: str | None = None,
    act_id: str | None = None,
) -> StatusView:
    """A manual system's owner confirms what they found there (`collect`) or did there
    (`act`): how many rows, and a note of what, kept sealed with the request."""
    texts = {"note_id": ("system", valid_text("note", note))} if note else {}
    return await send_act(
        request_id,
        Act.CONFIRM_SYSTEM,
        lambda notes: act_argument(
            ConfirmSystem,
            system=system,
            step=step,
            rows=rows,
            operator=operator.account,
            **notes,
        ),
        client=client,
        pool=pool,
        texts=texts,
        actor=operator,
        act_id=act_id,
    )
