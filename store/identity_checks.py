"""What the store knows of a requester's identity at intake: whether the e-mail given
matches the one registered for the subject, and whether the requester entered the code
the privacy center sent to that registered address (domain/identity.py weighs them)."""

from __future__ import annotations

from store.connection import Connection


async def registration_matched(connection: Connection, request_id: str) -> bool:
    """Both addresses are sealed, so they are compared by their blind indexes (keyed
    hashes of the address trimmed and case-folded, store/sealing.py), never in plain."""
    return await connection.fetchval(
        """SELECT EXISTS (
               SELECT 1 FROM requests r
                 JOIN request_details d USING (request_id)
                 JOIN personal_data p ON p.subject_id = r.subject_id
                WHERE r.request_id = $1 AND p.category = 'contact'
                  AND p.field = 'email'
                  AND p.value_index = d.requester_email_index)""",
        request_id,
    )


async def code_verified(connection: Connection, request_id: str) -> bool:
    """Submitted from the privacy center after the code sent to the address on record was
    entered (interfaces/privacy_center/challenges.py records it before submitting)."""
    return await connection.fetchval(
        """SELECT EXISTS (SELECT 1 FROM privacy_center_challenges
                           WHERE request_id = $1 AND verified_at IS NOT NULL)""",
        request_id,
    )
