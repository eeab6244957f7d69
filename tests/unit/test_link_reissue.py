"""C4: what may have its disclosure link issued again, and the e-mail that carries the new
link (domain/link_reissue.py): the day it names is the last day the link opens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.disclosure_delivery import DEFAULT_LINK_DAYS, LinkState, link_expires_at, link_state
from domain.link_reissue import reissue_problem, render_reissued_link
from domain.requests import Language, RequestKind

TOKYO = ZoneInfo("Asia/Tokyo")
ISSUED = datetime(2026, 12, 6, 21, 11, tzinfo=UTC)  # 7 December, 06:11 in Tokyo


@pytest.mark.parametrize(
    ("facts", "says"),
    [
        ({"kind": None, "compiled": False, "has_items": False, "erased": False}, "no request"),
        (
            {"kind": RequestKind.INQUIRY, "compiled": False, "has_items": False, "erased": False},
            "only a disclosure has a link",
        ),
        (
            {
                "kind": RequestKind.DISCLOSURE,
                "compiled": False,
                "has_items": False,
                "erased": False,
            },
            "has no compiled disclosure",
        ),
        (
            {"kind": RequestKind.DISCLOSURE, "compiled": True, "has_items": False, "erased": True},
            "was erased",
        ),
        (
            {"kind": RequestKind.DISCLOSURE, "compiled": True, "has_items": False, "erased": False},
            "holds no item",
        ),
    ],
)
def test_c4_a_reissue_is_refused_with_its_reason(facts: dict, says: str) -> None:
    problem = reissue_problem("dis-1", **facts)
    assert problem is not None and says in problem


def test_c4_a_compiled_disclosure_may_be_reissued() -> None:
    assert (
        reissue_problem(
            "dis-1", kind=RequestKind.DISCLOSURE, compiled=True, has_items=True, erased=False
        )
        is None
    )


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "The new link can be used until 6 January 2027."),
        (Language.JA, "新しいリンクは2027年1月6日までご利用いただけます。"),
    ],
)
def test_c4_the_reissue_email_names_the_last_day_the_link_opens(
    language: Language, said: str
) -> None:
    """C4: the e-mail of a new link names a day; the link opens to that day's last minute
    in the notices' zone and not into the next day; the old link is said to be dead."""
    expires = link_expires_at(ISSUED, DEFAULT_LINK_DAYS, TOKYO)
    notice = render_reissued_link(
        request_id="dis-1",
        requester_name="Hanako Yamada",
        language=language,
        zone=TOKYO,
        url="https://privacy.example.jp/disclosure/token",
        expires_at=expires,
    )
    assert said in notice.body, notice.body
    assert "https://privacy.example.jp/disclosure/token" in notice.body
    assert ("no longer opens" if language is Language.EN else "今後はご利用いただけません") in (
        notice.body
    )
    assert "dis-1" in notice.subject
    last_minute = datetime(2027, 1, 6, 23, 59, tzinfo=TOKYO)
    assert link_state(found=True, expires_at=expires, erased=False, now=last_minute) is (
        LinkState.OPEN
    )
    assert link_state(
        found=True, expires_at=expires, erased=False, now=last_minute + timedelta(minutes=1)
    ) is (LinkState.EXPIRED)
