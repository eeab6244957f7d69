"""The intake contract: every kind parses, bad input is refused with the field it concerns,
and the fingerprint tells a true retry from a reused request id."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.requests import (
    CorrectionAction,
    CorrectionSubmission,
    DataCategory,
    DisclosureSubmission,
    InquirySubmission,
    InvalidSubmission,
    RequestKind,
    SuspensionAction,
    SuspensionGround,
    SuspensionSubmission,
    ThirdPartyStopSubmission,
    fingerprint,
    parse_submission,
    workflow_id_for,
)
from tests.support.builders import DETAILS, REQUESTER, submission

MODELS = {
    RequestKind.INQUIRY: InquirySubmission,
    RequestKind.DISCLOSURE: DisclosureSubmission,
    RequestKind.CORRECTION: CorrectionSubmission,
    RequestKind.SUSPENSION: SuspensionSubmission,
    RequestKind.THIRD_PARTY_STOP: ThirdPartyStopSubmission,
}


def problems_of(data: Any) -> list[tuple[str, str]]:
    with pytest.raises(InvalidSubmission) as caught:
        parse_submission(data)
    assert caught.value.problems, "an InvalidSubmission must name at least one problem"
    return caught.value.problems


def fields_of(data: Any) -> set[str]:
    return {field for field, _ in problems_of(data)}


def parent_of(data: dict[str, Any], dotted: str) -> tuple[dict[str, Any], str]:
    *path, key = dotted.split(".")
    for part in path:
        data = data[part]
    return data, key


# --- valid submissions -------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(RequestKind))
def test_each_kind_parses_into_its_own_model(kind: RequestKind) -> None:
    parsed = parse_submission(submission(kind))
    assert isinstance(parsed, MODELS[kind])
    assert parsed.kind is kind
    assert (parsed.request_id, parsed.subject_id) == ("req-2026.001", "subj:77")
    assert parsed.requester.model_dump() == REQUESTER


def test_details_are_typed_by_kind() -> None:
    correction = parse_submission(submission(RequestKind.CORRECTION))
    assert isinstance(correction, CorrectionSubmission)
    actions = [c.action for c in correction.details.changes]
    assert actions == [CorrectionAction.CORRECT, CorrectionAction.DELETE]
    assert correction.details.changes[1].new_value is None
    suspension = parse_submission(submission(RequestKind.SUSPENSION))
    assert isinstance(suspension, SuspensionSubmission)
    assert suspension.details.action is SuspensionAction.ERASE
    assert suspension.details.grounds == [SuspensionGround.OBTAINED_WRONGFULLY]
    disclosure = parse_submission(submission(RequestKind.DISCLOSURE))
    assert isinstance(disclosure, DisclosureSubmission)
    assert disclosure.details.categories == [DataCategory.IDENTITY, DataCategory.CONTACT]


def test_disclosure_details_may_be_left_out_and_mean_all_categories() -> None:
    data = submission(RequestKind.DISCLOSURE)
    del data["details"]
    parsed = parse_submission(data)
    assert isinstance(parsed, DisclosureSubmission)
    assert parsed.details.categories is None
    explicit = parse_submission(submission(RequestKind.DISCLOSURE, details={"categories": None}))
    assert fingerprint(parsed) == fingerprint(explicit)


def test_surrounding_whitespace_is_stripped_and_text_keeps_newlines_and_tabs() -> None:
    text = "Line one\n\tLine two\r\nLine three"
    requester = {"name": "  Hanako Yamada\t", "email": " hanako@example.jp\n"}
    parsed = parse_submission(submission(requester=requester, details={"text": f" {text}\n"}))
    assert parsed.requester.model_dump() == REQUESTER
    assert isinstance(parsed, InquirySubmission)
    assert parsed.details.text == text
    assert fingerprint(parsed) == fingerprint(parse_submission(submission(details={"text": text})))


# --- refusals ----------------------------------------------------------------------------


@pytest.mark.parametrize("data", [{}, [], [submission()], "inquiry", "", 42, None])
def test_empty_or_non_object_is_refused_as_a_whole(data: Any) -> None:
    assert problems_of(data) == [("request", "must be a non-empty JSON object")]


@pytest.mark.parametrize(
    "field",
    [
        "request_id",
        "requester",
        "requester.name",
        "requester.email",
        "details",
        "details.text",
    ],
)
def test_missing_field_is_named(field: str) -> None:
    data = submission()
    parent, key = parent_of(data, field)
    del parent[key]
    assert (field, "is required") in problems_of(data)


def test_missing_subject_is_named_except_on_an_inquiry() -> None:
    """N8: an inquiry without a subject id is a guest's (domain/guests.py); every other
    kind acts on our records and needs the person's subject id."""
    inquiry = submission()
    del inquiry["subject_id"]
    assert parse_submission(inquiry).subject_id.startswith("guest-")
    disclosure = submission(RequestKind.DISCLOSURE)
    del disclosure["subject_id"]
    assert ("subject_id", "is required") in problems_of(disclosure)


