"""Article 6 (C7): the subject's earlier disclosure decisions, as domain/legacy_waiver.py
needs them to tell what a decision under the old reading of ¶2 still owes the person.
Read when a disclosure is investigated, inside its transaction, so the fee is decided
from what is on record then (`Findings.legacy_left_out`)."""

from __future__ import annotations

from domain.decisions import Outcome
from domain.findings import Findings
from domain.legacy_waiver import PastDisclosure, still_owed
from domain.requests import DataCategory
from store.connection import Connection


def _categories(value: str | None) -> frozenset[DataCategory]:
    return frozenset(DataCategory(part) for part in (value or "").split(",") if part)


async def legacy_left_out(
    connection: Connection, subject_id: str, request_id: str
) -> tuple[DataCategory, ...]:
    """The categories an earlier disclosure of `subject_id` left out under the old reading
    and no later disclosure has been asked for since (`request_id`, the one investigated
    now, is not counted)."""
    rows = await connection.fetch(
        """SELECT r.submitted_at, i.findings, e.payload, e.occurred_at
             FROM requests r
             JOIN investigations i USING (request_id)
             JOIN LATERAL (
                  SELECT payload, occurred_at FROM request_events
                   WHERE request_id = r.request_id AND type = 'decision.recorded'
                   ORDER BY seq DESC LIMIT 1) e ON true
            WHERE r.subject_id = $1 AND r.kind = 'disclosure' AND r.request_id <> $2""",
        subject_id,
        request_id,
    )
    return still_owed(
        PastDisclosure(
            outcome=Outcome(row["payload"]["outcome"]),
            findings=Findings.model_validate(row["findings"]),
            withheld=_categories(row["payload"].get("withheld_categories")),
            included=_categories(row["payload"].get("included_categories")),
            submitted_at=row["submitted_at"],
            decided_at=row["occurred_at"],
        )
        for row in rows
    )
