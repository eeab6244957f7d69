"""`dsr policy post FILE --new-purpose ID=JAPANESE TEXT [--includes-provision]`: the
declaration of the purpose a posted policy adds to Article 3 (issue 24, Article 9 with
Article 5 ¶1), as the command sends it to the API, and refused before anything is sent
when it says too little."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from domain.policy_text import DeclaredPurpose
from interfaces.api.register_models import PolicyPosting
from interfaces.cli.client import default_transport
from interfaces.cli.main import main
from interfaces.cli.purposes import listing

REPLY = {
    "version": "2027-01-01.0123456789ab",
    "sha256": "0" * 64,
    "posted_at": "2026-12-06T10:00:00Z",
    "effective_at": "2027-01-01T00:00:00Z",
    "new_purpose": "partner_marketing",
    "includes_provision": True,
}


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """What `dsr` posts, to a stand-in of the API that answers as it would."""
    monkeypatch.setenv("DSR_URL", "http://dsr.test")
    monkeypatch.setenv("DSR_TOKEN", "dsr_token")
    bodies: list[dict[str, Any]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        assert (request.method, request.url.path) == ("POST", "/api/v1/policy/versions")
        bodies.append(json.loads(request.content))
        return httpx.Response(201, json=REPLY)

    reset = default_transport.set(httpx.MockTransport(answer))
    yield bodies
    default_transport.reset(reset)


def test_the_new_purpose_is_declared_with_its_id_japanese_text_and_mark(
    sent: list[dict[str, Any]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 24: the options read as the purpose the posting adds, marked as including
    provision to third parties when told; no option, no new purpose."""
    policy = tmp_path / "policy.txt"
    policy.write_text("Privacy policy\n", encoding="utf-8")
    argv = ["policy", "post", str(policy)]
    declaring = ["--new-purpose", "partner_marketing=ユーザーの連絡先を提携先に提供するため"]
    assert main(["--output", "json", *argv, *declaring, "--includes-provision"]) == 0
    assert main([*argv, "--effective", "2027-01-01"]) == 0
    declared, plain = (PolicyPosting.model_validate(body) for body in sent)
    assert declared.text == "Privacy policy\n" and declared.effective_at is None
    assert declared.declared() == DeclaredPurpose(
        "partner_marketing", "ユーザーの連絡先を提携先に提供するため", True
    )
    assert plain.declared() is None
    assert plain.effective_at == datetime(2027, 1, 1, tzinfo=UTC)
    json_line, text_line = capsys.readouterr().out.splitlines()
    assert json.loads(json_line) == {
        **REPLY,
        "posted_at": "2026-12-06T10:00:00+00:00",
        "effective_at": "2027-01-01T00:00:00+00:00",
    }
    assert text_line == (
        "privacy policy version 2027-01-01.0123456789ab recorded; in force from "
        "2027-01-01T00:00+00:00; purpose partner_marketing added to Article 3 from then, "
        "including provision to third parties"
    )


@pytest.mark.parametrize(
    ("declaring", "says"),
    [
        (["--includes-provision"], "--includes-provision marks the purpose --new-purpose declares"),
        (["--new-purpose", "partner_marketing"], "--new-purpose takes ID=JAPANESE TEXT"),
        (["--new-purpose", "=提供するため"], "--new-purpose takes ID=JAPANESE TEXT"),
        (
            ["--new-purpose", "partner_marketing= ", "--includes-provision"],
            "--new-purpose takes ID=JAPANESE TEXT",
        ),
    ],
)
def test_a_declaration_that_says_too_little_is_refused(
    sent: list[dict[str, Any]],
    declaring: list[str],
    says: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Issue 24: a mark without a purpose, or a purpose without its id or Japanese text, is
    refused before anything is read or posted (the file named does not exist)."""
    assert main(["policy", "post", "no-such-policy.txt", *declaring]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("dsr: ") and says in captured.err
    assert captured.out == "" and sent == []


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
    assert listing([row]).splitlines()[0] == (
        "partner_marketing v1: from 2027-01-01 00:00, in force, added by policy version "
        "2027-01-01.0123456789ab, includes provision to third parties"
    )