def test_missing_kind_is_named() -> None:
    data = submission()
    del data["kind"]
    assert fields_of(data) == {"kind"}


@pytest.mark.parametrize("kind", ["erasure", "INQUIRY", "", 6, None])
def test_unknown_kind_lists_the_known_ones(kind: Any) -> None:
    data = submission()
    data["kind"] = kind
    [(field, message)] = problems_of(data)
    assert field == "kind"
    for known in RequestKind:
        assert known.value in message


@pytest.mark.parametrize(
    "email",
    [
        "hanako",
        "hanako@",
        "@example.jp",
        "hanako@example",
        "ha nako@example.jp",
        "hanako@@example.jp",
        "hanako@-example.jp",
        "",
        "a" * 250 + "@example.jp",
    ],
)
def test_malformed_email_is_refused(email: str) -> None:
    data = submission(requester={"name": "Hanako", "email": email})
    assert problems_of(data) == [("requester.email", "is not a valid e-mail address")]


@pytest.mark.parametrize("field", ["admin", "requester.admin", "details.admin"])
def test_unknown_field_is_refused_by_name(field: str) -> None:
    data = submission()
    parent, key = parent_of(data, field)
    parent[key] = True
    assert problems_of(data) == [(field, "is not a known field")]


# NEL (U+0085) and CSI (U+009B) are C1 control characters (category Cc) like the C0 ones.
@pytest.mark.parametrize("control", ["\x00", "\n", "\t", "\r", "\x1b", "\x7f", "\x85", "\x9b"])
def test_control_characters_in_name_are_refused(control: str) -> None:
    data = submission(requester={"name": f"Ha{control}nako", "email": "hanako@example.jp"})
    assert fields_of(data) == {"requester.name"}


@given(
    prefix=st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=10),
    control=st.characters(categories=["Cc"]),
    suffix=st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=10),
)
def test_no_name_with_a_control_character_is_accepted(
    prefix: str, control: str, suffix: str
) -> None:
    data = submission(requester={"name": prefix + control + suffix, "email": "a@example.jp"})
    assert "requester.name" in fields_of(data)


@pytest.mark.parametrize("text", ["stop\x00", "bell\x07", "esc\x1b[2J"])
def test_control_characters_other_than_newline_and_tab_are_refused_in_text(text: str) -> None:
    assert fields_of(submission(details={"text": text})) == {"details.text"}


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"requester": {"name": "x" * 201, "email": "a@example.jp"}}, "requester.name"),
        ({"requester": {"name": "   ", "email": "a@example.jp"}}, "requester.name"),
        ({"details": {"text": "x" * 10_001}}, "details.text"),
        ({"details": {"text": " \n\t "}}, "details.text"),
        ({"request_id": "r" * 129}, "request_id"),
    ],
)
def test_over_long_or_blank_text_is_refused(overrides: dict[str, Any], field: str) -> None:
    assert fields_of(submission(**overrides)) == {field}


def test_longest_allowed_values_are_accepted() -> None:
    requester = {"name": "x" * 200, "email": "a@example.jp"}
    data = submission(request_id="r" * 128, requester=requester, details={"text": "y" * 10_000})
    assert parse_submission(data).request_id == "r" * 128


