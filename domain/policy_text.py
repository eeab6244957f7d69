"""Article 9 with Articles 3 and 4: the privacy policy's text and the purposes register say
the same thing. The text's Article 3 list is read here, compared with the register, and
written anew from it when an Article 4 change takes effect. Pure.

The text's shape is the policy's own (shared/seed/privacy-policy.txt): a line starting
`Article 3` (or `第3条`), the purposes one per line starting `- `, the line
`Purposes incidental to the above usage purposes` (or one starting `上記の利用目的に付随`),
and the next article's heading. The register's incidental purposes are written beneath
that line, indented (`  - `). When a text is posted its main list is compared with the
register; the incidental purposes are compared when the text lists any beneath that line (a
text stating only Article 3's class of incidental purposes, as the policy itself does, is
not refused for it: the register's incidental ones are published at `/purposes`). A purpose
that includes provision to third parties is never incidental (review C3)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass

from domain.purposes import PURPOSE_ID_PATTERN

_HEADING = re.compile(r"^(Article\s+(\d+)\b|第(\d+)条)")
_INCIDENTAL_LINE = re.compile(r"^(Purposes incidental|上記の利用目的に付随)")


@dataclass(frozen=True)
class Article3Section:
    start: int  # the line after the heading
    end: int  # the next article's heading (or the text's end)
    listed: tuple[int, ...]  # the lines of the main list
    incidental_line: int | None


def _section(lines: list[str]) -> Article3Section | None:
    start = None
    for number, line in enumerate(lines):
        heading = _HEADING.match(line.strip())
        if heading is None:
            continue
        article = heading.group(2) or heading.group(3)
        if start is None and article == "3":
            start = number + 1
        elif start is not None:
            return _parts(lines, start, number)
    return None if start is None else _parts(lines, start, len(lines))


def _parts(lines: list[str], start: int, end: int) -> Article3Section:
    listed: list[int] = []
    incidental = None
    for number in range(start, end):
        line = lines[number]
        if _INCIDENTAL_LINE.match(line.strip()):
            incidental = number
            break
        if line.startswith("- "):
            listed.append(number)
    return Article3Section(start, end, tuple(listed), incidental)


def _same(text: str) -> str:
    """Compared as a reader would: quotes, widths and spacing do not count."""
    folded = unicodedata.normalize("NFKC", text).replace("\u2019", "'").replace("\u2018", "'")
    return " ".join(folded.split())


def incidental_of(text: str) -> tuple[str, ...]:
    """The incidental purposes the text lists beneath Article 3's incidental line."""
    lines = text.splitlines()
    section = _section(lines)
    if section is None or section.incidental_line is None:
        return ()
    listed = []
    for line in lines[section.incidental_line + 1 : section.end]:
        if not line.startswith("  - "):
            break
        listed.append(line[4:].strip())
    return tuple(listed)


def article_3_of(text: str) -> tuple[str, ...] | None:
    """The purposes the text's Article 3 lists, or None when it has no Article 3."""
    lines = text.splitlines()
    section = _section(lines)
    if section is None:
        return None
    return tuple(lines[n][2:].strip() for n in section.listed)


def article_3_problem(
    text: str, register: tuple[str, ...], incidental: tuple[str, ...] = ()
) -> str | None:
    """Why the text cannot be posted as it is: its Article 3 lists other purposes than the
    register, or lists incidental purposes other than the register's (`incidental`: those
    in force; compared only when the text lists some, C3). A purpose is changed through
    Article 4 (`dsr purposes change`), which posts the policy's next version itself; a text
    without an Article 3 does not contradict it."""
    listed = article_3_of(text)
    if listed is None:
        return None
    beneath = incidental_of(text)
    if beneath and {_same(p) for p in beneath} != {_same(p) for p in incidental}:
        added = [p for p in beneath if _same(p) not in {_same(r) for r in incidental}]
        missing = [r for r in incidental if _same(r) not in {_same(p) for p in beneath}]
        return (
            "Article 3 of this text lists other incidental purposes than the purposes "
            "register ("
            + "; ".join(
                part
                for part in (
                    f"not in the register: {' | '.join(added)}" if added else "",
                    f"in the register but not in the text: {' | '.join(missing)}"
                    if missing
                    else "",
                )
                if part
            )
            + "): an incidental purpose enters the register with its relatedness judged, "
            "and one that includes provision to third parties only through Article 4 or a "
            "new version of the policy"
        )
    if [_same(p) for p in listed] == [_same(p) for p in register]:
        return None
    added = [p for p in listed if _same(p) not in {_same(r) for r in register}]
    missing = [r for r in register if _same(r) not in {_same(p) for p in listed}]
    detail = "; ".join(
        part
        for part in (
            f"not in the register: {' | '.join(added)}" if added else "",
            f"in the register but not in the text: {' | '.join(missing)}" if missing else "",
        )
        if part
    )
    return (
        "Article 3 of this text lists other purposes than the purposes register"
        f"{' (' + detail + ')' if detail else ' (their order differs)'}: a purpose of use "
        "changes only through Article 4 (`dsr purposes change`), which posts the policy's "
        "next version itself; a new purpose is added by a new version of the policy that "
        "lists it after the register's and declares it (`--new-purpose ID=JAPANESE TEXT`)"
    )


