"""SG3xx pressure and tone: urgency to nobody in particular, false urgency, robot empathy."""

from __future__ import annotations

from collections.abc import Iterator

from linters.findings import Action, Hit
from linters.message import Message
from linters.nlp import add_phrases, add_token_patterns
from linters.registry import NoSettings, rule
from linters.rules.common import spans

add_phrases(
    "GENERIC_ADDRESSEE",
    [
        "current resident",
        "current occupant",
        "occupant",
        "the resident",
        "valued customer",
        "dear customer",
        "dear valued customer",
        "valued member",
        "dear member",
        "to whom it may concern",
        "dear homeowner",
        "dear friend",
        "dear sir or madam",
        "dear sir/madam",
        "dear neighbor",
        "dear neighbour",
        "dear subscriber",
        "dear user",
        "dear shopper",
        "valued shopper",
        "dear patient",
        "valued patient",
        "dear valued client",
        "valued guest",
    ],
)

# Importance addressed to the reader: claims that this message is personal or pressing.
add_token_patterns(
    "IMPORTANCE",
    [
        [{"LEMMA": {"IN": ["urgent", "urgently", "urgency"]}}],
        [
            {"LOWER": {"IN": ["important", "vital", "critical"]}},
            {
                "LOWER": {
                    "IN": ["information", "notice", "message", "news", "update", "announcement", "documents"]
                }
            },
        ],
        [
            {"LOWER": {"IN": ["immediate", "prompt"]}},
            {"LOWER": {"IN": ["attention", "action", "response", "reply"]}},
        ],
        [{"LOWER": "time"}, {"ORTH": "-", "OP": "?"}, {"LOWER": "sensitive"}],
        [{"LOWER": "time-sensitive"}],
        [
            {"LOWER": {"IN": ["personal", "confidential", "private"]}},
            {"LOWER": {"IN": ["and", "&"]}, "OP": "?"},
            {
                "LOWER": {
                    "IN": [
                        "confidential",
                        "information",
                        "message",
                        "invitation",
                        "offer",
                        "notice",
                        "letter",
                    ]
                }
            },
        ],
        [{"LOWER": "for"}, {"LOWER": "you"}, {"LOWER": "personally"}],
        [{"LOWER": {"IN": ["action", "response", "reply"]}}, {"LOWER": "required"}],
        [{"LOWER": "final"}, {"LOWER": {"IN": ["notice", "warning", "reminder"]}}],
        [{"LOWER": "respond"}, {"LOWER": {"IN": ["immediately", "now", "today", "promptly"]}}],
        [{"LOWER": "open"}, {"LOWER": {"IN": ["immediately", "now", "at"]}}, {"LOWER": "once", "OP": "?"}],
    ],
)

# Deadlines and pressure: meaningful in a receipt, manufactured in marketing.
add_token_patterns(
    "PRESSURE",
    [
        [{"LOWER": "act"}, {"LOWER": {"IN": ["now", "fast", "today", "quickly"]}}],
        [{"LOWER": "last"}, {"LOWER": {"IN": ["chance", "call", "opportunity"]}}],
        [{"LEMMA": "hurry"}],
        [{"LOWER": "do"}, {"LOWER": {"IN": ["n't", "not"]}}, {"LOWER": {"IN": ["miss", "wait", "delay"]}}],
        [{"LOWER": "don't"}, {"LOWER": {"IN": ["miss", "wait", "delay"]}}],
        [
            {"LOWER": {"IN": ["ends", "ending", "expires", "expiring", "closes"]}},
            {"LOWER": {"IN": ["tonight", "today", "soon", "midnight", "at"]}},
        ],
        [{"LOWER": "today"}, {"LOWER": "only"}],
        [{"LOWER": "limited"}, {"ORTH": "-", "OP": "?"}, {"LOWER": "time"}],
        [{"LOWER": "limited-time"}],
        [{"LOWER": "only"}, {"LIKE_NUM": True}, {"OP": "?"}, {"LOWER": "left"}],
        [{"LOWER": "while"}, {"LOWER": {"IN": ["supplies", "stocks", "stock"]}}, {"LOWER": "last"}],
        [
            {"LOWER": "before"},
            {"LOWER": "it"},
            {"LOWER": {"IN": ["'s", "is"]}},
            {"LOWER": "too"},
            {"LOWER": "late"},
        ],
        [{"LOWER": "final"}, {"LOWER": {"IN": ["hours", "hour", "days", "call"]}}],
        [{"LOWER": {"IN": ["now", "today"]}}, {"LOWER": "or"}, {"LOWER": "never"}],
        [{"LOWER": "running"}, {"LOWER": "out"}, {"LOWER": "of"}, {"LOWER": "time"}],
        [{"LOWER": "time"}, {"LOWER": "is"}, {"LOWER": "running"}, {"LOWER": "out"}],
        [{"LOWER": "selling"}, {"LOWER": "fast"}],
        [{"LOWER": "countdown"}],
    ],
)


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
