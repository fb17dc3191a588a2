"""Small text helpers the rule families share."""

from __future__ import annotations

import re
from collections.abc import Iterator

from linters.message import Message, Part

_SECOND_PERSON = re.compile(r"\b(you|your|yours|you're|youre|you've|you'll|yourself|u)\b", re.I)


def addresses_reader(part: Part, start: int) -> bool:
    """True when the sentence around ``start`` speaks to the reader ("you", "your")."""
    s, e = part.analysis.sentence_at(start)
    return bool(_SECOND_PERSON.search(part.text[s:e] if e > s else part.text))


def spans(message: Message, label: str) -> Iterator[tuple[Part, int, int]]:
    """Every span matched under ``label``, part by part."""
    for part in message.readable():
        for start, end in part.analysis.spans(label):
            yield part, start, end


def sentence_removal(part: Part, start: int) -> tuple[int, int]:
    """The span that removes the sentence around ``start`` with the space after it."""
    s, e = part.analysis.sentence_at(start)
    if e <= s:
        return start, start
    while e < len(part.text) and part.text[e] in " \t":
        e += 1
    return s, e


def clause_or_sentence(part: Part, start: int, end: int) -> tuple[int, int, str]:
    """Span and replacement that remove a claim: its leading clause when the claim
    opens the sentence and a comma ends it ("As one of our best customers, you get..."),
    else the whole sentence. The replacement re-capitalizes what follows."""
    s, e = part.analysis.sentence_at(start)
    text = part.text
    comma = text.find(",", end, e)
    if comma > 0 and start - s <= 12:
        after = comma + 1
        while after < e and text[after] in " \t":
            after += 1
        if after < e:
            return s, after + 1, text[after].upper()
    rs, re_end = sentence_removal(part, start)
    return rs, re_end, ""
