"""SG202 fake-relationship: Claims a shared history the record does not show."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from functools import lru_cache

from pydantic import Field

from ...claim_reader import ClaimReaderSettings, claims, holds_span
from ...findings import Action, Hit
from ...fixed_text import FixedText, Spans
from ...lint import hits as lint
from ...message import Message
from ...models import Customer
from ...nlp import current_vocabulary
from ...registry import lint_check, rule, template_half
from ...vocabulary import alternation, word_set
from ..common import half_spans, sentence_removal
from ._shared import VOCABULARY_CLAIMS, _record_summary, about_a_thing_or_group, claim_edit

# RETURNING_CLAIM, LOYALTY_CLAIM and TENURE_CLAIM are in linters/data/claims.json.


class RelationshipSettings(ClaimReaderSettings):
    returning_min_purchases: int = Field(
        1, ge=0, description="purchases before 'welcome back' or 'we missed you'"
    )
    loyal_min_purchases: int = Field(3, ge=0, description="purchases before thanks for 'loyalty'")
    long_time_years: float = Field(2.0, ge=0, description="years as a customer before 'long-time customer'")


@rule(
    "SG202", "fake-relationship", Action.REWRITE, RelationshipSettings,
    reads=(
        "text",
        "customer.anonymous",
        "customer.purchase_count",
        "customer.customer_since",
        "customer.tier",
        "request.automated",
        "now",
    ),
)
def find_fake_relationship(message: Message, settings: RelationshipSettings) -> Iterator[Hit]:
    """Claims a shared history the record does not show.

    Catches: "welcome back", "we've missed you", "you've been missed", "we haven't
    seen you in a while", "as a returning customer" (needs `returning_min_purchases`);
    "thanks for your loyalty", "thank you for your continued trust", "loyal customers
    like you", "thanks for sticking by us" (needs `loyal_min_purchases`); "as a
    long-time customer", "you've been with us for years", "since day one" (needs
    `customer_since` at least `long_time_years` ago). Anonymous records have no
    history. Without a customer record nothing is judged. The words are in
    `linters/data/claims.json`. The claim reader (linters/claim_reader.py) finds
    shared history in other words ("here's to everything we've been through",
    "your friends at Acme"): a sentence it reads as a `shared_history` claim is a
    finding when the record shows no history at all (anonymous, or fewer than
    `returning_min_purchases` purchases and not a customer for `long_time_years`), in
    an automated message (a person writing "after our call" knows what they share),
    and when the sentence names a party (we, our, you, your); an anniversary greeting
    it also reads as an `occasion` is left to SG104, and an invitation to bring or refer
    someone of the reader's own ("bring an old friend along") claims no history with
    the sender; nor does a scheme's terms for a group named in the third person
    ("regular guests get every fifth night free"): such a sentence is read again
    without the group (or a product's rank), and is a claim only if the class stays.

    Why it hurts: "we've missed you" to someone who never bought anything is a
    relationship invented by a mail merge, and the reader knows it.

    Example: to {"purchase_count": 0}: "Welcome back! We've missed you."

    Fix: drop the claim, or send it only to the people it is true of ("welcome
    back" to a customer with twelve orders is fine). The rewrite removes it.
    """
    customer = message.customer
    if customer is None:
        return
    yield from _read_history(message, customer, settings)
    checks = {"RETURNING_CLAIM": _returning, "LOYALTY_CLAIM": _loyal, "TENURE_CLAIM": _long_time}
    said = list(half_spans(message, history_claims))
    for label, earned in checks.items():
        claims = [(part, start, end) for part, start, end in said if (start, end) in part.analysis.spans(label)]
        # The record is read only when there is a claim (see personalization/unwanted_occasion.py).
        if not claims or earned(customer, settings, message):
            continue
        for part, start, end in claims:
            cut_start, cut_end, replacement = claim_edit(part, start, end)
            yield Hit(
                f"'{part.text[start:end]}' claims a history this customer does not have "
                f"({_record_summary(customer)})",
                part.name,
                cut_start,
                cut_end,
                fix=replacement,
            )


# A shared history has parties: a sentence that names neither the reader nor the sender
# ("Planning the years after work") claims none.
_PARTIES = re.compile(r"(?i)\b(?:we|we've|we're|us|our|ours|you|your|yours|you've|you're)\b")


def _read_history(message: Message, customer: Customer, settings: RelationshipSettings) -> Iterator[Hit]:
    """Sentences the reader reads as shared history, where the vocabulary found none,
    when the record shows no history of any kind."""
    if not message.request.automated:
        return  # a person who writes "after our call" knows what they share with the reader
    # An anniversary greeting the reader also reads as an occasion is SG104's to judge.
    occasions = {(c.part.name, c.start) for c in claims(message, "occasion", settings.claim_thresholds)}
    read = [
        claim
        for claim in claims(message, "shared_history", settings.claim_thresholds)
        if _PARTIES.search(claim.text)
        and (claim.part.name, claim.start) not in occasions
        and not _brings_a_companion(claim.text)
        and not holds_span(claim.part, claim.start, claim.end, VOCABULARY_CLAIMS)
        and not about_a_thing_or_group(claim, settings.claim_thresholds)
    ]
    # The record is read only when there is a claim (see personalization/unwanted_occasion.py).
    if not read or _any_history(customer, settings, message):
        return
    for claim in read:
        cut_start, cut_end = sentence_removal(claim.part, claim.start)
        yield Hit(
            f"{claim.describe()}, a history this customer does not have ({_record_summary(customer)})",
            claim.part.name,
            cut_start,
            cut_end,
            fix="",
        )


def _brings_a_companion(sentence: str) -> bool:
    """An invitation to bring or refer someone of the reader's own ("bring an old friend
    along", "refer a friend and you both get £10"): the friendship it names is the
    reader's with someone else, not one the sender claims with the reader
    (``companion_verbs`` and ``companions`` in claims.json)."""
    vocabulary = current_vocabulary()
    pattern = _companion_pattern(tuple(word_set("companion_verbs", vocabulary)), tuple(word_set("companions", vocabulary)))
    return pattern.search(sentence) is not None


@lru_cache(maxsize=16)
def _companion_pattern(verbs: tuple[str, ...], companions: tuple[str, ...]) -> re.Pattern[str]:
    # The verb, a determiner, at most one word between ("an old", "your best"), the companion.
    return re.compile(
        rf"(?i)\b(?:{alternation(verbs)})\s+(?:(?:a|an|your|one|two|some|any|the)\s+)?(?:[\w'-]+\s+)?"
        rf"(?:{alternation(companions)})\b"
    )


def _any_history(customer: Customer, settings: RelationshipSettings, message: Message) -> bool:
    """Anything in the record a shared history could stand on: a purchase, or tenure."""
    return _returning(customer, settings, message) or _long_time(customer, settings, message)


def _returning(customer: Customer, settings: RelationshipSettings, message: Message) -> bool:
    return not customer.anonymous and (customer.purchase_count or 0) >= max(
        settings.returning_min_purchases, 1
    )


def _loyal(customer: Customer, settings: RelationshipSettings, message: Message) -> bool:
    return not customer.anonymous and (customer.purchase_count or 0) >= max(settings.loyal_min_purchases, 1)


def _long_time(customer: Customer, settings: RelationshipSettings, message: Message) -> bool:
    if customer.anonymous or customer.customer_since is None:
        return False
    return message.now - customer.customer_since >= timedelta(days=365.25 * settings.long_time_years)


_HISTORY_LABELS = ("RETURNING_CLAIM", "LOYALTY_CLAIM", "TENURE_CLAIM")


@template_half("SG202", labels=_HISTORY_LABELS)
def history_claims(fixed: FixedText) -> Spans:
    """Claims of a shared history: a return ("welcome back", "we haven't seen you in a
    while"), loyalty ("thank you for your continued loyalty"), a long time ("for over
    ten years")."""
    return tuple(sorted({span for label in _HISTORY_LABELS for span in fixed.analysis.spans(label)}))


@lint_check("SG202")
def lint_history_said_to_everyone(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """A shared-history claim in fixed text outside any ``{{#if}}`` on a history variable."""
    settings = part.settings
    allowed = settings.history_conditions + settings.status_conditions
    for item, start, end, said in lint.unguarded_spans(part.items, history_claims, allowed):
        message = (
            f"'{said}' claims a shared history with every reader; put it inside {{{{#if}}}} on a "
            f"history variable ({', '.join(settings.history_conditions[:3])}, ...)"
        )
        yield lint.hit("SG202", message, item, start, end)
