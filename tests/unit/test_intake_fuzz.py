"""Fuzzing intake with malformed and hostile payloads.

Every payload either parses into a valid model or is refused with InvalidSubmission,
never another exception; every problem names a field and says what is wrong in one short
line that does not echo the input back; and what parses carries no control characters in
its one-line fields. `dsr submit --json -` refuses the same payloads with exit status 2
and `dsr: ` lines only, without needing or touching a server.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import starter
from domain.requests import parse_submission
from tests.support.builders import DETAILS, submission
from tests.support.hostile_input import (
    DEPTH,
    FIELD_LIMIT,
    HUGE,
    MESSAGE_LIMIT,
    PROBLEM_LIMIT,
    SQL,
    Deep,
    Many,
    assert_clean,
    assert_seals,
    deep_json_text,
    duplicate_key_text,
    duplicate_key_texts,
    hostile_submissions,
    is_one_line,
    materialize,
    near_valid_submissions,
    outcome,
    payloads,
    problems_of,
    refusal,
    replaced,
    with_key,
)

NEWLINE_KEY = "status\ndsr: submitted inquiry request req-1 as workflow dsr-req-1"
ENUM_POSITIONS = {
    "inquiry": [("kind",)],
    "disclosure": [("details", "categories", 0)],
    "suspension": [("details", "action"), ("details", "grounds", 0)],
    "correction": [("details", "changes", 0, "action")],
}

# --- parse_submission --------------------------------------------------------------------

FAST = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@example(payload=Deep("array", 3 * DEPTH))
@example(payload={**submission(), "details": Deep("object", 3 * DEPTH)})
@example(payload={**submission(), "requester": {"name": "\ud800", "email": "a@b.co"}})
@example(payload={**submission(), "request_id": 10**5000})
@example(payload={**submission("disclosure"), "details": {"categories": [Deep("array", DEPTH)]}})
@example(payload={**submission(), "kind": Deep("object", DEPTH)})
@given(payload=payloads)
def test_parse_submission_returns_a_model_or_raises_invalid_submission(payload: Any) -> None:
    """The last two examples failed at 2ac0040: a value nested past the recursion limit
    where an enum belongs made parsing raise RecursionError, or, as `kind`, print one to
    stderr."""
    outcome(payload)


@FAST
@example(payload=Deep("array", 3 * DEPTH))
@example(payload={**submission(), "requester": {"name": "\ud800", "email": "a@b.co"}})
@example(payload={**submission(), "request_id": 10**5000})
@example(payload={**submission(), "requester": {"name": "x" * HUGE, "email": "x" * HUGE}})
@given(payload=payloads)
def test_each_problem_has_a_short_one_line_message(payload: Any) -> None:
    problems = refusal(payload)
    if problems is None:
        assert_clean(parse_submission(materialize(payload)))
    for field, message in problems or []:
        assert isinstance(message, str) and message.strip(), f"empty message for {field!r}"
        assert is_one_line(message), f"{message!r} is not a single line"
        assert len(message) <= MESSAGE_LIMIT, f"{len(message)}-char message for {field!r}"


@FAST
@example(payload={**submission(), "'; DROP TABLE requests; --\n": 1})
@example(payload={**submission(), "k" * 1_000: 1})
@example(payload={**submission(), "": 1})
@given(payload=payloads)
def test_each_problem_names_its_field_in_one_short_line(payload: Any) -> None:
    """The CLI prints `dsr: invalid request: FIELD: MESSAGE`, so FIELD must not be an
    unknown key verbatim (it was at 2ac0040): empty, multi-line or of any length."""
    for field, _ in refusal(payload) or []:
        assert isinstance(field, str) and field.strip(), "a problem's field is empty"
        assert is_one_line(field), f"field {field[:80]!r} is not a single line"
        assert len(field) <= FIELD_LIMIT, f"{len(field)}-char field {field[:40]!r}..."


@FAST
@example(payload={**submission("disclosure"), "details": {"categories": Many(["x"] * 10_000)}})
@example(payload={**submission(), **{f"k{i}": 1 for i in range(10_000)}})
@given(payload=payloads)
def test_a_refusal_stays_readable_however_much_is_wrong(payload: Any) -> None:
    """Not one problem per bad item or unknown key without limit: 10,000 unknown
    categories made 10,000 problems at 2ac0040 (12 MB of `dsr:` lines from 70 kB)."""
    problems = refusal(payload) or []
    assert len(problems) <= PROBLEM_LIMIT, f"{len(problems)} problems in one refusal"


@settings(max_examples=400, deadline=None)
@given(payload=near_valid_submissions())
def test_what_parses_has_no_control_characters_in_one_line_fields(payload: Any) -> None:
    result = outcome(payload)
    if not isinstance(result, list):
        assert_clean(result)


@settings(max_examples=200, deadline=None)
@given(payload=near_valid_submissions())
def test_what_parses_seals_and_opens_back_intact(payload: Any) -> None:
    """Intake seals the requester's name, e-mail and details: whatever parses survives
    sealing unchanged, and its address is found by its blind index whatever its case."""
    result = outcome(payload)
    if not isinstance(result, list):
        assert_seals(result)


def test_a_deeply_nested_value_where_an_enum_belongs_is_refused_cleanly() -> None:
    """pydantic looks a value up by calling the StrEnum, whose ValueError formats
    repr(value): at 2ac0040 a list or object nested past the recursion limit there made
    parse_submission raise RecursionError instead of InvalidSubmission; as `kind`, the
    refusal came, but pydantic's failed repr of the tag was printed to stderr."""
    failures = []
    for kind, positions in ENUM_POSITIONS.items():
        for path in positions:
            for shape in ("array", "object"):
                try:
                    problems_of(replaced(submission(kind), path, Deep(shape, DEPTH)))
                except (RecursionError, AssertionError) as error:
                    failures.append(
                        f"{'.'.join(map(str, path))} ({kind}, {shape}): "
                        f"{type(error).__name__} {str(error)[:60]}"
                    )
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("fragment", SQL)
def test_sql_fragments_are_refused_as_ids_and_kept_verbatim_as_names(fragment: str) -> None:
    for field in ("request_id", "subject_id"):
        assert [f for f, _ in problems_of({**submission(), field: fragment})] == [field]
    parsed = parse_submission({**submission(), "requester": {"name": fragment, "email": "a@b.co"}})
    assert parsed.requester.name == fragment.strip()


