"""SG4xx privacy: revealing tracked behaviour."""

from __future__ import annotations

from collections.abc import Iterator

from linters.findings import Action, Hit
from linters.message import Message
from linters.models import Customer
from linters.nlp import add_token_patterns
from linters.registry import NoSettings, rule
from linters.rules.common import spans

_NOTICED = {"LEMMA": {"IN": ["notice", "see", "spot", "saw", "catch", "observe"]}}
_YOU = {"LOWER": {"IN": ["you", "you've", "you're"]}}
_LOOKED = {
    "LEMMA": {
        "IN": [
            "view",
            "browse",
            "search",
            "look",
            "check",
            "click",
            "visit",
            "explore",
            "eye",
            "open",
            "spend",
            "linger",
            "leave",
            "add",
            "abandon",
            "stop",
            "shop",
            "walk",
            "drive",
            "pass",
        ]
    }
}

# Words that say "we watched what you did" (the template linter reuses this label).
add_token_patterns(
    "TRACKING",
    [
        # "you recently viewed", "items you looked at", "you searched for"
        [
            _YOU,
            {"LOWER": {"IN": ["recently", "just", "were", "have", "'ve", "was", "last"]}, "OP": "*"},
            {"LEMMA": {"IN": ["view", "browse", "search", "click"]}},
        ],
        [
            _YOU,
            {"LOWER": {"IN": ["recently", "just", "were", "have", "'ve"]}, "OP": "*"},
            {"LEMMA": {"IN": ["look", "check", "eye"]}},
            {"LOWER": {"IN": ["at", "out", "up"]}},
        ],
        # "we noticed you were looking at", "we saw you checking out", "spotted you near"
        [
            {"LOWER": {"IN": ["we", "we've", "i"]}, "OP": "?"},
            {"LOWER": {"IN": ["'ve", "have", "just"]}, "OP": "*"},
            _NOTICED,
            {"LOWER": {"IN": ["that", "how"]}, "OP": "?"},
            _YOU,
            {"LOWER": {"IN": ["were", "recently", "just", "have", "'ve", "'re", "are", "spent"]}, "OP": "*"},
            _LOOKED,
        ],
        [
            {"LOWER": {"IN": ["spotted", "saw", "noticed", "caught"]}},
            {"LOWER": "you"},
            {"LOWER": {"IN": ["near", "at", "in", "outside", "around", "by", "close"]}},
        ],
        # "you were near our Boston store", "you were in our Main Street shop"
        [
            {"LOWER": "you"},
            {"LOWER": {"IN": ["were", "was"]}},
            {"LOWER": {"IN": ["near", "nearby", "close", "around", "in", "outside"]}},
            {"LOWER": {"IN": ["to", "our", "one", "of"]}, "OP": "*"},
            {"IS_TITLE": True, "OP": "*"},
            {"LEMMA": {"IN": ["store", "shop", "branch", "location", "showroom", "outlet"]}},
        ],
        # "recently viewed", "your browsing history", "based on your searches"
        [{"LOWER": "recently"}, {"LOWER": {"IN": ["viewed", "browsed", "searched", "visited"]}}],
        [
            {"LOWER": "your"},
            {"LOWER": {"IN": ["recent", "latest", "last"]}, "OP": "?"},
            {"LOWER": "browsing"},
            {"LOWER": {"IN": ["history", "activity", "data", "habits"]}, "OP": "?"},
        ],
        [
            {"LOWER": "your"},
            {"LOWER": {"IN": ["recent", "latest", "last"]}},
            {"LEMMA": {"IN": ["search", "searches", "click", "clicks"]}},
        ],
        [
            {"LOWER": "your"},
            {"LEMMA": {"IN": ["search", "click", "viewing"]}},
            {"LOWER": {"IN": ["history", "activity", "data", "habits"]}},
        ],
        [
            {"LOWER": "based"},
            {"LOWER": "on"},
            {"LOWER": "your"},
            {"LOWER": {"IN": ["browsing", "searches", "search", "clicks", "activity", "viewing", "visits"]}},
        ],
        [
            {"LOWER": "while"},
            {"LOWER": "you"},
            {"LOWER": "were"},
            {"LOWER": {"IN": ["browsing", "shopping"]}},
        ],
        # "you opened our last email", "you haven't opened", "you spent 12 minutes on"
        [
            {"LOWER": "you"},
            {"LOWER": {"IN": ["opened", "read", "clicked"]}},
            {"LOWER": {"IN": ["our", "my", "the", "this"]}},
            {"LOWER": {"IN": ["last", "previous", "recent", "latest"]}, "OP": "?"},
            {"LEMMA": {"IN": ["email", "e-mail", "message", "newsletter", "link"]}},
        ],
        [
            {"LOWER": {"IN": ["haven't", "hasn't", "didn't"]}},
            {"LOWER": {"IN": ["opened", "open", "read", "clicked", "click"]}},
        ],
        [
            {"LOWER": {"IN": ["have", "did", "has"]}},
            {"LOWER": "n't"},
            {"LOWER": {"IN": ["opened", "open", "read", "clicked", "click"]}},
        ],
        [
            {"LOWER": "you"},
            {"LOWER": "spent"},
            {"LIKE_NUM": True, "OP": "?"},
            {"LOWER": {"IN": ["minutes", "hours", "seconds", "a", "some", "time", "while"]}},
            {"OP": "{0,2}"},
            {"LOWER": {"IN": ["on", "browsing", "looking", "reading", "viewing"]}},
        ],
        [
            {"LOWER": "time"},
            {"LOWER": {"IN": ["on", "spent"]}},
            {"LOWER": {"IN": ["our", "the"]}},
            {"LOWER": "site"},
        ],
        # "left in your cart", "still in your basket", "your cart is waiting"
        [
            {
                "LOWER": {
                    "IN": ["left", "still", "sitting", "waiting", "forgot", "forgotten", "items", "something"]
                }
            },
            {"OP": "{0,2}"},
            {"LOWER": {"IN": ["in", "inside"]}},
            {"LOWER": "your"},
            {"LOWER": {"IN": ["shopping", "online"]}, "OP": "?"},
            {"LEMMA": {"IN": ["cart", "basket", "bag", "trolley", "wishlist"]}},
        ],
        [
            {"LOWER": "your"},
            {"LOWER": {"IN": ["shopping", "online"]}, "OP": "?"},
            {"LEMMA": {"IN": ["cart", "basket", "trolley"]}},
            {"LOWER": {"IN": ["is", "'s", "are"]}},
            {"LOWER": {"IN": ["waiting", "still", "about", "expiring", "missing", "lonely", "full"]}},
        ],
        [
            {"LOWER": "you"},
            {"LOWER": {"IN": ["left", "added", "put", "abandoned", "forgot"]}},
            {"OP": "{0,4}"},
            {"LOWER": {"IN": ["in", "to", "behind"]}},
            {"LOWER": {"IN": ["your", "the"]}, "OP": "?"},
            {"LOWER": {"IN": ["shopping", "online"]}, "OP": "?"},
            {"LEMMA": {"IN": ["cart", "basket", "bag", "trolley", "checkout"]}},
        ],
    ],
)


