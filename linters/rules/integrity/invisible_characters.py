"""SG801 invisible-characters: An invisible character inside a word, or a bidi control that reorders text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import Field

from ...findings import Action, Hit
from ...lint import hits as lint
from ...message import Message, Part
from ...normalize import IGNORABLE, Normalised
from ...registry import Settings, lint_check, rule

# Embeddings, overrides and isolates reorder the text they govern up to their closing
# control (PDF, PDI) or the end of the paragraph.
_OPENING_BIDI = frozenset("\u202a\u202b\u202d\u202e\u2066\u2067\u2068")

_CLOSING_BIDI = frozenset("\u202c\u2069")

_REORDERING = _OPENING_BIDI | _CLOSING_BIDI

_SOFT_HYPHEN = "\u00ad"

# Hebrew, Arabic, Syriac, Thaana, NKo, Samaritan...: text that needs bidi controls.
_RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")

_WORD_CHAR = re.compile(r"[\w'\u2019]")

_IGNORABLE_RUN = re.compile(f"(?:{IGNORABLE.pattern})+")


@dataclass(frozen=True, slots=True)
class InvisibleMark:
    """Invisible characters in one word (or one bidi-controlled run) of a text.

    ``start``/``end`` span the visible text around them in the scanned text;
    ``chars`` are the invisible characters found there.
    """

    start: int
    end: int
    chars: str
    reorders: bool

    def describe(self) -> str:
        names = dict.fromkeys(f"U+{ord(c):04X} {unicodedata.name(c, 'UNNAMED')}" for c in self.chars)
        return ", ".join(names)


def visible_form(text: str) -> str:
    """``text`` with each invisible character written out ("la<U+200B>st"), so a
    message about it shows where it is and a bidi control cannot reorder the message."""
    return IGNORABLE.sub(lambda m: f"<U+{ord(m.group()):04X}>", " ".join(text.split()))


def _alphabetic(char: str) -> bool:
    """A letter or digit of an alphabet that has no use for invisible characters inside
    its words (Latin, Greek, Cyrillic, Armenian; fullwidth forms). Thai or Khmer use
    zero-width spaces between words, Persian and Indic scripts use joiners: not judged."""
    return char.isalnum() and (
        char < "\u0590" or "\u1e00" <= char < "\u2000" or "\uff00" <= char < "\uffef"
    )


def invisible_marks(text: str, allow_soft_hyphens: bool = False) -> Iterator[InvisibleMark]:
    """Invisible characters inside words, and bidi controls that reorder text, in ``text``.

    Runs of invisible characters are taken together and a span is never scanned
    twice, so hostile text (a hundred thousand zero-width spaces) costs linear time.
    """
    if text.isascii() or not IGNORABLE.search(text):
        return
    right_to_left = bool(_RIGHT_TO_LEFT.search(text))
    ignored = _CLOSING_BIDI | ({_SOFT_HYPHEN} if allow_soft_hyphens else set())
    covered = 0
    for run in _IGNORABLE_RUN.finditer(text):
        if run.start() < covered:
            continue
        chars = run.group()
        reorders = not right_to_left and not _OPENING_BIDI.isdisjoint(chars)
        if reorders:
            span: tuple[int, int] | None = _governed(text, run.start())
        elif (right_to_left and not _REORDERING.isdisjoint(chars)) or set(chars) <= ignored:
            continue
        else:
            span = _word_around(text, run.start(), run.end())
        if span is None or span[1] <= span[0]:
            continue
        start, end = span
        covered = end
        hidden = "".join(c for c in text[start:end] if IGNORABLE.match(c) and c not in ignored)
        yield InvisibleMark(start, end, hidden, reorders)


def _word_around(text: str, first: int, last: int) -> tuple[int, int] | None:
    """The word a run of invisible characters [first, last) stands inside, or None when
    it stands between words (or inside a word of a script that uses it)."""
    before, after = first - 1, last
    if before < 0 or after >= len(text):
        return None
    if not (_WORD_CHAR.match(text[before]) and _WORD_CHAR.match(text[after])):
        return None
    neighbours = (text[before], text[after])
    if not any(map(_alphabetic, neighbours)) or any(c.isalnum() and not _alphabetic(c) for c in neighbours):
        return None
    start = before
    while start > 0 and (_WORD_CHAR.match(text, start - 1) or IGNORABLE.match(text, start - 1)):
        start -= 1
    end = after + 1
    while end < len(text) and (_WORD_CHAR.match(text, end) or IGNORABLE.match(text, end)):
        end += 1
    return _trimmed(text, start, end)


def _governed(text: str, at: int) -> tuple[int, int]:
    """From a reordering control to its closing control or the end of its line."""
    end = at + 1
    while end < len(text) and text[end] not in _CLOSING_BIDI and text[end] not in "\n\u2029":
        end += 1
    if end < len(text) and text[end] in _CLOSING_BIDI:
        end += 1
    return _trimmed(text, at, end)


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    """The span without white space at its edges (invisible characters stay inside)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


