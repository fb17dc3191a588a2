"""SG3xx pressure and tone: urgency to nobody in particular, false urgency, robot empathy."""

from __future__ import annotations

from collections.abc import Iterator

from linters.findings import Action, Hit
from linters.message import Message
from linters.nlp import add_phrases, add_token_patterns
from linters.registry import NoSettings, rule
from linters.rules.common import longest_first, spans

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


# More manufactured deadlines, for SG302 only (SG301 keeps to the PRESSURE list above).
add_token_patterns(
    "FALSE_URGENCY",
    [
        [
            {"LOWER": "only"},
            {"LIKE_NUM": True},
            {"LOWER": {"IN": ["hours", "hour", "days", "day"]}},
            {"LOWER": "left"},
        ],
        [{"LIKE_NUM": True}, {"LOWER": {"IN": ["hours", "hour"]}}, {"LOWER": "left"}],
        [
            {"LOWER": {"IN": ["ends", "expires", "closes", "disappears", "gone"]}},
            {"LOWER": "in"},
            {"LIKE_NUM": True},
            {"LOWER": {"IN": ["hours", "hour", "minutes", "minute"]}},
        ],
        [
            {"LOWER": {"IN": ["last", "final"]}},
            {"LOWER": {"IN": ["day", "days", "hours", "chance"]}},
            {"LOWER": "to"},
        ],
        [{"LOWER": "now"}, {"LOWER": "or"}, {"LOWER": "never"}],
        [{"LOWER": {"IN": ["going", "selling"]}}, {"LOWER": "fast"}],
        [{"LOWER": "almost"}, {"LOWER": {"IN": ["gone", "sold"]}}],
        [{"LOWER": "wo"}, {"LOWER": "n't"}, {"LOWER": "last"}],
        [{"LOWER": "won't"}, {"LOWER": "last"}],
        [{"LOWER": "will"}, {"LOWER": "not"}, {"LOWER": "last"}],
        [{"LOWER": "before"}, {"LOWER": "it"}, {"LOWER": {"IN": ["'s", "is"]}}, {"LOWER": "gone"}],
        [{"LOWER": "once"}, {"LOWER": "it"}, {"LOWER": {"IN": ["'s", "is"]}}, {"LOWER": "gone"}],
        [{"LOWER": "before"}, {"LOWER": "they"}, {"LOWER": {"IN": ["'re", "are"]}}, {"LOWER": "gone"}],
        [
            {"LOWER": {"IN": ["buy", "order", "shop", "book"]}},
            {"LOWER": {"IN": ["now", "today"]}},
            {"LOWER": "before"},
        ],
        [
            {"LOWER": "do"},
            {"LOWER": "n't"},
            {"LOWER": "let"},
            {"OP": "{0,2}"},
            {"LOWER": {"IN": ["slip", "pass", "expire"]}},
        ],
        [{"LOWER": "expiring"}, {"LOWER": "soon"}],
        [{"LOWER": "clock"}, {"LOWER": "is"}, {"LOWER": "ticking"}],
        [{"LOWER": "clock"}, {"LOWER": "'s"}, {"LOWER": "ticking"}],
    ],
)

# Care and feelings claimed by a machine.
_SINCERELY = {
    "LOWER": {"IN": ["really", "truly", "genuinely", "sincerely", "deeply", "do", "always", "so"]},
    "OP": "*",
}
add_token_patterns(
    "AUTOMATED_EMPATHY",
    [
        # "we care about you", "we truly care about our customers"
        [
            {"LOWER": "we"},
            _SINCERELY,
            {"LEMMA": "care"},
            {"LOWER": {"IN": ["about", "for"]}},
            {"LOWER": {"IN": ["you", "your", "our", "each", "every"]}},
        ],
        [{"LOWER": "because"}, {"LOWER": "we"}, {"LEMMA": "care"}],
        # "your call is important to us", "your business matters to us"
        [
            {"LOWER": "your"},
            {
                "LEMMA": {
                    "IN": [
                        "call",
                        "business",
                        "custom",
                        "feedback",
                        "opinion",
                        "time",
                        "happiness",
                        "wellbeing",
                        "well-being",
                        "satisfaction",
                        "comfort",
                        "question",
                        "concern",
                        "enquiry",
                        "inquiry",
                    ]
                }
            },
            {"LOWER": {"IN": ["is", "are", "'s", "really", "truly", "very"]}, "OP": "*"},
            {"LOWER": {"IN": ["important", "valuable", "precious"]}, "OP": "?"},
            {"LOWER": {"IN": ["matter", "matters", "important", "valuable", "precious"]}, "OP": "?"},
            {"LOWER": "to"},
            {"LOWER": "us"},
        ],
        [
            {"LOWER": "you"},
            {"LOWER": {"IN": ["really", "truly"]}, "OP": "?"},
            {"LOWER": {"IN": ["matter", "matters"]}},
        ],
        [{"LOWER": "we"}, _SINCERELY, {"LOWER": "value"}, {"LOWER": "you"}],
        [
            {"LOWER": "we"},
            _SINCERELY,
            {"LEMMA": {"IN": ["understand", "know", "appreciate"]}},
            {"LOWER": "how"},
            {
                "LOWER": {
                    "IN": [
                        "you",
                        "frustrating",
                        "hard",
                        "difficult",
                        "stressful",
                        "upsetting",
                        "worrying",
                        "annoying",
                        "disappointing",
                        "painful",
                        "important",
                    ]
                }
            },
            {"LOWER": {"IN": ["feel", "must", "this", "it"]}, "OP": "?"},
        ],
        [
            {"LOWER": "we"},
            _SINCERELY,
            {"LEMMA": {"IN": ["feel", "share"]}},
            {"LOWER": "your"},
            {"LEMMA": {"IN": ["pain", "frustration", "disappointment"]}},
        ],
        [
            {"LOWER": "our"},
            {"LOWER": {"IN": ["thoughts", "hearts"]}},
            {"LOWER": {"IN": ["are", "go", "goes"]}},
            {"LOWER": {"IN": ["with", "out", "to"]}},
            {"LOWER": {"IN": ["you", "to"]}},
        ],
        [
            {"LOWER": "we"},
            {"LOWER": {"IN": ["'re", "are"]}},
            {"LOWER": "always", "OP": "?"},
            {"LOWER": "here"},
            {"LOWER": "for"},
            {"LOWER": "you"},
        ],
        [
            {"LOWER": "we're"},
            {"LOWER": "always", "OP": "?"},
            {"LOWER": "here"},
            {"LOWER": "for"},
            {"LOWER": "you"},
        ],
        [{"LOWER": "we"}, {"LOWER": "hear"}, {"LOWER": "you"}, {"IS_PUNCT": True}],
        [{"LOWER": "you"}, {"LOWER": {"IN": ["are", "'re"]}}, {"LOWER": "like"}, {"LOWER": "family"}],
        [{"LOWER": "part"}, {"LOWER": "of"}, {"LOWER": "the"}, {"LOWER": "family"}],
        [
            {"LOWER": "from"},
            {"LOWER": "the"},
            {"LOWER": "bottom"},
            {"LOWER": "of"},
            {"LOWER": "our"},
            {"LEMMA": "heart"},
        ],
    ],
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
    person wrote (`automated: false`) is not judged.

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
        yield Hit(
            f"'{part.text[start:end]}' claims care an automated message cannot give",
            part.name,
            start,
            end,
            action=Action.BLOCK if on_voice else None,
        )
