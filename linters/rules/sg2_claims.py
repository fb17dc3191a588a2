"""SG2xx unearned claims: status and relationship the record does not support."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from functools import cache

from pydantic import Field

from ..findings import Action, Hit
from ..lint import hits as lint
from ..message import Message, Part
from ..models import Customer
from ..nlp import current_vocabulary
from ..registry import Settings, lint_check, rule
from ..substance import substance_in
from ..vocabulary import Extension, word_set, words
from .common import addresses_reader, clause_or_sentence, spans

# STATUS_CLAIM, RETURNING_CLAIM, LOYALTY_CLAIM and TENURE_CLAIM, and their synonym
# classes (status_words, superlatives, customer_nouns, ...), are in linters/data/claims.json.
# A status word before a `not_about_people` word is about a service ("our VIP support").


class StatusSettings(Settings):
    top_tiers: list[str] = Field(
        default_factory=lambda: ["vip", "platinum", "gold", "diamond", "elite"],
        description="tiers whose members may be called VIPs or top customers",
    )
    min_purchases: int = Field(10, ge=0, description="purchases that earn a status claim")
    min_lifetime_value: float = Field(2000.0, ge=0, description="lifetime value that earns a status claim")


class RelationshipSettings(Settings):
    returning_min_purchases: int = Field(
        1, ge=0, description="purchases before 'welcome back' or 'we missed you'"
    )
    loyal_min_purchases: int = Field(3, ge=0, description="purchases before thanks for 'loyalty'")
    long_time_years: float = Field(2.0, ge=0, description="years as a customer before 'long-time customer'")


def status_earned(customer: Customer, settings: StatusSettings) -> bool:
    if customer.anonymous:
        return False
    tiers = {t.lower() for t in settings.top_tiers}
    return (
        (customer.tier or "").lower() in tiers
        or (customer.purchase_count or 0) >= settings.min_purchases > 0
        or (customer.lifetime_value or 0) >= settings.min_lifetime_value > 0
    )


@rule("SG201", "unearned-status", Action.REWRITE, StatusSettings)
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
    `[tool.sendguard.vocabulary] status_words = ["Diamond Circle"]`.

    Why it hurts: the person who bought once knows they are not your most valuable
    customer; the claim tells them everyone got the same email.

    Example: to {"purchase_count": 1}: "You're our most valuable customer, so here's 20% off."

    Fix: say what is true ("Thanks for your order in May"), or send the claim only to
    the tiers it is true of. The rewrite removes the claim with the narrowest edit
    that deletes nothing of substance ("our most loyal clients get 30% off" -> "our
    clients get 30% off"); when there is none, the message is blocked (SG000).
    """
    customer = message.customer
    claims = list(spans(message, "STATUS_CLAIM"))
    # The record is read only when there is a claim (see find_unwanted_occasion).
    if customer is None or not claims or status_earned(customer, settings):
        return
    for part, start, end in claims:
        following = part.text[end : end + 20].split()
        if following and following[0].strip(".,!?").lower() in _policy_words("not_about_people"):
            continue
        if not (addresses_reader(part, start) or _said_of_the_reader(part.text, start)):
            continue
        if _names_their_tier(part.text[start:end], customer) or _invitation(part, start):
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


# Words read in a 12-character window that may cut a word in two (see sg1's WINDOW_PATTERNS).
WINDOW_WORDS = ("as", "one", "of")
WINDOW_LABELS = ("STATUS_CLAIM",)  # the spans that window is taken before


def _said_of_the_reader(text: str, start: int) -> bool:
    """ "Enjoy early access, as one of our best customers": "as" puts the reader in the claim."""
    before = text[max(0, start - 12) : start].lower().split()
    return bool(before) and (
        before[-1] == "as" or before[-3:-1] == ["as", "one"] or before[-2:] == ["one", "of"]
    )


def _names_their_tier(claim: str, customer: Customer) -> bool:
    """ "Gold member" to a gold-tier customer is a fact, not a flattery."""
    tier = " ".join((customer.tier or "").lower().split())
    return bool(tier) and f" {tier} " in f" {' '.join(claim.lower().split())} "


_CUE_WORDS = 4


def _policy_words(class_name: str) -> frozenset[str]:
    """A class's words with the additions of the policy in force."""
    return word_set(class_name, current_vocabulary())


