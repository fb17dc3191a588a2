"""SG102 unwanted-familiarity: First-name or casual address to someone who asked not to be, or fake intimacy."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...address import (
    CASUAL_GREETINGS,
    formal_form,
    is_generic,
    names_a_person,
    normalize_name,
    salutations,
)
from ...findings import Action, Hit
from ...fixed_text import FixedText, Spans
from ...lint import hits as lint
from ...message import Message, Part
from ...models import AddressAs, Customer
from ...nlp import Analysis
from ...registry import NoSettings, lint_check, rule, template_half
from ..common import half_spans, sentence_removal
from ._shared import _vocative_names

# FAKE_INTIMACY (SG102's small talk) and GROUP_ADDRESS are matched from
# linters/data/personalization.json.
# Someone other than the sender wants to know: "Your community wants to know how...";
# or the words report on it: "time for a status report on how things are going".
_REPORTED_QUESTION = re.compile(
    r"(?i)(?:\b(?:your[ \t]+\w+|they|he|she|everyone|people|others)[ \t]+(?:\w+[ \t]+){0,2}?"
    r"(?:wants?|would[ \t]+like|asks?|needs?)[ \t]+to[ \t]+(?:know|hear|see|learn)"
    r"|\b(?:report|update|news|summary|notes?)[ \t]+(?:on|about))[ \t]+$"
)
# "It's been a while since we posted" is about the sender's own silence, not the
# reader's absence ("since your last visit" is).
_SENDERS_OWN_WHILE = re.compile(r"(?i)[ \t]+since[ \t]+(?:we|our|this|the|i)\b")


@rule(
    "SG102", "unwanted-familiarity", Action.REWRITE,
    reads=("text", "values", "customer", "request.automated", "request.purpose"),
)
def find_unwanted_familiarity(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """First-name or casual address to someone who asked not to be, or fake intimacy.

    Catches: "Hi Arthur" or "Hey there" to a customer whose `address_as` is `formal`;
    any name to one whose `address_as` is `none`; and, in automated marketing,
    small talk a machine cannot mean: "hope you've been well", "long time no see",
    "how have you been", "just checking in".

    Why it hurts: familiarity is earned. From a machine, to someone who asked to be
    addressed formally, it reads as presumption, and the small talk as a script.

    Example: customer {"title": "Dr.", "last_name": "Okafor", "address_as": "formal"}:
    "Hey Ngozi, hope you've been well!"

    Fix: "Dear Dr. Okafor," (or "Hello," with no name), and drop the small talk.
    The rewrite does both.
    """
    customer = message.customer
    if customer is not None and not customer.anonymous and customer.address_as != AddressAs.FIRST_NAME:
        yield from _too_familiar_greetings(message, customer)
        yield from _first_names_to_formal(message, customer)
    if message.request.automated and message.is_marketing:
        for part, start, end in half_spans(message, small_talk):
            cut_start, cut_end, replacement = _small_talk_span(part, start)
            yield Hit(
                f"'{part.text[start:end]}' is small talk an automated message cannot mean",
                part.name,
                cut_start,
                cut_end,
                fix=replacement,
            )


@template_half("SG102", labels=("FAKE_INTIMACY", "GROUP_ADDRESS"), sentence=True)
def small_talk(fixed: FixedText) -> Spans:
    """Small talk asked of the reader: not reported ("your community wants to know how
    things are going"), not wished to a group ("I hope you all have a great year"), not
    about the sender's own while ("it's been a while since we wrote")."""
    text, analysis = fixed.text, fixed.analysis
    found = []
    for start, end in analysis.spans("FAKE_INTIMACY"):
        sentence = analysis.sentence_at(start)
        if not (
            _reported_not_asked(text, sentence, start)
            or _to_a_group(analysis, sentence)
            or _SENDERS_OWN_WHILE.match(text, end, max(end, sentence[1]))
        ):
            found.append((start, end))
    return tuple(found)


def _reported_not_asked(text: str, sentence: tuple[int, int], start: int) -> bool:
    """ "Your community wants to know how things are going" reports what someone else
    wants to know; "Just checking how things are going" asks the reader."""
    # A slice, not search(text, pos): a \b at ``pos`` would look at the character before
    # the sentence, which the half does not declare it reads.
    return bool(_REPORTED_QUESTION.search(text[sentence[0] : start]))


def _to_a_group(analysis: Analysis, sentence: tuple[int, int]) -> bool:
    """ "I hope you all have a great year" in a signed community letter wishes its
    readers well together: no machine pretends to know one of them."""
    sentence_start, sentence_end = sentence
    return any(sentence_start <= s < sentence_end for s, _ in analysis.spans("GROUP_ADDRESS"))


def _small_talk_span(part: Part, start: int) -> tuple[int, int, str]:
    """Span and replacement that remove small talk to the end of its sentence.

    A greeting before it on the same line is kept and the rest of the message moves to
    its own paragraph: "Hey Ana, hope you've been well! The sale..." becomes
    "Hey Ana,\n\nThe sale...", not "Hey Ana, The sale...".
    """
    s, e = sentence_removal(part, start)
    before = part.text[s:start]
    if not (before.strip().endswith(",") and before.strip()[:-1].strip()):
        return s, e, ""
    if e >= len(part.text) or part.text[e] == "\n":
        return start, e, ""
    cut = start
    while cut > s and part.text[cut - 1] in " \t":
        cut -= 1
    return cut, e, "\n\n"


def _first_names_to_formal(message: Message, customer: Customer) -> Iterator[Hit]:
    """A first name outside a greeting ("Arthur, your order...") to someone who wants none."""
    first_names = {normalize_name(n) for n in (customer.first_name, customer.preferred_name) if n}
    formal = formal_form(customer) if customer.address_as == AddressAs.FORMAL else None
    for part, start, end in _vocative_names(message):
        if normalize_name(part.text[start:end]) in first_names:
            why = f"'{part.text[start:end]}' is a first name, and this customer asked for address_as: {customer.address_as}"
            if formal:
                yield Hit(why, part.name, start, end, fix=formal)
            else:
                yield Hit(why, part.name, *_name_with_comma(part, start, end), fix="")


def _name_with_comma(part: Part, start: int, end: int) -> tuple[int, int]:
    """The name plus the comma and space that set it off, so removing it leaves clean text."""
    text = part.text
    if text[end : end + 2] == ", ":
        return start, end + 2
    if start >= 2 and text[start - 2 : start] == ", ":
        return start - 2, end
    return start, end


def _too_familiar_greetings(message: Message, customer: Customer) -> Iterator[Hit]:
    formal = formal_form(customer) if customer.address_as == AddressAs.FORMAL else None
    first_names = {normalize_name(n) for n in (customer.first_name, customer.preferred_name) if n}
    for part in message.readable():
        for salutation in salutations(part):
            name = normalize_name(salutation.name)
            casual = salutation.greeting.lower() in CASUAL_GREETINGS
            familiar = (
                bool(name)
                and (customer.address_as == AddressAs.NONE or name in first_names)
                and names_a_person(part, salutation, customer)
            )
            if not (casual or familiar) or (name and is_generic(name)):
                continue
            if customer.address_as == AddressAs.NONE and not name and not casual:
                continue
            why = (
                f"'{part.text[salutation.start : salutation.end]}' is more familiar than this customer "
                f"wants (address_as: {customer.address_as})"
            )
            yield Hit(
                why, part.name, salutation.start, salutation.end, fix=f"Dear {formal}" if formal else "Hello"
            )


@lint_check("SG102")
def lint_small_talk(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """Small talk in an automated marketing template."""
    if not (part.marketing and part.automated):
        return
    for item, start, end, said in lint.half_spans(part.items, small_talk):
        yield lint.hit("SG102", f"'{said}' is small talk an automated message cannot mean", item, start, end)
