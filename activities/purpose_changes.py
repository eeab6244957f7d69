"""The activities of a purpose change (Article 4) and the messages they exchange with the
`PurposeChange` workflow: record the proposal and its judgement, publish, notify a batch of
affected subjects, complete. Only ids, counts and the organisation's texts cross Temporal;
the notices themselves (addresses, bodies) stay in Postgres, sealed, and in the sender.

A batch's notices are written to the database first (pending, sealed), then handed to
the worker's sender many at once (mail/delivery.py) and marked delivered
every few hundred, so a batch cut off by a crash hands over again only what was not
marked, and what it hands over again replaces its first copy (the same key)."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.act_verification import ActVerification
from domain.authority import Role, shape_problem
from domain.purpose_change_messages import (
    CHANGE_ACT,
    BatchOutcome,
    ChangeCompleted,
    ChangeStep,
    CompleteChange,
    Judgement,
    NoticeBatch,
    RecordChange,
    change_subject,
)
from mail.delivery import NoticeDelivery
from mail.sender import NoticeSender
from store.purpose_changes import ChangeIdTaken, RecordedChange, record_proposal
from store.purpose_notices import (
    affected_after,
    change_texts,
    mark_delivered,
    pending_notices,
    prepare_notices,
    record_batch,
)
from store.purpose_publication import complete_change, record_publication

log = structlog.get_logger(__name__)


class PurposeChangeActivities:
    """`sender`: the worker's (maildrop or SMTP). `verification`: the worker's check of
    acts (its public keys, window and the accounts in the store), which an administrator's
    authority to change a purpose must pass."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        sender: NoticeSender,
        verification: ActVerification,
        *,
        parallel: int = 32,
        mark_every: int = 200,
    ) -> None:
        self._pool = pool
        self._verification = verification
        self._delivery = NoticeDelivery(sender, parallel=parallel, mark_every=mark_every)

    @activity.defn(name="record_purpose_change")
    async def record(self, order: RecordChange) -> Judgement:
        """Record the proposal and its judgement; an accepted change updates the register
        in the same transaction. Refused for good when the proposal does not carry an
        administrator's signed authority for exactly this proposal."""
        problem = await self._authority_problem(order)
        if problem is not None:
            raise ApplicationError(problem, type="NotAuthorised", non_retryable=True)
        try:
            change = await record_proposal(self._pool, order.proposal, order.occurred_at)
        except ChangeIdTaken as error:
            raise ApplicationError(str(error), type="ChangeIdTaken", non_retryable=True) from None
        log.info(
            "purpose change judged",
            change_id=change.change_id,
            status=change.status,
            purpose_id=change.purpose_id,
            affected=change.affected,
        )
        return judgement_of(change)

    async def _authority_problem(self, order: RecordChange) -> str | None:
        proposal, authority = order.proposal, order.authority
        argument = {
            **proposal.model_dump(mode="json"),
            "authority": authority.model_dump(mode="json"),
        }
        problem = shape_problem(CHANGE_ACT, change_subject(proposal.change_id), argument)
        if problem is not None:
            return problem
        if Role.ADMIN not in authority.roles:
            return (
                f"account {authority.account} does not hold the admin role a change of "
                "purpose needs"
            )
        if authority.account != proposal.decided_by:
            return "the proposal names another account than the one that signed it"
        # The signature, its age when the workflow started, and the administrator as the
        # store knows them now.
        return await self._verification.problem(authority, Role.ADMIN, order.occurred_at)

    @activity.defn(name="publish_purpose_change")
    async def publish(self, step: ChangeStep) -> datetime:
        """Record the publication of the changed purpose (its text and time)."""
        return await record_publication(self._pool, step.change_id, step.occurred_at)

    @activity.defn(name="notify_purpose_change_batch")
    async def notify_batch(self, batch: NoticeBatch) -> BatchOutcome:
        """Notify the batch's subjects: write their pending notices, hand every pending one
        to the sender, mark each delivered, then record the batch. A retry hands over only
        what is still pending."""
        async with self._pool.acquire() as connection:
            texts = await change_texts(connection, batch.change_id)
            subjects = await affected_after(connection, texts.purpose_id, batch.after, batch.limit)
            fresh = await prepare_notices(connection, batch.change_id, texts, subjects)
            earlier, _ = await pending_notices(
                connection, batch.change_id, [s for s in subjects if s not in fresh]
            )
        await self._delivery.deliver(
            [*fresh.values(), *earlier],
            lambda handed: mark_delivered(self._pool, batch.change_id, handed, datetime.now(UTC)),
        )
        delivered, unreachable = await record_batch(
            self._pool,
            batch.change_id,
            number=batch.number,
            after=batch.after,
            subjects=subjects,
            occurred_at=batch.occurred_at,
        )
        return BatchOutcome(
            number=batch.number,
            subjects=len(subjects),
            through=subjects[-1] if subjects else batch.after,
            delivered=delivered,
            unreachable=unreachable,
            more=len(subjects) == batch.limit,
        )

    @activity.defn(name="complete_purpose_change")
    async def complete(self, step: CompleteChange) -> ChangeCompleted:
        notified = await complete_change(
            self._pool,
            step.change_id,
            step.occurred_at,
            batches=step.batches,
            unreachable=step.unreachable,
        )
        log.info("purpose change completed", change_id=step.change_id, notified=notified)
        return ChangeCompleted(notified=notified)

    def all(self) -> list:
        return [self.record, self.publish, self.notify_batch, self.complete]

    def close(self) -> None:
        self._delivery.close()


def judgement_of(change: RecordedChange) -> Judgement:
    accepted = change.status in ("accepted", "done")
    return Judgement(
        change_id=change.change_id,
        accepted=accepted,
        refusal=change.refusal,
        from_version=change.from_version,
        to_version=change.to_version,
        affected=change.affected or 0,
        published=change.published_at is not None,
    )
