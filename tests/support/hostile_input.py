"""Hostile intake payloads: strategies and the checks the fuzz tests share."""

from __future__ import annotations

import json
import sys
import unicodedata
from collections.abc import Iterator
from typing import Any, NamedTuple

from hypothesis import reject
from hypothesis import strategies as st

from domain.requests import InvalidSubmission, RequestKind, parse_submission
from store.sealing import Vault, open_with, seal_with
from tests.support.builders import submission

# --- building blocks ---------------------------------------------------------------------

HUGE = 100_000
# Past Python's recursion limit of 1000, and past the limit Hypothesis raises it to (the
# stack depth + 2000) while it runs a test.
DEPTH = 10_000
MESSAGE_LIMIT = 300  # a problem's message fits one readable line of the CLI
FIELD_LIMIT = 300
PROBLEM_LIMIT = 100  # a refusal stays readable however much was wrong


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
    [chr(code) for code in range(0x20)]
    + ["\x7f"]
    + [chr(code) for code in range(0x80, 0xA0)]
    + ["\u2028", "\u2029"]
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

json_scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
wrong_types = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 2**63, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.lists(json_scalars, max_size=4),
    st.dictionaries(st.text(max_size=8), json_values, max_size=3),
    st.builds(lambda value, n: [value] * n, json_scalars, st.integers(50, 2_000)),
)
with_control = st.builds(
    lambda before, control, after: before + control + after,
    st.text(max_size=12),
    st.sampled_from(CONTROLS),
    st.text(max_size=12),
)
with_oddity = st.builds(
    lambda before, odd, after: before + odd + after,
    st.sampled_from(["", "Hanako", "req-1", "hanako@example.jp", "partner-42"]),
    st.sampled_from(ODDITIES),
    st.sampled_from(["", "Yamada", ".jp", "x"]),
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
    st.text(max_size=12),
    with_control,
    with_oddity,
    st.sampled_from(SQL),
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
        if isinstance(at(value, path[len(prefix) :]), dict):
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
    data: Any = submission(draw(st.sampled_from(KINDS)))
    for _ in range(draw(st.integers(1, 3))):
        mutation = draw(st.sampled_from(["replace", "replace", "extra_key", "drop"]))
        if mutation == "replace":
            data = replaced(data, draw(st.sampled_from(list(paths(data)))), draw(values))
        elif mutation == "extra_key":
            data = with_key(
                data,
                draw(st.sampled_from(list(containers(data)))),
                draw(hostile_keys),
                draw(values),
            )
        else:
            data = without(data, draw(st.sampled_from(list(paths(data)))))
    return data


@st.composite
def near_valid_submissions(draw: st.DrawFn) -> dict[str, Any]:
    """A valid submission with one string leaf edited: a control character, a unicode
    oddity or an SQL fragment inserted, or whitespace around it. Many still parse."""
    data = submission(draw(st.sampled_from(KINDS)))
    leaves = [path for path in paths(data) if isinstance(at(data, path), str)]
    path = draw(st.sampled_from(leaves))
    old = at(data, path)
    cut = draw(st.integers(0, len(old)))
    insert = draw(
        st.one_of(
            st.sampled_from(CONTROLS),
            st.sampled_from(ODDITIES),
            st.sampled_from(SQL),
            st.text(max_size=4),
        )
    )
    new = draw(
        st.sampled_from(
            [
                old[:cut] + insert + old[cut:],
                insert + old,
                old + insert,
                f" {old}\t\n",
            ]
        )
    )
    return replaced(data, path, new)


def duplicate_key_text(base: dict[str, Any], key: str, last: Any) -> str:
    """JSON text where `key` appears twice, the valid value first: json.loads keeps the
    last, so the hostile value is what intake sees."""
    members = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in base.items()]
    members.append(f"{json.dumps(key)}: {json.dumps(last, allow_nan=True)}")
    return "{" + ", ".join(members) + "}"


duplicate_key_texts = st.builds(
    duplicate_key_text,
    st.sampled_from(KINDS).map(submission),
    st.sampled_from(["request_id", "subject_id", "kind", "requester", "details"]),
    st.one_of(wrong_types, hostile_strings, json_values),
)
top_levels = st.one_of(
    json_values.filter(lambda value: not isinstance(value, dict)),
    st.sampled_from([{}, [], "", 0, None, True, [submission()], "inquiry"]),
    hostile_strings,
    deep_values,
)
payloads = st.one_of(
    hostile_submissions(),
    hostile_submissions(),
    top_levels,
    json_values,
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
    one_line = [
        parsed.request_id,
        parsed.subject_id,
        parsed.requester.name,
        parsed.requester.email,
        *(change.field for change in changes),
        *(change.new_value or "x" for change in changes),
        *getattr(details, "partners", []),
    ]
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


# A data key and the blind index's key, for sealing without a database.
KEY_ID, DATA_KEY, INDEX_KEY = "k-fuzz", bytes(range(32)), bytes(range(32, 64))


def assert_seals(parsed: Any) -> None:
    """What parsed is stored as intake stores it: the name, the e-mail and the details
    (as Vault.seal_json writes them) seal and open back to what was submitted, nothing of
    them shows in the envelope, and the address's blind index is what a lookup computes."""
    vault = Vault(keyring=None, index_key=INDEX_KEY)  # type: ignore[arg-type]
    details = parsed.details.model_dump(mode="json")
    texts = (parsed.requester.name, parsed.requester.email, json.dumps(details, ensure_ascii=False))
    envelopes = [seal_with(KEY_ID, DATA_KEY, text) for text in texts]
    for text, envelope in zip(texts, envelopes, strict=True):
        assert envelope.isascii() and open_with(DATA_KEY, envelope) == text
        sealed = envelope.split(".", 2)[2]  # the ciphertext, after the prefix and key id
        assert all(part not in sealed for part in text.split() if len(part) > 8)
    assert json.loads(open_with(DATA_KEY, envelopes[2])) == details
    email = parsed.requester.email
    # Case folding is idempotent (Unicode's stability policy), so this holds for any script.
    assert vault.blind_index(email) == vault.blind_index(f" {email.casefold()} ")


# Bug repros, pinned so that each property fails the same way on every run.
