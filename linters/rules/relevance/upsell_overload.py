"""SG502 upsell-overload: A transactional message crowded with offers."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field

from ...findings import Action, Hit
from ...fixed_text import FixedText, Spans
from ...message import Message
from ...nlp import Analysis
from ...registry import Settings, rule, template_half
from ..common import longest_first

# Offers and calls to buy, counted by SG502.


class UpsellSettings(Settings):
    max_offers: int = Field(1, ge=0, description="offers or calls to buy a transactional message may carry")


@rule("SG502", "upsell-overload", Action.WARN, UpsellSettings, reads=("text", "request.purpose"))
def find_upsell_overload(message: Message, settings: UpsellSettings) -> Iterator[Hit]:
    """A transactional message crowded with offers.

    Catches: a message whose `purpose` is `transactional` (a receipt, a shipping
    notice, a password reset) with more than `max_offers` offers or calls to buy:
    "20% off", "shop now", "use code", "you might also like", "recommended for you",
    "upgrade to", "buy 2 get 1 free". Counted per part (subject, text, HTML). An amount
    offered again for the same thing in the same words ("10% off your next purchase!"
    as a heading, then "a coupon for 10% off your next purchase") is one offer; "20% off
    coats. 20% off boots." are two, and a call to buy counts each time it is made.

    Why it hurts: the reader opened the email to find their tracking number; three
    offers later they have learned that even receipts are ads, and stop opening them.

    Example: "Your order has shipped. You might also like: our Winter Collection, 20%
    off with code SNOW. Shop now!"

    Fix: keep receipts about the receipt; one discreet line at most (`max_offers`).
    """
    if message.request.purpose != "transactional":
        return
    for part in message.readable():
        offers = distinct_offers.spans_in(part)
        if len(offers) <= settings.max_offers:
            continue
        start, end = offers[settings.max_offers]
        listed = ", ".join(f"'{part.text[s:e]}'" for s, e in offers[:5])
        yield Hit(
            f"{len(offers)} offers in a transactional message (at most {settings.max_offers}): {listed}",
            part.name,
            start,
            end,
        )


# The words that say what an offer is for ("10% off *your next purchase*").
_OFFER_OBJECT = re.compile(r"[^\W\d_]+")

_OBJECT_WORDS = 3


@template_half("SG502", labels=("OFFER",), sentence=True)
def distinct_offers(fixed: FixedText) -> Spans:
    """Offers and calls to buy, an amount offered again for the same thing in the same
    words counted once (the words after it, to the end of its sentence, say what for)."""
    return tuple(_distinct_offers(fixed.text, fixed.analysis, longest_first(fixed.analysis.spans("OFFER"))))


def _distinct_offers(text: str, analysis: Analysis, offers: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """``offers`` without the repeats of an amount already offered for the same thing in
    the same words: "10% off your next purchase!" then "a coupon for 10% off your next
    purchase" is one offer; "20% off coats. 20% off boots." are two."""
    seen: set[tuple[str, tuple[str, ...]]] = set()
    kept = []
    for start, end in offers:
        said = " ".join(text[start:end].casefold().split())
        if any(ch.isdigit() for ch in said):
            key = (said, _offered_for(text, analysis, start, end))
            if key in seen:
                continue
            seen.add(key)
        kept.append((start, end))
    return kept


def _offered_for(text: str, analysis: Analysis, start: int, end: int) -> tuple[str, ...]:
    """The first words after an offer, up to the end of its sentence."""
    stop = max(analysis.sentence_at(start)[1], end)
    words = _OFFER_OBJECT.findall(text, end, stop)
    return tuple(w.casefold() for w in words[:_OBJECT_WORDS])