@pytest.mark.parametrize(
    "key",
    ["k" * HUGE, NEWLINE_KEY, "", "\x1b[2J\x1b[31mowned"],
    ids=["huge", "newline", "empty", "ansi-escape"],
)
def test_an_unknown_key_is_named_without_echoing_it_raw(key: str) -> None:
    """At 2ac0040 the field of an `is not a known field` problem was the key verbatim:
    100,000 characters, a newline that forges a second CLI line, an ANSI escape, or
    nothing at all (`""` at the top, `requester.` inside)."""
    for where in ((), ("requester",), ("details",)):
        for field, message in problems_of(with_key(submission(), where, key, 1)):
            assert message == "is not a known field"
            assert field.strip() and not field.endswith("."), f"field {field!r} names nothing"
            assert is_one_line(field), f"field {field[:60]!r} spans lines"
            assert len(field) <= FIELD_LIMIT, f"{len(field)}-char field {field[:30]!r}..."


def test_disclosure_categories_are_bounded() -> None:
    """Every other list in the contract has a maximum length; `categories` has none
    (2ac0040), so 100,000 copies of one category are accepted (and stored)."""
    problems_of({**submission("disclosure"), "details": {"categories": Many(["identity"] * HUGE)}})


@pytest.mark.parametrize(
    ("path", "blank"),
    [
        (("requester", "name"), "\u200b"),
        (("details", "changes", 0, "new_value"), "\u2060\u200d\ufeff"),
    ],
    ids=["name", "new_value"],
)
def test_a_one_line_field_of_only_invisible_characters_is_refused(
    path: tuple[Any, ...], blank: str
) -> None:
    """A one-line field must keep a character once whitespace is stripped; one made only
    of zero-width characters (U+200B, U+2060, U+200D, U+FEFF), as blank on screen and in
    a notice, is accepted at 2ac0040 (a policy gap rather than a crash)."""
    problems_of(replaced(submission("correction"), path, blank))


def test_parsing_does_not_change_the_payload() -> None:
    payload = submission("correction")
    before = json.dumps(payload)
    parse_submission(payload)
    problems_of(with_key(payload, ("details",), "extra", Deep("mixed", DEPTH)))
    assert json.dumps(payload) == before


# --- the command line --------------------------------------------------------------------


