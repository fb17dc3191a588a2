"""Helpers the pre-send checks (SG802-SG805) share: where something in an HTML part's
markup (a link, an image) sits in the text the rules read, and the links of a part."""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass

from ...message import Part

# A link in plain text; the punctuation that ends a sentence after it is not part of it.
_TEXT_URL = re.compile(r"(?i)\b(?:https?:/{0,3}|www\.)[^\s<>\"'()\[\]]+|\bmailto:[^\s<>\"'()]+")
_TRAILING = ".,;:!?"
_ANCHOR_TAG = re.compile(r"(?i)<(?P<close>/?)a\b(?P<attrs>[^<>]*)>")
_HREF = re.compile(r"""(?is)\bhref\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<bare>[^\s>]+))""")


@dataclass(frozen=True, slots=True)
class Link:
    """A link's address as written, and the span of ``part.text`` that shows it."""

    url: str
    start: int
    end: int


def text_offset(part: Part, source: int) -> int:
    """The offset in ``part.text`` of what the reader sees at or after HTML offset ``source``."""
    if part.visible is None:
        return source
    at = bisect_left(part.visible.source_at, source)
    return part.normal.from_original(at, at)[0] if part.normal else at


def links_of(part: Part) -> Iterator[Link]:
    """Every link of a part: an HTML part's ``<a href>`` (shown or not: a hidden link is
    still followed by scanners and clients), a text part's URLs."""
    if part.visible is None:
        for found in _TEXT_URL.finditer(part.text):
            url = found.group().rstrip(_TRAILING)
            yield Link(url, found.start(), found.start() + len(url))
        return
    from html import unescape

    # One pass over the tags (linear on hostile markup): each <a href> with its text, up
    # to its </a>, the next <a> or the end.
    opened: tuple[str, int] | None = None
    for tag in _ANCHOR_TAG.finditer(part.sent):
        if opened is not None:
            url, body = opened
            yield Link(url, text_offset(part, body), max(text_offset(part, body), text_offset(part, tag.start())))
            opened = None
        href = None if tag.group("close") else _HREF.search(tag.group("attrs"))
        if href is not None:
            opened = unescape(next(g for g in href.group("dq", "sq", "bare") if g is not None)), tag.end()
    if opened is not None:
        url, body = opened
        yield Link(url, text_offset(part, body), text_offset(part, len(part.sent)))
