"""The purposes page: Article 3's purposes of use as the register holds them now, and every
published change of one (Article 4 ¶2: "publish it on this website"), in Japanese and in
English. Public: it shows the organisation's own texts, never a person's data.

A change is listed from its publication, with when it took effect or that it takes effect
once the people concerned are notified (workflows/purpose_change.py)."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from domain.notices import format_date
from domain.purpose_notice import PurposeTexts
from domain.purposes import ARTICLE_3_IDS, ARTICLE_3_TEXTS, PurposeVersion, published_since
from interfaces.privacy_center.pages import language_of, page, services
from store.privacy_policy import first_posted_at, version_in_force
from store.purposes import load_register, published_changes

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class ShownPurpose:
    purpose_id: str
    text: str
    since: str | None  # None: Article 3's own, no posting of the policy recorded (C12)
    incidental_to: str | None = None


@dataclass(frozen=True)
class ShownChange:
    change_id: str
    before: str
    after: str
    published: str
    effective: str | None


@router.get("/purposes", response_class=HTMLResponse)
async def purposes_page(request: Request) -> Response:
    language = language_of(request)
    found = services(request)
    zone = found.settings.policy.zone()
    register = await load_register(found.pool)
    now = await found.pool.fetchval("SELECT now()")
    first_posted = await first_posted_at(found.pool)

    def shown(version: PurposeVersion, incidental_to: str | None = None) -> ShownPurpose:
        since = published_since(version, first_posted)
        return ShownPurpose(
            version.purpose_id,
            version.text_in(language.value),
            None if since is None else format_date(since, zone, language),
            incidental_to,
        )

    current = [v for v in register.versions if v.superseded_at is None]
    listed = [shown(v) for p in ARTICLE_3_TEXTS for v in current if v.purpose_id == p.value]
    # Those a posted version of the policy added to Article 3's list (Article 9).
    listed += [
        shown(v)
        for v in sorted(current, key=lambda v: (v.effective_from, v.purpose_id))
        if v.purpose_id not in ARTICLE_3_IDS and v.incidental_to is None and v.established
    ]
    incidental = [
        shown(v, parent.text_in(language.value))
        for v in sorted(current, key=lambda v: v.purpose_id)
        if v.incidental_to is not None
        and v.established
        and (parent := register.current(v.incidental_to)) is not None
    ]
    changes = [
        ShownChange(
            row["change_id"],
            PurposeTexts(row["before_text"], row["before_text_ja"]).in_(language),
            PurposeTexts(row["proposed_text"], row["proposed_text_ja"]).in_(language),
            format_date(row["published_at"], zone, language),
            None if row["in_force_at"] is None else format_date(row["in_force_at"], zone, language),
        )
        for row in await published_changes(found.pool)
    ]
    view = {
        "listed": listed,
        "incidental": incidental,
        "changes": changes,
        "policy_version": await version_in_force(found.pool, now),
    }
    return page(request, "purposes.html", language, view=view)
