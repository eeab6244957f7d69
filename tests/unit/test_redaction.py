# ruff: noqa: RUF001 - full-width and compatibility characters are what is tested
"""N7: an erased value is found wherever a text quotes it, in any case or width, with any
white space, and only its span is replaced (domain/redaction.py)."""

from __future__ import annotations

import itertools
import json
import unicodedata

from hypothesis import assume, given
from hypothesis import strategies as st

from domain.redaction import MARKER, Redaction, fold, matches

VALUE = "Visited clinic-finder.example on 2026-11-02"
ERASE = Redaction((VALUE, "clinic-finder.example"))


def test_a_copy_in_another_case_is_redacted_and_the_rest_kept_as_written() -> None:
    """N7: the review's inquiry, its two quotes of the value in other cases."""
    text = (
        "Why do you know I visited CLINIC-FINDER.EXAMPLE on 2026-11-02? "
        "(visited clinic-finder.example on 2026-11-02)"
    )
    assert ERASE.apply(text) == f"Why do you know I {MARKER}? ({MARKER})"


def test_a_full_width_copy_is_redacted() -> None:
    """N7: the value typed with a Japanese input method: full-width letters, digits and
    punctuation, an ideographic space."""
    text = (
        "私はＶＩＳＩＴＥＤ　ＣＬＩＮＩＣ－ＦＩＮＤＥＲ．ＥＸＡＭＰＬＥ"
        "　ＯＮ　２０２６－１１－０２。"
    )
    assert ERASE.apply(text) == f"私は{MARKER}。"
    assert ERASE.apply("ｃｌｉｎｉｃ－ｆｉｎｄｅｒ．ｅｘａｍｐｌｅ") == MARKER


def test_compatibility_characters_are_read_as_what_they_stand_for() -> None:
    assert Redaction(("finder",)).apply("ﬁnder's ﬁle") == f"{MARKER}'s ﬁle"  # a ligature
    # Half-width katakana with its separate voiced mark, and the composed full-width one.
    assert Redaction(("ガイドブック",)).apply("ｶﾞｲﾄﾞﾌﾞｯｸを買った") == f"{MARKER}を買った"
    # An accent as a combining mark, or composed; a superscript, a circled digit.
    assert Redaction(("café",)).apply("CAFE\u0301 or cafe") == f"{MARKER} or cafe"
    assert Redaction(("room 12",)).apply("ROOM ¹② and room 13") == f"{MARKER} and room 13"
    # Case folding beyond upper and lower: ß is ss.
    assert Redaction(("Straße 9",)).apply("STRASSE 9, strasse 9") == f"{MARKER}, {MARKER}"


def test_white_space_of_any_kind_and_length_matches_one_space() -> None:
    text = "I Visited\u3000clinic-finder.example\n\ton \u00a0 2026-11-02."
    assert ERASE.apply(text) == f"I {MARKER}."
    # White space around the value itself is not part of it.
    assert Redaction(("  clinic-finder.example \n",)).apply("x clinic-finder.example y") == (
        f"x {MARKER} y"
    )


def test_invisible_format_characters_do_not_hide_a_copy() -> None:
    """A soft hyphen or a zero-width space a word processor put inside the value."""
    assert ERASE.apply("clinic\u00ad-finder.ex\u200bample") == MARKER


def test_overlapping_values_become_one_marker() -> None:
    """Values within each other, or overlapping, or touching: one marker for the span they
    cover together, never a marker inside a marker."""
    assert ERASE.apply(f"[{VALUE}]") == f"[{MARKER}]"
    both = Redaction(("1-2-3 Minato", "Minato, Tokyo"), marker="X")
    assert both.apply("at 1-2-3 MINATO, TOKYO; minato") == "at X; minato"
    assert Redaction(("abcd", "efgh"), marker="X").apply("ABCDEFGH ijk") == "X ijk"
    assert Redaction(("aaaa",), marker="X").apply("aaaaaa b") == "X b"


def test_a_value_is_found_once_even_inside_the_marker() -> None:
    """The text is read once: a value that the marker itself contains is not redacted
    again inside the marker."""
    assert Redaction(("person", "erased")).apply("the person") == f"the {MARKER}"


