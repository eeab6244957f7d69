"""Article 8 erasure reaching the copies a person's texts hold: each erased value is
replaced by a marker wherever it is quoted, however it was written.

A copy is found as the text reads, not as its bytes are: after Unicode compatibility
normalisation (NFKC: full-width letters, half-width katakana, ligatures, the
ideographic space), case folding (`CLINIC`, `Clinic`, `ß` and `SS`), with every run of
white space read as one space and invisible format characters (a soft hyphen, a
zero-width space) read as nothing. The value is folded the same way. Each match is mapped
back to the span of the original text it was read from, so only that span is replaced and
the rest of the text is kept exactly as written.

The text is folded piece by piece, each piece a character with the marks that combine
with it (`e` and U+0301, `ｶ` and `ﾞ`, Hangul jamo), so that a piece folds as it does in
the whole text and a match never splits one: a match that begins or ends inside a piece
(a ligature `ﬁ` read as `fi`) takes the whole piece."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

MARKER = "[erased at the person's request]"
# Values shorter than this (once folded) are redacted as whole words only: "F" or "03"
# where it stands alone, not inside every word that happens to contain it.
SHORT_VALUE = 4

Span = tuple[int, int]


@dataclass(frozen=True)
class Folded:
    """A text as matching reads it, and for each of its characters the span of the
    original text that character was read from."""

    text: str
    spans: tuple[Span, ...]


def _normalised(piece: str) -> str:
    # Folding can undo a normalisation (a folded character may decompose), so normalise
    # again after it: Unicode's NFKC_Casefold, near enough.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", piece).casefold())


def _separable(before: str, after: str) -> bool:
    """Whether two neighbours read the same apart as together: normalising them together
    neither composes them (a letter and its accent, `ｶ` and `ﾞ`, a Hangul syllable's
    jamo) nor reorders marks across them."""
    return _normalised(before + after) == _normalised(before) + _normalised(after)


def _marks(character: str) -> bool:
    decomposed = unicodedata.normalize("NFKD", character)
    return bool(decomposed) and unicodedata.combining(decomposed[0]) != 0


def _pieces(text: str) -> list[Span]:
    """The text cut where normalisation joins nothing across a cut."""
    pieces: list[Span] = []
    for index, character in enumerate(text):
        start = index
        # An ASCII character starts a piece: nothing composes with one before it, and
        # reordering stops at it. A mark (a character whose normal form starts with one)
        # belongs with what it marks, which may be more than the piece before it.
        if pieces and not character.isascii() and _marks(character):
            start = pieces.pop()[0]
        while (
            pieces
            and not character.isascii()
            and not _separable(text[pieces[-1][0] : start], text[start : index + 1])
        ):
            start = pieces.pop()[0]
        pieces.append((start, index + 1))
    return pieces


def fold(text: str) -> Folded:
    """The text normalised, case-folded, white space collapsed, format characters gone;
    with where each folded character came from."""
    folded: list[str] = []
    spans: list[Span] = []
    for start, end in _pieces(text):
        for character in _normalised(text[start:end]):
            if character.isspace():
                if folded and folded[-1] == " ":
                    spans[-1] = (spans[-1][0], end)  # the run so far, one space
                    continue
                character = " "
            elif unicodedata.category(character) == "Cf":
                continue
            folded.append(character)
            spans.append((start, end))
    return Folded("".join(folded), tuple(spans))


def _word(character: str) -> bool:
    return character.isalnum() or character == "_"


def _found(folded: Folded, value: str) -> Iterator[Span]:
    """Where the folded value occurs in the folded text, as spans of the original text,
    overlapping occurrences included."""
    text = folded.text
    short = len(value) < SHORT_VALUE
    at = text.find(value)
    while at >= 0:
        end = at + len(value)
        alone = (at == 0 or not _word(text[at - 1])) and (end == len(text) or not _word(text[end]))
        if alone or not short:
            yield folded.spans[at][0], folded.spans[end - 1][1]
        at = text.find(value, at + 1)


def _merged(spans: Iterable[Span]) -> list[Span]:
    """Overlapping and touching spans as one: two values quoted within each other (the
    address and its ward) become one marker."""
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def matches(text: str, values: Iterable[str]) -> list[Span]:
    """The spans of `text` quoting any of `values`, in order, none overlapping."""
    folded = fold(text)
    wanted = {fold(value).text.strip(" ") for value in values}
    return _merged(span for value in wanted if value for span in _found(folded, value))


@dataclass(frozen=True)
class Redaction:
    """Each of `values` replaced by `marker` wherever a text quotes it (see above)."""

    values: tuple[str, ...]
    marker: str = MARKER

    def apply(self, text: str) -> str:
        kept: list[str] = []
        last = 0
        for start, end in matches(text, self.values):
            kept += [text[last:start], self.marker]
            last = end
        return "".join(kept) + text[last:]

    def apply_json(self, text: str) -> str:
        """The same inside a JSON document's string values (keys and structure untouched:
        a short value such as "category" must not break the document)."""

        def walk(node: Any) -> Any:
            if isinstance(node, str):
                return self.apply(node)
            if isinstance(node, list):
                return [walk(item) for item in node]
            if isinstance(node, dict):
                return {key: walk(item) for key, item in node.items()}
            return node

        return json.dumps(walk(json.loads(text)), ensure_ascii=False)
