"""`dsr policy post FILE --new-purpose ID=JAPANESE TEXT [--includes-provision]`: the
declaration of the purpose a posted policy adds to Article 3 (issue 24, Article 9 with
Article 5 ¶1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.policy_text import DeclaredPurpose
from interfaces.cli.main import parser
from interfaces.cli.policy import declared
from interfaces.cli.purposes import _listing
from service.requests import Refused


def test_the_new_purpose_is_declared_with_its_id_japanese_text_and_mark() -> None:
    """Issue 24: the options read as the purpose the posting adds, marked as including
    provision to third parties when told; no option, no new purpose."""
    args = parser().parse_args(
        [
            "policy",
            "post",
            "policy.txt",
            "--new-purpose",
            "partner_marketing=ユーザーの連絡先を提携先に提供するため",
            "--includes-provision",
        ]
    )
    assert declared(args.new_purpose, args.includes_provision) == DeclaredPurpose(
        "partner_marketing", "ユーザーの連絡先を提携先に提供するため", True
    )
    plain = parser().parse_args(["policy", "post", "policy.txt"])
    assert declared(plain.new_purpose, plain.includes_provision) is None


@pytest.mark.parametrize(
    ("new_purpose", "includes_provision", "says"),
    [
        (None, True, "--includes-provision marks the purpose --new-purpose declares"),
        ("partner_marketing", False, "--new-purpose takes ID=JAPANESE TEXT"),
        ("=提供するため", False, "--new-purpose takes ID=JAPANESE TEXT"),
        ("partner_marketing= ", True, "--new-purpose takes ID=JAPANESE TEXT"),
    ],
)
def test_a_declaration_that_says_too_little_is_refused(
    new_purpose: str | None, includes_provision: bool, says: str
) -> None:
    """Issue 24: a mark without a purpose, or a purpose without its id or Japanese text, is
    refused before anything is read or posted."""
    with pytest.raises(Refused, match=says):
        declared(new_purpose, includes_provision)


def test_dsr_purposes_list_says_which_posting_added_a_purpose_and_its_mark() -> None:
    """Issue 24: `dsr purposes list` names the policy version that added a purpose and
    whether it includes provision to third parties (Article 5 ¶1's first matter)."""
    row = {
        "purpose_id": "partner_marketing",
        "version": 1,
        "text": "To provide users' contact details to marketing partners",
        "text_ja": "ユーザーの連絡先を提携先に提供するため",
        "incidental_to": None,
        "judged_by": None,
        "effective_from": datetime(2027, 1, 1, tzinfo=UTC),
        "superseded_at": None,
        "change_id": None,
        "posted_in": "2027-01-01.0123456789ab",
        "includes_provision": True,
    }
    assert _listing([row]).splitlines()[0] == (
        "partner_marketing v1: from 2027-01-01 00:00, in force, added by policy version "
        "2027-01-01.0123456789ab, includes provision to third parties"
    )
