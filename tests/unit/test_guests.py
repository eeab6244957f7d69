"""N8: an inquiry needs no subject id of ours (a guest of the CONTACT form), a request about
our records never takes a guest's, and the proof of identity has a monitored channel (the
Reply-To of every notice sent over SMTP)."""

from __future__ import annotations

import pytest

from domain.guests import answer_is_general, guest_subject_for, is_guest
from domain.requests import InvalidSubmission, parse_submission
from mail.smtp import build_message
from store.outbox import OutgoingNotice

PERSON = {"name": "Partner Person", "email": "p@example.jp"}


def test_n8_an_inquiry_without_a_subject_id_is_a_guests() -> None:
    """N8: inquiries forced a subject_id, closing Art 10's CONTACT route to non-users."""
    inquiry = parse_submission(
        {"request_id": "r-1", "kind": "inquiry", "requester": PERSON, "details": {"text": "?"}}
    )
    assert is_guest(inquiry.subject_id) and inquiry.subject_id == guest_subject_for("r-1")
    # The same submission sent again is the same one (intake is idempotent on it).
    assert guest_subject_for("r-1") != guest_subject_for("r-2")
    own = parse_submission(
        {"request_id": "r-3", "kind": "inquiry", "subject_id": "s-9", "requester": PERSON,
         "details": {"text": "?"}}
    )  # fmt: skip
    assert own.subject_id == "s-9" and not is_guest(own.subject_id)


@pytest.mark.parametrize("kind", ["disclosure", "correction", "suspension", "third_party_stop"])
def test_n8_a_request_about_our_records_needs_the_persons_own_subject(kind: str) -> None:
    with pytest.raises(InvalidSubmission) as refused:
        parse_submission(
            {"request_id": "r-1", "kind": kind, "subject_id": guest_subject_for("x"),
             "requester": PERSON, "details": {}}
        )  # fmt: skip
    assert any(
        path == "subject_id" and "for inquiries from people without a registered" in message
        for path, message in refused.value.problems
    )
    with pytest.raises(InvalidSubmission, match="subject_id"):
        parse_submission({"request_id": "r-1", "kind": kind, "requester": PERSON, "details": {}})


def test_n8_replies_go_to_the_monitored_mailbox() -> None:
    """N8: the proof request says "reply with proof"; the SMTP notice set no Reply-To, so a
    reply went to the sending address. DSR_MAIL_REPLY_TO names the mailbox staff read."""
    notice = OutgoingNotice(1, "k-1", "p@example.jp", "Proof of identity", "Please reply.")
    message = build_message(
        notice, sender="noreply@example.jp", domain="example.jp", reply_to="privacy@example.jp"
    )
    assert message["Reply-To"] == "privacy@example.jp"
    assert message["Auto-Submitted"] == "auto-generated"  # no auto-replies; people may reply
    assert (
        build_message(notice, sender="noreply@example.jp", domain="example.jp")["Reply-To"] is None
    )


def test_old_33_an_answer_is_general_unless_the_requester_is_shown_to_be_the_subject() -> None:
    """Old item 33: answers went to an unverified requester. A guest's answer, or one to
    an address that is not the subject's on record, carries no personal information."""
    assert answer_is_general(guest_subject_for("r-1"), registration_matched=False)
    assert answer_is_general(guest_subject_for("r-1"), registration_matched=True)
    assert answer_is_general("s-9", registration_matched=False)
    assert not answer_is_general("s-9", registration_matched=True)
