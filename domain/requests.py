"""The intake contract: what a backend service submits when a person invokes the policy.

A submission carries the personal part (the requester's name and e-mail, the details of
the request). Only the ids ever reach Temporal; the rest is written to Postgres.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    field_validator,
    model_validator,
)

from domain.guests import GUEST_PREFIX, guest_subject_for, is_guest


class RequestKind(StrEnum):
    """The requests a person can make under the policy, named by what they ask for."""

    DISCLOSURE = "disclosure"  # Article 6
    CORRECTION = "correction"  # Article 7
    SUSPENSION = "suspension"  # Article 8
    THIRD_PARTY_STOP = "third_party_stop"  # Article 5
    INQUIRY = "inquiry"  # Article 10


class DataCategory(StrEnum):
    """Categories of held personal data, kept with every item: a disclosure counts what it
    discloses and leaves out by category."""

    IDENTITY = "identity"
    CONTACT = "contact"
    FINANCIAL = "financial"
    TRANSACTION = "transaction"
    HISTORY = "history"
    CHARACTERISTIC = "characteristic"


# C0 and C1 controls and the Unicode line and paragraph separators; free text keeps
# newline, carriage return and tab.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_IN_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@"
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$"
)


# Bidirectional overrides and isolates can make a name display as something else.
_BIDI_CONTROL = re.compile(r"[\u202a-\u202e\u2066-\u2069]")


def _visible(value: str) -> bool:
    return any(unicodedata.category(ch) not in ("Cf", "Zs", "Cc") for ch in value)


def _no_control_in_line(value: str) -> str:
    if _CONTROL_IN_LINE.search(value):
        raise ValueError("must not contain control characters")
    if _BIDI_CONTROL.search(value):
        raise ValueError("must not contain bidirectional override characters")
    if not _visible(value):
        raise ValueError("must contain a visible character")
    return value


def _no_control_in_text(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters other than newline and tab")
    return value


def _email(value: str) -> str:
    if len(value) > 254 or not _EMAIL.match(value):
        raise ValueError("is not a valid e-mail address")
    return value


Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$"),
]
"""An opaque id chosen by the client: letters, digits and . _ : -, at most 128 characters."""

Line = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_in_line),
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(_no_control_in_text),
]
Email = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_email)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Requester(_Strict):
    """The person making the request, as they gave themselves. Personal data."""

    name: Line
    email: Email


class InquiryDetails(_Strict):
    text: Text


class DisclosureDetails(_Strict):
    categories: list[DataCategory] | None = Field(
        default=None,
        max_length=len(DataCategory),
        description="Categories asked for; none means all that may be disclosed.",
    )


class CorrectionAction(StrEnum):
    CORRECT = "correct"
    ADD = "add"
    DELETE = "delete"


class FieldChange(_Strict):
    field: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
    action: CorrectionAction
    new_value: Line | None = None

    @model_validator(mode="after")
    def _value_fits_action(self) -> FieldChange:
        if self.action is CorrectionAction.DELETE and self.new_value is not None:
            raise ValueError("new_value must be left out when the action is delete")
        if self.action is not CorrectionAction.DELETE and self.new_value is None:
            raise ValueError(f"new_value is required when the action is {self.action.value}")
        return self


class CorrectionDetails(_Strict):
    changes: Annotated[list[FieldChange], Field(min_length=1, max_length=100)]
    statement: Text = Field(
        description="Article 7 ¶1: the person's statement of what is "
        "incorrect in what we hold, and why"
    )


class SuspensionAction(StrEnum):
    SUSPEND_USE = "suspend_use"
    ERASE = "erase"


class SuspensionGround(StrEnum):
    """The two grounds on which Article 8 lets a person ask for suspension or erasure."""

    USED_BEYOND_PURPOSE = "used_beyond_purpose"
    OBTAINED_WRONGFULLY = "obtained_wrongfully"


class SuspensionDetails(_Strict):
    action: SuspensionAction
    grounds: Annotated[list[SuspensionGround], Field(min_length=1, max_length=2)]
    statement: Text | None = None


class ThirdPartyStopDetails(_Strict):
    """Article 5: the recipients to stop providing to, each as the disclosure names it (its
    name or its id, domain/recipients.py), or every third party."""

    partners: Annotated[list[Line], Field(max_length=100)] = []
    all_third_parties: bool = False
    statement: Text | None = None

    @model_validator(mode="after")
    def _names_someone(self) -> ThirdPartyStopDetails:
        if not self.partners and not self.all_third_parties:
            raise ValueError(
                "name at least one recipient, or ask to stop provision to all third parties"
            )
        return self


class Language(StrEnum):
    """The language of the notices the person receives."""

    JA = "ja"
    EN = "en"


# One rule for every notice: a person who never chose a language (a back-end submission that
# names none, an Article 4 notice to someone who never wrote in) is written to in English.
DEFAULT_LANGUAGE = Language.EN


class _SubmissionBase(_Strict):
    request_id: Identifier
    subject_id: Identifier
    requester: Requester
    language: Language = DEFAULT_LANGUAGE


class InquirySubmission(_SubmissionBase):
    kind: Literal[RequestKind.INQUIRY]
    details: InquiryDetails

    @model_validator(mode="before")
    @classmethod
    def _guest_without_subject(cls, data: Any) -> Any:
        """An inquiry needs no subject id: without one, it is a guest's (N8)."""
        if isinstance(data, dict) and data.get("subject_id") is None:
            if isinstance(request_id := data.get("request_id"), str):
                return {**data, "subject_id": guest_subject_for(request_id)}
        return data


