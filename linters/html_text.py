"""The text a reader sees in an HTML email, with a map back to the HTML source.

Tags, ``<style>``, ``<script>``, ``<head>`` and elements hidden with ``display:none``
(or ``visibility:hidden``, ``mso-hide:all``, the ``hidden`` attribute) are left out.
Runs of white space fold to one space, as a browser shows them; block elements
become line breaks so sentences in different paragraphs do not run together.
``source_at[i]`` is the offset in the HTML of visible character ``i``.

Two more texts reach the reader without being in the body as shown, and are kept
apart (``VisibleText.preheader`` and ``VisibleText.attributes``), each with its own
map back to the HTML:

- the preheader: text hidden by style (``display:none``, or collapsed with
  ``max-height:0``/``height:0`` and ``overflow:hidden``, ``opacity:0``,
  ``font-size:0``) before the body's first ``PREVIEW_CHARS`` visible characters.
  Inboxes show it next to the subject. Its padding (``&zwnj;&nbsp;`` runs) is dropped.
  Hidden text further down is shown by no client and stays unread, as do
  ``<script>``, ``<style>``, ``<head>`` and comments anywhere;
- ``alt`` text (shown where images are off, the default in many clients) and
  ``title`` attributes (tooltips) of shown elements, one per line, each once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser, attrfind_tolerant, tagfind_tolerant

_SKIPPED = frozenset({"style", "script", "head", "title", "template", "noscript", "svg"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_BLOCK = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "br",
        "center",
        "dd",
        "div",
        "dl",
        "dt",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hr",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "table",
        "td",
        "th",
        "tr",
        "ul",
    }
)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all", re.I)
# How a preheader is also hidden: collapsed to nothing rather than not displayed.
_ZERO = r"\s*:\s*0*(?:\.0*)?(?:px|em|rem|pt|%)?\s*(?:!important\s*)?(?:;|$)"
_COLLAPSED = re.compile(rf"(?:^|;|\s)(?:opacity{_ZERO}|font-size{_ZERO})", re.I)
_NO_HEIGHT = re.compile(rf"(?:^|;|\s)(?:max-)?height{_ZERO}", re.I)
_OVERFLOW_HIDDEN = re.compile(r"overflow\s*:\s*hidden", re.I)
# A preheader is text hidden at the top: before this many visible characters (a
# "View in browser" line may come first). Inbox previews show about this much.
PREVIEW_CHARS = 100
# Preheader padding: characters that only push the body out of the preview.
_PADDING = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)
_ENTITY = re.compile(r"&(?:#\d{1,7};?|#[xX][0-9a-fA-F]{1,6};?|[A-Za-z][A-Za-z0-9]{1,31};)")


@dataclass(slots=True)
class VisibleText:
    text: str
    source_at: list[int]
    links: list[str] = field(default_factory=list)
    # Where each entity that became a visible character ends: "&amp;" is one character
    # shown and five in the source, and a span ending on it must cover all five.
    entity_ends: dict[int, int] = field(default_factory=dict)
    # What else the reader meets (module docstring): each maps back to this HTML too.
    preheader: VisibleText | None = None
    attributes: VisibleText | None = None
    # The HTML spans the text was taken from (set for the preheader and attributes:
    # a data value is theirs only when it lies in one).
    sources: tuple[tuple[int, int], ...] = ()

    @property
    def read_chars(self) -> int:
        """Characters of text read in all: the body as shown, the preheader, alt and title."""
        extra = (self.preheader, self.attributes)
        return len(self.text) + sum(len(seen.text) + 1 for seen in extra if seen is not None and seen.text)

    def covers(self, start: int, end: int) -> bool:
        """True when the HTML span [start, end) lies in a source span of this text."""
        return any(s <= start and end <= e for s, e in self.sources)

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Map a visible span to the HTML span that shows it."""
        if not self.source_at:
            return 0, 0
        first = self.source_at[min(start, len(self.source_at) - 1)]
        last_char = self.source_at[min(max(end - 1, start), len(self.source_at) - 1)]
        last = self.entity_ends.get(last_char, last_char + 1)
        return first, max(first, last)


