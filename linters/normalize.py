"""Read a text the way its recipient reads it, with a map back to what was written.

Rules match phrases; a sender (or a careless template) can hide a phrase from them
without hiding it from a reader. ``normalise`` undoes the ways known to do that:

- NFKC, so fullwidth ("ｌａｓｔ"), mathematical ("𝐥𝐚𝐬𝐭") and ligature ("ﬁnal") letters
  read as the plain letters they show; combining marks that compose with no ASCII
  letter ("l̲ast", stacked "zalgo" marks) are dropped from it;
- default-ignorable characters are removed: zero-width space, joiner and non-joiner,
  soft hyphen, word joiner, BOM, bidi controls, variation selectors (the property
  Default_Ignorable_Code_Point of Unicode's DerivedCoreProperties.txt);
- a letter of another script that looks like a Latin one ("а", Cyrillic) is read as
  that Latin letter when it stands in a word with Latin letters, or in a word made
  only of look-alikes ("ТОР") in mostly Latin text, unless that word is capitalised
  like a name ("Сара") or came from the customer's data. The table is Unicode's confusables data
  (UTS #39) as shipped by the ``confusable-homoglyphs`` package (MIT; data from
  unicode.org under the Unicode licence), read once per process, nothing downloaded;
- a single line break that only wraps a line is read as a space ("last\\nchance"),
  while blank lines, list items, salutation lines ("Hi Ana" / "Hi Ana,") and lines
  ending in punctuation keep their break, so sentences still end there;
- letters spaced out one by one are closed up ("L A S T  C H A N C E" reads
  "LAST CHANCE"), and runs of spaces and tabs read as one space.

Every character of the normalised text knows the span of the original it came
from, so a rule's offsets map back to what was really written (``to_original``)
and a data value's span maps forward (``from_original``). Plain ASCII text without
layout tricks takes a fast path and gets the identity map.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from .vocabulary import load

# Default_Ignorable_Code_Point, Unicode 15.1 DerivedCoreProperties.txt.
_IGNORABLE_RANGES = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x061C, 0x061C),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0xFFF0, 0xFFF8),
    (0x1BCA0, 0x1BCA3),
    (0x1D173, 0x1D17A),
    (0xE0000, 0xE0FFF),
)
IGNORABLE = re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in _IGNORABLE_RANGES) + "]")

_WORD = re.compile(r"[^\W\d_]+")
# An ASCII letter under a combining mark that NFKC leaves as it is ("l\u0332").
_MARK_ON_ASCII = re.compile("[A-Za-z][\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_OTHER_LETTER = re.compile(r"[^\W\d_\x00-\x7f]")
# Three or more single letters, each followed by one space: "L A S T".
_SPACED = re.compile(r"(?<![\w'\u2019])[^\W\d_](?: [^\W\d_]){2,}(?![\w'\u2019])")
# A cheap test that starts with a literal space: every run of _SPACED has one.
_SPACED_HINT = re.compile(r" [^\W\d_] [^\W\d_](?![^\W\d_])")
# The same test for ASCII text, where a letter is [A-Za-z]: a plain class is tested at
# each space in about half the time of the Unicode category one.
_SPACED_HINT_ASCII = re.compile(r" [A-Za-z] [A-Za-z](?![A-Za-z])")
_SPACE_RUN = re.compile(r" {2,}")
_LIST_ITEM = re.compile(r"(?:[-*\u2022+>#|]|\d{1,3}[.)])(?:\s|$)")
_LINE_END = ".!?\u2026:;,"
# Plain text is hard wrapped at 60-78 columns; a text whose longest line is shorter
# was not wrapped at a width (an SMS, a two-line notice), its breaks are the author's.
_MIN_WRAP_WIDTH = 40
_BREAK_BEFORE_TEXT = re.compile(r"\n(?=[ \t]*[^\s])")


@dataclass(slots=True)
class Normalised:
    """``text`` as the rules read it; ``starts[i]``/``ends[i]`` is the span of
    ``original`` that character ``i`` came from (``None``: the two are the same)."""

    text: str
    original: str
    starts: list[int] | None = None
    ends: list[int] | None = None

    @property
    def changed(self) -> bool:
        return self.starts is not None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The span of the original text that normalised span [start, end) shows."""
        if self.starts is None or self.ends is None:
            return start, end
        size = len(self.starts)
        if end > start and start < size:
            return self.starts[start], self.ends[min(end, size) - 1]
        at = self.starts[start] if start < size else len(self.original)
        return at, at

    def from_original(self, start: int, end: int) -> tuple[int, int]:
        """The normalised span showing original span [start, end) (a data value's)."""
        if self.starts is None:
            return start, end
        first = bisect_left(self.starts, start)
        return first, max(first, bisect_left(self.starts, end))

    def original_text(self, start: int, end: int) -> str:
        first, last = self.to_original(start, end)
        return self.original[first:last]


