"""SG301 urgency-to-generic: Urgent or "personal" language sent to nobody in particular."""

from __future__ import annotations

from collections.abc import Iterator

from ...claim_reader import ClaimReaderSettings, claims, holds_span
from ...findings import Action, Hit
from ...lint import hits as lint
from ...message import Message
from ...registry import lint_check, rule
from ..common import spans
from ._shared import _pressure_in

# The labels GENERIC_ADDRESSEE, IMPORTANCE, PRESSURE, FALSE_URGENCY and AUTOMATED_EMPATHY
# are matched from linters/data/pressure.json.


def _generic_addressee(message: Message) -> str | None:
    customer = message.customer
    for part, start, end in spans(message, "GENERIC_ADDRESSEE"):
        return part.text[start:end]
    if customer is not None and customer.anonymous:
        return "an anonymous record"
    return None


@rule(
    "SG301", "urgency-to-generic", Action.BLOCK, ClaimReaderSettings,
    reads=("text", "request.purpose", "customer.anonymous"),
)
def find_urgency_to_generic(message: Message, settings: ClaimReaderSettings) -> Iterator[Hit]:
    """Urgent or "personal" language sent to nobody in particular.

    Catches: "URGENT information for you", "important notice", "time-sensitive",
    "personal and confidential", "final notice" (and, in marketing, deadlines such as
    "last chance" or "act now") in a message addressed to "Current Resident",
    "Valued Customer", "Occupant", "To whom it may concern", or sent to an anonymous
    record. A transactional or service message to a named customer is not judged.
    In marketing, the claim reader (linters/claim_reader.py) finds urgency in other
    words ("we need to hear back from you before the 14th", "this won't be around
    much longer"): a sentence it reads as `urgency`, to the same addressees, is a
    finding too.

    Why it hurts: a letter that says it is urgent and personal, then addresses "current
    resident", proves in one line that it is neither. It goes straight to the bin.

    Example: "URGENT information for you, Current Resident: act now to lock in your rate."

    Fix: drop the urgency, or send it only to people you can address by name. Blocked.
    """
    if not message.is_marketing and not (message.customer and message.customer.anonymous):
        return
    addressee = _generic_addressee(message)
    if addressee is None:
        return
    labels = ("IMPORTANCE", "PRESSURE") if message.is_marketing else ("IMPORTANCE",)
    for label in labels:
        for part, start, end in spans(message, label):
            yield Hit(
                f"'{part.text[start:end]}' is urgent or personal language addressed to '{addressee}'",
                part.name,
                start,
                end,
            )
    if not message.is_marketing:
        return  # a deadline in a notice to an anonymous record may be the notice itself
    for claim in claims(message, "urgency", settings.claim_thresholds):
        if holds_span(claim.part, claim.start, claim.end, _URGENCY_LABELS):
            continue
        yield Hit(f"{claim.describe()} addressed to '{addressee}'", claim.part.name, claim.start, claim.end)


_URGENCY_LABELS = ("IMPORTANCE", "PRESSURE", "FALSE_URGENCY")


@lint_check("SG301")
def lint_urgency_to_generic(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """Urgent or personal wording next to a generic addressee, in marketing."""
    for item, start, end, said, addressee in _pressure_in(part, ("IMPORTANCE", "PRESSURE")):
        if addressee is not None:
            message = f"'{said}' is urgent or personal language next to '{addressee}'"
            yield lint.hit("SG301", message, item, start, end)
