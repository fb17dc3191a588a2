"""A rendered message as the rules see it: parts with readable text, provenance and analysis."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from .html_text import VisibleText, visible_text
from .models import Customer, SendRequest
from .nlp import Analysis, analyse_skeleton, skeleton_of
from .normalize import Normalised, normalise
from .render import Value

PART_ORDER = ("subject", "text", "html")
# What a reader meets of the HTML besides its body as shown (linters/html_text.py): the
# preheader (hidden text at the top, shown by inboxes next to the subject) and the alt
# and title texts (one per line). Each is a part of its own, read by every rule like the
# others, so a finding says where it sits; it is not sent on its own: its ``sent`` is the
# HTML, and a finding's offsets point into the HTML. A rewrite never edits these parts
# (linters/rewrite.py): a finding in one that asks for a rewrite blocks instead.
SEEN_PARTS = ("preheader", "alt")
# The order a reader meets the parts in: the preheader comes with the subject.
READ_ORDER = ("subject", "preheader", "text", "html", "alt")


@dataclass(slots=True)
class Part:
    """One part of a message. ``text`` is what a reader reads (HTML: the visible
    text), normalised (linters/normalize.py: no invisible characters, look-alike
    letters and wrapped lines read as the reader reads them); ``sent`` is what goes
    out. Rule offsets are offsets in ``text``; ``to_sent`` and ``written`` map them
    back to what was really written. ``values`` are the data values' spans in
    ``text``; ``rendered`` are the same values' spans in ``sent``."""

    name: str
    sent: str
    text: str
    values: tuple[Value, ...]
    analysis: Analysis
    visible: VisibleText | None = None
    # Derived facts several rules need (salutations, openers), computed once per part.
    memo: dict[str, object] = field(default_factory=dict)
    normal: Normalised | None = None
    rendered: tuple[Value, ...] = ()

    def written(self, start: int, end: int) -> str:
        """The characters really written where ``text`` has [start, end)."""
        return self.normal.original_text(start, end) if self.normal else self.text[start:end]

    @property
    def links(self) -> list[str]:
        return self.visible.links if self.visible else []

    @property
    def skeleton(self) -> str:
        """``text`` with each short data value one placeholder (``linters.nlp.skeleton_of``,
        as the analysis reads it): what every recipient of a template has in common, so
        what is found in it is found once per template (linters/fixed_text.py)."""
        found = self.memo.get("skeleton")
        if found is None:
            found = self._make_skeleton()[0]
        return found  # type: ignore[return-value]

    @property
    def anchors(self) -> list[tuple[int, int, int]]:
        """Where the skeleton's placeholders are: per placeholder, its offset in the
        skeleton and the value's span in ``text`` (``linters.nlp.skeleton_of``)."""
        found = self.memo.get("anchors")
        if found is None:
            found = self._make_skeleton()[1]
        return found  # type: ignore[return-value]

    def _make_skeleton(self) -> tuple[str, list[tuple[int, int, int]]]:
        skeleton, anchors = skeleton_of(self.text, [(v.start, v.end) for v in self.values])
        self.memo["skeleton"], self.memo["anchors"] = skeleton, anchors
        return skeleton, anchors

    def value_at(self, start: int, end: int) -> Value | None:
        """The data value covering [start, end), if the span came from data."""
        for value in self.values:
            if value.start <= start and end <= value.end and not value.missing:
                return value
        return None

    def to_sent(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of ``text`` to the span of ``sent`` that shows it."""
        if self.normal:
            start, end = self.normal.to_original(start, end)
        return self.visible.to_source(start, end) if self.visible else (start, end)


def readable_text(
    name: str, sent: str, values: tuple[Value, ...]
) -> tuple[str, tuple[Value, ...], VisibleText | None]:
    """What a reader reads in a part, with the data values' spans in that text."""
    if name != "html":
        return sent, values, None
    visible = visible_text(sent)
    kept = tuple(v for v in (_to_visible(visible, value) for value in values) if v is not None)
    return visible.text, kept, visible


def rule_text(
    name: str, sent: str, values: tuple[Value, ...]
) -> tuple[Normalised, tuple[Value, ...], VisibleText | None]:
    """What the rules read in a part (normalised readable text), with the data values'
    spans in it."""
    readable, kept, visible = readable_text(name, sent, values)
    normal = normalise(readable, name != "html", [(v.start, v.end) for v in kept if not v.missing])
    if normal.changed:
        kept = tuple(_normalised_value(normal, value) for value in kept)
    return normal, kept, visible


def build_part(name: str, sent: str, values: tuple[Value, ...]) -> Part:
    normal, kept, visible = rule_text(name, sent, values)
    return _analysed_part(name, sent, normal, kept, visible, values)


def _analysed_part(
    name: str,
    sent: str,
    normal: Normalised,
    kept: tuple[Value, ...],
    visible: VisibleText | None,
    rendered: tuple[Value, ...],
) -> Part:
    """The part with its analysis, made from its skeleton, which the part keeps."""
    text = normal.text
    skeleton, anchors = skeleton_of(text, [(v.start, v.end) for v in kept])
    analysis = analyse_skeleton(text, skeleton, anchors)
    normal_kept = normal if normal.changed else None
    memo: dict[str, object] = {"skeleton": skeleton, "anchors": anchors}
    return Part(name, sent, text, kept, analysis, visible, memo, normal_kept, rendered)


def seen_parts(html: Part) -> tuple[Part, ...]:
    """The preheader and alt parts of an HTML part (``SEEN_PARTS``), made once per part."""
    made = html.memo.get("seen_parts")
    if made is None:
        found = []
        visible = html.visible
        texts = (visible.preheader, visible.attributes) if visible else (None, None)
        for name, seen in zip(SEEN_PARTS, texts, strict=True):
            if seen is not None:
                found.append(_seen_part(name, html.sent, html.rendered, seen))
        made = html.memo["seen_parts"] = tuple(found)
    return made  # type: ignore[return-value]


def _seen_part(name: str, sent: str, values: tuple[Value, ...], seen: VisibleText) -> Part:
    """A part read from the HTML ``sent`` through ``seen``; only the data values that
    landed in its text are its own."""
    mine = tuple(v for v in values if seen.covers(v.start, v.end))
    kept = tuple(v for v in (_to_visible(seen, value) for value in mine) if v is not None)
    normal = normalise(seen.text, False, [(v.start, v.end) for v in kept if not v.missing])
    if normal.changed:
        kept = tuple(_normalised_value(normal, value) for value in kept)
    return _analysed_part(name, sent, normal, kept, seen, mine)


def _normalised_value(normal: Normalised, value: Value) -> Value:
    start, end = normal.from_original(value.start, value.end)
    return replace(value, start=start, end=start if value.missing else end)


def _to_visible(visible: VisibleText, value: Value) -> Value | None:
    """The value's span in visible text, or None when it landed in markup (an href)."""
    import bisect

    first = bisect.bisect_left(visible.source_at, value.start)
    last = bisect.bisect_left(visible.source_at, value.end)
    if value.missing:
        return replace(value, start=first, end=first)
    if first >= last:
        return None
    return Value(first, last, value.path)


@dataclass(slots=True)
class Message:
    request: SendRequest
    customer: Customer | None
    parts: dict[str, Part]
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    # Every rule asks for these; a message's parts never change once it is made.
    _readable: tuple[Part, ...] = field(init=False, repr=False, compare=False)
    # The parts read from the HTML (``SEEN_PARTS``): read, never sent on their own, so
    # they are not in ``parts`` (what is sent); ``part`` finds them by name.
    _seen: dict[str, Part] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.parts = {name: part for name, part in self.parts.items() if name not in SEEN_PARTS}
        html = self.parts.get("html")
        self._seen = {part.name: part for part in seen_parts(html)} if html is not None else {}
        every = {**self.parts, **self._seen}
        self._readable = tuple(every[name] for name in READ_ORDER if name in every)

    def part(self, name: str) -> Part | None:
        """A part by name: one that is sent, or one read from the HTML (preheader, alt)."""
        return self.parts.get(name) or self._seen.get(name)

    def readable(self) -> tuple[Part, ...]:
        """The parts a reader reads, in order: subject, preheader, text, html, alt."""
        return self._readable

    @property
    def is_marketing(self) -> bool:
        return self.request.purpose == "marketing"