def _hides_itself(values: dict[str, str | None]) -> bool:
    """An element hidden by its own attributes: its alt and title are not shown either."""
    return "hidden" in values or bool(_HIDDEN_STYLE.search(values.get("style") or ""))


class _Buffer:
    """Text being collected, each character with its offset in the HTML."""

    def __init__(self, leading_space: bool = True) -> None:
        # The body keeps a leading space as browsers' text nodes do; the others start at a word.
        self.leading_space = leading_space
        self.chars: list[str] = []
        self.source_at: list[int] = []
        self.sources: list[tuple[int, int]] = []

    def add(self, text: str, at: int, step: int = 1) -> None:
        """Append text; each character maps to ``at + i * step``."""
        for i, char in enumerate(text):
            if char.isspace():
                if (self.chars and self.chars[-1].isspace()) or not (self.chars or self.leading_space):
                    continue
                char = "\n" if char == "\n" and self.chars and self.chars[-1] == "\n" else " "
            self.chars.append(char)
            self.source_at.append(at + i * step)

    def line_break(self, at: int) -> None:
        while self.chars and self.chars[-1] == " ":
            self.chars.pop()
            self.source_at.pop()
        if self.chars and self.chars[-1] != "\n":
            self.chars.append("\n")
            self.source_at.append(at)

    def shown(self) -> int:
        return len(self.chars)

    def trimmed(self, entity_ends: dict[int, int]) -> VisibleText:
        chars, source_at = self.chars, self.source_at
        while chars and chars[-1].isspace():
            chars.pop()
            source_at.pop()
        return VisibleText("".join(chars), source_at, [], entity_ends, sources=tuple(self.sources))


