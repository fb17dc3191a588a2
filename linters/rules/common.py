"""Small text helpers the rule families share.

The removal helpers return spans of ``part.text`` chosen so that what is left reads
as a sentence: a claim is cut with its clause when the rest of the sentence stands
on its own, else with its whole sentence; the rewrite step (linters/rewrite.py) then
tidies the seams (spaces, dangling commas, capitals).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from ..fixed_text import TemplateHalf
from ..message import Message, Part

_SECOND_PERSON = re.compile(r"\b(you|your|yours|you're|youre|you've|you'll|yourself|u)\b", re.I)
# Where one clause of a sentence ends and the next begins.
_CLAUSE_BREAK = re.compile(r"[,;]|[ \t][-\u2013\u2014][ \t]")
# A linking word left at the front of what remains once a leading clause is cut
# ("Welcome back, and enjoy 20% off" -> "Enjoy 20% off").
_LEADING_LINK = re.compile(r"(?i)(?:and|but|so|plus|which is why|that's why|that is why)[ \t]+")
_END_PUNCT = ".!?\u2026"
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
# A remainder needs this many words to stand as a sentence; "Bob!" after cutting
# "Welcome back," does not, so the whole sentence goes.
_MIN_REST_WORDS = 3


def addresses_reader(part: Part, start: int) -> bool:
    """True when the sentence around ``start`` speaks to the reader ("you", "your")."""
    return speaks_to_reader(part.text, part.analysis.sentence_at(start))


def speaks_to_reader(text: str, sentence: tuple[int, int]) -> bool:
    """True when ``sentence`` (a span of ``text``) speaks to the reader."""
    s, e = sentence
    return bool(_SECOND_PERSON.search(text[s:e] if e > s else text))


def spans(message: Message, label: str) -> Iterator[tuple[Part, int, int]]:
    """Every span matched under ``label``, part by part."""
    for part in message.readable():
        for start, end in part.analysis.spans(label):
            yield part, start, end


def half_spans(message: Message, half: TemplateHalf) -> Iterator[tuple[Part, int, int]]:
    """What a rule's per-template half finds in each part, in the part's own offsets:
    read once per template, moved to each recipient's text (``TemplateHalf.spans_in``)."""
    labels = half.labels
    for part in message.readable():
        if part.analysis.hits.keys().isdisjoint(labels):
            continue  # the common case, asked here first: most parts hold none of them
        for start, end in half.spans_in(part):
            yield part, start, end


def longest_first(found: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans from several labels without overlaps: the longer of two overlapping spans wins."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(found, key=lambda s: (s[0], -(s[1] - s[0]))):
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end))
    return kept


def sentence_removal(part: Part, start: int) -> tuple[int, int]:
    """The span that removes the sentence around ``start`` and the space it leaves.

    A sentence with text after it on its line takes the spaces after it; the last one
    on a line takes the spaces before it (no trailing space is left); a sentence that
    is a whole line takes its line break too (no empty line is left).
    """
    s, e = part.analysis.sentence_at(start)
    if e <= s:
        return start, start
    text = part.text
    while e > s and text[e - 1].isspace():
        e -= 1  # a sentence span may carry the line break that ends it
    after = e
    while after < len(text) and text[after] in " \t":
        after += 1
    line_start = text.rfind("\n", 0, s) + 1
    starts_line = not text[line_start:s].strip()
    if after < len(text) and text[after] != "\n":
        return s, after  # more text follows on this line
    if starts_line:
        # In HTML a line break is markup (</p>): the rewrite drops the emptied element.
        takes_break = after < len(text) and part.visible is None
        return line_start, after + 1 if takes_break else after
    before = s
    while before > line_start and text[before - 1] in " \t":
        before -= 1
    return before, after


def clause_or_sentence(part: Part, start: int, end: int) -> tuple[int, int, str]:
    """Span and replacement that remove a claim at [start, end) and leave a sentence.

    - a leading clause ("As one of our best customers, you get early access."): cut up
      to the rest, which the rewrite re-capitalizes ("You get early access.");
    - a trailing clause ("Enjoy 20% off, as one of our best customers."): cut from the
      comma, keeping the full stop ("Enjoy 20% off.");
    - a clause between two commas ("Hi Bob, as a VIP, you get..."): cut it and one comma;
    - otherwise, or when what would remain is too short to stand, the whole sentence.
    """
    s, e = part.analysis.sentence_at(start)
    if e <= s:
        return start, end, ""
    text = part.text
    stop = e
    while stop > s and (text[stop - 1].isspace() or text[stop - 1] in _END_PUNCT):
        stop -= 1
    before = [m for m in _CLAUSE_BREAK.finditer(text, s, start)]
    after = _CLAUSE_BREAK.search(text, end, stop) if end < stop else None
    if after is not None and not before:
        cut = _leading_clause(text, s, after.end(), stop)
        if cut:
            return cut
    if before and after is None:
        comma = before[-1].start()
        if _words(text[s:comma]) >= 1:
            return comma, stop, ""
    if before and after is not None:
        clause_start = _skip_space(text, before[-1].end(), stop)
        rest = _skip_space(text, after.end(), stop)
        if _words(text[rest:stop]) >= 1 and _words(text[s : before[-1].start()]) >= 1:
            return clause_start, rest, ""
    cut_start, cut_end = sentence_removal(part, start)
    return cut_start, cut_end, ""


def _leading_clause(text: str, s: int, after_break: int, stop: int) -> tuple[int, int, str] | None:
    rest = _skip_space(text, after_break, stop)
    link = _LEADING_LINK.match(text, rest, stop)
    if link:
        rest = link.end()
    if _words(text[rest:stop]) < _MIN_REST_WORDS and not _signature(
        text[rest:stop], text[stop : end_of(text, stop)]
    ):
        return None
    # The rewrite step capitalizes the first letter left at a sentence start; doing it
    # here would make the span reach into the next word (in HTML, across its markup).
    return s, rest, ""


def end_of(text: str, at: int) -> int:
    """Where the run of sentence-ending punctuation at ``at`` stops."""
    while at < len(text) and text[at] in _END_PUNCT:
        at += 1
    return at


def _signature(rest: str, punctuation: str) -> bool:
    """ "Northwind" or "The Northwind Team" after "Thanks for your loyalty,": a sign-off
    to keep, not the tail of a sentence ("Bob!" after "Welcome back,")."""
    words = _WORD.findall(rest)
    return bool(words) and not punctuation and all(w[0].isupper() for w in words)


def _skip_space(text: str, at: int, limit: int) -> int:
    while at < limit and text[at] in " \t":
        at += 1
    return at


def _words(text: str) -> int:
    return len(_WORD.findall(text))
