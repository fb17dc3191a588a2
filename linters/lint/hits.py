"""What a rule's template-time check reads and returns (``linters.registry.lint_check``).

``sendguard lint`` splits each template part into fixed-text segments, each with the
``{{#if}}`` conditions it sits under, and analyses each once with the engine's
matchers (``linters.lint.static``). A rule's lint check, declared beside the rule in
its family module, gets one :class:`LintPart` and yields :class:`StaticHit` s. This
module imports no rule, so rule modules can import it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..findings import Action
from ..fixed_text import FixedText, TemplateHalf
from ..nlp import Analysis
from .segments import Condition, Segment


@dataclass(slots=True)
class StaticHit:
    """A finding in one part: ``start``/``end`` are offsets in the part's template source."""

    rule: str
    message: str
    start: int
    end: int
    excerpt: str
    action: Action | None = None  # overrides the rule's default action, as Hit.action does


@dataclass(slots=True)
class Analysed:
    """One fixed-text segment and the engine's analysis of it."""

    segment: Segment
    analysis: Analysis


@dataclass(slots=True)
class LintPart:
    """One template part as a lint check sees it: its analysed segments, those of every
    part (a salutation in another part counts for SG301), the lint settings
    (``linters.lint.config.LintSettings``), the front matter's purpose and automation,
    whether the part is the subject line, and SG801's soft-hyphen setting."""

    items: list[Analysed]
    every_part: list[Analysed]
    settings: Any
    marketing: bool
    automated: bool
    subject: bool = False
    allow_soft_hyphens: bool = False  # SG801's setting, from the policy


def path_matches(path: str, entries: list[str]) -> bool:
    """``customer.is_vip`` matches ``is_vip``; ``consent.personalization`` matches itself."""
    parts = [p for p in re.sub(r"^(?:\.\./|this\.|@root\.)+", "", path).lower().split(".") if p]
    for entry in entries:
        wanted = entry.lower().split(".")
        if wanted and parts[-len(wanted) :] == wanted:
            return True
    return False


def guarded(conditions: tuple[Condition, ...], entries: list[str]) -> bool:
    return any(c.truthy and path_matches(c.path, entries) for c in conditions)


def hit(rule: str, message: str, item: Analysed, start: int, end: int) -> StaticHit:
    source_start, source_end = item.segment.source_span(start, end)
    return StaticHit(rule, message, source_start, source_end, item.segment.excerpt(start, end))


def spans(items: list[Analysed], label: str) -> Iterator[tuple[Analysed, int, int, str]]:
    for item in items:
        for start, end in item.analysis.spans(label):
            yield item, start, end, item.segment.excerpt(start, end)


def half_spans(items: list[Analysed], half: TemplateHalf) -> Iterator[tuple[Analysed, int, int, str]]:
    """What a rule's per-template half finds in each segment: the same function the
    rule's send-time check reads each template's skeleton with."""
    for item in items:
        for start, end in half(FixedText(item.segment.text, item.analysis)):
            yield item, start, end, item.segment.excerpt(start, end)


def unguarded_spans(
    items: list[Analysed], half: TemplateHalf, conditions: list[str]
) -> Iterator[tuple[Analysed, int, int, str]]:
    """``half_spans`` outside every ``{{#if}}`` on one of ``conditions``: what a rule says
    to every reader that only some readers may be told."""
    for item, start, end, said in half_spans(items, half):
        if not guarded(item.segment.conditions, conditions):
            yield item, start, end, said