@pytest.mark.parametrize("field", ["request_id", "subject_id"])
@pytest.mark.parametrize(
    "value",
    [
        "",
        "-leading",
        ".leading",
        "has space",
        "slash/es",
        "new\nline",
        "trail\n",
        "ümlaut",
        "semi;colon",
    ],
)
def test_bad_identifier_characters_are_refused(field: str, value: str) -> None:
    [(where, message)] = problems_of(submission(**{field: value}))
    assert where == field
    assert message.startswith("must be 1-128 letters, digits")


def test_art7_p1_a_correction_carries_the_persons_statement_of_what_is_wrong() -> None:
    """Art 7 ¶1: "If users' personal information ... is incorrect, users may request": the
    request says what is incorrect, so the operator can judge whether it is necessary."""
    details = {"changes": [{"field": "phone", "action": "correct", "new_value": "03-1"}]}
    [(field, message)] = problems_of(submission(RequestKind.CORRECTION, details=details))
    assert (field, message) == ("details.statement", "is required")


def test_notices_are_in_english_unless_the_request_asks_for_japanese() -> None:
    assert parse_submission(submission(RequestKind.INQUIRY)).language.value == "en"
    chosen = parse_submission({**submission(RequestKind.INQUIRY), "language": "ja"})
    assert chosen.language.value == "ja"
    [(field, _)] = problems_of({**submission(RequestKind.INQUIRY), "language": "fr"})
    assert field == "language"


def test_correction_delete_with_new_value_is_refused() -> None:
    details = {
        "changes": [{"field": "nickname", "action": "delete", "new_value": "x"}],
        "statement": "I never had a nickname.",
    }
    [(field, message)] = problems_of(submission(RequestKind.CORRECTION, details=details))
    assert field == "details.changes.0"
    assert "new_value must be left out" in message


@pytest.mark.parametrize("action", ["correct", "add"])
def test_correction_without_new_value_is_refused(action: str) -> None:
    details = {
        "changes": [{"field": "address", "action": action}],
        "statement": "My address is wrong.",
    }
    [(field, message)] = problems_of(submission(RequestKind.CORRECTION, details=details))
    assert field == "details.changes.0"
    assert message == f"new_value is required when the action is {action}"


@pytest.mark.parametrize(
    ("kind", "details", "field"),
    [
        (RequestKind.CORRECTION, {"changes": []}, "details.changes"),
        (
            RequestKind.CORRECTION,
            {"changes": [{"field": "Address", "action": "add", "new_value": "x"}]},
            "details.changes.0.field",
        ),
        (RequestKind.SUSPENSION, {"action": "erase", "grounds": []}, "details.grounds"),
        (
            RequestKind.SUSPENSION,
            {"action": "burn", "grounds": ["obtained_wrongfully"]},
            "details.action",
        ),
        # N4: neither a recipient nor "all third parties"
        (RequestKind.THIRD_PARTY_STOP, {"partners": []}, "details"),
        (RequestKind.THIRD_PARTY_STOP, {"partners": ["Ad\x07Inc."]}, "details.partners.0"),
        (RequestKind.DISCLOSURE, {"categories": ["dreams"]}, "details.categories.0"),
    ],
)
def test_kind_specific_details_are_checked(
    kind: RequestKind, details: dict[str, Any], field: str
) -> None:
    assert field in fields_of(submission(kind, details=details))


def test_details_of_another_kind_are_refused() -> None:
    data = submission(RequestKind.INQUIRY, details=DETAILS[RequestKind.SUSPENSION])
    assert {"details.text", "details.action"} <= fields_of(data)


def test_every_problem_is_reported_once_and_in_the_message() -> None:
    requester = {"name": "Ha\x00nako", "email": "nope"}
    data = submission(request_id="bad id", requester=requester, details={"text": ""})
    with pytest.raises(InvalidSubmission) as caught:
        parse_submission(data)
    fields = [field for field, _ in caught.value.problems]
    assert sorted(fields) == ["details.text", "request_id", "requester.email", "requester.name"]
    assert isinstance(caught.value, ValueError)
    for field in fields:
        assert f"{field}: " in str(caught.value)


