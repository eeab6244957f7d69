"""The rule a request's workflow input is checked by (domain/request_terms.py, issue 22):
the input's terms against the record, and no second run over a chain with progress; and
the deadline policy's digest, which binds its version to its contents."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from domain.deadlines import DEFAULT_DURATIONS, DeadlinePolicy, Step
from domain.messages import RequestRef
from domain.request_terms import RecordedTerms, StartRefused, start_problem
from domain.requests import RequestKind

POLICY = DeadlinePolicy().with_overrides({Step.DECIDE: timedelta(days=5)}, "t-1")
REF = RequestRef(
    request_id="dis-2",
    subject_id="user-7",
    kind=RequestKind.DISCLOSURE,
    deadline_policy=POLICY,
    privacy_policy_version="2026-11",
)


def _recorded(**changes: Any) -> RecordedTerms:
    terms: dict[str, Any] = {
        "request_id": "dis-2",
        "workflow_id": "dsr-dis-2",
        "kind": "disclosure",
        "subject_id": "user-7",
        "deadline_policy_version": "t-1",
        "deadline_policy_digest": POLICY.digest(),
        "privacy_policy_version": "2026-11",
        "progress_events": 0,
    }
    return RecordedTerms(**(terms | changes))


def test_the_terms_on_record_start() -> None:
    assert start_problem(REF, "dsr-dis-2", _recorded()) is None


def test_an_unknown_request_is_named() -> None:
    problem = start_problem(REF, "dsr-dis-2", None)
    assert problem is not None and problem.refused is StartRefused.UNKNOWN_REQUEST
    assert "dis-2 was never taken in" in problem.message


def _forged_window() -> DeadlinePolicy:
    durations = {**POLICY.durations, Step.VERIFY_IDENTITY: timedelta(seconds=20)}
    return POLICY.model_copy(update={"durations": durations})


@pytest.mark.parametrize(
    ("workflow_id", "changes", "named"),
    [
        ("dsr-mallory-1", {}, "whose workflow is dsr-dis-2, not dsr-mallory-1"),
        ("dsr-dis-2", {"kind": RequestKind.CORRECTION}, "kind: the input says correction"),
        ("dsr-dis-2", {"subject_id": "user-8"}, "subject_id"),
        ("dsr-dis-2", {"deadline_policy": DeadlinePolicy()}, "deadline policy: the input's"),
        ("dsr-dis-2", {"deadline_policy": _forged_window()}, "its digest differs"),
        ("dsr-dis-2", {"privacy_policy_version": None}, "privacy policy version"),
    ],
)
def test_each_term_that_differs_is_named(
    workflow_id: str, changes: dict[str, Any], named: str
) -> None:
    """N9 and N5: another workflow's id, kind, subject, policy (label or contents), privacy
    policy; the subject ids themselves are not repeated."""
    problem = start_problem(REF.model_copy(update=changes), workflow_id, _recorded())
    assert problem is not None and problem.refused is StartRefused.INPUT_DISAGREES
    assert named in problem.message and "nothing was done" in problem.message
    assert "user-8" not in problem.message


def test_without_a_recorded_digest_the_label_is_checked() -> None:
    """Requests taken in before migration 0037: by version alone."""
    recorded = _recorded(deadline_policy_digest=None)
    assert (
        start_problem(
            REF.model_copy(update={"deadline_policy": _forged_window()}), "dsr-dis-2", recorded
        )
        is None
    )
    forged = REF.model_copy(update={"deadline_policy": DeadlinePolicy()})
    assert start_problem(forged, "dsr-dis-2", recorded) is not None


def test_a_second_run_over_progress_is_refused_even_on_the_right_terms() -> None:
    """N5: a new run starts from nothing; over a request that has moved it would contradict
    what is on record."""
    problem = start_problem(
        REF, "dsr-dis-2", _recorded(progress_events=11, last_event="identity.verified")
    )
    assert problem is not None and problem.refused is StartRefused.ALREADY_UNDERWAY
    assert "11 event(s)" in problem.message and "identity.verified" in problem.message


def test_the_digest_binds_the_contents_and_survives_the_round_trip() -> None:
    assert DeadlinePolicy.model_validate_json(POLICY.model_dump_json()).digest() == POLICY.digest()
    assert _forged_window().digest() != POLICY.digest()
    assert POLICY.model_copy(update={"version": "t-2"}).digest() != POLICY.digest()
    assert POLICY.model_copy(update={"reminder_fraction": 0.3}).digest() != POLICY.digest()
    # A value given explicitly equal to the default is the same policy.
    explicit = DeadlinePolicy(durations=dict(DEFAULT_DURATIONS), max_extensions=2)
    assert explicit.digest() == DeadlinePolicy().digest()
    assert len(POLICY.digest()) == 64
