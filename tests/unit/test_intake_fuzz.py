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
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import HealthCheck, example, given, reject, settings
from hypothesis import strategies as st

import starter
from domain.requests import InvalidSubmission, RequestKind, parse_submission

# --- building blocks ---------------------------------------------------------------------

HUGE = 100_000
# Past Python's recursion limit of 1000, and past the limit Hypothesis raises it to (the
# stack depth + 2000) while it runs a test.
DEPTH = 10_000
MESSAGE_LIMIT = 300  # a problem's message fits one readable line of the CLI
FIELD_LIMIT = 300
PROBLEM_LIMIT = 100  # a refusal stays readable however much was wrong

VALID: dict[str, dict[str, Any]] = {
    RequestKind.INQUIRY.value: {"text": "How long do you keep my purchase history?"},
    RequestKind.DISCLOSURE.value: {"categories": ["identity", "contact"]},
    RequestKind.CORRECTION.value: {"changes": [
        {"field": "address", "action": "correct", "new_value": "1-2-3 Chiyoda, Tokyo"},
        {"field": "nickname", "action": "delete"},
    ], "statement": "I moved last spring."},
    RequestKind.SUSPENSION.value: {
        "action": "erase", "grounds": ["obtained_wrongfully"], "statement": "I never signed up.",
    },
    RequestKind.THIRD_PARTY_STOP.value: {"partners": ["partner-42", "ads.example:eu"]},
}


def valid_submission(kind: str = "inquiry") -> dict[str, Any]:
    return {
        "request_id": "req-2026.001",
        "subject_id": "subj:77",
        "kind": kind,
        "requester": {"name": "Hanako Yamada", "email": "hanako@example.jp"},
        "details": json.loads(json.dumps(VALID[kind])),
    }


def deep(shape: str, depth: int) -> Any:
    """A JSON value nested `depth` times, built without recursion: arrays, objects, or
    both in turn."""
    value: Any = "bottom"
    for level in range(depth):
        if shape == "array" or (shape == "mixed" and level % 2):
            value = [value]
        else:
            value = {"a": value}
    return value


class Deep(NamedTuple):
    """Stands for `deep(shape, depth)` in generated payloads until the test builds it.

    Hypothesis prints every explicit example and every failing one, and its printer, like
    repr(), recurses past the limit on such values; so it gets this instead."""

    shape: str
    depth: int


def materialize(value: Any, level: int = 0) -> Any:
    """The payload with each Deep marker replaced by the deep value it stands for; markers
    sit where mutations put them, a few levels down at most."""
    if isinstance(value, Deep):
        return deep(value.shape, value.depth)
    if level > 8:
        return value
    if isinstance(value, dict):
        return {key: materialize(child, level + 1) for key, child in value.items()}
    if isinstance(value, list):
        return [materialize(child, level + 1) for child in value]
    return value


class Many(list):  # type: ignore[type-arg]
    """A long array that Hypothesis prints in a few characters."""

    def __repr__(self) -> str:
        return f"<{len(self)} x {self[0]!r}>"


def deep_json_text(depth: int, kind: str = "list") -> str:
    """JSON text nested `depth` times; json.dumps itself would recurse too deep."""
    if kind == "list":
        return "[" * depth + "]" * depth
    return '{"a": ' * depth + "null" + "}" * depth


