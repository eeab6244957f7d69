"""A request's workflow input is a claim (DESIGN rule 8; issue 22, review N5 and N9).

Whoever reaches Temporal can start `DataSubjectRequest` with any input. Before any effect,
the workflow's first activity compares the input with the request's terms as intake
recorded them; any difference refuses the start, non-retryably, and nothing is written.

A new run of a request that has already made progress is refused too, even on the right
terms: the run would start from nothing, so it would not know what the events on record
say (an operator's verification, a decision) and would contradict them under its own
clock (N5: a lapse after `identity.verified`, and a false notice). The smallest sound rule
is that a run starts only over an empty chain: the one kind of event that may precede a
run's first activity without being its progress, an operator's act refused at the worker
(`act.refused`), does not count. Rebuilding a request's state from its events, so that a
second run resumes, is not done; an operator deals with a request whose workflow ended
early (docs/audit.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from domain.messages import RequestRef


class StartRefused(StrEnum):
    """Why a run may not start, as the type of its non-retryable error."""

    UNKNOWN_REQUEST = "UnknownRequest"  # no request has the input's id
    INPUT_DISAGREES = "InputDisagreesWithRecord"  # the input's terms are not the record's
    ALREADY_UNDERWAY = "RequestAlreadyUnderway"  # the chain shows an earlier run's progress


@dataclass(frozen=True)
class StartProblem:
    refused: StartRefused
    message: str


@dataclass(frozen=True)
class RecordedTerms:
    """A request's row as intake wrote it (terms that never change, migration 0037), and how
    many events of progress its chain holds."""

    request_id: str
    workflow_id: str
    kind: str
    subject_id: str
    deadline_policy_version: str
    deadline_policy_digest: str | None  # None: taken in before digests were recorded
    privacy_policy_version: str | None
    progress_events: int
    last_event: str | None = None  # the type of the last event of progress, if any


def start_problem(
    ref: RequestRef, workflow_id: str, recorded: RecordedTerms | None
) -> StartProblem | None:
    """Why the run `workflow_id`, started with `ref`, may not go on; None if it may.

    Messages name the fields and the request's ids, policy versions and kinds (none of
    them personal data); never the subject ids."""
    if recorded is None:
        return StartProblem(
            StartRefused.UNKNOWN_REQUEST,
            f"request {ref.request_id} was never taken in; requests are started by "
            "`dsr submit` or starter.submit(), which record them first",
        )
    faults = []
    if recorded.workflow_id != workflow_id:
        faults.append(
            f"it is request {recorded.request_id}'s, whose workflow is {recorded.workflow_id}, "
            f"not {workflow_id}"
        )
    if recorded.kind != ref.kind.value:
        faults.append(f"kind: the input says {ref.kind.value}, the record {recorded.kind}")
    if recorded.subject_id != ref.subject_id:
        faults.append("subject_id: the input names another subject than the record")
    policy = ref.deadline_policy
    if recorded.deadline_policy_version != policy.version:
        faults.append(
            f"deadline policy: the input's is {policy.version}, "
            f"the record's {recorded.deadline_policy_version}"
        )
    elif (
        recorded.deadline_policy_digest is not None
        and recorded.deadline_policy_digest != policy.digest()
    ):
        faults.append(
            f"deadline policy: the input's {policy.version} is not the contents recorded "
            "under that version (its digest differs)"
        )
    if recorded.privacy_policy_version != ref.privacy_policy_version:
        faults.append(
            f"privacy policy version: the input's is {ref.privacy_policy_version}, "
            f"the record's {recorded.privacy_policy_version}"
        )
    if faults:
        return StartProblem(
            StartRefused.INPUT_DISAGREES,
            f"the workflow input disagrees with request {ref.request_id} on record ("
            + "; ".join(faults)
            + "); nothing was done",
        )
    if recorded.progress_events:
        return StartProblem(
            StartRefused.ALREADY_UNDERWAY,
            f"request {ref.request_id} already has {recorded.progress_events} event(s) on "
            f"record (the last {recorded.last_event}) from an earlier run: a new run would not "
            "know what they say, so it does not start; nothing was done (docs/audit.md)",
        )
    return None
