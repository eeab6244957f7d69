"""Article 6 (C4): a disclosure's link issued again by an operator, after the first one
expired or was lost. The new link replaces the old (store/disclosure_links.py keeps one per
request), expires as any link does (`link_expires_at`), and reaches the person in an
e-mail of its own, through the outbox. What may be reissued, and that e-mail, are here.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from domain.authority import Role
from domain.notice_texts import TEXTS
from domain.notices import RenderedNotice, format_date
from domain.requests import Language, RequestKind

# An operator's act on a closed request: the role that answers and decides requests.
REISSUE_ROLE = Role.OPERATOR
NOTICE = "disclosure_link_reissued"  # the outbox's name of the e-mail


def reissue_problem(
    request_id: str,
    *,
    kind: RequestKind | None,
    compiled: bool,
    has_items: bool,
    erased: bool,
) -> str | None:
    """Why no link can be issued again for this request, or None."""
    if kind is None:
        return f"no request with id {request_id!r}"
    if kind is not RequestKind.DISCLOSURE:
        return f"{request_id} is a {kind.value} request: only a disclosure has a link to reissue"
    if not compiled:
        return (
            f"{request_id} has no compiled disclosure (not decided to disclose, or not yet "
            "carried out): there is nothing for a link to open"
        )
    if erased:
        return (
            f"the personal data of {request_id}'s subject was erased: there is nothing left to "
            "disclose, and no address to send a link to"
        )
    if not has_items:
        return f"{request_id}'s disclosure holds no item: there is nothing for a link to open"
    return None


def render_reissued_link(
    *,
    request_id: str,
    requester_name: str,
    language: Language,
    zone: ZoneInfo,
    url: str,
    expires_at: datetime,
) -> RenderedNotice:
    """The e-mail of the new link: where it is, that the old one no longer opens, the day
    it can be used until (the day it expires at the end of) and that it costs nothing."""
    texts = TEXTS[language]
    body = "\n\n".join(
        [
            texts["greeting"].format(name=requester_name),
            texts["disclosure_link.reissued"].format(
                request_id=request_id, url=url, date=format_date(expires_at, zone, language)
            ),
            texts["reference"].format(request_id=request_id),
            texts["closing"],
            texts["signature"],
        ]
    )
    subject = texts["subject.disclosure_link_reissued"].format(request_id=request_id)
    return RenderedNotice(subject=subject, body=body)