_QUESTION_OR_IF = frozenset(
    {"have", "did", "if", "when", "once", "after", "can", "could", "will", "would", "do"}
)


def _asked_not_told(text: str, start: int) -> bool:
    """ "Have you looked at our new range?" asks; "you looked at" tells."""
    words = text[max(0, start - 12) : start].split()
    return bool(words) and words[-1].lower().strip(",") in _QUESTION_OR_IF


def _may_know(customer: Customer | None) -> bool:
    """Tracked behaviour may be mentioned only to a known customer who agreed to it."""
    return customer is not None and not customer.anonymous and customer.consent.personalization is True


def _why_not(customer: Customer | None) -> str:
    if customer is None:
        return "no customer record shows consent to personalization"
    if customer.anonymous:
        return "the record is anonymous"
    if customer.consent.personalization is False:
        return "the customer declined personalization"
    return "the record has no consent to personalization"


@rule("SG401", "tracking-disclosure", Action.BLOCK)
def find_tracking_disclosure(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """Tells the reader what was tracked about them without their consent.

    Catches: pages or products viewed ("you recently viewed", "items you looked at"),
    searches ("you searched for"), location ("we spotted you near our Boston store",
    "you were near our store"), email opens ("you haven't opened our last email"),
    time on site ("you spent 12 minutes browsing"), cart contents ("still in your
    cart"), unless the customer has `consent.personalization` and is not anonymous.
    A cart reminder to a customer who agreed to personalization is allowed. With no
    customer record there is no consent to rely on, so the message is judged.

    Why it hurts: "we saw you near our Boston store" tells the reader they are being
    followed, by a company they never allowed to follow them. It reads as
    surveillance, not service.

    Example: to {"consent": {"personalization": false}}: "We noticed you were looking
    at the Alder armchair. It's still available!"

    Fix: recommend without saying why ("The Alder armchair is back in stock"), or
    ask for consent first. Blocked.
    """
    customer = message.customer
    if _may_know(customer):
        return
    why = _why_not(customer)
    for part, start, end in spans(message, "TRACKING"):
        if _asked_not_told(part.text, start):
            continue
        yield Hit(f"'{part.text[start:end]}' reveals tracked behaviour, but {why}", part.name, start, end)
