"""The words of every notice: English and Japanese say the same things, with the same
fields, and every code a notice can name has its words in both."""

from __future__ import annotations

import string
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.deadlines import DeadlinePolicy, Step
from domain.decisions import OUTCOMES_BY_KIND, AlternativeMeasureGround, Outcome, RefusalGround
from domain.holdings import ProvisionException, Relationship
from domain.notice_texts import EN, JA, MONTHS_EN, TEXTS
from domain.notices import NoticeFacts, NoticeKind, render_notice
from domain.requests import CorrectionAction, DataCategory, Language, RequestKind, SuspensionGround


def fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def test_art6_to_8_both_languages_have_exactly_the_same_keys() -> None:
    """Art 6 ¶1, Art 7 ¶3, Art 8 ¶3: "we will notify you to that effect" - in either
    language the person chose, never half translated."""
    assert set(EN) == set(JA)
    assert TEXTS == {Language.EN: EN, Language.JA: JA}


@pytest.mark.parametrize("key", sorted(EN))
def test_art6_to_8_each_key_has_the_same_placeholders(key: str) -> None:
    """Art 7 ¶3: "notify the user without delay when it has made a correction" - what one
    language states (a date, a count, a partner), the other states too."""
    assert fields(EN[key]) == fields(JA[key]), key
    assert EN[key].strip() and JA[key].strip()


def test_placeholders_are_plain_names() -> None:
    """Art 10: "please contact us via the CONTACT form" - a notice quotes its reference, so
    its templates name fields plainly (no indexing or attribute access)."""
    for texts in (EN, JA):
        for key, template in texts.items():
            for name in fields(template):
                assert name.isidentifier(), (key, name)


def test_every_code_a_notice_names_has_words() -> None:
    """Art 5 ¶1-2, Art 6 ¶1-2, Art 8 ¶1 and ¶4: each exception, relationship, ground,
    category and measure a notice cites is written out for the person."""
    needed = (
        [f"kind.{k.value}" for k in RequestKind]
        + [f"cat.{c.value}" for c in DataCategory]
        + [f"ground.{g.value}" for g in RefusalGround]
        + [f"exception.{e.value}" for e in ProvisionException]
        + [f"relationship.{r.value}" for r in Relationship if not r.is_third_party]
        + [f"breach.{g.value}" for g in SuspensionGround]
        + [f"alternative.{g.value}" for g in AlternativeMeasureGround]
        + [f"action.{a.value}" for a in CorrectionAction]
        + [f"step.{s.value}" for s in Step]
        + [f"subject.{k.value}" for k in NoticeKind if not k.value.startswith("closed")]
        + [
            f"closed.{k.value.removeprefix('closed_')}"
            for k in NoticeKind
            if k.value.startswith("closed")
        ]
        + [
            "correction.why.not_held",
            "correction.why.already_held",
            "correction.why.already_this_value",
        ]
    )
    missing = [key for key in needed if key not in EN]
    assert missing == []


def test_art5_p1_exception_words_follow_the_policy() -> None:
    """Art 5 ¶1: "to improve public health or promote the sound growth of children"."""
    assert "exception.public_health" not in EN
    text = EN["exception.public_health_or_children"]
    assert "public health" in text and "children" in text
    assert "公衆衛生" in JA["exception.public_health_or_children"]
    assert "児童" in JA["exception.public_health_or_children"]


def test_art6_p1_the_fee_is_a_thousand_yen_asked_only_on_disclosure() -> None:
    """Art 6 ¶1: "a fee of 1,000 yen per case will be charged for the disclosure"."""
    assert "only once we have decided to disclose" in EN["receipt.fee"]
    assert "nothing is charged" in EN["receipt.fee"]
    assert "No fee is charged" in EN["refused"]
    assert "手数料はかかりません" in JA["refused"]


def test_english_months() -> None:
    """Art 6 ¶1: "notify you to that effect without delay" - with dates a person reads."""
    assert len(MONTHS_EN) == 12 and MONTHS_EN[0] == "January" and MONTHS_EN[11] == "December"


# Every notice, every outcome, both languages ------------------------------------------
LATE = datetime(2026, 12, 9, 20, 41, tzinfo=UTC)

_free = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="{}"), min_size=1, max_size=30
)
PAIRS = [(o, k) for k, outcomes in OUTCOMES_BY_KIND.items() for o in outcomes] + [
    (Outcome.IDENTITY_NOT_VERIFIED, RequestKind.CORRECTION),
    (Outcome.FEE_UNPAID, RequestKind.DISCLOSURE),
]


@given(
    pair=st.sampled_from(PAIRS),
    language=st.sampled_from(list(Language)),
    notice=st.sampled_from(list(NoticeKind)),
    name=_free,
    value=_free,
    partner=_free,
    bare=st.booleans(),
)
def test_art6_to_8_every_notice_renders_whole(
    pair: tuple[Outcome, RequestKind],
    language: Language,
    notice: NoticeKind,
    name: str,
    value: str,
    partner: str,
    bare: bool,
) -> None:
    """Art 6 ¶1, Art 7 ¶3, Art 8 ¶3: "we will notify you" - every notice renders in both
    languages, whatever the names, with no template field left unfilled."""
    result, kind = pair
    facts = NoticeFacts(
        outcome=result,
        reason=value,
        due_at=LATE,
        extended_step="decide",
        commitment=DeadlinePolicy().commitment(
            kind is RequestKind.INQUIRY, kind is RequestKind.DISCLOSURE, LATE
        ),
        refusal_grounds=("significant_hindrance_to_business",),
        disclosed_items=(("financial", "bank", value, False),),
        disclosure_link="https://privacy.example.jp/disclosure/tok",
        disclosure_link_expires_at=LATE,
        excluded={"history": 1},
        withheld={"identity": 1},
        included=("characteristic",),
        inclusion_reason=value,
        invoice_id="inv-1",
        amount_yen=1000,
        fee_paid=True,
        changes_made=(("f", "add", value),),
        changes_not_made=(("g", "delete", "not_held"),),
        breaches=("obtained_wrongfully",),
        acted_items=(("contact", "email"),),
        items_left=1,
        alternative_ground="otherwise_difficult",
        measure=value,
        stopped_partners=(partner,),
        continued_partners=((partner, "protection_of_life_body_property"),),
        not_third_parties=((partner, "joint_use"),),
        unknown_partners=(partner,),
    )
    if bare:  # only what each notice needs: every optional list and text empty
        facts = NoticeFacts(
            outcome=result,
            due_at=LATE,
            extended_step="decide",
            commitment=facts.commitment,
            invoice_id="inv-1",
            amount_yen=1000,
            alternative_ground="otherwise_difficult",
        )
    rendered, anonymous = (
        render_notice(
            notice,
            request_kind=kind,
            request_id="req-7",
            requester_name=who,
            language=language,
            zone=ZoneInfo("Asia/Tokyo"),
            answer_text=value,
            facts=facts,
        )
        for who in (name, "X")
    )
    assert "{" not in rendered.body and "}" not in rendered.body
    assert rendered.body.count(name) >= 1
    # The subject names the request, never the person.
    tail = "（受付番号：req-7）" if language is Language.JA else "[req-7]"
    assert rendered.subject == anonymous.subject and rendered.subject.endswith(tail)