def test_a_short_value_is_redacted_where_it_stands_alone_in_any_case() -> None:
    redaction = Redaction(("M", "ｆ"), marker="X")
    assert redaction.apply("My sex: m; Mm; F.") == "My sex: X; Mm; X."


def test_empty_values_are_ignored_and_a_text_without_copies_is_unchanged() -> None:
    redaction = Redaction(("", "  ", "\u200b", "nowhere"))
    text = "Ｎｏｔｈｉｎｇ  here\t(kept as written)"
    assert redaction.apply(text) == text


def test_inside_json_only_the_strings_change() -> None:
    document = json.dumps(
        {"text": "I visited CLINIC-FINDER.EXAMPLE on 2026-11-02", "clinic-finder.example": 1}
    )
    assert json.loads(ERASE.apply_json(document)) == {
        "text": f"I {MARKER}",
        "clinic-finder.example": 1,
    }


def test_a_match_inside_a_ligature_takes_the_whole_character() -> None:
    assert fold("ﬁnest").text == "finest"
    assert matches("ﬁnest", ["inest"]) == [(0, 5)]


# --- Properties -----------------------------------------------------------------------------

_PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-./@ "
_SPACES = [" ", "\u3000", "\t", "\n", "  ", "\u00a0", " \r\n "]
# What may stand around a copy in the properties below: nothing of it a value is made of.
_AROUND = "あいうえお漢字、。！？!?,;:()[]{}「」 \n\t\u3000😀"


def _reference(text: str) -> str:
    """How the text reads, computed on the whole string at once."""
    whole = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    kept = [c for c in whole if unicodedata.category(c) != "Cf"]
    out: list[str] = []
    for character in kept:
        if character.isspace():
            if out and out[-1] == " ":
                continue
            character = " "
        out.append(character)
    return "".join(out)


@st.composite
def _value_and_copy(draw: st.DrawFn) -> tuple[str, str]:
    """A value, and a copy of it as someone else might have written it: each letter in
    either case, ASCII or full-width, each space any run of white space."""
    value = draw(st.text(alphabet=_PLAIN, min_size=4, max_size=30)).strip()
    assume(len(fold(value).text.strip()) >= 4 and fold(value).text not in fold(MARKER).text)
    copy = []
    for character in value:
        if character == " ":
            copy.append(draw(st.sampled_from(_SPACES)))
            continue
        if character.isalpha() and draw(st.booleans()):
            character = character.swapcase()
        if draw(st.booleans()):
            character = chr(ord(character) + 0xFEE0)  # its full-width form
        copy.append(character)
    return value, "".join(copy)


@given(_value_and_copy(), st.text(alphabet=_AROUND), st.text(alphabet=_AROUND))
def test_property_a_copy_in_any_case_width_or_spacing_is_replaced_and_nothing_else(
    value_and_copy: tuple[str, str], before: str, after: str
) -> None:
    value, copy = value_and_copy
    assert Redaction((value,)).apply(before + copy + after) == before + MARKER + after


@given(_value_and_copy(), st.text(), st.text(), st.text())
def test_property_no_copy_of_a_value_is_left_whatever_surrounds_it(
    value_and_copy: tuple[str, str], before: str, between: str, after: str
) -> None:
    value, copy = value_and_copy
    redacted = Redaction((value,)).apply(before + copy + between + value + after)
    assert fold(value).text.strip() not in fold(redacted).text


@given(st.text(), st.lists(st.text(max_size=12), max_size=4))
def test_property_a_text_without_copies_is_kept_and_the_spans_are_in_order(
    text: str, values: list[str]
) -> None:
    spans = matches(text, values)
    assert all(0 <= s < e <= len(text) for s, e in spans)
    assert all(e1 < s2 for (_, e1), (s2, _) in itertools.pairwise(spans))
    if not spans:
        assert Redaction(tuple(values)).apply(text) == text


@given(st.text())
def test_property_folding_piece_by_piece_reads_as_the_whole_text_does(text: str) -> None:
    """The pieces are cut where normalisation joins nothing, so reading them one by one
    gives what normalising the whole text gives: a match is never missed at a cut."""
    folded = fold(text)
    assert folded.text == _reference(text)
    assert len(folded.spans) == len(folded.text)
    assert [s for s, _ in folded.spans] == sorted(s for s, _ in folded.spans)
