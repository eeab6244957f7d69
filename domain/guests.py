"""Inquirers without a subject of ours (N8)."""

from __future__ import annotations

import hashlib

# Art 10's CONTACT form is open to anyone (N8): an inquiry from a person without a working
# registered address (a partner's data, a lost mailbox) has no subject of ours. It gets a
# subject id of its own, "guest-…", under which its personal data (name, address, text) is
# sealed like any other; a guest is never matched to our records, and an answer to one
# says it carries no personal information about them (domain/notices.py).
GUEST_PREFIX = "guest-"


def is_guest(subject_id: str) -> bool:
    return subject_id.startswith(GUEST_PREFIX)


def answer_is_general(subject_id: str, registration_matched: bool) -> bool:
    """Whether an inquiry's answer must carry no personal information about the requester
    (old item 33): a guest's, or one whose address is not the subject's address on record
    (nothing then shows that the requester is the subject). The notice says so."""
    return is_guest(subject_id) or not registration_matched


def guest_subject_for(request_id: str) -> str:
    """The guest subject of an inquiry sent without a subject id: the same for the same
    request id, so a submission sent again is the same submission."""
    return GUEST_PREFIX + hashlib.sha256(request_id.encode()).hexdigest()[:32]
