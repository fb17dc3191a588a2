"""SG302 false-urgency: Manufactured pressure in a marketing message."""

from __future__ import annotations

from collections.abc import Iterator

from ...findings import Action, Hit
from ...lint import hits as lint
from ...message import Message
from ...registry import NoSettings, lint_check, rule
from ..common import longest_first
from ._shared import _pressure_in


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
    for part in message.readable():
        found = [*part.analysis.spans("PRESSURE"), *part.analysis.spans("FALSE_URGENCY")]
        for start, end in longest_first(found):
            yield Hit(
                f"'{part.text[start:end]}' is manufactured urgency in a marketing message",
                part.name,
                start,
                end,
            )


@lint_check("SG302")
def lint_false_urgency(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """Manufactured pressure in marketing, with no generic addressee (that is SG301)."""
    for item, start, end, said, addressee in _pressure_in(part, ("PRESSURE",)):
        if addressee is None:
            message = f"'{said}' is manufactured pressure in a marketing message"
            yield lint.hit("SG302", message, item, start, end)