class InvisibleSettings(Settings):
    allow_soft_hyphens: bool = Field(
        False,
        description="soft hyphens mark where long words may break on purpose (Donau&shy;dampf&shy;schiff)",
    )


@rule("SG801", "invisible-characters", Action.REWRITE, InvisibleSettings, reads=("text",))
def find_invisible_characters(message: Message, settings: InvisibleSettings) -> Iterator[Hit]:
    """An invisible character inside a word, or a bidi control that reorders text.

    Catches: a zero-width space, joiner or non-joiner, word joiner, byte-order mark,
    soft hyphen, variation selector or other default-ignorable character between two
    letters of a word ("la&#8203;st cha&shy;nce"), in Latin, Greek, Cyrillic or
    Armenian words (scripts such as Thai, Persian or the Indic ones use some of these
    characters in their spelling and are not judged); and a bidi embedding, override
    or isolate (U+202A-U+202E, U+2066-U+2069) anywhere in a message with no
    right-to-left text, where it can only serve to show the reader text in another
    order than the one it is written (and checked) in.

    Why it hurts: the reader cannot see these characters, but every filter, search
    and screen reader does; inside a word they exist to hide the word from a check,
    or came in with a copy and paste. The guard reads the text without them (see
    "Normalisation" in the README), so the other rules still see the phrase; this
    rule says the template itself needs cleaning.

    Action: `rewrite` removes the invisible characters from the word, which the
    reader sees unchanged. A reordering bidi control is `block` (the hit carries the
    action): what the reader would see is not what was written, and a person should
    look. A policy action for SG801 applies to both.

    Example: "Last ch&shy;ance to save 30%" -> rewritten to "Last chance to save 30%".

    Fix: remove the character from the template; retype the word if it was pasted.
    """
    for part in message.readable():
        if part.normal is not None:  # else normalisation changed nothing: nothing invisible
            yield from _part_hits(part, part.normal, settings)


def _part_hits(part: Part, normal: Normalised, settings: InvisibleSettings) -> Iterator[Hit]:
    readable = normal.original
    for mark in invisible_marks(readable, settings.allow_soft_hyphens):
        start, end = normal.from_original(mark.start, mark.end)
        if end <= start:
            continue
        shown = part.written(start, end)
        fix = "".join(c for c in shown if not IGNORABLE.match(c) or c not in mark.chars)
        word = visible_form(readable[mark.start : mark.end])
        if mark.reorders:
            yield Hit(
                f"'{word}' is under a bidi control ({mark.describe()}) that shows it to the reader "
                "in another order than it is written",
                part.name,
                start,
                end,
                fix,
                Action.BLOCK,
            )
        else:
            yield Hit(
                f"'{word}' has an invisible character inside it ({mark.describe()})",
                part.name,
                start,
                end,
                fix,
            )


@lint_check("SG801")
def lint_invisible_characters(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """SG801 on the template text as written (the segments' raw text)."""
    for item in part.items:
        segment = item.segment
        for mark in invisible_marks(segment.raw, part.allow_soft_hyphens):
            start, end = segment.raw_source_span(mark.start, mark.end)
            excerpt = segment.raw_excerpt(mark.start, mark.end)
            shown = visible_form(excerpt)
            if mark.reorders:
                message = f"'{shown}' is under a bidi control ({mark.describe()}) that reorders what the reader sees"
            else:
                message = f"'{shown}' has an invisible character inside it ({mark.describe()})"
            yield lint.StaticHit("SG801", message, start, end, excerpt, Action.BLOCK if mark.reorders else None)
