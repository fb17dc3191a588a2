"""Questions asked of a template's fixed text once, not once per recipient.

Most of a message is its template's fixed text; from one recipient to the next only
the merge values change. A part's ``skeleton`` (``Part.skeleton``: each short value
one placeholder) is what its recipients have in common. A pattern that matches the
skeleton clear of every placeholder, by as many characters as the pattern looks
around its match (``context``), matches every text of that skeleton: the characters
it reads, and their neighbours, are the same. So a yes-or-no question ("does this
part give a postal address?") is answered from the skeleton, cached; only when the
fixed text alone does not answer it (the match, if any, comes from a value) is the
part's own text searched, as it was before.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from .nlp import PLACEHOLDER, Analysis, analyse_fixed, current_vocabulary, skeleton_to_text

if TYPE_CHECKING:
    from .message import Part

Patterns = tuple[re.Pattern[str], ...]


def holds_any(part: Part, patterns: Patterns, context: int = 1) -> bool:
    """Whether one of ``patterns`` matches ``part.text`` (``any(p.search(part.text))``).

    ``context`` is the most characters any of the patterns reads outside its match (a
    look-behind, ``\\b``); a caller passing a pattern that looks further must say so."""
    skeleton = part.skeleton
    answer = _fixed_answer(patterns, skeleton, context) if len(skeleton) <= CACHED_CHARS else None
    return answer if answer is not None else any(pattern.search(part.text) for pattern in patterns)


# The answers are kept for skeletons up to this long (a long newsletter is searched
# whole, which is linear anyway): the cache holds at most a few megabytes of keys.
CACHED_CHARS = 16_000


@lru_cache(maxsize=256)
def _fixed_answer(patterns: Patterns, skeleton: str, context: int) -> bool | None:
    """True: the fixed text alone matches; False: the skeleton is the whole text (no
    value was stood in for) and nothing matches; None: only the text can tell."""
    if PLACEHOLDER not in skeleton:
        return any(pattern.search(skeleton) for pattern in patterns)
    for pattern in patterns:
        for match in pattern.finditer(skeleton):
            start, end = match.span()
            if PLACEHOLDER not in skeleton[max(0, start - context) : end + context]:
                return True
    return None


# ---------------------------------------------------------------------------------------
# A rule's per-template half (``linters.registry.template_half``).

Spans = tuple[tuple[int, int], ...]


@dataclass(frozen=True, slots=True)
class FixedText:
    """A text as a rule's per-template half reads it, with its analysis.

    At send time it is a part's skeleton (``Part.skeleton``: the template's fixed text,
    each short merge value one PLACEHOLDER); in ``sendguard lint`` it is a fixed-text
    segment of one ``{{#if}}`` branch (placeholders where its ``{{values}}`` are); a
    half's oracle is the recipient's own text (no placeholders)."""

    text: str
    analysis: Analysis


class TemplateHalf:
    """What a rule finds in a template's fixed text, once per template.

    ``read(fixed)`` returns spans of ``fixed.text``. It may build them only from the
    spans of ``labels`` in ``fixed.analysis`` and decide about each by reading at most
    ``window`` characters on either side of it and, with ``sentence``, its sentence
    (``fixed.analysis.sentence_at``). That contract is what
    makes the per-recipient answer cheap and exact: :meth:`spans_in` reads a part's
    skeleton once per template (cached) and moves its spans to the part's text; only
    when a merge value could change the answer (it added a span of ``labels``, or it
    sits where the half reads around one of them, kept or not) is the part's own text
    read, by the same function. ``sendguard lint`` runs the same function over every branch, so send
    time and lint time cannot drift."""

    def __init__(
        self,
        rule_id: str,
        read: Callable[[FixedText], Spans],
        labels: tuple[str, ...],
        window: int,
        sentence: bool,
        edge: tuple[str | re.Pattern[str], ...] = (),
    ) -> None:
        self.rule_id = rule_id
        self.labels = labels
        self.window = window
        self.sentence = sentence
        # Words (or patterns of words) the half looks for in its window, which may cut a
        # merge value in two: the campaign path's stand-ins keep them at a value's edge
        # (``linters.recipient_classes.fragment_words``).
        self.edge = edge
        self.read = read
        self.__name__ = read.__name__
        self.__doc__ = read.__doc__
        self._of_skeleton = lru_cache(maxsize=1024)(self._read_skeleton)

    def __call__(self, fixed: FixedText) -> Spans:
        return self.read(fixed)

    def _read_skeleton(self, skeleton: str, vocabulary: object) -> Spans:
        # ``vocabulary`` is only a key: the analysis below is made under it.
        return self.read(FixedText(skeleton, analyse_fixed(skeleton)))

    def spans_in(self, part: Part) -> Spans:
        """``read`` of ``part``'s own text, in its offsets, answered from its skeleton
        whenever the merge values cannot change the answer."""
        if part.analysis.hits.keys().isdisjoint(self.labels):
            return ()  # nothing to build on, in the fixed text or the values
        skeleton = part.skeleton
        if len(skeleton) > CACHED_CHARS:
            return self.read(FixedText(part.text, part.analysis))
        found = self._of_skeleton(skeleton, current_vocabulary())
        if not part.anchors:
            return found  # no value was stood in for: the skeleton is the text
        fixed, to_text = _placing(part)
        for label in self.labels:
            candidates = fixed.spans(label)
            moved = tuple([(to_text(s), to_text(e)) for s, e in candidates])
            # A value added a span, or sits where the half reads around one (whether
            # the half kept that span or not): the recipient's own text decides.
            if moved != part.analysis.spans(label) or any(
                self._touches(skeleton, fixed, start, end) for start, end in candidates
            ):
                return self.read(FixedText(part.text, part.analysis))
        return tuple([(to_text(s), to_text(e)) for s, e in found])

    def _touches(self, skeleton: str, fixed: Analysis, start: int, end: int) -> bool:
        """Whether a merge value sits where the half read to decide about [start, end)."""
        first, last = max(0, start - self.window), end + self.window
        if self.sentence:
            first = min(first, fixed.sentence_at(start)[0])
            last = max(last, fixed.sentence_at(max(start, end - 1))[1])
        return PLACEHOLDER in skeleton[first:last]


def _placing(part: Part) -> tuple[Analysis, Callable[[int], int]]:
    """The part's skeleton's analysis and the map from its offsets to the part's, made
    once per part (every half of every rule asks)."""
    found = part.memo.get("placing")
    if found is None:
        found = part.memo["placing"] = (analyse_fixed(part.skeleton), skeleton_to_text(part.anchors))
    return found  # type: ignore[return-value]