def normalise(text: str, wrapped: bool = True, data: Iterable[tuple[int, int]] = ()) -> Normalised:
    """``text`` as a reader reads it. ``wrapped``: plain text, whose lines may be hard
    wrapped at a width (HTML's lines are blocks, joined only mid-sentence). ``data``:
    spans that came from the customer's data; their letters are never read as
    look-alikes (a customer called "Сара" keeps her Cyrillic name)."""
    chars: str = text
    starts: list[int] | None = None
    ends: list[int] | None = None
    if not text.isascii() and (
        IGNORABLE.search(text) or _MARK_ON_ASCII.search(text) or not unicodedata.is_normalized("NFKC", text)
    ):
        chars, starts, ends = _unicode_pass(text)
    substituted = _substitutions(chars, wrapped, _in_output(data, starts))
    if substituted:
        replaced = list(chars)
        for at, char in substituted.items():
            replaced[at] = char
        chars = "".join(replaced)
    dropped = _deletions(chars)
    if starts is None and not substituted and not dropped:
        return Normalised(text, text)
    if starts is None or ends is None:
        starts, ends = list(range(len(chars))), list(range(1, len(chars) + 1))
    if dropped:
        kept = [i for i in range(len(chars)) if i not in dropped]
        chars = "".join(chars[i] for i in kept)
        starts, ends = [starts[i] for i in kept], [ends[i] for i in kept]
    return Normalised(chars, text, starts, ends)


def _unicode_pass(text: str) -> tuple[str, list[int], list[int]]:
    """Drop ignorables and apply NFKC cluster by cluster (a character and the combining
    marks and ignorables after it), so every output character knows its source span.
    Runs of ASCII are copied whole."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    i, size = 0, len(text)
    while i < size:
        special = _NON_ASCII.search(text, i)
        stop = special.start() if special else size
        if i < stop < size and _extends_cluster(text, stop):
            stop -= 1  # the ASCII letter before a combining mark starts its cluster
        if stop > i:
            out.append(text[i:stop])
            starts.extend(range(i, stop))
            ends.extend(range(i + 1, stop + 1))
            i = stop
            continue
        if IGNORABLE.match(text, i):
            i += 1
            continue
        j = i + 1
        while j < size and _extends_cluster(text, j):
            j += 1
        normalised = _nfkc(text[i:j])
        out.append(normalised)
        starts.extend([i] * len(normalised))
        ends.extend([j] * len(normalised))
        i = j
    return "".join(out), starts, ends


def _extends_cluster(text: str, at: int) -> bool:
    return bool(unicodedata.combining(text[at])) or bool(IGNORABLE.match(text, at))


@lru_cache(maxsize=4096)
def _nfkc(cluster: str) -> str:
    normalised = IGNORABLE.sub("", unicodedata.normalize("NFKC", IGNORABLE.sub("", cluster)))
    if len(normalised) > 1 and normalised[0].isascii() and all(map(unicodedata.combining, normalised[1:])):
        # Marks no letter composes with ("l\u0332ast", stacked "zalgo" marks): the
        # reader reads the letter under them.
        return normalised[0]
    return normalised


def _in_output(spans: Iterable[tuple[int, int]], starts: list[int] | None) -> list[tuple[int, int]]:
    """Spans of the original as spans of the unicode pass's output."""
    if starts is None:
        return list(spans)
    return [(bisect_left(starts, start), bisect_left(starts, end)) for start, end in spans]


def _substitutions(text: str, wrapped: bool, data: list[tuple[int, int]]) -> dict[int, str]:
    """One-for-one replacements: look-alike letters, tabs, carriage returns, wrapped lines."""
    found: dict[int, str] = {}
    if not text.isascii():
        found.update(_confusables(text, data))
    if "\t" in text or "\r" in text:
        for match in re.finditer(r"[\t\r]", text):
            at = match.start()
            lone_return = text[at] == "\r" and not text.startswith("\n", at + 1)
            found[at] = "\n" if lone_return else " "
    if "\r" in text:
        lines = "".join(found.get(i, c) if c == "\r" else c for i, c in enumerate(text))
        found.update(_wrapped_breaks(lines, wrapped))
    elif "\n" in text:
        found.update(_wrapped_breaks(text, wrapped))
    return found


def _confusables(text: str, data: list[tuple[int, int]]) -> dict[int, str]:
    table = skeleton_table()
    if table.keys().isdisjoint(text):
        return {}
    # Accented letters count as not Latin here: an estimate.
    mostly_latin = len(_ASCII_LETTER.findall(text)) > len(_OTHER_LETTER.findall(text))
    found: dict[int, str] = {}
    for word in _WORD.finditer(text):
        letters = word.group()
        if letters.isascii() or (not mostly_latin and not _ASCII_LETTER.search(letters)):
            continue
        lookalikes = [i for i, char in enumerate(letters) if char in table]
        if not lookalikes or any(start < word.end() and word.start() < end for start, end in data):
            continue
        mixed = any(_is_latin(char) for char in letters)
        # A capitalised word of look-alikes is a name ("Сара"), not a disguised word.
        disguised = len(lookalikes) == len(letters) and mostly_latin and not letters.istitle()
        if mixed or disguised:
            for i in lookalikes:
                found[word.start() + i] = table[letters[i]]
    return found


