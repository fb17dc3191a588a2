"""SG201 unearned-status: Tells the reader they have a status the record does not give them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from pydantic import Field

from ...claim_reader import Claim, ClaimReaderSettings, claims, has_cue, holds_span
from ...findings import Action, Hit
from ...fixed_text import FixedText, Spans
from ...lint import hits as lint
from ...message import Message
from ...models import Customer
from ...registry import lint_check, rule, template_half
from ...vocabulary import alternation
from ..common import addresses_reader, half_spans, sentence_removal, speaks_to_reader
from ._shared import (
    VOCABULARY_CLAIMS,
    _policy_words,
    _record_summary,
    _without_ranked_things,
    about_a_thing_or_group,
    claim_edit,
)

# STATUS_CLAIM and its synonym classes (status_words, superlatives, customer_nouns,
# ...) are in linters/data/claims.json.
# A status word before a `not_about_people` word is about a service ("our VIP support").


class StatusSettings(ClaimReaderSettings):
    top_tiers: list[str] = Field(
        default_factory=lambda: ["vip", "platinum", "gold", "diamond", "elite"],
        description="tiers whose members may be called VIPs or top customers",
    )
    min_purchases: int = Field(10, ge=0, description="purchases that earn a status claim")
    min_lifetime_value: float = Field(2000.0, ge=0, description="lifetime value that earns a status claim")


def status_earned(customer: Customer, settings: StatusSettings) -> bool:
    if customer.anonymous:
        return False
    tiers = {t.lower() for t in settings.top_tiers}
    return (
        (customer.tier or "").lower() in tiers
        or (customer.purchase_count or 0) >= settings.min_purchases > 0
        or (customer.lifetime_value or 0) >= settings.min_lifetime_value > 0
    )


@rule(
    "SG201", "unearned-status", Action.REWRITE, StatusSettings,
    reads=(
        "text",
        "customer.anonymous",
        "customer.tier",
        "customer.purchase_count",
        "customer.lifetime_value",
    ),
)
def find_unearned_status(message: Message, settings: StatusSettings) -> Iterator[Hit]:
    """Tells the reader they have a status the record does not give them.

    Catches: "you're our most valuable customer", "as one of our very best customers",
    "as one of our VIP / elite / insider members", "our most loyal clients", "a
    top-tier client", "your Platinum status", "top 1% of our customers", said to the
    reader, when the customer is not in a top tier (policy `top_tiers`) and has fewer
    than `min_purchases` purchases and less than `min_lifetime_value` spent. An
    invitation ("become a Gold member", "earn Elite status") and a service ("our VIP
    support line") are not claims. Anonymous records never earn it. Without a
    customer record nothing is judged. The words are the classes `status_words`,
    `superlatives`, `ranked_qualities` and `customer_nouns` of
    `linters/data/claims.json`; add your own tier names with
    `[tool.sendguard.vocabulary] status_words = ["Diamond Circle"]`. The claim reader
    (linters/claim_reader.py) finds the same claims in other words ("as one of a
    handful of hand-picked members", "customers like you are the reason we open"): a
    sentence it reads as a `status` or `personal_importance` claim, said to the reader,
    is judged the same way ("... reads as a status claim (score 0.93)"); an invitation,
    or a sentence naming the customer's own tier, is not a claim, and a status sentence
    needs a word of rank or selection (linters/data/claim_reader/cues.json: "you get
    early access" alone is an offer) outside a rank phrase about a thing ("among our
    best sellers", "one of our most popular styles": `ranked_things` in claims.json);
    a sentence that promises a person's service ("you get a tailor who knows your
    name": `service_people`) ranks nobody. A sentence the reader reads as a claim only
    for a phrase about something else, a product's rank or a group of customers as the
    subject of a scheme's terms ("regular customers get ...": `customer_nouns`), is
    read again without that phrase, merge values as placeholders; if the class is
    gone, it is no claim about the reader. Its thresholds are the model's, or
    `claim_thresholds` (policy `[claims] thresholds`).

    Why it hurts: the person who bought once knows they are not your most valuable
    customer; the claim tells them everyone got the same email.

    Example: to {"purchase_count": 1}: "You're our most valuable customer, so here's 20% off."

    Fix: say what is true ("Thanks for your order in May"), or send the claim only to
    the tiers it is true of. The rewrite removes the claim with the narrowest edit
    that deletes nothing of substance ("our most loyal clients get 30% off" -> "our
    clients get 30% off"); when there is none, the message is blocked (SG000).
    """
    customer = message.customer
    said = list(half_spans(message, status_said_to_the_reader))
    read = _read_claims(message, settings) if customer is not None else []
    # The record is read only when there is a claim (see personalization/unwanted_occasion.py).
    if customer is None or not (said or read) or status_earned(customer, settings):
        return
    yield from _read_status(read, customer)
    for part, start, end in said:
        if _names_their_tier(part.text[start:end], customer):
            continue
        cut_start, cut_end, replacement = claim_edit(part, start, end)
        yield Hit(
            f"'{part.text[start:end]}' claims a status this customer does not have "
            f"({_record_summary(customer)})",
            part.name,
            cut_start,
            cut_end,
            fix=replacement,
        )


# Characters after a status word read for the word that makes it a service ("our VIP
# support"), and before it for "as one of" (``_said_of_the_reader``).
_FOLLOWING_CHARS = 20
_BEFORE_CHARS = 12
# Words read in the window before a status word ("as one of our VIPs"), which may cut a
# merge value in two.
_AS_ONE_OF = ("as", "one", "of")


@template_half("SG201", labels=("STATUS_CLAIM",), window=_FOLLOWING_CHARS, sentence=True, edge=_AS_ONE_OF)
def status_said_to_the_reader(fixed: FixedText) -> Spans:
    """Status words said of the reader ("you're one of our VIPs", "as one of our best
    customers"), not of a service ("our VIP support") and not as an invitation ("become
    a Gold member")."""
    text, analysis = fixed.text, fixed.analysis
    not_about_people = _policy_words("not_about_people")
    found = []
    for start, end in analysis.spans("STATUS_CLAIM"):
        following = text[end : end + _FOLLOWING_CHARS].split()
        if following and following[0].strip(".,!?").lower() in not_about_people:
            continue
        sentence = analysis.sentence_at(start)
        # Outside any sentence (never, for a matched span) the half reads the span alone,
        # not the whole text as ``addresses_reader`` would: it reads only what it declares.
        read = sentence if sentence[1] > sentence[0] else (start, end)
        if not (speaks_to_reader(text, read) or _said_of_the_reader(text, start)):
            continue
        if not _invitation(text, sentence[0], start):
            found.append((start, end))
    return tuple(found)


_READ_LABELS = ("status", "personal_importance")


def _read_claims(message: Message, settings: StatusSettings) -> list[Claim]:
    """The reader's status and importance claims the vocabulary left alone: said to the
    reader, not an invitation; one per sentence (the first class that reads it)."""
    found: dict[tuple[str, int], Claim] = {}
    for label in _READ_LABELS:
        for claim in claims(message, label, settings.claim_thresholds):
            part, start, end = claim.part, claim.start, claim.end
            key = (part.name, start)
            # A sentence the family's vocabulary judged (a status word, or "loyal
            # customer" for SG202) is left to it: its narrow edit keeps an offer that
            # removing the whole sentence would take.
            if key in found or holds_span(part, start, end, VOCABULARY_CLAIMS):
                continue
            if not has_cue(label, _without_ranked_things(claim.text)):
                continue  # "you get early access": an offer, not a rank; "our best sellers": a product's
            if about_a_thing_or_group(claim, settings.claim_thresholds):
                continue  # "this jacket is among our best sellers": the jacket's rank, not the reader's
            if _promises_service(claim.text):
                continue  # "you get a tailor who knows your name": a service offered, not a rank
            if addresses_reader(part, start) and not _invites(part.text[start:end]):
                found[key] = claim
    return list(found.values())


def _promises_service(sentence: str) -> bool:
    """ "You get a tailor who knows your name", "you'll have a dedicated adviser who
    knows your account": a sentence that is a promise of a person's service (the
    ``service_people`` of claims.json), which the reader read as importance, and says
    nothing of what the reader is."""
    promise = _service_promise(tuple(sorted(_policy_words("service_people"))))
    return bool(promise.match(sentence)) and not _SAYS_WHAT_YOU_ARE.search(sentence)


# "... who knows you are one of the very few", "with a banker on call, you're one of the
# chosen few": a sentence that also says what the reader is claims it, service or not.
_SAYS_WHAT_YOU_ARE = re.compile(r"(?i)\byou(?:'re|’re|\s+are|\s+were|'ve\s+been|’ve\s+been|\s+have\s+been)\b")


@lru_cache(maxsize=16)
def _service_promise(people: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(
        r"(?i)\W*(?:(?:and|plus|so)\s+)?"
        r"(?:you(?:'ll|’ll|\s+will)?\s+(?:get|have|be\s+given|be\s+paired\s+with|be\s+matched\s+with|meet|work\s+with)"
        r"|get|enjoy|meet|with)\s+(?:a|an|one|your\s+own|your)\s+(?:[\w'’-]+\s+){0,2}?"
        rf"(?:{alternation(people)})s?\s+(?:who|that|to|on)\b"
    )


def _read_status(read: list[Claim], customer: Customer) -> Iterator[Hit]:
    for claim in read:
        part = claim.part
        if _names_their_tier(part.text[claim.start : claim.end], customer):
            continue
        cut_start, cut_end = sentence_removal(part, claim.start)
        yield Hit(
            f"{claim.describe()}, a status this customer does not have ({_record_summary(customer)})",
            part.name,
            cut_start,
            cut_end,
            fix="",
        )


def _invites(sentence: str) -> bool:
    """ "Join the Insider Club for early access": an invitation anywhere in the sentence."""
    return not _policy_words("invitation_cues").isdisjoint(re.findall(r"[\w'-]+", sentence.lower()))


def _said_of_the_reader(text: str, start: int) -> bool:
    """ "Enjoy early access, as one of our best customers": "as" puts the reader in the claim."""
    before = text[max(0, start - _BEFORE_CHARS) : start].lower().split()
    return bool(before) and (
        before[-1] == "as" or before[-3:-1] == ["as", "one"] or before[-2:] == ["one", "of"]
    )


def _names_their_tier(claim: str, customer: Customer) -> bool:
    """ "Gold member" to a gold-tier customer is a fact, not a flattery."""
    tier = " ".join((customer.tier or "").lower().split())
    return bool(tier) and f" {tier} " in f" {' '.join(claim.lower().split())} "


_CUE_WORDS = 4


def _invitation(text: str, sentence_start: int, start: int) -> bool:
    """ "Become a Gold member", "upgrade to Platinum status", "earn elite status": an
    invitation to a status, not a claim that the reader has it (unlike "you've earned")."""
    before = re.findall(r"[\w'-]+", text[sentence_start:start].lower())[-_CUE_WORDS:]
    return not _policy_words("invitation_cues").isdisjoint(before)


@lint_check("SG201")
def lint_status_said_to_everyone(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """A status claim in fixed text outside any ``{{#if}}`` on a status variable."""
    conditions = part.settings.status_conditions
    for item, start, end, said in lint.unguarded_spans(part.items, status_said_to_the_reader, conditions):
        message = (
            f"'{said}' is said to every reader; put it inside {{{{#if}}}} on a status variable "
            f"({', '.join(conditions[:3])}, ...)"
        )
        yield lint.hit("SG201", message, item, start, end)
