"""Article 5: what a stop request does to the person's consents (N13). A stop verified by
the privacy center's code or an operator withdraws the standing consents to the partners
stopped; one verified only by a typed address that matches the registration leaves them on
record and says so (domain/identity.py, `withdraws_consent`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from domain.events import EventType
from domain.identity import withdraws_consent
from store.connection import Connection
from store.provisions import withdraw_standing_consents


async def identity_method_of(connection: Connection, request_id: str) -> str | None:
    """How the request's requester was verified, as its latest `identity.verified` says."""
    return await connection.fetchval(
        """SELECT payload ->> 'method' FROM request_events
            WHERE request_id = $1 AND type = $2 ORDER BY seq DESC LIMIT 1""",
        request_id,
        EventType.IDENTITY_VERIFIED.value,
    )


async def consents_on_stop(
    connection: Connection,
    request_id: str,
    subject_id: str,
    partners: Iterable[str],
    at: datetime,
) -> dict[str, str]:
    """In the stop's transaction: the consents withdrawn, or those kept and why; the
    entries of the `provision.stopped` event's payload."""
    stopped = list(partners)
    method = await identity_method_of(connection, request_id)
    if withdraws_consent(method):
        withdrawn = await withdraw_standing_consents(
            connection, subject_id, stopped, at, request_id=request_id
        )
        return {"consents_withdrawn": ",".join(withdrawn)}
    kept = await connection.fetch(
        """SELECT partner_id FROM consents
            WHERE subject_id = $1 AND partner_id = ANY($2::text[]) AND withdrawn_at IS NULL
            ORDER BY partner_id""",
        subject_id,
        stopped,
    )
    return {
        "consents_withdrawn": "",
        "consents_kept": ",".join(r["partner_id"] for r in kept),
        "consents_kept_as_verified_by": method or "none",
    }