class _Extractor(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.body = _Buffer()
        self.preheader = _Buffer(leading_space=False)
        self.attributes = _Buffer(leading_space=False)
        self.attribute_texts: set[str] = set()
        self.links: list[str] = []
        self.entity_ends: dict[int, int] = {}
        # Open elements: (tag, hides, hides as a preheader).
        self.stack: list[tuple[str, bool, bool]] = []
        self.hidden = 0
        self.in_preheader = 0

    def _at(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _target(self) -> _Buffer | None:
        """Where text read now goes: the body, the preheader, or nowhere."""
        if not self.hidden:
            return self.body
        if self.in_preheader and self.in_preheader == self.hidden:
            return self.preheader
        return None

    def add(self, text: str, at: int, step: int = 1) -> None:
        target = self._target()
        if target is None or not text:
            return
        if target is self.preheader:
            self._add_padded(text, at, step)
            return
        target.add(text, at, step)

    def _add_padded(self, text: str, at: int, step: int) -> None:
        """Preheader text without its padding characters."""
        begin = 0
        for found in _PADDING.finditer(text):
            self.preheader.add(text[begin : found.start()], at + begin * step, step)
            begin = found.end()
        self.preheader.add(text[begin:], at + begin * step, step)
        self.preheader.sources.append((at, at + max(len(text) * step, 1)))

    def line_break(self, at: int) -> None:
        target = self._target()
        if target is not None:
            target.line_break(at)

    def _preheader_style(self, tag: str, style: str) -> bool:
        if tag in _SKIPPED or self.hidden or self.body.shown() >= PREVIEW_CHARS:
            return False
        collapsed = bool(_NO_HEIGHT.search(style)) and bool(_OVERFLOW_HIDDEN.search(style))
        return bool(_HIDDEN_STYLE.search(style) or _COLLAPSED.search(style)) or collapsed

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href") and not self.hidden:
            self.links.append(values["href"] or "")
        if not self.hidden and ("alt" in values or "title" in values) and not _hides_itself(values):
            self._seen_attributes()
        if tag in _BLOCK:
            self.line_break(self._at())
        if tag in _VOID:
            return
        style = values.get("style") or ""
        preheader = self._preheader_style(tag, style)
        hides = preheader or tag in _SKIPPED or "hidden" in values or bool(_HIDDEN_STYLE.search(style))
        # Hidden inside a preheader (a nested hidden span) is still the preheader.
        nested = hides and tag not in _SKIPPED and 0 < self.hidden == self.in_preheader
        self.stack.append((tag, hides, preheader or nested))
        self.hidden += hides
        self.in_preheader += preheader or nested

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if not self.hidden and ("alt" in values or "title" in values) and not _hides_itself(values):
            self._seen_attributes()
        if tag in _BLOCK:
            self.line_break(self._at())

    def _seen_attributes(self) -> None:
        """The alt and title texts of the tag just read, each on its own line, each once.
        The tag is read again as the parser read it, for the values' offsets."""
        raw = self.get_starttag_text() or ""
        at = self._at()
        name = tagfind_tolerant.match(raw, 1)
        k = name.end() if name else len(raw)
        while k < len(raw):
            found = attrfind_tolerant.match(raw, k)
            if not found or found.end() == k:
                break
            k = found.end()
            value, start = found.group(3), found.start(3)
            if found.group(1).lower() not in ("alt", "title") or not value:
                continue
            if value[:1] == value[-1:] and value[:1] in ("'", '"') and len(value) > 1:
                value, start = value[1:-1], start + 1
            key = " ".join(unescape(value).split()).casefold()
            if not key or key in self.attribute_texts:
                continue
            self.attribute_texts.add(key)
            self._add_raw(value, at + start)
            self.attributes.sources.append((at + start, at + start + len(value)))
            self.attributes.line_break(at + start + len(value))

    def _add_raw(self, raw: str, at: int) -> None:
        """An attribute value as written: its entities read as characters."""
        begin = 0
        for found in _ENTITY.finditer(raw):
            self.attributes.add(raw[begin : found.start()], at + begin)
            text = unescape(found.group())
            if text != found.group():
                where = at + found.start()
                self.entity_ends[where] = at + found.end()
                self.attributes.add(" " if text == "\xa0" else text, where, step=0)
            else:
                self.attributes.add(text, at + found.start())
            begin = found.end()
        self.attributes.add(raw[begin:], at + begin)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK:
            self.line_break(self._at())
        # Browsers close unclosed children too; never let one stray tag hide the rest.
        if any(open_tag == tag for open_tag, _, _ in self.stack):
            while self.stack:
                open_tag, hides, preheader = self.stack.pop()
                self.in_preheader -= preheader
                self.hidden -= hides
                if open_tag == tag:
                    break

    def parse_marked_section(self, i: int, report: int = 1) -> int:
        """``<![CDATZ[`` and other unknown marked sections: the standard library asserts
        (a traceback on hostile input); a browser reads a bogus comment up to ``>``."""
        try:
            return super().parse_marked_section(i, report)
        except AssertionError:
            end = self.rawdata.find(">", i + 3)
            return -1 if end < 0 else end + 1

    def handle_data(self, data: str) -> None:
        self.add(data, self._at())

    def handle_entityref(self, name: str) -> None:
        self._entity(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._entity(f"&#{name};")

    def _entity(self, entity: str) -> None:
        at = self._at()
        self.entity_ends[at] = at + len(entity)
        text = unescape(entity)
        if text == "\xa0":
            text = " "
        self.add(text, at, step=0)


@lru_cache(maxsize=8)
def visible_text(html: str) -> VisibleText:
    """What a reader sees of ``html``. Cached (the limits, the engine and the message
    read the same rendered HTML; a long newsletter costs a parse each): callers treat
    the result as read-only."""
    parser = _Extractor(html)
    parser.feed(html)
    parser.close()
    body = parser.body.trimmed(parser.entity_ends)
    body.links = parser.links
    preheader = parser.preheader.trimmed(parser.entity_ends)
    attributes = parser.attributes.trimmed(parser.entity_ends)
    body.preheader = preheader if preheader.text else None
    body.attributes = attributes if attributes.text else None
    return body
