"""Article 8 ¶4: taking the alternative measure decided, inside the caller's transaction
(store/decision_effects.py carries the decision out).

The measure the service applies itself, stopping provision of the items to third
parties, marks them (`provision_stopped_at`, migration 0022), and `provision_feed` no longer
carries them. A measure taken outside the service is recorded as confirmed, by whom and
when, from the confirming act's `measure.confirmed` event: the workflow waits for that act
before it carries the decision out, so the record (and the notice built from it) never says
a measure was taken that nobody confirmed.
"""

from __future__ import annotations

from domain.alternative_measures import applied_by_service
from domain.events import EventType, PayloadValue
from domain.messages import CarryOut
from store.connection import Connection


class MeasureNotConfirmed(LookupError):
    """A measure taken outside the service has no confirmation on record."""


async def take_alternative_measure(
    connection: Connection, order: CarryOut, ids: list[int]
) -> tuple[int, dict[str, PayloadValue]]:
    """Apply or record the measure on the items in breach (`ids`): how many items the
    service changed, and what the event says (the measure, who applied or confirmed it)."""
    decision = order.decision
    taken: dict[str, PayloadValue] = {
        "ground": decision.alternative_ground.value if decision.alternative_ground else None,
        "measure_note_id": decision.measure_note_id,
    }
    measure = decision.alternative_measure
    if measure is None:
        # Decided before measures were named (issue 24): recorded as it was, with no effect.
        return 0, taken
    taken["measure"] = measure.value
    if applied_by_service(measure):
        await connection.execute(
            """UPDATE personal_data SET provision_stopped_at = $2
                WHERE item_id = ANY($1::bigint[]) AND provision_stopped_at IS NULL""",
            ids,
            order.occurred_at,
        )
        return len(ids), taken | {"applied_by": "service"}
    confirmed = await connection.fetchrow(
        """SELECT actor, occurred_at FROM request_events
            WHERE request_id = $1 AND type = $2 ORDER BY seq DESC LIMIT 1""",
        order.request_id,
        EventType.MEASURE_CONFIRMED.value,
    )
    if confirmed is None:
        raise MeasureNotConfirmed(
            f"the alternative measure {measure.value} of request {order.request_id} is taken "
            "outside the service and nobody has confirmed it was taken"
        )
    return 0, taken | {
        "confirmed_by": confirmed["actor"],
        "confirmed_at": confirmed["occurred_at"].isoformat(),
    }
