"""Helpers several claims rules share."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache, lru_cache

from ...claim_reader import Claim, reads_as
from ...message import Part
from ...models import Customer
from ...nlp import current_vocabulary
from ...substance import substance_in
from ...vocabulary import Extension, alternation, word_set, words
from ..common import clause_or_sentence


def _policy_words(class_name: str) -> frozenset[str]:
    """A class's words with the additions of the policy in force."""
    return word_set(class_name, current_vocabulary())


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
    true phrase ending in a customer noun ("our clients", "a member"). A "like you"
    right after the claim goes with them: "our most loyal clients like you get 30% off"
    becomes "our clients get 30% off", since "clients like you" still sets the reader
    among the favoured ("customers like you are the reason we open")."""
    claim = part.text[start:end]
    plain = " ".join(_qualifiers(current_vocabulary()).sub("", claim).split())
    last = plain.rsplit(" ", 1)[-1].lower() if plain else ""
    nouns = _policy_words("customer_nouns")
    noun = last if last in nouns else last.removesuffix("s")
    if not plain or plain == claim or noun not in nouns or re.search(r"\d|%", plain):
        return None
    like_you = _LIKE_YOU.match(part.text, end)
    return start, like_you.end() if like_you else end, plain


# "... clients like you", "... members like yourself": the reader set among the group.
_LIKE_YOU = re.compile(r"(?i)[ \t]+like[ \t]+(?:you|yourself)\b")


def _record_summary(customer: Customer) -> str:
    if customer.anonymous:
        return "the record is anonymous"
    bits = [f"{customer.purchase_count or 0} purchase{'s' if (customer.purchase_count or 0) != 1 else ''}"]
    if customer.tier:
        bits.append(f"tier {customer.tier}")
    return ", ".join(bits)


# The spans the family's vocabulary finds (SG201's status words, SG202's history claims):
# a sentence holding one is judged by those rules' narrow edits, not read again whole by
# the claim reader.
VOCABULARY_CLAIMS = ("STATUS_CLAIM", "RETURNING_CLAIM", "LOYALTY_CLAIM", "TENURE_CLAIM")


# --- claims the reader reads into a phrase about something else -------------------------


def _without_ranked_things(sentence: str) -> str:
    """``sentence`` less its rank phrases about things ("among our best sellers", "one of
    our most popular styles", "top-rated"): their rank words are a product's, not a
    cue that the reader is ranked. A rank word before a customer noun ranks people ("our
    most loved customers", "top rated members"), and stays."""
    pattern = _ranked_things(tuple(sorted(_policy_words("ranked_things"))), tuple(sorted(_policy_words("customer_nouns"))))
    return pattern.sub(" ", sentence)


@lru_cache(maxsize=16)
def _ranked_things(things: tuple[str, ...], people: tuple[str, ...]) -> re.Pattern[str]:
    not_people = rf"(?![\s-]+(?:[\w'’-]+[\s-]+)?(?:{alternation(people)})s?\b)"
    return re.compile(
        r"(?i)(?:\b(?:among|one\s+of)\s+)?(?:\b(?:our|the|these|this\s+\w+['’]s)\s+)?(?:\bvery\s+)?"
        r"\b(?:best|top|most|finest|favou?rite|biggest|greatest)(?:[\s-]+[\w'-]+)?[\s-]+(?:"
        + alternation(things)
        + r")\b"
        + not_people
        + r"|\bbest-?sell\w*"
        + not_people
    )


def _without_a_group_subject(sentence: str) -> str:
    """``sentence`` less a group of customers that opens it in the third person, the
    subject of a scheme's terms ("Regular customers get a free coffee...", "Our members
    save 10%..."): what the group gets says nothing of what the reader is. A sentence that
    sets the reader in the group ("customers like you", "of whom you are one") or says
    what the reader is ("you're", "you've been") keeps it; so does a group addressed
    ("Dear valued member,") or set off by a comma."""
    if _READER_IN_THE_GROUP.search(sentence):
        return sentence
    return _group_subject(tuple(sorted(_policy_words("customer_nouns")))).sub(" ", sentence, count=1)


# "... guests like you", "members such as yourself", "regulars, that's you", "of whom you
# are one", "you among them", "and you're one of them"; and any sentence that says what
# the reader is or has been ("you're", "you are", "you've been"): the group may be theirs.
_READER_IN_THE_GROUP = re.compile(
    r"(?i)\b(?:like|such\s+as|including)\s+(?:you|yourself)\b"
    r"|\bthat(?:'s|’s|\s+is|\s+means)\s+you\b"
    r"|\bof\s+whom\s+you\b|\byou\s+(?:included|among\s+them|too)\b|\bone\s+of\s+(?:them|those|these|us)\b"
    r"|\byou(?:'re|’re|\s+are|\s+were|'ve\s+been|’ve\s+been|\s+have\s+been)\b"
)
# Leading words that make the group the reader's, or a greeting, not a third party.
_NOT_THIRD_PERSON = r"(?:you|your|yours|you're|you’re|dear|hi|hello|hey|as|to)\b"


@lru_cache(maxsize=16)
def _group_subject(nouns: tuple[str, ...]) -> re.Pattern[str]:
    # At most two leading words, none "you" or a greeting, then the noun and a next word
    # (its verb): "Regular customers get", not "Dear valued member," or "Customers, of ...".
    return re.compile(
        rf"(?i)^\W*(?:(?!{_NOT_THIRD_PERSON})[\w'’-]+\s+){{0,2}}(?:{alternation(nouns)})s?\b(?=\s+[\w'’])"
    )


def about_a_thing_or_group(claim: Claim, thresholds: Mapping[str, float] | None) -> bool:
    """Whether the reader read ``claim`` as a claim about the reader only for a phrase about
    something else: a product's rank ("This jacket is among our best sellers") or a group
    of customers named as the subject of a scheme's terms ("Regular customers get a free
    coffee with every tenth stamp on your card"). The sentence as the reader read it
    (merge values as placeholders, the same for every recipient) is read again without
    those phrases; if the class is gone, the claim was the thing's or the group's.
    A sentence with neither phrase is read once, as before."""
    read = claim.read or claim.text
    rest = _without_a_group_subject(_without_ranked_things(read))
    if rest == read:
        return False
    return not reads_as(claim.label, rest, thresholds)

