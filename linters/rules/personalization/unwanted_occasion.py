"""SG104 unwanted-occasion: Greets a personal occasion (a birthday, an anniversary) the person never invited."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from pydantic import Field

from ...claim_reader import Claim, ClaimReaderSettings, claims, holds_span
from ...findings import Action, Hit
from ...fixed_text import FixedText, Spans
from ...message import Message
from ...models import AddressAs, Customer
from ...nlp import current_vocabulary
from ...registry import rule, template_half
from ...vocabulary import alternation, word_set
from ..common import half_spans

# Occasion greetings (OCCASION_GREETING) are matched from linters/data/occasions.json.


class OccasionSettings(ClaimReaderSettings):
    formal_is_unwanted: bool = Field(
        True,
        description="a customer addressed formally (address_as formal or none) gets no occasion greeting",
    )


@rule(
    "SG104", "unwanted-occasion", Action.BLOCK, OccasionSettings,
    reads=("text", "customer.anonymous", "customer.consent", "customer.address_as"),
)
def find_unwanted_occasion(message: Message, settings: OccasionSettings) -> Iterator[Hit]:
    """Greets a personal occasion (a birthday, an anniversary) the person never invited.

    Catches: "Happy birthday!", "wishing you a wonderful birthday", "a birthday treat
    for you", "happy anniversary", "your birthday is coming up", "many happy returns",
    when the customer has not consented to personalization (`consent.personalization`
    is not true), the record is anonymous, or the customer is addressed formally
    (`address_as` `formal` or `none`; setting `formal_is_unwanted`). A business
    celebrating itself ("our 10th anniversary", "happy birthday to us") and
    marketing about occasions in general ("gift ideas for your anniversary") are not
    greetings. Without a customer record nothing is judged. The words are in
    `linters/data/occasions.json`. The claim reader (linters/claim_reader.py) finds
    occasions in idiom ("another trip around the sun", "your big day is almost
    here"): a sentence it reads as an `occasion`, to the same customers, is a finding
    too, unless it speaks of the sender's own occasion ("our 10th anniversary"),
    offers gifts for someone else's ("gifts for every birthday on your list",
    "anniversary ideas for him": `gift_nouns` and `someone_else` in occasions.json) or
    sells what people buy for one ("save 20% on your anniversary dinner", "book your
    birthday party with us": `occasion_products` and `offer_words`).

    Why it hurts: "unwanted birthday cards from insurance people and dentists." A
    date held for the records is not an invitation to celebrate it; a card from a
    company that was only told the date for a form reads as surveillance with cake.

    Example: to {"address_as": "formal", "consent": {"personalization": false}}:
    "Happy birthday, Mr. Pendleton! Enjoy 15% off this week."

    Fix: send occasion greetings only to customers who opted in to personalization
    and are on first-name terms; drop the greeting from everyone else's mail. Blocked:
    the message exists because of the occasion, so there is nothing to cut.
    """
    customer = message.customer
    greetings = list(half_spans(message, occasion_greetings))
    read = _read_occasions(message, settings) if customer is not None else []
    # The record is read only when the text greets an occasion: the campaign path shares
    # a verdict between recipients who differ only in fields no rule read.
    if customer is None or not (greetings or read):
        return
    why = _occasion_unwanted(customer, settings)
    if why is None:
        return
    for claim in read:
        yield Hit(f"{claim.describe()}, but {why}", claim.part.name, claim.start, claim.end)
    for part, start, end in greetings:
        yield Hit(f"'{part.text[start:end]}' greets a personal occasion, but {why}", part.name, start, end)


# "Our 10th anniversary", "we're turning 20", "happy birthday to us": a sentence about
# the sender's occasion names the sender and not the reader.
_OURS = re.compile(r"(?i)\b(?:our|we're|we’re|we are|us)\b")
_YOURS = re.compile(r"(?i)\b(?:you|your|you're|you’re|yours)\b")


def _read_occasions(message: Message, settings: OccasionSettings) -> list[Claim]:
    """Sentences the reader reads as a personal occasion, where the vocabulary found
    no greeting, and that speak of no occasion of the sender's."""
    return [
        claim
        for claim in claims(message, "occasion", settings.claim_thresholds)
        if not holds_span(claim.part, claim.start, claim.end, ("OCCASION_GREETING",))
        and not (_OURS.search(claim.text) and not _YOURS.search(claim.text))
        and not _gifts_for_someone_else(claim.text)
        and not _sells_for_the_occasion(claim.text)
    ]


def _gifts_for_someone_else(sentence: str) -> bool:
    """ "Gifts for every birthday on your list", "anniversary ideas for him", "a card for
    your mum's birthday": marketing about someone else's occasion, unless the sentence
    also makes it the reader's ("a birthday gift for you", "your big birthday"). Gift
    ideas for an occasion are marketing whoever's it is ("looking for anniversary gift
    ideas?", "gift ideas for your anniversary": ``gift_guides``)."""
    vocabulary = current_vocabulary()
    gifts, readers, guides = _gift_patterns(
        *(tuple(word_set(name, vocabulary)) for name in ("gift_nouns", "someone_else", "occasion_words", "gift_guides"))
    )
    return (bool(gifts.search(sentence)) and not readers.search(sentence)) or bool(guides.search(sentence))


def _sells_for_the_occasion(sentence: str) -> bool:
    """ "Save 20% on your anniversary dinner", "book your birthday party with us",
    "anniversary packages from £99": an offer of what people buy for an occasion
    (``occasion_products`` after an occasion word, governed by one of ``offer_words`` a
    few words before it, or priced), whenever it falls, not a greeting of the reader's.
    One that gives them ("your birthday dinner is on us": ``gift_markers``) is one, as
    a business's gift for the occasion ("your birthday treat") is; so is a wish that
    only mentions the goods ("we hope your birthday celebration is a wonderful one")."""
    vocabulary = current_vocabulary()
    offered, priced, given = _occasion_goods(
        *(tuple(word_set(name, vocabulary)) for name in ("occasion_words", "occasion_products", "offer_words", "gift_markers"))
    )
    return bool(offered.search(sentence) or priced.search(sentence)) and not given.search(sentence)


@lru_cache(maxsize=16)
def _occasion_goods(
    occasions: tuple[str, ...], products: tuple[str, ...], offers: tuple[str, ...], gifts: tuple[str, ...]
) -> tuple[re.Pattern[str], ...]:
    goods = rf"(?:{alternation(occasions)})\s+(?:{alternation(products)})\b"
    # The offer word governs the goods: at most four words between ("save 20% on your").
    offered = re.compile(rf"(?i)\b(?:{alternation(offers)})\b(?:\s+[^\s.!?;:]+){{0,4}}?\s+{goods}")
    priced = re.compile(rf"(?i)\b{goods}\s+(?:(?:are|is)\s+)?(?:from|starting\s+at|at|for)\s+[£$€]?\d")
    return offered, priced, re.compile(rf"(?i)\b(?:{alternation(gifts)})\b")


@lru_cache(maxsize=16)
def _gift_patterns(
    gift_nouns: tuple[str, ...], someone_else: tuple[str, ...], occasions: tuple[str, ...], guide_words: tuple[str, ...]
) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    # Gift ideas for an occasion, whoever's it is: "anniversary gift ideas", "gift ideas
    # for your anniversary", "our birthday gift guide".
    nouns, guide, occasion = alternation(gift_nouns), alternation(guide_words), alternation(occasions)
    guides = re.compile(
        rf"(?i)\b(?:{occasion})\s+(?:(?:{nouns})\s+)?(?:{guide})\b"
        rf"|\b(?:{nouns})\s+(?:{guide})\s+for\s+(?:your\s+|an?\s+|the\s+)?(?:[\w'-]+\s+)?(?:{occasion})\b"
    )
    gifts = re.compile(
        rf"(?i)\b(?:{nouns})\s+(?:[\w'-]+\s+)?for\s+(?:your\s+)?(?:{alternation(someone_else)})\b"
        r"|\bon\s+(?:your|their)\s+(?:gift\s+|shopping\s+)?lists?\b"
    )
    readers = re.compile(rf"(?i)\b(?:for|to)\s+you\b|\byour\s+(?:[\w-]+\s+)?(?:{occasion})\b")
    return gifts, readers, guides


def _occasion_unwanted(customer: Customer, settings: OccasionSettings) -> str | None:
    if customer.anonymous:
        return "the record is anonymous"
    if customer.consent.personalization is not True:
        state = "refused" if customer.consent.personalization is False else "not given"
        return f"consent to personalization is {state}"
    if settings.formal_is_unwanted and customer.address_as != AddressAs.FIRST_NAME:
        return f"the customer is addressed formally (address_as: {customer.address_as})"
    return None


_OURS_BEFORE = re.compile(r"(?i)\b(?:our|we're|we are|we're turning)\s+(?:\S+\s+)?$")

_TO_US_AFTER = re.compile(r"(?i)^\s*(?:,\s*)?to\s+(?:us|all of us|ourselves)\b")


_CELEBRATES_WINDOW = 24  # characters around a greeting that say whose occasion it is


def _the_business_celebrates(text: str, start: int, end: int) -> bool:
    """ "Our 10th anniversary", "happy birthday to us": the sender's own occasion."""
    before = text[max(0, start - _CELEBRATES_WINDOW) : start]
    return bool(_OURS_BEFORE.search(before) or _TO_US_AFTER.match(text[end : end + _CELEBRATES_WINDOW]))


# The two patterns read in fixed-width windows that may cut a word in two: the campaign
# path's stand-ins keep their words at the edge of a value (``edge``).
@template_half(
    "SG104", labels=("OCCASION_GREETING",), window=_CELEBRATES_WINDOW, edge=(_OURS_BEFORE, _TO_US_AFTER)
)
def occasion_greetings(fixed: FixedText) -> Spans:
    """Greetings of an occasion that is not the sender's own."""
    return tuple(
        (start, end)
        for start, end in fixed.analysis.spans("OCCASION_GREETING")
        if not _the_business_celebrates(fixed.text, start, end)
    )
