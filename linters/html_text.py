"""The text a reader sees in an HTML email, with a map back to the HTML source.

Tags, ``<style>``, ``<script>``, ``<head>`` and elements hidden with ``display:none``
(or ``visibility:hidden``, ``mso-hide:all``, the ``hidden`` attribute) are left out.
Runs of white space fold to one space, as a browser shows them; block elements
become line breaks so sentences in different paragraphs do not run together.
``source_at[i]`` is the offset in the HTML of visible character ``i``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from html import unescape
from html.parser import HTMLParser

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


@dataclass(slots=True)
class VisibleText:
    text: str
    source_at: list[int]
    links: list[str] = field(default_factory=list)
    # Where each entity that became a visible character ends: "&amp;" is one character
    # shown and five in the source, and a span ending on it must cover all five.
    entity_ends: dict[int, int] = field(default_factory=dict)

    def to_source(self, start: int, end: int) -> tuple[int, int]:
        """Map a visible span to the HTML span that shows it."""
        if not self.source_at:
            return 0, 0
        first = self.source_at[min(start, len(self.source_at) - 1)]
        last_char = self.source_at[min(max(end - 1, start), len(self.source_at) - 1)]
        last = self.entity_ends.get(last_char, last_char + 1)
        return first, max(first, last)


class _Extractor(HTMLParser):
    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=False)
        self.source = source
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", source)]
        self.chars: list[str] = []
        self.source_at: list[int] = []
        self.links: list[str] = []
        self.entity_ends: dict[int, int] = {}
        self.stack: list[tuple[str, bool]] = []
        self.hidden = 0

    def _at(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def add(self, text: str, at: int, step: int = 1) -> None:
        """Append visible text; each character maps to ``at + i * step``."""
        if self.hidden or not text:
            return
        for i, char in enumerate(text):
            if char.isspace():
                if self.chars and self.chars[-1].isspace():
                    continue
                char = "\n" if char == "\n" and self.chars and self.chars[-1] == "\n" else " "
            self.chars.append(char)
            self.source_at.append(at + i * step)

    def line_break(self, at: int) -> None:
        if self.hidden:
            return
        while self.chars and self.chars[-1] == " ":
            self.chars.pop()
            self.source_at.pop()
        if self.chars and self.chars[-1] != "\n":
            self.chars.append("\n")
            self.source_at.append(at)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href") and not self.hidden:
            self.links.append(values["href"] or "")
        if tag in _BLOCK:
            self.line_break(self._at())
        if tag in _VOID:
            return
        hides = tag in _SKIPPED or "hidden" in values or bool(_HIDDEN_STYLE.search(values.get("style") or ""))
        self.stack.append((tag, hides))
        self.hidden += hides

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.line_break(self._at())

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK:
            self.line_break(self._at())
        # Browsers close unclosed children too; never let one stray tag hide the rest.
        if any(open_tag == tag for open_tag, _ in self.stack):
            while self.stack:
                open_tag, hides = self.stack.pop()
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
    chars, source_at = parser.chars, parser.source_at
    while chars and chars[-1].isspace():
        chars.pop()
        source_at.pop()
    return VisibleText("".join(chars), source_at, parser.links, parser.entity_ends)
