"""SG3xx pressure and tone: urgency to nobody in particular, false urgency, robot empathy."""

from __future__ import annotations

from collections.abc import Iterator

from ..contact_paths import offers_channel
from ..findings import Action, Hit
from ..lint import hits as lint
from ..lint.segments import compatible
from ..message import Message
from ..registry import NoSettings, lint_check, rule
from .common import longest_first, spans

# The labels GENERIC_ADDRESSEE, IMPORTANCE, PRESSURE, FALSE_URGENCY and AUTOMATED_EMPATHY
# are matched from linters/data/pressure.json.


def _generic_addressee(message: Message) -> str | None:
    customer = message.customer
    for part, start, end in spans(message, "GENERIC_ADDRESSEE"):
        return part.text[start:end]
    if customer is not None and customer.anonymous:
        return "an anonymous record"
    return None


@rule("SG301", "urgency-to-generic", Action.BLOCK)
def find_urgency_to_generic(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """Urgent or "personal" language sent to nobody in particular.

    Catches: "URGENT information for you", "important notice", "time-sensitive",
    "personal and confidential", "final notice" (and, in marketing, deadlines such as
    "last chance" or "act now") in a message addressed to "Current Resident",
    "Valued Customer", "Occupant", "To whom it may concern", or sent to an anonymous
    record. A transactional or service message to a named customer is not judged.

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


@rule("SG302", "false-urgency", Action.WARN)
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


@rule("SG303", "automated-empathy", Action.WARN)
def find_automated_empathy(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """Care and feelings claimed by a machine.

    Catches: "we care about you", "your call is important to us", "you matter to us",
    "we value you", "we understand how frustrating this must be", "our thoughts are
    with you", "we're here for you", in an automated message (`automated` true, the
    default). Blocked on `voice`, where a recording that says it cares while the
    caller waits is the complaint itself; a warning on other channels. A message a
    person wrote (`automated: false`) is not judged, nor a phrase that goes straight
    on to a way to reach someone ("We're here for you at support@example.com if you
    have questions"): that offers help, it does not claim a feeling.

    Why it hurts: empathy is something a person shows, not a sentence a system
    plays. Said by a machine it sounds like the opposite of what it claims.

    Example: voice: "Your call is important to us. Please continue to hold."

    Fix: say what happens next and how long it takes ("You are number 4 in the
    queue, about 6 minutes."), or offer a person.
    """
    if not message.request.automated:
        return
    on_voice = message.request.channel == "voice"
    for part, start, end in spans(message, "AUTOMATED_EMPATHY"):
        if offers_channel(part.text[end : part.analysis.sentence_at(start)[1]]):
            continue
        yield Hit(
            f"'{part.text[start:end]}' claims care an automated message cannot give",
            part.name,
            start,
            end,
            action=Action.BLOCK if on_voice else None,
        )


# --------------------------------------------------------------- template-time checks


def _generic_addressees(part: lint.LintPart) -> list[tuple[lint.Analysed, str]]:
    return [(item, item.segment.excerpt(s, e)) for item, s, e, _ in lint.spans(part.every_part, "GENERIC_ADDRESSEE")]


def _pressure_in(part: lint.LintPart, labels: tuple[str, ...]) -> Iterator[tuple[lint.Analysed, int, int, str, str | None]]:
    """Urgent or personal wording in marketing, with the generic addressee (in any part,
    on a branch that can meet it) it stands next to, if any."""
    if not part.marketing:
        return
    generic = _generic_addressees(part)
    for label in labels:
        for item, start, end, said in lint.spans(part.items, label):
            conditions = item.segment.conditions
            near = next((name for other, name in generic if compatible(conditions, other.segment.conditions)), None)
            yield item, start, end, said, near


@lint_check("SG301")
def lint_urgency_to_generic(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """Urgent or personal wording next to a generic addressee, in marketing."""
    for item, start, end, said, addressee in _pressure_in(part, ("IMPORTANCE", "PRESSURE")):
        if addressee is not None:
            message = f"'{said}' is urgent or personal language next to '{addressee}'"
            yield lint.hit("SG301", message, item, start, end)


@lint_check("SG302")
def lint_false_urgency(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """Manufactured pressure in marketing, with no generic addressee (that is SG301)."""
    for item, start, end, said, addressee in _pressure_in(part, ("PRESSURE",)):
        if addressee is None:
            message = f"'{said}' is manufactured pressure in a marketing message"
            yield lint.hit("SG302", message, item, start, end)