@dataclass(frozen=True)
class DeclaredPurpose:
    """A purpose a posted text adds at the end of Article 3's list (Article 9: "the changed
    Privacy Policy shall take effect when posted"), as the poster declares it: its id, its
    Japanese text (the English one is the text's), and whether it includes provision to
    third parties (Article 5 ¶1's first opt-out matter, marked, never inferred)."""

    purpose_id: str
    text_ja: str
    includes_provision: bool = False


@dataclass(frozen=True)
class AddedPurpose:
    declared: DeclaredPurpose
    text: str  # as the posted Article 3 lists it


def added_purpose(
    text: str,
    register: tuple[str, ...],
    incidental: tuple[str, ...],
    declared: DeclaredPurpose | None,
    known_ids: Collection[str],
) -> tuple[AddedPurpose | None, str | None]:
    """The purpose a posted text adds to Article 3, with why the text cannot be posted
    (None: it can). Undeclared, the text must list the register's purposes
    (`article_3_problem`). Declared, its Article 3 lists the register's purposes, in their
    order, followed by exactly one new purpose, the declared one: its id new to the
    register, its Japanese text given; the incidental purposes it lists are the register's.
    One new purpose per posted version, so the register keeps the text's order."""
    if declared is None:
        return None, article_3_problem(text, register, incidental)
    listed = article_3_of(text)
    if listed is None:
        return None, "a new purpose is declared but this text has no Article 3 to list it"
    new = declared.purpose_id
    if not re.match(PURPOSE_ID_PATTERN, new):
        return None, (
            f"not a purpose id: {new!r} (lowercase letters, digits and underscores, "
            "starting with a letter)"
        )
    if new in known_ids:
        return None, (
            f"the purposes register holds {new!r} already: a purpose in the register "
            "changes only through Article 4 (`dsr purposes change`)"
        )
    if not declared.text_ja.strip():
        return None, f"give the Japanese text of {new!r}"
    head = listed[: len(register)]
    if [_same(p) for p in head] != [_same(p) for p in register] or len(listed) != len(register) + 1:
        detail = article_3_problem(text, register, incidental) or ""
        return None, (
            f"this text's Article 3 must list the register's {len(register)} purposes, in "
            f"the register's order, followed by the one declared new purpose ({new}); it "
            f"lists {len(listed)}. {detail}"
        ).strip()
    added = listed[-1]
    if _same(added) in {_same(r) for r in register}:
        return None, f"the new purpose {new!r} repeats a purpose of the register: {added}"
    problem = article_3_problem(text, (*register, added), incidental)
    if problem is not None:
        return None, problem
    return AddedPurpose(declared, added), None


def with_article_3(text: str, register: tuple[str, ...], incidental: tuple[str, ...]) -> str:
    """The text with its Article 3 list (and the incidental purposes beneath it) as the
    register holds them; a text without an Article 3 gets one at its end."""
    lines = text.splitlines()
    section = _section(lines)
    main = [f"- {p}" for p in register]
    beneath = [f"  - {p}" for p in incidental]
    if section is None:
        return "\n".join(
            [
                *lines,
                "Article 3 (Purpose of Collecting and Using Personal Information)",
                *main,
                "Purposes incidental to the above usage purposes",
                *beneath,
            ]
        )
    first = section.listed[0] if section.listed else section.start
    if section.incidental_line is None:
        after = [*lines[section.end :]]
        middle = [*main, "Purposes incidental to the above usage purposes", *beneath]
        return "\n".join([*lines[:first], *middle, *after]) + "\n"
    tail = section.incidental_line + 1
    while tail < section.end and lines[tail].startswith("  - "):
        tail += 1
    return (
        "\n".join(
            [
                *lines[:first],
                *main,
                lines[section.incidental_line],
                *beneath,
                *lines[tail:],
            ]
        )
        + "\n"
    )