def _invitation(part: Part, start: int) -> bool:
    """ "Become a Gold member", "upgrade to Platinum status", "earn elite status": an
    invitation to a status, not a claim that the reader has it (unlike "you've earned")."""
    sentence_start, _ = part.analysis.sentence_at(start)
    before = re.findall(r"[\w'-]+", part.text[sentence_start:start].lower())[-_CUE_WORDS:]
    return not _policy_words("invitation_cues").isdisjoint(before)


# ---------------------------------------------------------------- the narrowest safe edit

# Words a claim is made of that can go while the rest stays true: "our most loyal
# clients" -> "our clients", "a long-time customer" -> "a customer".
_QUALIFIER_CLASSES = (
    "intensifiers",
    "superlatives",
    "status_words",
    "ranked_qualities",
    "loyalty_adjectives",
    "tenure_adjectives",
    "returning_adjectives",
)
_CLAUSE_DELIMITER = re.compile(r"[,;:\u2013\u2014]|\s-\s")
_AS_PHRASE = re.compile(
    r"(?i)[ \t]*,?[ \t]*\bas[ \t]+(?:(?:one|some|any)[ \t]+of[ \t]+)?(?:(?:our|my|the|a|an)[ \t]+(?:[\w-]+[ \t]+)?)?$"
)


@cache
def _qualifiers(extension: Extension) -> re.Pattern[str]:
    entries = sorted(
        {w for name in _QUALIFIER_CLASSES for w in words(name, extension)}, key=len, reverse=True
    )
    alternatives = "|".join(re.escape(e).replace("\\ ", r"\s+") for e in entries)
    return re.compile(rf"(?i)(?<![\w-])(?:{alternatives})(?![\w-])[ \t]*")


def claim_edit(part: Part, start: int, end: int) -> tuple[int, int, str]:
    """The narrowest edit that removes the claim at [start, end) and no substance.

    In order: the clause or sentence (``clause_or_sentence``), when it holds nothing
    else of substance (``linters.substance``); else an "as one of our VIPs" phrase on
    its own; else the claim's own clause up to a colon, semicolon or dash; else the
    claim without its status words ("our most loyal clients" -> "our clients"). When
    none is safe, the clause cut is returned: the rewrite step refuses it and says what
    it would have deleted.
    """
    first = clause_or_sentence(part, start, end)
    candidates = (first, _as_phrase(part, start, end), _own_clause(part, start, end))
    for candidate in candidates:
        if candidate is not None and substance_in(part.text[candidate[0] : candidate[1]]) is None:
            return candidate
    return _without_qualifiers(part, start, end) or first


def _as_phrase(part: Part, start: int, end: int) -> tuple[int, int, str] | None:
    """ "..., and you get early access as one of our VIPs." -> cut " as one of our VIPs"."""
    sentence_start, sentence_end = part.analysis.sentence_at(start)
    lead = _AS_PHRASE.search(part.text, sentence_start, start)
    after = part.text[end:sentence_end].lstrip(" \t")
    if lead is None or not (after == "" or after[0] in ".!?,;:\n"):
        return None
    return lead.start(), end, ""


def _own_clause(part: Part, start: int, end: int) -> tuple[int, int, str] | None:
    """The claim's clause when a colon, semicolon or dash ends it: "Robert, we've missed
    you: the sale is here" -> cut "we've missed you: "."""
    sentence_start, sentence_end = part.analysis.sentence_at(start)
    text = part.text
    after = _CLAUSE_DELIMITER.search(text, end, sentence_end)
    if after is None or after.group().strip() == ",":
        return None
    before = [m for m in _CLAUSE_DELIMITER.finditer(text, sentence_start, start)]
    clause_start = before[-1].end() if before else sentence_start
    while clause_start < start and text[clause_start] in " \t":
        clause_start += 1
    clause_end = after.end()
    while clause_end < sentence_end and text[clause_end] in " \t":
        clause_end += 1
    return clause_start, clause_end, ""


def _without_qualifiers(part: Part, start: int, end: int) -> tuple[int, int, str] | None:
    """The claim with its status words dropped, when what is left is still a plain,
    true phrase ending in a customer noun ("our clients", "a member")."""
    claim = part.text[start:end]
    plain = " ".join(_qualifiers(current_vocabulary()).sub("", claim).split())
    last = plain.rsplit(" ", 1)[-1].lower() if plain else ""
    nouns = _policy_words("customer_nouns")
    noun = last if last in nouns else last.removesuffix("s")
    if not plain or plain == claim or noun not in nouns or re.search(r"\d|%", plain):
        return None
    return start, end, plain