CONTROLS = (
    [chr(code) for code in range(0x20)] + ["\x7f"]
    + [chr(code) for code in range(0x80, 0xA0)] + ["\u2028", "\u2029"]
)
SQL = [
    "'; DROP TABLE requests; --",
    "1 OR 1=1",
    "' OR '1'='1",
    "1; DELETE FROM subjects WHERE true; --",
    "x' UNION SELECT requester_email FROM request_details --",
    "$1",
    "%s%s%s",
    "'); SELECT pg_sleep(30); --",
    "\\x00",
]
ODDITIES = [
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200b",  # zero-width space
    "\u200d",  # zero-width joiner
    "\ufeff",  # byte-order mark / zero-width no-break space
    "\udcff",  # surrogate-escaped byte, as os.fsdecode makes
    "\ud800",  # lone high surrogate
    "\U0001f600",  # emoji
    "\U0001f469\u200d\U0001f469\u200d\U0001f467",  # emoji family (ZWJ sequence)
    "e\u0301",  # combining accent
    "\uffff",  # noncharacter
    "\U0010ffff",
    "\u0130",  # dotted capital I, changes length when lower-cased
    "\u00a0",  # no-break space
]
HUGE_STRINGS = [
    "x" * HUGE,
    "\u00e9" * HUGE,
    "\U0001f600" * HUGE,
    "a" * (HUGE - 8) + "@example.jp",
    " " * HUGE,
    "\n" * HUGE,
    "\x00" * HUGE,
    "'; DROP TABLE requests; --" * (HUGE // 26),
]
KINDS = [kind.value for kind in RequestKind]

json_scalars = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)
wrong_types = st.one_of(
    st.integers(), st.sampled_from([0, -1, 2**63, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True), st.booleans(), st.none(),
    st.lists(json_scalars, max_size=4), st.dictionaries(st.text(max_size=8), json_values,
                                                        max_size=3),
    st.builds(lambda value, n: [value] * n, json_scalars, st.integers(50, 2_000)),
)
with_control = st.builds(
    lambda before, control, after: before + control + after,
    st.text(max_size=12), st.sampled_from(CONTROLS), st.text(max_size=12),
)
with_oddity = st.builds(
    lambda before, odd, after: before + odd + after,
    st.sampled_from(["", "Hanako", "req-1", "hanako@example.jp", "partner-42"]),
    st.sampled_from(ODDITIES), st.sampled_from(["", "Yamada", ".jp", "x"]),
)
huge_strings = st.sampled_from(HUGE_STRINGS)
deep_values = st.builds(
    Deep, st.sampled_from(["array", "object", "mixed"]), st.integers(DEPTH, 2 * DEPTH)
)
hostile_strings = st.one_of(with_control, with_oddity, st.sampled_from(SQL), huge_strings)
hostile_values = st.one_of(
    wrong_types, hostile_strings, deep_values, json_values, st.sampled_from(KINDS)
)
hostile_keys = st.one_of(
    st.text(max_size=12), with_control, with_oddity, st.sampled_from(SQL),
    st.sampled_from(["", "k" * HUGE, "__proto__", "status", "workflow_id", "fingerprint"]),
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every position inside a submission, at any depth of its own (at most 5 levels):
    not into a deep value an earlier mutation put there."""
    children: Any = ()
    if len(prefix) >= 5:
        return
    if isinstance(value, dict):
        children = value.items()
    elif isinstance(value, list):
        children = enumerate(value)
    for key, child in children:
        yield (*prefix, key)
        yield from paths(child, (*prefix, key))


def containers(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The positions of every object, the top one included."""
    if isinstance(value, dict):
        yield prefix
    for path in paths(value, prefix):
        if isinstance(at(value, path[len(prefix):]), dict):
            yield path


def at(value: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        value = value[key]
    return value


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy with `new` at `path`; only the containers on the path are copied, so deep
    values can be put anywhere without deepcopy recursing into them."""
    if not path:
        return new
    head, *rest = path
    copy: Any = list(value) if isinstance(value, list) else dict(value)
    copy[head] = replaced(value[head], tuple(rest), new)
    return copy


def with_key(value: Any, path: tuple[Any, ...], key: str, new: Any) -> Any:
    return replaced(value, path, {**at(value, path), key: new})


def without(value: Any, path: tuple[Any, ...]) -> Any:
    parent = at(value, path[:-1])
    if isinstance(parent, dict):
        return replaced(value, path[:-1], {k: v for k, v in parent.items() if k != path[-1]})
    return replaced(value, path[:-1], [v for i, v in enumerate(parent) if i != path[-1]])


@st.composite
def hostile_submissions(draw: st.DrawFn, *, deep: bool = True) -> Any:
    """A valid submission with one to three hostile mutations at any depth."""
    values = hostile_values if deep else st.one_of(wrong_types, hostile_strings, json_values)
    data: Any = valid_submission(draw(st.sampled_from(KINDS)))
    for _ in range(draw(st.integers(1, 3))):
        mutation = draw(st.sampled_from(["replace", "replace", "extra_key", "drop"]))
        if mutation == "replace":
            data = replaced(data, draw(st.sampled_from(list(paths(data)))), draw(values))
        elif mutation == "extra_key":
            data = with_key(data, draw(st.sampled_from(list(containers(data)))),
                            draw(hostile_keys), draw(values))
        else:
            data = without(data, draw(st.sampled_from(list(paths(data)))))
    return data


@st.composite
def near_valid_submissions(draw: st.DrawFn) -> dict[str, Any]:
    """A valid submission with one string leaf edited: a control character, a unicode
    oddity or an SQL fragment inserted, or whitespace around it. Many still parse."""
    data = valid_submission(draw(st.sampled_from(KINDS)))
    leaves = [path for path in paths(data) if isinstance(at(data, path), str)]
    path = draw(st.sampled_from(leaves))
    old = at(data, path)
    cut = draw(st.integers(0, len(old)))
    insert = draw(st.one_of(st.sampled_from(CONTROLS), st.sampled_from(ODDITIES),
                            st.sampled_from(SQL), st.text(max_size=4)))
    new = draw(st.sampled_from([
        old[:cut] + insert + old[cut:], insert + old, old + insert, f" {old}\t\n",
    ]))
    return replaced(data, path, new)


def duplicate_key_text(base: dict[str, Any], key: str, last: Any) -> str:
    """JSON text where `key` appears twice, the valid value first: json.loads keeps the
    last, so the hostile value is what intake sees."""
    members = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in base.items()]
    members.append(f"{json.dumps(key)}: {json.dumps(last, allow_nan=True)}")
    return "{" + ", ".join(members) + "}"


duplicate_key_texts = st.builds(
    duplicate_key_text,
    st.sampled_from(KINDS).map(valid_submission),
    st.sampled_from(["request_id", "subject_id", "kind", "requester", "details"]),
    st.one_of(wrong_types, hostile_strings, json_values),
)
top_levels = st.one_of(
    json_values.filter(lambda value: not isinstance(value, dict)),
    st.sampled_from([{}, [], "", 0, None, True, [valid_submission()], "inquiry"]),
    hostile_strings, deep_values,
)
payloads = st.one_of(
    hostile_submissions(), hostile_submissions(), top_levels, json_values,
    duplicate_key_texts.map(json.loads),
)


def outcome(payload: Any) -> Any:
    """The parsed model, or the problems. Any other exception fails the test, and so does
    one that parsing swallowed but Python printed to stderr as `Exception ignored in`."""
    ignored: list[str] = []
    hook = sys.unraisablehook
    sys.unraisablehook = lambda event: ignored.append(type(event.exc_value).__name__)
    try:
        result = parse_submission(materialize(payload))
    except InvalidSubmission as refused:
        assert refused.problems, "an InvalidSubmission must name at least one problem"
        result = refused.problems
    finally:
        sys.unraisablehook = hook
    assert not ignored, f"parsing printed 'Exception ignored' ({', '.join(ignored)})"
    return result


def refusal(payload: Any) -> list[tuple[str, str]] | None:
    """The problems, or None when the payload parses. A payload that makes parsing raise
    anything else is the concern of the first property, so the others skip it."""
    try:
        result = outcome(payload)
    except Exception:
        reject()
    return result if isinstance(result, list) else None


def problems_of(payload: Any) -> list[tuple[str, str]]:
    result = outcome(payload)
    assert isinstance(result, list), f"expected a refusal, got {result!r}"[:300]
    return result


def is_one_line(text: str) -> bool:
    return len(text.splitlines()) == 1 and not any(
        unicodedata.category(char) in ("Cc", "Zl", "Zp") for char in text
    )


def assert_clean(parsed: Any) -> None:
    """What parsed: one-line fields without control characters or surrounding blanks,
    free text with none but newline, carriage return and tab, all of it valid UTF-8."""
    details = parsed.details
    changes = getattr(details, "changes", [])
    one_line = [parsed.request_id, parsed.subject_id, parsed.requester.name,
                parsed.requester.email, *(change.field for change in changes),
                *(change.new_value or "x" for change in changes),
                *getattr(details, "partners", [])]
    for value in one_line:
        assert value and is_one_line(value), f"{value!r} has a control character"
        assert value == value.strip()
        value.encode("utf-8")  # no lone surrogate: Postgres and the fingerprint need UTF-8
    for text in (getattr(details, "text", None), getattr(details, "statement", None)):
        if text is not None:
            for line in text.split("\n"):
                assert is_one_line(line.replace("\t", " ").replace("\r", "") or " ")
            text.encode("utf-8")
    for identifier in (parsed.request_id, parsed.subject_id):
        assert identifier.isascii() and len(identifier) <= 128


# Bug repros, pinned so that each property fails the same way on every run.
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
@example(payload={**valid_submission(), "details": Deep("object", 3 * DEPTH)})
@example(payload={**valid_submission(), "requester": {"name": "\ud800", "email": "a@b.co"}})
@example(payload={**valid_submission(), "request_id": 10**5000})
@example(payload={**valid_submission("disclosure"), "details": {"categories": [Deep("array",
                                                                                    DEPTH)]}})
@example(payload={**valid_submission(), "kind": Deep("object", DEPTH)})
@given(payload=payloads)
def test_parse_submission_returns_a_model_or_raises_invalid_submission(payload: Any) -> None:
    """The last two examples failed at 2ac0040: a value nested past the recursion limit
    where an enum belongs made parsing raise RecursionError, or, as `kind`, print one to
    stderr."""
    outcome(payload)


@FAST
@example(payload=Deep("array", 3 * DEPTH))
@example(payload={**valid_submission(), "requester": {"name": "\ud800", "email": "a@b.co"}})
@example(payload={**valid_submission(), "request_id": 10**5000})
@example(payload={**valid_submission(), "requester": {"name": "x" * HUGE, "email": "x" * HUGE}})
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
@example(payload={**valid_submission(), "'; DROP TABLE requests; --\n": 1})
@example(payload={**valid_submission(), "k" * 1_000: 1})
@example(payload={**valid_submission(), "": 1})
@given(payload=payloads)
def test_each_problem_names_its_field_in_one_short_line(payload: Any) -> None:
    """The CLI prints `dsr: invalid request: FIELD: MESSAGE`, so FIELD must not be an
    unknown key verbatim (it was at 2ac0040): empty, multi-line or of any length."""
    for field, _ in refusal(payload) or []:
        assert isinstance(field, str) and field.strip(), "a problem's field is empty"
        assert is_one_line(field), f"field {field[:80]!r} is not a single line"
        assert len(field) <= FIELD_LIMIT, f"{len(field)}-char field {field[:40]!r}..."


@FAST
@example(payload={**valid_submission("disclosure"),
                  "details": {"categories": Many(["x"] * 10_000)}})
@example(payload={**valid_submission(), **{f"k{i}": 1 for i in range(10_000)}})
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
                    problems_of(replaced(valid_submission(kind), path, Deep(shape, DEPTH)))
                except (RecursionError, AssertionError) as error:
                    failures.append(f"{'.'.join(map(str, path))} ({kind}, {shape}): "
                                    f"{type(error).__name__} {str(error)[:60]}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("fragment", SQL)
def test_sql_fragments_are_refused_as_ids_and_kept_verbatim_as_names(fragment: str) -> None:
    for field in ("request_id", "subject_id"):
        assert [f for f, _ in problems_of({**valid_submission(), field: fragment})] == [field]
    parsed = parse_submission({**valid_submission(),
                               "requester": {"name": fragment, "email": "a@b.co"}})
    assert parsed.requester.name == fragment.strip()


@pytest.mark.parametrize("key", ["k" * HUGE, NEWLINE_KEY, "", "\x1b[2J\x1b[31mowned"],
                         ids=["huge", "newline", "empty", "ansi-escape"])
def test_an_unknown_key_is_named_without_echoing_it_raw(key: str) -> None:
    """At 2ac0040 the field of an `is not a known field` problem was the key verbatim:
    100,000 characters, a newline that forges a second CLI line, an ANSI escape, or
    nothing at all (`""` at the top, `requester.` inside)."""
    for where in ((), ("requester",), ("details",)):
        for field, message in problems_of(with_key(valid_submission(), where, key, 1)):
            assert message == "is not a known field"
            assert field.strip() and not field.endswith("."), f"field {field!r} names nothing"
            assert is_one_line(field), f"field {field[:60]!r} spans lines"
            assert len(field) <= FIELD_LIMIT, f"{len(field)}-char field {field[:30]!r}..."


def test_disclosure_categories_are_bounded() -> None:
    """Every other list in the contract has a maximum length; `categories` has none
    (2ac0040), so 100,000 copies of one category are accepted (and stored)."""
    problems_of({**valid_submission("disclosure"),
                 "details": {"categories": Many(["identity"] * HUGE)}})


@pytest.mark.parametrize(("path", "blank"), [
    (("requester", "name"), "\u200b"),
    (("details", "changes", 0, "new_value"), "\u2060\u200d\ufeff"),
], ids=["name", "new_value"])
def test_a_one_line_field_of_only_invisible_characters_is_refused(
    path: tuple[Any, ...], blank: str
) -> None:
    """A one-line field must keep a character once whitespace is stripped; one made only
    of zero-width characters (U+200B, U+2060, U+200D, U+FEFF), as blank on screen and in
    a notice, is accepted at 2ac0040 (a policy gap rather than a crash)."""
    problems_of(replaced(valid_submission("correction"), path, blank))


def test_parsing_does_not_change_the_payload() -> None:
    payload = valid_submission("correction")
    before = json.dumps(payload)
    parse_submission(payload)
    problems_of(with_key(payload, ("details",), "extra", Deep("mixed", DEPTH)))
    assert json.dumps(payload) == before


# --- the command line --------------------------------------------------------------------


def run_cli(text: str, data_dir: Path) -> tuple[int, str, str]:
    """`dsr submit --json -` with `text` on stdin and no server configured or running."""
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for variable in ("DATABASE_URL", "TEMPORAL_ADDRESS", "DSR_DEADLINES",
                         "DSR_TASK_QUEUE", "TEMPORAL_NAMESPACE"):
            patch.delenv(variable, raising=False)
        patch.setenv("DSR_DATA_DIR", str(data_dir))
        patch.setattr(sys, "stdin", io.StringIO(text))
        patch.setattr(sys, "stdout", stdout)
        patch.setattr(sys, "stderr", stderr)
        try:
            code = starter.main(["submit", "--json", "-"])
        except Exception as crash:  # reported as a failure, with what escaped
            pytest.fail(f"dsr submit crashed on {text[:60]!r}...: {type(crash).__name__}: "
                        f"{str(crash)[:200]}")
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


VALID_TEXT = json.dumps(valid_submission())
CLI_CASES = {
    "empty": "",
    "blank": " \n\t\n",
    "not-json": "request_id=1; DROP TABLE requests",
    "truncated": VALID_TEXT[:-1],
    "bom": "\ufeff" + VALID_TEXT,
    "nul": "\x00",
    "array": json.dumps([valid_submission()]),
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
    "duplicate-kind": duplicate_key_text(valid_submission(), "kind", "erasure"),
    "duplicate-details": duplicate_key_text(valid_submission(), "details", [1, 2]),
    "deep-details-list": VALID_TEXT.replace(
        json.dumps(VALID["inquiry"]), deep_json_text(200)),
    # At 2ac0040 the JSON decoder's RecursionError escaped `dsr submit`.
    "deep-list": deep_json_text(3 * DEPTH),
    "deep-object": deep_json_text(3 * DEPTH, "object"),
    "deep-inside-details": VALID_TEXT.replace(
        json.dumps(VALID["inquiry"]), deep_json_text(3 * DEPTH, "object")),
    # At 2ac0040 json.loads' ValueError (an integer of over 4300 digits) escaped.
    "huge-integer-id": VALID_TEXT.replace('"req-2026.001"', "9" * 5_000),
    # At 2ac0040 an unknown key was printed raw: lines without "dsr: ", or 100 kB long.
    "newline-key": duplicate_key_text(valid_submission(), "x\n\nall good", 1),
    "huge-key": duplicate_key_text(valid_submission(), "k" * HUGE, 1),
}


@pytest.mark.parametrize("text", list(CLI_CASES.values()), ids=list(CLI_CASES))
def test_dsr_submit_refuses_with_exit_2_and_touches_nothing(text: str, tmp_path: Path) -> None:
    assert_refused(text, tmp_path)


cli_texts = st.one_of(
    hostile_submissions(deep=False).map(lambda value: json.dumps(value, allow_nan=True)),
    hostile_submissions(deep=False).map(
        lambda value: json.dumps(value, allow_nan=True, ensure_ascii=False)),
    duplicate_key_texts,
    st.text(max_size=60),
    st.builds(lambda cut: VALID_TEXT[:cut], st.integers(0, len(VALID_TEXT) - 1)),
)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(text=duplicate_key_text(valid_submission(), "\r", 0))
@example(text=VALID_TEXT)  # accepted: needs the server, which is not there
@given(text=cli_texts)
def test_dsr_submit_never_needs_a_server_to_refuse(text: str, tmp_path: Path) -> None:
    """What intake would refuse exits 2 before any connection; what it would accept
    exits 1 (no server), and neither touches the data dir.

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
    assert err.startswith("dsr: no database") and err.count("\n") == 1
    assert list(data_dir.iterdir()) == []
