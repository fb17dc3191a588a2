"""SG401 tracking-disclosure: Tells the reader what was tracked about them without their consent."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

from ...claim_reader import ClaimReaderSettings, claims, has_cue, holds_span
from ...findings import Action, Hit
from ...fixed_text import FixedText, Spans
from ...lint import hits as lint
from ...message import Message
from ...models import Customer
from ...nlp import current_vocabulary
from ...registry import lint_check, rule, template_half
from ...vocabulary import alternation, word_set, words
from ..common import half_spans

# TRACKING (words that say "we watched what you did") is matched from linters/data/privacy.json;
# the template linter reuses the label.

_ASKED_WINDOW = 12  # characters before a span that say whether it asks


def _asked_not_told(text: str, start: int) -> bool:
    """ "Have you looked at our new range?" asks; "you looked at" tells."""
    words = text[max(0, start - _ASKED_WINDOW) : start].split()
    return bool(words) and words[-1].lower().strip(",") in word_set("asking_words", current_vocabulary())


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


@rule(
    "SG401", "tracking-disclosure", Action.BLOCK, ClaimReaderSettings,
    reads=("text", "request.purpose", "customer.anonymous", "customer.consent"),
)
def find_tracking_disclosure(message: Message, settings: ClaimReaderSettings) -> Iterator[Hit]:
    """Tells the reader what was tracked about them without their consent.

    Catches: pages or products viewed ("you recently viewed", "items you looked at"),
    searches ("you searched for"), location ("we spotted you near our Boston store",
    "you were near our store"), where the reader is right now ("you're near our
    store", "we see you're at the airport", "since you're in Manchester this
    weekend", "looks like you're in the area"), email opens ("you haven't opened our
    last email"), time on site ("you spent 12 minutes browsing"), cart contents
    ("still in your cart"), unless the customer has `consent.personalization` and is not anonymous.
    A cart reminder to a customer who agreed to personalization is allowed. With no
    customer record there is no consent to rely on, so the message is judged.
    It takes a claim of having watched: "we noticed you were looking at", "based on your
    browsing", "you recently viewed"; "We're sorry to see you leave" claims nothing.
    A condition asks instead of telling: "if you're near our store", "next time you're
    in Leeds", "whenever you're in the area" pass.
    The patterns are data: linters/data/privacy.json. In marketing, the claim reader
    (linters/claim_reader.py) finds watching told in other words ("still thinking
    about the blue crew neck you checked out?", "the pages your team opened
    yesterday"): a sentence it reads as `observation`, not asked as a question or a
    condition, and holding a word of seeing, place or behaviour
    (linters/data/claim_reader/cues.json) outside a future or wished meeting ("we'll
    see you at our Leeds store on Saturday": `meeting_words` in privacy.json), is a
    finding on the same terms. A security
    notice ("we noticed a sign-in from a new device") is not marketing, and is left to
    the vocabulary.

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
    for part, start, end in half_spans(message, told_tracking):
        yield Hit(f"'{part.text[start:end]}' reveals tracked behaviour, but {why}", part.name, start, end)
    if not message.is_marketing:
        return
    for claim in claims(message, "observation", settings.claim_thresholds):
        if holds_span(claim.part, claim.start, claim.end, ("TRACKING",)) or _SUPPOSES.search(claim.text):
            continue
        if not has_cue("observation", _without_meetings(claim.text)):
            continue  # "you're in for a treat at our store": an idiom, nobody watched
        yield Hit(f"{claim.describe()}, but {why}", claim.part.name, claim.start, claim.end)


# The asking words (privacy.json) are read in a 12-character window that may cut a word in two.
@template_half("SG401", labels=("TRACKING",), window=_ASKED_WINDOW, edge=words("asking_words"))
def told_tracking(fixed: FixedText) -> Spans:
    """Tracked behaviour the text tells ("you looked at"), not asks about ("Have you
    looked at our new range?"): the words before each span decide."""
    return tuple(
        (start, end) for start, end in fixed.analysis.spans("TRACKING") if not _asked_not_told(fixed.text, start)
    )


def _without_meetings(sentence: str) -> str:
    """``sentence`` less its future or wished meetings ("we'll see you at our Leeds store
    on Saturday", "hope to see you there", "See you soon!"): their "see you" invites,
    it is no cue that someone watched (privacy.json: meeting_words)."""
    return _meetings(tuple(sorted(word_set("meeting_words", current_vocabulary())))).sub(" ", sentence)


@lru_cache(maxsize=16)
def _meetings(words: tuple[str, ...]) -> re.Pattern[str]:
    before = alternation(words)
    # Not "see you're", "see you are": those say where the reader is.
    not_now = r"(?!\s*(?:['\u2019]re\b|r\b|are\b|were\b))"
    return re.compile(
        rf"(?i)\b(?:{before})\s+(?:\w+\s+)?see(?:ing)?\s+you\b{not_now}|^\W*see\s+you\b{not_now}"
    )


# A sentence that supposes ("if you're near", "next time you're in town", "whenever
# you pass by") tells the reader nothing was watched.
_SUPPOSES = re.compile(
    r"(?i)\b(?:if|when|whenever|once|next time|any ?time|in case|should)\b[^.!?]{0,40}\byou(?:'re|’re| are| were|r)?\b"
)


@lint_check("SG401")
def lint_tracking_without_consent_condition(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """Tracked behaviour named in fixed text outside any ``{{#if}}`` on a consent variable."""
    conditions = part.settings.consent_conditions
    for item, start, end, said in lint.unguarded_spans(part.items, told_tracking, conditions):
        message = (
            f"'{said}' reveals tracked behaviour and is not inside {{{{#if}}}} on a consent variable "
            f"({', '.join(conditions[:2])})"
        )
        yield lint.hit("SG401", message, item, start, end)