def _record_summary(customer: Customer) -> str:
    if customer.anonymous:
        return "the record is anonymous"
    bits = [f"{customer.purchase_count or 0} purchase{'s' if (customer.purchase_count or 0) != 1 else ''}"]
    if customer.tier:
        bits.append(f"tier {customer.tier}")
    return ", ".join(bits)


@rule("SG202", "fake-relationship", Action.REWRITE, RelationshipSettings)
def find_fake_relationship(message: Message, settings: RelationshipSettings) -> Iterator[Hit]:
    """Claims a shared history the record does not show.

    Catches: "welcome back", "we've missed you", "you've been missed", "we haven't
    seen you in a while", "as a returning customer" (needs `returning_min_purchases`);
    "thanks for your loyalty", "thank you for your continued trust", "loyal customers
    like you", "thanks for sticking by us" (needs `loyal_min_purchases`); "as a
    long-time customer", "you've been with us for years", "since day one" (needs
    `customer_since` at least `long_time_years` ago). Anonymous records have no
    history. Without a customer record nothing is judged. The words are in
    `linters/data/claims.json`.

    Why it hurts: "we've missed you" to someone who never bought anything is a
    relationship invented by a mail merge, and the reader knows it.

    Example: to {"purchase_count": 0}: "Welcome back! We've missed you."

    Fix: drop the claim, or send it only to the people it is true of ("welcome
    back" to a customer with twelve orders is fine). The rewrite removes it.
    """
    customer = message.customer
    if customer is None:
        return
    checks = {"RETURNING_CLAIM": _returning, "LOYALTY_CLAIM": _loyal, "TENURE_CLAIM": _long_time}
    for label, earned in checks.items():
        claims = list(spans(message, label))
        # The record is read only when there is a claim (see find_unwanted_occasion).
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


# --------------------------------------------------------------- template-time checks

# A status word followed by one of these is about the service, not the reader.
_NOT_ABOUT_PEOPLE = frozenset(
    {"service", "support", "care", "experience", "team", "satisfaction", "reviews", "feedback", "success"}
)
# A returning or loyalty claim names the return or the loyalty; without one of these
# words the match is a thank-you or a welcome, which every new customer may get.
_HISTORY_WORDS = {
    "RETURNING_CLAIM": frozenset({"back", "again", "miss", "missed", "missing"}),
    "LOYALTY_CLAIM": frozenset(
        {
            "loyal",
            "loyalty",
            "continued",
            "ongoing",
            "years",
            "sticking",
            "staying",
            "faithful",
            "devoted",
            "dedicated",
        }
    ),
}


@lint_check("SG201")
def lint_status_said_to_everyone(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """A status claim in fixed text outside any ``{{#if}}`` on a status variable."""
    conditions = part.settings.status_conditions
    for item, start, end, said in lint.spans(part.items, "STATUS_CLAIM"):
        following = item.segment.text[end : end + 20].split()
        if following and following[0].strip(".,!?").lower() in _NOT_ABOUT_PEOPLE:
            continue
        if not lint.addresses_reader(item, start) or lint.guarded(item.segment.conditions, conditions):
            continue
        yield lint.hit(
            "SG201",
            f"'{said}' is said to every reader; put it inside {{{{#if}}}} on a status variable "
            f"({', '.join(conditions[:3])}, ...)",
            item,
            start,
            end,
        )


def _claims_history(label: str, said: str) -> bool:
    """Leave out plain thanks and welcomes the engine's broad patterns also match:
    "thanks for your support" after an order, "thrilled to have you" on sign-up."""
    needed = _HISTORY_WORDS.get(label)
    return needed is None or bool(needed & set(re.findall(r"[a-z]+", said.lower())))


@lint_check("SG202")
def lint_history_said_to_everyone(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """A shared-history claim in fixed text outside any ``{{#if}}`` on a history variable."""
    settings = part.settings
    allowed = settings.history_conditions + settings.status_conditions
    for label in ("RETURNING_CLAIM", "LOYALTY_CLAIM", "TENURE_CLAIM"):
        for item, start, end, said in lint.spans(part.items, label):
            if lint.guarded(item.segment.conditions, allowed) or not _claims_history(label, said):
                continue
            yield lint.hit(
                "SG202",
                f"'{said}' claims a shared history with every reader; put it inside {{{{#if}}}} on a "
                f"history variable ({', '.join(settings.history_conditions[:3])}, ...)",
                item,
                start,
                end,
            )