@lru_cache(maxsize=8192)
def _is_latin(char: str) -> bool:
    if char.isascii():
        return char.isalpha()
    return char.isalpha() and unicodedata.name(char, "").startswith("LATIN")


@cache
def skeleton_table() -> dict[str, str]:
    """Letters of other scripts -> the ASCII letter they look like (UTS #39 confusables)."""
    from confusable_homoglyphs import categories, utils

    data = utils.load("confusables.json")
    candidates: dict[str, list[str]] = {}
    for char, entries in data.items():
        if len(char) != 1 or not char.isalpha() or categories.alias(char) in ("LATIN", "COMMON"):
            continue
        targets = [e["c"] for e in entries if len(e["c"]) == 1 and e["c"].isascii() and e["c"].isalpha()]
        if targets:
            candidates[char] = targets
    table: dict[str, str] = {}
    for char, targets in candidates.items():
        same_case = [t for t in targets if t.isupper() == char.isupper()]
        if same_case:
            table[char] = same_case[0]
        elif char.isupper() and char.lower() in candidates:
            # Cyrillic "І" looks like "l" in the table, but its small letter "і" is "i".
            table[char] = candidates[char.lower()][0].upper()
        else:
            table[char] = targets[0]
    return table


@cache
def _line_words() -> tuple[re.Pattern[str], frozenset[str]]:
    vocabulary = load("normalisation")
    # Every kind in greetings.json: a short "Welcome back Ana" line is a salutation too.
    # Read here, not through linters.address (which imports this module through message).
    greetings = [g for kind in load("greetings")["en"].values() for g in kind]
    greetings.sort(key=len, reverse=True)  # "welcome back" before "welcome"
    greeting = re.compile(r"(?i)(?:" + "|".join(re.escape(g) for g in greetings) + r")\b[^,;:!?]*$")
    return greeting, frozenset(vocabulary["dangling_words"])


def _wrapped_breaks(text: str, wrapped: bool) -> dict[int, str]:
    """Line breaks that only wrap a line, to be read as spaces."""
    candidates = _maybe_wrapped(text)
    if not candidates:
        return {}
    greeting, dangling = _line_words()
    width = max(len(line.rstrip()) for line in text.split("\n")) if wrapped else None
    found: dict[int, str] = {}
    for at in candidates:
        line = text[text.rfind("\n", 0, at) + 1 : at]
        following_end = text.find("\n", at + 1)
        following = text[at + 1 : following_end if following_end >= 0 else len(text)]
        if _continues(line, following, width, greeting, dangling):
            found[at] = " "
    return found


def _maybe_wrapped(text: str) -> list[int]:
    """Line breaks after a character that may go on, before a line with text."""
    found = []
    for match in _BREAK_BEFORE_TEXT.finditer(text):
        at = match.start()
        before = text[max(0, at - 16) : at].rstrip(" \t")[-1:]
        if before and before not in _LINE_END and not before.isspace():
            found.append(at)
    return found


def _continues(
    line: str, following: str, width: int | None, greeting: re.Pattern[str], dangling: frozenset[str]
) -> bool:
    current, after = line.strip(" \t"), following.strip(" \t")
    if not current or not after or current[-1] in _LINE_END or current[0] in ">|":
        return False
    if _LIST_ITEM.match(after):
        return False
    words = current.lower().split()
    if len(words) <= 4 and greeting.match(current):
        return False  # "Hi Ana" alone on its line is a salutation
    first = after.split()[0]
    if first[0].islower() or words[-1] in dangling:
        return True
    # Hard wrapped: the next word would not have fitted on this line.
    return width is not None and width >= _MIN_WRAP_WIDTH and len(line.rstrip()) + 1 + len(first) > width


def _deletions(text: str) -> set[int]:
    """Spaces to drop: inside spaced-out letters, and all but one of a run."""
    spaced = bool((_SPACED_HINT_ASCII if text.isascii() else _SPACED_HINT).search(text))
    if "  " not in text and not spaced:
        return set()
    dropped: set[int] = set()
    for run in _SPACED.finditer(text) if spaced else ():
        dropped.update(range(run.start() + 1, run.end(), 2))
    for run in _SPACE_RUN.finditer(text):
        dropped.update(range(run.start() + 1, run.end()))
    return dropped


__all__ = ["IGNORABLE", "Normalised", "normalise"]