class _OwnSubject(_SubmissionBase):
    """A request that acts on what we hold about a person: never a guest's."""

    @field_validator("subject_id")
    @classmethod
    def _not_a_guest(cls, subject_id: str) -> str:
        if is_guest(subject_id):
            raise ValueError(
                f"{GUEST_PREFIX}… subjects are for inquiries from people without a registered "
                "address; a request about our records needs the person's own subject id"
            )
        return subject_id


class DisclosureSubmission(_OwnSubject):
    kind: Literal[RequestKind.DISCLOSURE]
    details: DisclosureDetails = DisclosureDetails()


class CorrectionSubmission(_OwnSubject):
    kind: Literal[RequestKind.CORRECTION]
    details: CorrectionDetails


class SuspensionSubmission(_OwnSubject):
    kind: Literal[RequestKind.SUSPENSION]
    details: SuspensionDetails


class ThirdPartyStopSubmission(_OwnSubject):
    kind: Literal[RequestKind.THIRD_PARTY_STOP]
    details: ThirdPartyStopDetails


AnySubmission = (
    InquirySubmission
    | DisclosureSubmission
    | CorrectionSubmission
    | SuspensionSubmission
    | ThirdPartyStopSubmission
)
SubjectRequest = Annotated[AnySubmission, Field(discriminator="kind")]
"""The public contract of intake: one JSON object, its `details` shaped by its `kind`."""

SUBMISSION_MODELS = (
    InquirySubmission,
    DisclosureSubmission,
    CorrectionSubmission,
    SuspensionSubmission,
    ThirdPartyStopSubmission,
)
assert set(SUBMISSION_MODELS) == set(get_args(AnySubmission)), "one model per kind, both ways"
_SUBJECT_REQUEST = TypeAdapter(SubjectRequest)
_KINDS = ", ".join(kind.value for kind in RequestKind)


class InvalidSubmission(ValueError):
    """A submission that does not fit the contract. `problems` are (field, message) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{field}: {message}" for field, message in problems))


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_]{1,40}")


def field_path(parts: list[str]) -> str:
    """A field path safe to print on one line: odd keys (empty, control characters,
    huge) are quoted and cut, so an error message never echoes hostile input back."""
    shown = []
    for part in parts:
        if _PLAIN_KEY.fullmatch(part):
            shown.append(part)
        else:
            quoted = json.dumps(part[:40])
            shown.append(quoted if len(part) <= 40 else quoted[:-1] + '…"')
    return ".".join(shown)[:160]


def _problem(error: Any) -> tuple[str, str]:
    loc = [str(part) for part in error["loc"]]
    kind_tags = {kind.value for kind in RequestKind}
    if loc and loc[0] in kind_tags:
        loc = loc[1:]  # the discriminated union puts the kind's tag first
    field = field_path(loc)
    kind = error["type"]
    if kind in ("union_tag_not_found", "union_tag_invalid"):
        return "kind", f"must be one of {_KINDS}"
    if kind == "missing":
        return field, "is required"
    if kind == "extra_forbidden":
        return field, "is not a known field"
    if kind == "model_type" or kind == "model_attributes_type":
        return field or "request", "must be a JSON object"
    if kind == "string_pattern_mismatch" and loc[-1:] in (["request_id"], ["subject_id"]):
        return field, ("must be 1-128 letters, digits and . _ : -, starting with a letter or digit")
    message = " ".join(str(error["msg"]).removeprefix("Value error, ").split())[:200]
    return field or "request", message[:1].lower() + message[1:]


MAX_DEPTH = 16  # the contract is three levels deep; anything far deeper is hostile
MAX_PROBLEMS = 20


def too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether decoded JSON nests deeper than `limit`. Iterative, so a hostile nesting
    cannot exhaust the stack before it is refused."""
    pending: list[tuple[Any, int]] = [(data, 0)]
    while pending:
        node, depth = pending.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            pending.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            pending.extend((value, depth + 1) for value in node)
    return False


def parse_submission(data: Any) -> SubjectRequest:
    """Validate a decoded JSON value against the contract, or raise InvalidSubmission."""
    if not isinstance(data, dict) or not data:
        raise InvalidSubmission([("request", "must be a non-empty JSON object")])
    if too_deep(data):
        raise InvalidSubmission([("request", f"is nested more than {MAX_DEPTH} levels deep")])
    try:
        return _SUBJECT_REQUEST.validate_python(data)
    except ValidationError as exc:
        problems = list(dict.fromkeys(_problem(error) for error in exc.errors()))
        if len(problems) > MAX_PROBLEMS:
            # A hostile request can carry thousands of faults; the first ones say enough.
            problems = [
                *problems[:MAX_PROBLEMS],
                ("request", f"and {len(problems) - MAX_PROBLEMS} more problems"),
            ]
        raise InvalidSubmission(problems) from None


WORKFLOW_ID_PREFIX = "dsr-"


def workflow_id_for(request_id: str) -> str:
    """The Temporal workflow id of a request: one workflow per request id, ever."""
    return f"{WORKFLOW_ID_PREFIX}{request_id}"


def fingerprint(submission: SubjectRequest) -> str:
    """A digest of the whole submission, to tell a true retry from a reused request id."""
    document = json.dumps(
        submission.model_dump(mode="json"),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(document.encode("utf-8")).hexdigest()
