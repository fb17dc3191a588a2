"""SG302 false-urgency: Manufactured pressure in a marketing message."""

from __future__ import annotations

from collections.abc import Iterator

from ...findings import Action, Hit
from ...fixed_text import FixedText, Spans
from ...lint import hits as lint
from ...lint.segments import compatible
from ...message import Message
from ...registry import NoSettings, lint_check, rule, template_half
from ..common import half_spans, longest_first
from ._shared import _generic_addressees


@rule("SG302", "false-urgency", Action.WARN, reads=("text", "request.purpose"))
def find_false_urgency(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """Manufactured pressure in a marketing message.

    Catches: "last chance", "act now", "hurry", "only 3 hours left", "ends tonight",
    "selling fast", "don't miss out", "before it's gone", "now or never" in a message
    whose `purpose` is `marketing`. A real deadline in a transactional or service
    message ("this link is valid for 24 hours", "your reservation expires at noon")
    is information, not pressure, and is not judged.

    Why it hurts: the sale that "ends tonight" comes back next week, and the reader
    remembers. Every countdown spends trust that the next honest deadline needs.

    Example: "Hurry, only 3 hours left! This is your last chance to save 30%."

    Fix: state the offer and its real end date plainly ("The sale runs until
    30 November."), or drop the deadline. Reported as a warning by default.
    """
    if not message.is_marketing:
        return
    for part, start, end in half_spans(message, manufactured_urgency):
        yield Hit(f"'{part.text[start:end]}' is manufactured urgency in a marketing message", part.name, start, end)


@template_half("SG302", labels=("PRESSURE", "FALSE_URGENCY"))
def manufactured_urgency(fixed: FixedText) -> Spans:
    """Pressure words and invented deadlines, the longer of two overlapping spans kept."""
    return tuple(longest_first([*fixed.analysis.spans("PRESSURE"), *fixed.analysis.spans("FALSE_URGENCY")]))


@lint_check("SG302")
def lint_false_urgency(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """Manufactured pressure in marketing; pressure words on a branch that can meet a
    generic addressee are SG301's to report."""
    if not part.marketing:
        return
    generic = _generic_addressees(part)
    for item, start, end, said in lint.half_spans(part.items, manufactured_urgency):
        conditions = item.segment.conditions
        pressure = any(s < end and start < e for s, e in item.analysis.spans("PRESSURE"))
        if pressure and any(compatible(conditions, other.segment.conditions) for other, _ in generic):
            continue  # SG301 reports it (a longer deadline around its pressure words too)
        yield lint.hit("SG302", f"'{said}' is manufactured pressure in a marketing message", item, start, end)
