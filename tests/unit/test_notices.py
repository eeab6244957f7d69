"""How each notice reads: a receipt names the request and its due date; an answer carries the
operator's text. Personal parts stay out of the subject line."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.decisions import Outcome
from domain.notices import NoticeKind, OutcomeFacts, RenderedNotice, render_notice
from domain.requests import RequestKind

ARTICLES = {
    RequestKind.DISCLOSURE: "Article 6",
    RequestKind.CORRECTION: "Article 7",
    RequestKind.SUSPENSION: "Article 8",
    RequestKind.THIRD_PARTY_STOP: "Article 5",
    RequestKind.INQUIRY: "Article 10",
}


def test_receipt_names_the_request_and_its_due_date() -> None:
    notice = render_notice(
        NoticeKind.RECEIPT, request_kind=RequestKind.INQUIRY, request_id="req-7",
        requester_name="Hanako Yamada", due_at="2026-11-16",
    )
    assert isinstance(notice, RenderedNotice)
    assert notice.subject == (
        "We have received your inquiry regarding our Privacy Policy (Article 10) [req-7]"
    )
    assert notice.body.startswith("Dear Hanako Yamada,\n\n")
    assert "reference req-7." in notice.body
    assert "We will respond by 2026-11-16." in notice.body
    assert notice.body.endswith("\n\nSesenergy")


@pytest.mark.parametrize("due_at", [None, ""])
def test_receipt_without_a_due_date_promises_no_date(due_at: str | None) -> None:
    notice = render_notice(
        NoticeKind.RECEIPT, request_kind=RequestKind.DISCLOSURE, request_id="req-7",
        requester_name="Hanako", due_at=due_at,
    )
    assert "respond by" not in notice.body
    assert "reference req-7." in notice.body


def test_answer_carries_the_answer_text() -> None:
    answer = "We keep purchase history for seven years.\nNothing else."
    notice = render_notice(
        NoticeKind.ANSWER, request_kind=RequestKind.INQUIRY, request_id="req-7",
        requester_name="Hanako Yamada", answer_text=answer,
    )
    assert notice.subject == (
        "Our answer to your inquiry regarding our Privacy Policy (Article 10) [req-7]"
    )
    assert notice.body == (
        f"Dear Hanako Yamada,\n\n{answer}\n\nReference: req-7\n\nSesenergy"
    )


@pytest.mark.parametrize("answer_text", [None, ""])
def test_answer_requires_the_answer_text(answer_text: str | None) -> None:
    with pytest.raises(ValueError, match="needs the answer text"):
        render_notice(
            NoticeKind.ANSWER, request_kind=RequestKind.INQUIRY, request_id="req-7",
            requester_name="Hanako", answer_text=answer_text,
        )


def test_receipt_ignores_answer_text() -> None:
    notice = render_notice(
        NoticeKind.RECEIPT, request_kind=RequestKind.INQUIRY, request_id="req-7",
        requester_name="Hanako", answer_text="secret answer",
    )
    assert "secret answer" not in notice.body


@pytest.mark.parametrize("request_kind", list(RequestKind))
@pytest.mark.parametrize("notice_kind", list(NoticeKind))
def test_every_kind_renders_with_its_article(
    request_kind: RequestKind, notice_kind: NoticeKind
) -> None:
    notice = render_notice(
        notice_kind, request_kind=request_kind, request_id="req-7",
        requester_name="Hanako", due_at="2026-11-16", answer_text="Done.",
        facts=OutcomeFacts(outcome=Outcome.FEE_UNPAID, invoice_id="inv-7", amount_yen=1000),
    )
    assert f"({ARTICLES[request_kind]})" in notice.subject
    assert notice.subject.endswith("[req-7]")
    assert "\n" not in notice.subject


def test_unknown_notice_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown notice kind"):
        render_notice(
            "reminder",  # type: ignore[arg-type]
            request_kind=RequestKind.INQUIRY, request_id="req-7", requester_name="Hanako",
        )


def test_notice_kinds_accept_their_string_values() -> None:
    notice = render_notice(
        NoticeKind("receipt"), request_kind=RequestKind("inquiry"), request_id="r",
        requester_name="Hanako",
    )
    assert notice.subject.startswith("We have received")


_names = st.text(alphabet=st.characters(categories=["L", "N", "Zs"]), min_size=1, max_size=40)


@given(name=_names, answer=st.text(min_size=1, max_size=200),
       kind=st.sampled_from(list(RequestKind)))
def test_personal_parts_go_in_the_body_only(name: str, answer: str, kind: RequestKind) -> None:
    receipt = render_notice(
        NoticeKind.RECEIPT, request_kind=kind, request_id="req-7", requester_name=name,
    )
    reply = render_notice(
        NoticeKind.ANSWER, request_kind=kind, request_id="req-7", requester_name=name,
        answer_text=answer,
    )
    assert receipt.body.startswith(f"Dear {name},")
    assert reply.body.startswith(f"Dear {name},")
    assert f"\n\n{answer}\n\n" in reply.body
    # The subject is the same whoever asks: it never carries the name or the answer.
    anonymous = render_notice(
        NoticeKind.ANSWER, request_kind=kind, request_id="req-7", requester_name="X",
        answer_text="Y",
    )
    assert reply.subject == anonymous.subject
    assert receipt.subject == render_notice(
        NoticeKind.RECEIPT, request_kind=kind, request_id="req-7", requester_name="X",
    ).subject