# --- properties --------------------------------------------------------------------------

_ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,30}", fullmatch=True)
_words = st.text(
    alphabet=st.characters(categories=["L", "N", "P", "Zs"]), min_size=1, max_size=60
).filter(lambda s: s.strip())
_emails = st.from_regex(r"[a-z0-9._+-]{1,20}@[a-z0-9]{1,10}(\.[a-z]{2,6}){1,2}", fullmatch=True)
_statement = {"statement": _words}

_field = st.from_regex(r"[a-z][a-z0-9_]{0,9}", fullmatch=True)
_change = st.builds(lambda f: {"field": f, "action": "delete"}, _field) | st.builds(
    lambda f, a, v: {"field": f, "action": a, "new_value": v},
    _field,
    st.sampled_from(["correct", "add"]),
    _words,
)
_details = {
    RequestKind.INQUIRY: st.fixed_dictionaries({"text": _words}),
    RequestKind.DISCLOSURE: st.fixed_dictionaries(
        {
            "categories": st.none()
            | st.lists(st.sampled_from([c.value for c in DataCategory]), unique=True)
        }
    ),
    RequestKind.CORRECTION: st.fixed_dictionaries(
        {"changes": st.lists(_change, min_size=1, max_size=5), **_statement}
    ),
    RequestKind.SUSPENSION: st.fixed_dictionaries(
        {
            "action": st.sampled_from([a.value for a in SuspensionAction]),
            "grounds": st.lists(st.sampled_from(list(SuspensionGround)), min_size=1, max_size=2),
        },
        optional=_statement,
    ),
    RequestKind.THIRD_PARTY_STOP: st.fixed_dictionaries(
        {"partners": st.lists(_ids, min_size=1, max_size=5)}, optional=_statement
    ),
}
valid_submissions = st.sampled_from(list(RequestKind)).flatmap(
    lambda kind: st.fixed_dictionaries(
        {
            "request_id": _ids,
            "subject_id": _ids,
            "kind": st.just(kind.value),
            "requester": st.fixed_dictionaries({"name": _words, "email": _emails}),
            "details": _details[kind],
        }
    )
)


@given(valid_submissions)
def test_any_valid_submission_round_trips_with_a_stable_fingerprint(data: dict[str, Any]) -> None:
    parsed = parse_submission(data)
    again = parse_submission(parsed.model_dump(mode="json"))
    assert again == parsed
    assert fingerprint(again) == fingerprint(parsed) == fingerprint(parse_submission(data))
    assert len(fingerprint(parsed)) == 64
    assert workflow_id_for(parsed.request_id) == workflow_id_for(data["request_id"])


def _change(data: dict[str, Any], where: str) -> None:
    details = data["details"]
    match where, data["kind"]:
        case (("request_id" | "subject_id" | "requester.name" | "requester.email"), _):
            parent, key = parent_of(data, where)
            parent[key] = "x" + parent[key]
        case "details", "inquiry":
            details["text"] += "!"
        case "details", "disclosure":
            details["categories"] = None if details["categories"] else ["history"]
        case "details", "suspension":
            details["action"] = "erase" if details["action"] == "suspend_use" else "suspend_use"
        case "details", "correction":
            details["changes"].append({"field": "zz", "action": "delete"})
        case "details", "third_party_stop":
            details["partners"].append("another-partner")


_WHERE = ["request_id", "subject_id", "requester.name", "requester.email", "details"]


@given(valid_submissions, st.sampled_from(_WHERE))
def test_fingerprint_changes_when_any_field_changes(data: dict[str, Any], where: str) -> None:
    original = parse_submission(data)
    changed_data = copy.deepcopy(data)
    _change(changed_data, where)
    changed = parse_submission(changed_data)
    assert changed != original
    assert fingerprint(changed) != fingerprint(original)


@given(valid_submissions)
def test_fingerprint_ignores_key_order(data: dict[str, Any]) -> None:
    reordered = dict(reversed(list(data.items())))
    reordered["requester"] = dict(reversed(list(data["requester"].items())))
    assert fingerprint(parse_submission(reordered)) == fingerprint(parse_submission(data))