def run_cli(text: str, data_dir: Path) -> tuple[int, str, str]:
    """`dsr submit --json -` with `text` on stdin and no service to reach."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for variable in (
            "DATABASE_URL",
            "TEMPORAL_ADDRESS",
            "DSR_DEADLINES",
            "DSR_TASK_QUEUE",
            "TEMPORAL_NAMESPACE",
        ):
            patch.delenv(variable, raising=False)
        patch.setenv("DSR_DATA_DIR", str(data_dir))
        patch.setenv("DSR_URL", "http://127.0.0.1:9")  # nothing listens there
        patch.delenv("DSR_TOKEN", raising=False)
        patch.setattr(sys, "stdin", io.StringIO(text))
        patch.setattr(sys, "stdout", stdout)
        patch.setattr(sys, "stderr", stderr)
        try:
            code = starter.main(["submit", "--json", "-"])
        except Exception as crash:  # reported as a failure, with what escaped
            pytest.fail(
                f"dsr submit crashed on {text[:60]!r}...: {type(crash).__name__}: "
                f"{str(crash)[:200]}"
            )
    return code, stdout.getvalue(), stderr.getvalue()


def assert_refused(text: str, data_dir: Path) -> None:
    code, out, err = run_cli(text, data_dir)
    lines = err.splitlines()
    assert code == 2, f"exit {code}, stderr {err[:300]!r}"
    assert out == ""
    assert lines, "a refusal must say why"
    for line in lines:
        assert line.startswith("dsr: "), f"stray stderr line {line[:100]!r}"
        assert len(line) <= 400, f"{len(line)}-char stderr line {line[:60]!r}..."
    assert list(data_dir.iterdir()) == [], "a refused submission touched the data dir"


VALID_TEXT = json.dumps(submission())
CLI_CASES = {
    "empty": "",
    "blank": " \n\t\n",
    "not-json": "request_id=1; DROP TABLE requests",
    "truncated": VALID_TEXT[:-1],
    "bom": "\ufeff" + VALID_TEXT,
    "nul": "\x00",
    "array": json.dumps([submission()]),
    "string": '"inquiry"',
    "null": "null",
    "number": "42",
    "empty-object": "{}",
    "nan-id": VALID_TEXT.replace('"req-2026.001"', "NaN"),
    "control-in-name": VALID_TEXT.replace("Hanako", "Hana\\u001b[2Jko"),
    "nul-in-kind": VALID_TEXT.replace('"inquiry"', '"inquiry\\u0000"'),
    "surrogate-in-name": VALID_TEXT.replace("Hanako", "\\ud800"),
    "sql-id": VALID_TEXT.replace("req-2026.001", "'; DROP TABLE requests; --"),
    "huge-name": VALID_TEXT.replace("Hanako", "x" * HUGE),
    "duplicate-kind": duplicate_key_text(submission(), "kind", "erasure"),
    "duplicate-details": duplicate_key_text(submission(), "details", [1, 2]),
    "deep-details-list": VALID_TEXT.replace(json.dumps(DETAILS["inquiry"]), deep_json_text(200)),
    # At 2ac0040 the JSON decoder's RecursionError escaped `dsr submit`.
    "deep-list": deep_json_text(3 * DEPTH),
    "deep-object": deep_json_text(3 * DEPTH, "object"),
    "deep-inside-details": VALID_TEXT.replace(
        json.dumps(DETAILS["inquiry"]), deep_json_text(3 * DEPTH, "object")
    ),
    # At 2ac0040 json.loads' ValueError (an integer of over 4300 digits) escaped.
    "huge-integer-id": VALID_TEXT.replace('"req-2026.001"', "9" * 5_000),
    # At 2ac0040 an unknown key was printed raw: lines without "dsr: ", or 100 kB long.
    "newline-key": duplicate_key_text(submission(), "x\n\nall good", 1),
    "huge-key": duplicate_key_text(submission(), "k" * HUGE, 1),
}


@pytest.mark.parametrize("text", list(CLI_CASES.values()), ids=list(CLI_CASES))
def test_dsr_submit_refuses_with_exit_2_and_touches_nothing(text: str, tmp_path: Path) -> None:
    assert_refused(text, tmp_path)


cli_texts = st.one_of(
    hostile_submissions(deep=False).map(lambda value: json.dumps(value, allow_nan=True)),
    hostile_submissions(deep=False).map(
        lambda value: json.dumps(value, allow_nan=True, ensure_ascii=False)
    ),
    duplicate_key_texts,
    st.text(max_size=60),
    st.builds(lambda cut: VALID_TEXT[:cut], st.integers(0, len(VALID_TEXT) - 1)),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@example(text=duplicate_key_text(submission(), "\r", 0))
@example(text=VALID_TEXT)  # accepted: needs the server, which is not there
@given(text=cli_texts)
def test_dsr_submit_never_needs_a_server_to_refuse(text: str, tmp_path: Path) -> None:
    """What intake would refuse exits 2 before any connection; what it would accept
    exits 1 (no service to reach), and neither touches the data dir.

    At 2ac0040 the pinned example, an unknown key "\\r", split the refusal over two
    lines, the second without `dsr: `."""
    try:
        accepted = not isinstance(outcome(json.loads(text)), list)
    except json.JSONDecodeError:
        accepted = False
    data_dir = Path(tempfile.mkdtemp(dir=tmp_path))
    if not accepted:
        assert_refused(text, data_dir)
        return
    code, out, err = run_cli(text, data_dir)
    assert (code, out) == (1, "")
    assert err.startswith("dsr: cannot reach the service") and err.count("\n") == 1
    assert list(data_dir.iterdir()) == []
