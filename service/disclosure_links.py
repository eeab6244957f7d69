"""An operator issues a disclosure's link again (`dsr reissue-disclosure-link`, `POST
/requests/{id}/disclosure-link`; C4): the request is closed, so this is no workflow's
update but a store act, done as the signed-in account holding the operator role and
recorded in the request's events (`disclosure.link_reissued`). Its e-mail goes through
the outbox and the configured sender, as the request's notices do."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from domain.authority import holds
from domain.link_reissue import REISSUE_ROLE
from runtime.notice_senders import notice_sender
from runtime.settings import Settings
from service.acts import Actor, Forbidden
from service.requests import Refused, Unavailable
from store.disclosure_links import LinkSettings
from store.events import EventStore
from store.link_reissue import Reissued, ReissueRefused, reissue_link
from store.outbox import NotificationOutbox, OutgoingNotice


@dataclass(frozen=True)
class LinkReissued:
    request_id: str
    expires_at: datetime
    notification_id: int
    handed_to: str | None  # where the sender took the e-mail (file name or Message-ID)

    def message(self, settings: Settings) -> str:
        day = self.expires_at.astimezone(settings.policy.zone()).date().isoformat()
        return (
            f"a new link to the disclosure of {self.request_id} was issued, usable until the "
            f"end of {day} ({settings.policy.zone().key}); the old link opens nothing; "
            f"the e-mail with it was sent (notification {self.notification_id})"
        )


async def reissue_disclosure_link(
    request_id: str, actor: Actor, *, pool: asyncpg.Pool, settings: Settings
) -> LinkReissued:
    """Issue the link again and send its e-mail; Forbidden without the operator role,
    Refused (nothing written) for a request with no compiled disclosure, or erased."""
    if not holds(actor.roles, REISSUE_ROLE):
        raise Forbidden(
            f"account {actor.account} does not hold the {REISSUE_ROLE.value} role "
            "reissuing a disclosure's link needs"
        )
    zone = settings.policy.zone()
    try:
        reissued: Reissued = await reissue_link(
            pool,
            request_id,
            account=actor.account,
            issued_at=datetime.now(UTC),
            settings=LinkSettings(settings.api.url(), settings.api.disclosure_link_days),
            zone=zone,
        )
    except ReissueRefused as error:
        raise Refused(str(error)) from None
    sender = notice_sender(settings)
    outbox = NotificationOutbox(pool, EventStore(pool), zone, handed_to=sender.handle)
    notice = await outbox.pending(reissued.notification_id)
    handed_to = None
    if isinstance(notice, OutgoingNotice):
        try:
            handed_to = await sender.send(notice)
        except Exception as error:  # the sender's own failure (SMTP, disk): said, not hidden
            raise Unavailable(
                f"a new link to {request_id} was issued but its e-mail could not be sent "
                f"({type(error).__name__}: {str(error)[:120]}); run the command again: it "
                "issues another link and sends it"
            ) from None
        await outbox.mark_delivered(
            request_id=request_id,
            notification_id=reissued.notification_id,
            occurred_at=datetime.now(UTC),
        )
    return LinkReissued(request_id, reissued.expires_at, reissued.notification_id, handed_to)
