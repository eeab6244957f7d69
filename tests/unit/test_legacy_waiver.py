"""C7: a disclosure decided under the old reading of Art 6 ¶2 (outcome
`disclosed_except_history_and_characteristic`) told the person "this is your personal
information ... we will disclose it if you ask again", and the new request was charged
another 1,000 yen. What it left out stays owed until asked for again, and a request that
asks for it is charged no fee (domain/legacy_waiver.py, `Findings.legacy_fee_waived`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from domain.decisions import Choice, Outcome, fee_due
from domain.findings import Findings
from domain.legacy_waiver import PastDisclosure, left_out_under_legacy_reading, still_owed
from domain.notices import NoticeFacts, NoticeKind, render_notice
from domain.requests import DataCategory as C
from domain.requests import Language, RequestKind

T = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
HELD = Findings(items_by_category={C.IDENTITY: 2, C.HISTORY: 3, C.CHARACTERISTIC: 1})
LEGACY = Outcome.DISCLOSED_EXCEPT_HISTORY_AND_CHARACTERISTIC


def past(
    outcome: Outcome, findings: Findings = HELD, *, submitted: datetime, decided: datetime
) -> PastDisclosure:
    return PastDisclosure(outcome, findings, frozenset(), frozenset(), submitted, decided)


def test_c7_what_the_old_reading_left_out_is_owed_until_asked_for_again() -> None:
    """C7: the old decision left history and characteristic out whole; both are owed. A
    later request that disclosed history settles history only; one submitted before the
    old decision, or refused, settles nothing."""
    old = past(LEGACY, submitted=T, decided=T + timedelta(days=1))
    assert left_out_under_legacy_reading(old) == {C.HISTORY, C.CHARACTERISTIC}
    assert still_owed([old]) == (C.CHARACTERISTIC, C.HISTORY)
    history_asked = HELD.model_copy(update={"requested_categories": (C.HISTORY,)})
    settled = past(
        Outcome.DISCLOSED_IN_FULL,
        history_asked,
        submitted=T + timedelta(days=3),
        decided=T + timedelta(days=5),
    )
    assert still_owed([settled, old]) == (C.CHARACTERISTIC,)
    refused = past(
        Outcome.DISCLOSURE_REFUSED, submitted=T + timedelta(days=3), decided=T + timedelta(days=5)
    )
    earlier = past(
        Outcome.DISCLOSED_IN_FULL, submitted=T - timedelta(days=1), decided=T + timedelta(days=2)
    )
    assert still_owed([old, refused, earlier]) == (C.CHARACTERISTIC, C.HISTORY)
    assert still_owed([earlier]) == ()


def test_c7_items_apart_from_the_person_are_not_owed() -> None:
    """What is held in a form that does not identify the person stays out under the
    reading held now too: the old decision owes nothing of it."""
    apart = HELD.model_copy(
        update={"not_identifying_by_category": {C.HISTORY: 3, C.CHARACTERISTIC: 1}}
    )
    assert left_out_under_legacy_reading(past(LEGACY, apart, submitted=T, decided=T)) == set()
    partly = HELD.model_copy(update={"not_identifying_by_category": {C.HISTORY: 3}})
    assert left_out_under_legacy_reading(past(LEGACY, partly, submitted=T, decided=T)) == {
        C.CHARACTERISTIC
    }


def test_c7_asking_again_for_what_was_left_out_is_charged_no_fee() -> None:
    """C7 (the review's probe): the new request for the left-out history was charged 1,000
    yen. It is not now; a request that asks only for other categories still is, and so is
    any request of a subject owed nothing."""
    full = Choice(Outcome.DISCLOSED_IN_FULL)
    owed = HELD.model_copy(update={"legacy_left_out": (C.HISTORY,)})
    assert fee_due(HELD, full) is True
    assert owed.legacy_fee_waived and fee_due(owed, full) is False
    asks_history = owed.model_copy(update={"requested_categories": (C.HISTORY, C.IDENTITY)})
    assert fee_due(asks_history, full) is False
    asks_identity = owed.model_copy(update={"requested_categories": (C.IDENTITY,)})
    assert not asks_identity.legacy_fee_waived and fee_due(asks_identity, full) is True


@pytest.mark.parametrize(
    ("language", "said"),
    [
        (Language.EN, "No fee is charged for this disclosure: you asked again"),
        (Language.JA, "本件の開示には手数料はかかりません。"),
    ],
)
def test_c7_the_notices_promise_no_fee_and_the_waived_disclosure_says_so(
    language: Language, said: str
) -> None:
    """C7: the legacy notice says the left-out information is disclosed on a new request
    without the fee; the outcome notice of that request says why no fee was charged."""
    zone = ZoneInfo("Asia/Tokyo")

    def body(**facts: object) -> str:
        return render_notice(
            NoticeKind.OUTCOME,
            request_kind=RequestKind.DISCLOSURE,
            request_id="dis-1",
            requester_name="Hanako Yamada",
            language=language,
            zone=zone,
            facts=NoticeFacts(**facts),  # type: ignore[arg-type]
        ).body

    legacy = body(outcome=LEGACY, excluded={"history": 3})
    promise = "without charging the fee" if language is Language.EN else "手数料をいただかずに"
    assert promise in legacy, legacy
    disclosed = {
        "outcome": Outcome.DISCLOSED_IN_FULL,
        "disclosed_items": (("history", "purchases", "x", False),),
        "disclosure_link": "https://privacy.example.jp/disclosure/t",
        "disclosure_link_expires_at": T + timedelta(days=30),
    }
    assert said in body(**disclosed, fee_waived_legacy=True)
    assert said not in body(**disclosed)
