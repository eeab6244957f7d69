"""Intake's writes: a submission's subject, request and personal details, in one transaction.

The requester's name and e-mail, the request's details and the operators' answers and notes
are sealed under the subject's key (store/sealing.py) in the transaction that writes them;
the e-mail is found again through its blind index, never through its value."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import asyncpg

from domain.deadlines import DeadlinePolicy
from domain.requests import SubjectRequest, fingerprint, workflow_id_for
from store.connection import Connection
from store.events import UnknownRequest
from store.sealing import Vault, vault_of


class ConflictingSubmission(ValueError):
    """The request id is already taken by a different submission."""


@dataclass(frozen=True)
class RecordedSubmission:
    request_id: str
    workflow_id: str
    kind: str
    subject_id: str
    status: str
    created: bool
    privacy_policy_version: str | None = None
    """The privacy policy in force at receipt (Article 9), None when none was posted."""


@dataclass(frozen=True)
class RequestSummary:
    request_id: str
    workflow_id: str
    kind: str
    status: str
    step: str | None


def keyed_fingerprint(vault: Vault, digest: str) -> str:
    """The fingerprint stored: keyed, because a plain digest of a submission lets anyone
    holding a guess of it (a dump, a backup) confirm the guess, also after the subject's
    data was shredded. The blind index's key does it (a hex digest is unchanged by its
    trimming and case-folding)."""
    return vault.blind_index(digest)


async def _seal_for_request(connection: Connection, request_id: str, text: str) -> str:
    """`text` sealed under the key of the request's subject; in the caller's transaction."""
    subject_id = await connection.fetchval(
        "SELECT subject_id FROM requests WHERE request_id = $1", request_id
    )
    if subject_id is None:
        raise UnknownRequest(request_id)
    return await vault_of(connection).seal(connection, subject_id, text)


class IntakeStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def record_submission(
        self, submission: SubjectRequest, deadline_policy: DeadlinePolicy | str
    ) -> RecordedSubmission:
        """Record a submission under `deadline_policy`: its version and the digest of its
        contents, which the request's workflow input is checked against (issue 22); a bare
        version label (older callers, tests) records no digest, so only the label is checked."""
        workflow_id = workflow_id_for(submission.request_id)
        if isinstance(deadline_policy, DeadlinePolicy):
            policy_version, policy_digest = deadline_policy.version, deadline_policy.digest()
        else:
            policy_version, policy_digest = deadline_policy, None
        async with self._pool.acquire() as connection, connection.transaction():
            vault = vault_of(connection)
            plain_digest = fingerprint(submission)
            digest = keyed_fingerprint(vault, plain_digest)
            await connection.execute(
                "INSERT INTO subjects (subject_id) VALUES ($1) ON CONFLICT DO NOTHING",
                submission.subject_id,
            )
            # Article 9: the privacy policy in force at receipt, recorded with the request.
            inserted = await connection.fetchrow(
                """INSERT INTO requests
                       (request_id, workflow_id, kind, subject_id, fingerprint,
                        deadline_policy_version, deadline_policy_digest, privacy_policy_version)
                   VALUES ($1, $2, $3, $4, $5, $6, $7,
                           (SELECT version FROM privacy_policy_versions
                             WHERE effective_at <= now()
                             ORDER BY effective_at DESC, posted_at DESC LIMIT 1))
                   ON CONFLICT (request_id) DO NOTHING
                   RETURNING status, privacy_policy_version""",
                submission.request_id,
                workflow_id,
                submission.kind.value,
                submission.subject_id,
                digest,
                policy_version,
                policy_digest,
            )
            if inserted is None:
                existing = await connection.fetchrow(
                    "SELECT kind, subject_id, fingerprint, status, privacy_policy_version"
                    " FROM requests WHERE request_id = $1",
                    submission.request_id,
                )
                assert existing is not None  # the insert above conflicted on this request id
                # A request stored before fingerprints were keyed holds the plain digest.
                if existing["fingerprint"] not in (digest, plain_digest):
                    raise ConflictingSubmission(
                        f"request_id {submission.request_id!r} is already used by a different "
                        "submission; choose a new request id"
                    )
                return RecordedSubmission(
                    submission.request_id,
                    workflow_id,
                    existing["kind"],
                    existing["subject_id"],
                    existing["status"],
                    created=False,
                    privacy_policy_version=existing["privacy_policy_version"],
                )
            # Sealed only once the request is new: a retry seals nothing and makes no key.
            # One key lookup for the three; the details as Vault.seal_json writes them.
            name, email, details = await vault.seal_all(
                connection,
                submission.subject_id,
                submission.requester.name,
                submission.requester.email,
                json.dumps(submission.details.model_dump(mode="json"), ensure_ascii=False),
            )
            await connection.execute(
                """INSERT INTO request_details
                       (request_id, requester_name, requester_email, details, language,
                        requester_email_index)
                   VALUES ($1, $2, $3, $4, $5, $6)""",
                submission.request_id,
                name,
                email,
                details,
                submission.language.value,
                vault.blind_index(submission.requester.email),
            )
        return RecordedSubmission(
            submission.request_id,
            workflow_id,
            submission.kind.value,
            submission.subject_id,
            inserted["status"],
            created=True,
            privacy_policy_version=inserted["privacy_policy_version"],
        )

    async def summary(self, request_id: str) -> RequestSummary:
        async with self._pool.acquire() as connection:
            row = await connection.fetchrow(
                "SELECT request_id, workflow_id, kind, status, step FROM requests"
                " WHERE request_id = $1",
                request_id,
            )
        if row is None:
            raise UnknownRequest(request_id)
        return RequestSummary(**dict(row))

    async def store_answer(
        self, request_id: str, body: str, operator: str, answer_id: str | None = None
    ) -> str:
        """Store an answer under `answer_id` (derived from the act, so the same act sent
        again stores nothing more) or a new id."""
        answer_id = answer_id or str(uuid.uuid4())
        async with self._pool.acquire() as connection, connection.transaction():
            sealed = await _seal_for_request(connection, request_id, body)
            await connection.execute(
                "INSERT INTO answers (answer_id, request_id, body, operator)"
                " VALUES ($1, $2, $3, $4) ON CONFLICT (answer_id) DO NOTHING",
                uuid.UUID(answer_id),
                request_id,
                sealed,
                operator,
            )
        return answer_id

    async def withdraw_answer(self, answer_id: str) -> None:
        """Remove an answer the workflow refused, so no orphaned personal text remains."""
        async with self._pool.acquire() as connection:
            await connection.execute(
                "DELETE FROM answers WHERE answer_id = $1 AND NOT EXISTS ("
                " SELECT 1 FROM request_events WHERE type = 'answer.recorded'"
                " AND payload->>'answer_id' = $2)",
                uuid.UUID(answer_id),
                answer_id,
            )

    async def store_note(
        self, request_id: str, purpose: str, body: str, operator: str, note_id: str | None = None
    ) -> str:
        """Store a note under `note_id` (derived from the act, so the same act sent again
        stores nothing more) or a new id."""
        note_id = note_id or str(uuid.uuid4())
        async with self._pool.acquire() as connection, connection.transaction():
            sealed = await _seal_for_request(connection, request_id, body)
            await connection.execute(
                "INSERT INTO operator_notes (note_id, request_id, purpose, body, operator)"
                " VALUES ($1, $2, $3, $4, $5) ON CONFLICT (note_id) DO NOTHING",
                uuid.UUID(note_id),
                request_id,
                purpose,
                sealed,
                operator,
            )
        return note_id

    async def withdraw_notes(self, note_ids: list[str]) -> None:
        """Remove notes of an act the workflow refused, unless an event already cites them."""
        async with self._pool.acquire() as connection:
            for note_id in note_ids:
                await connection.execute(
                    "DELETE FROM operator_notes WHERE note_id = $1 AND NOT EXISTS ("
                    " SELECT 1 FROM request_events WHERE $2 IN (payload->>'reason_note_id',"
                    " payload->>'measure_note_id', payload->>'inclusion_note_id'))",
                    uuid.UUID(note_id),
                    note_id,
                )
