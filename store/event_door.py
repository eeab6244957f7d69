"""How the API appends to a request's events, its role having no INSERT on them (issue 21,
store/privileges.py): through the database's `append_api_event` (migration 0028), which
takes only the few kinds the API records itself, each as the next link of the chain.
store/events.py computes the links as for any append and calls `append_through_door` when
the connection's role may not insert."""

from __future__ import annotations

from domain.events import EventType, RecordedEvent
from store.connection import Connection

# What the API records itself (the function refuses any other): a person's access to their
# disclosure, and the acts on a closed request no workflow takes any more, with notices.
API_EVENT_TYPES = frozenset(
    {
        EventType.DISCLOSURE_OPENED,
        EventType.DISCLOSURE_DOWNLOADED,
        EventType.PAYMENT_REFUNDED,
        EventType.DISCLOSURE_LINK_REISSUED,
        EventType.NOTICE_QUEUED,
        EventType.NOTICE_DELIVERED,
        EventType.NOTICE_UNDELIVERABLE,
    }
)

_inserts: dict[str, bool] = {}  # role -> whether it may INSERT into request_events


async def appends_directly(connection: Connection) -> bool:
    """Whether the connection's role inserts events itself (the worker's, the owner's) or
    goes through the door (the API's). Asked once per role and process."""
    user = getattr(connection.get_settings(), "session_authorization", None)
    if user is not None and user in _inserts:
        return _inserts[user]
    may = bool(await connection.fetchval("SELECT has_table_privilege('request_events', 'INSERT')"))
    if user is not None:
        _inserts[user] = may
    return may


class NotTheApisEvent(PermissionError):
    """An event the API may not record: the workflow appends it."""


async def append_through_door(connection: Connection, events: list[RecordedEvent]) -> None:
    """Append `events` (already linked) through `append_api_event`, in the caller's
    transaction; it moves the request's head as it goes."""
    for event in events:
        if event.type not in API_EVENT_TYPES:
            raise NotTheApisEvent(
                f"the API may not append {event.type.value} events: the workflow appends them"
            )
        await connection.execute(
            "SELECT append_api_event($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            event.request_id,
            event.seq,
            event.type.value,
            event.payload,
            event.occurred_at,
            event.actor,
            event.idempotency_key,
            event.prev_hash,
            event.hash,
        )
