"""SG1xx personalization: wrong names, unwanted familiarity, broken merge fields."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field

from ..address import (
    ALL_LANGUAGES,
    CASUAL_GREETINGS,
    GREETING_KINDS,
    SAMPLE_NAMES,
    Salutation,
    accepted_forms,
    formal_form,
    greeting_pattern,
    is_field_value,
    is_generic,
    known_name_forms,
    name_values,
    names_a_person,
    normalize_name,
    preferred_address,
    salutations,
)
from ..findings import Action, Hit
from ..handlebars import Mustache
from ..lint import hits as lint
from ..lint.segments import Condition
from ..merge_tags import foreign_tags, is_subject_tag, may_hold_tag, unrendered
from ..message import Message, Part
from ..models import AddressAs, Customer
from ..nlp import PLACEHOLDER
from ..registry import NoSettings, Settings, lint_check, rule
from ..vocabulary import load
from .common import sentence_removal, spans

# Values that stand for "no value" ("Hi null,"), from placeholders.json.
PLACEHOLDER_VALUES = frozenset(load("placeholders")["placeholder_values"])

# Checked right after a greeting ("Hi ,", "Dear Mr. ,", "Hi null,"): anchored matches
# on the few greeting lines are far cheaper than scanning the whole text.
_EMPTY_NAME_AFTER_GREETING = re.compile(
    r"[ \t]+(?:(?:[Mm]rs?|[Mm]s|[Dd]r|[Mm]x)(?:\.|(?=[ \t,!:]))[ \t]*)?(?=[,!:]|\.(?:\s|$))"
)
_PLACEHOLDER_AFTER_GREETING = re.compile(r"[ \t]+(?i:null|undefined|none|nan|nil)\b")
# Someone other than the sender wants to know: "Your community wants to know how...".
_REPORTED_QUESTION = re.compile(
    r"(?i)\b(?:your[ \t]+\w+|they|he|she|everyone|people|others)[ \t]+(?:\w+[ \t]+){0,2}?"
    r"(?:wants?|would[ \t]+like|asks?|needs?)[ \t]+to[ \t]+(?:know|hear|see|learn)[ \t]+$"
)
_PLACEHOLDER_WORD = re.compile(r"\[object Object\]|(?<![\w-])NaN(?![\w-])")


# FAKE_INTIMACY (SG102's small talk) is matched from linters/data/personalization.json.


def _name_hits(message: Message, known: set[str] | None) -> Iterator[tuple[Part, Salutation]]:
    """Salutations that address someone by name: not "Dear Customer", not "HEY MATE".
    ``known``: the customer's ``known_name_forms``, worked out once per message."""
    for part in message.readable():
        for salutation in salutations(part):
            if (
                salutation.name
                and not is_generic(salutation.name)
                and names_a_person(part, salutation, message.customer, known)
            ):
                yield part, salutation


def _vocative_names(message: Message) -> Iterator[tuple[Part, int, int]]:
    """Name-field values used outside a salutation ("Thanks, {{first_name}}!"). The value
    of a field line ("Device name: {{device.name}}", "Name: {{key.name}}") names a
    thing on a notice; it addresses nobody."""
    for part in message.readable():
        in_salutation = {(s.name_start, s.name_end) for s in salutations(part)}
        for start, end in name_values(part):
            if not any(s <= start and end <= e for s, e in in_salutation) and not is_field_value(
                part.text, start, end
            ):
                yield part, start, end


@rule("SG101", "wrong-name", Action.REWRITE)
def find_wrong_name(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """Addresses the recipient by a name that is not one they use.

    Catches: a name that is not the customer's preferred name (or first name when
    there is none) nor their formal form (title and last name); another person's name;
    sample names left in a template ("Hi Jane Doe", "Dear John"); any name at all for
    an anonymous record.

    Only a name counts: a value from a name field, a form of the customer's own name, a
    title with a surname, or a word on the shipped list of given names
    (linters/data/given_names.json). An all-caps word ("HEY MATE"), a word of address
    ("Hey Buddy") or a playful salutation ("Hello Acme Zealot!") names nobody.

    Why it hurts: "Hey Arthur" to a man who has never once used his first name tells
    him the company does not know him, in the very line that pretends it does.

    Example: customer {"first_name": "Robert", "preferred_name": "Bob"}: "Hi Robert,".

    Fix: address them the way the record says ("Hi Bob,"), or with no name ("Hello,").
    The rewrite does this.
    """
    customer = message.customer
    known = known_name_forms(customer) if customer is not None else None
    for part, salutation in _name_hits(message, known):
        name = normalize_name(salutation.name)
        if customer is None:
            if not salutation.from_data and name in SAMPLE_NAMES:
                yield _wrong(
                    part, salutation, f"'{salutation.name}' is a sample name left in the template", None
                )
            continue
        if customer.anonymous:
            yield _wrong(
                part, salutation, "this record is anonymous, yet the message addresses a named person", None
            )
        elif customer.address_as != AddressAs.NONE and name not in known:  # type: ignore[operator]
            yield _wrong(
                part, salutation, _not_theirs(salutation.name, customer), preferred_address(customer)
            )
        elif (
            customer.address_as == AddressAs.FIRST_NAME
            and customer.preferred_name
            and name not in accepted_forms(customer)
        ):
            yield _wrong(
                part,
                salutation,
                f"'{salutation.name}' is not what this customer goes by; they use '{customer.preferred_name}'",
                customer.preferred_name,
            )
        elif customer.address_as != AddressAs.NONE and _bare_surname(name, customer):
            yield _wrong(
                part,
                salutation,
                f"'{salutation.name}' is this customer's last name where their first name or a title belongs",
                preferred_address(customer),
            )
    if customer is not None and known is not None and not customer.anonymous:
        yield from _wrong_vocatives(message, customer, known)


def _bare_surname(name: str, customer: Customer) -> bool:
    """ "Dear Hastings," to a customer addressed formally: the last name alone, with no
    title, is not the formal form ("Dear Mr. Hastings") nor a first name (unless it is
    also their first or preferred name). To a customer on first-name terms, a surname
    alone is judged above: wrong against a preferred name only."""
    if customer.address_as != AddressAs.FORMAL:
        return False
    if not customer.last_name or name != normalize_name(customer.last_name):
        return False
    return name not in {normalize_name(n) for n in (customer.first_name, customer.preferred_name) if n}


def _wrong_vocatives(message: Message, customer: Customer, known: set[str]) -> Iterator[Hit]:
    if customer.address_as == AddressAs.NONE:
        return
    for part, start, end in _vocative_names(message):
        name = part.text[start:end]
        if normalize_name(name) not in known:
            yield Hit(_not_theirs(name, customer), part.name, start, end, fix=preferred_address(customer))


def _not_theirs(name: str, customer: Customer) -> str:
    goes_by = preferred_address(customer)
    tail = f"; they go by '{goes_by}'" if goes_by else ""
    return f"'{name}' is not a name this customer uses{tail}"


def _wrong(part: Part, salutation: Salutation, why: str, replacement: str | None) -> Hit:
    if replacement:
        return Hit(why, part.name, salutation.name_start, salutation.name_end, fix=replacement)
    # No name to use: drop it and the space before it ("Hi Jane Doe," -> "Hello,").
    return Hit(why, part.name, salutation.start, salutation.name_end, fix="Hello")


@rule("SG102", "unwanted-familiarity", Action.REWRITE)
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
        for part, start, end in spans(message, "FAKE_INTIMACY"):
            if _reported_not_asked(part, start):
                continue
            cut_start, cut_end, replacement = _small_talk_span(part, start)
            yield Hit(
                f"'{part.text[start:end]}' is small talk an automated message cannot mean",
                part.name,
                cut_start,
                cut_end,
                fix=replacement,
            )


def _reported_not_asked(part: Part, start: int) -> bool:
    """ "Your community wants to know how things are going" reports what someone else
    wants to know; "Just checking how things are going" asks the reader."""
    sentence_start, _ = part.analysis.sentence_at(start)
    return bool(_REPORTED_QUESTION.search(part.text, sentence_start, start))


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


@rule("SG103", "broken-merge", Action.BLOCK)
def find_broken_merge(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """A merge field that did not merge: missing, empty, or a placeholder.

    Catches: a variable the data lacks or that is null (SES fails to render it, or it
    reads "Hi ,"); "Dear {{first_name}}" printed as is; merge tags of other tools
    ("*|FNAME|*", "%%First_Name%%", "${name}", "{name}"); bracketed scaffolding shaped
    like a variable ("[First Name]", "[FNAME]", "[Product Name]", "[email address]");
    placeholder values such as "null", "undefined", "NaN". A bracketed list or brand tag
    ("[Lobsters] Reset your password") is not scaffolding (linters/data/placeholders.json).

    Why it hurts: nothing says "you are a row in a spreadsheet" like "Hi null".

    Example: "Dear *|FNAME|*, your order has shipped."

    Fix: give every variable a value or a fallback branch
    ("{{#if first_name}}Hi {{first_name}},{{else}}Hello,{{/if}}"), and replace the
    scaffolding before the template ships. Blocked: there is no safe guess.
    """
    for part in message.readable():
        seen: set[tuple[int, int]] = set()
        for hit in _broken_in(part):
            if (hit.start, hit.end) not in seen:
                seen.add((hit.start, hit.end))
                yield hit


def _broken_in(part: Part) -> Iterator[Hit]:
    for value in part.values:
        if value.missing:
            why = (
                f"is {value.problem} in the data, not text: it cannot be printed as it stands"
                if value.problem
                else "has no value in the data"
            )
            yield Hit(f"{{{{{value.path}}}}} {why}", part.name, value.start, value.end)
        elif part.text[value.start : value.end].strip().lower() in PLACEHOLDER_VALUES:
            yield Hit(
                f"{{{{{value.path}}}}} is the placeholder '{part.text[value.start : value.end]}'",
                part.name,
                value.start,
                value.end,
            )
    tags = unrendered().finditer(part.text) if may_hold_tag(part.text) else ()
    for match in tags:
        if part.name == "subject" and is_subject_tag(part.text, match.start(), match.end()):
            continue
        yield Hit(
            f"'{match.group()}' is an unfilled merge tag or placeholder",
            part.name,
            match.start(),
            match.end(),
        )
    for salutation in salutations(part):
        if _EMPTY_NAME_AFTER_GREETING.match(part.text, salutation.greeting_end):
            yield Hit(
                "the name in this greeting is empty", part.name, salutation.start, salutation.greeting_end
            )
        placeholder = _PLACEHOLDER_AFTER_GREETING.match(part.text, salutation.greeting_end)
        if placeholder:
            yield Hit("the name in this greeting is a placeholder value", part.name, *placeholder.span())
    text = part.text
    placeholders = _PLACEHOLDER_WORD.finditer(text) if "NaN" in text or "[object" in text else ()
    for match in placeholders:
        if part.value_at(match.start(), match.end()) is None:
            yield Hit(f"'{match.group()}' is a placeholder value", part.name, match.start(), match.end())


# ------------------------------------------------------------------------------ SG104
# Occasion greetings (OCCASION_GREETING) are matched from linters/data/occasions.json.


class OccasionSettings(Settings):
    formal_is_unwanted: bool = Field(
        True,
        description="a customer addressed formally (address_as formal or none) gets no occasion greeting",
    )


@rule("SG104", "unwanted-occasion", Action.BLOCK, OccasionSettings)
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
    `linters/data/occasions.json`.

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
    greetings = list(spans(message, "OCCASION_GREETING"))
    # The record is read only when the text greets an occasion: the campaign path shares
    # a verdict between recipients who differ only in fields no rule read.
    if customer is None or not greetings:
        return
    why = _occasion_unwanted(customer, settings)
    if why is None:
        return
    for part, start, end in greetings:
        if _the_business_celebrates(part.text, start, end):
            continue
        yield Hit(f"'{part.text[start:end]}' greets a personal occasion, but {why}", part.name, start, end)


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
# Patterns read in fixed-width windows that may cut a word in two: the campaign path's
# stand-ins keep these words at the edge of a value (linters/recipient_classes.py).
WINDOW_PATTERNS = (_OURS_BEFORE, _TO_US_AFTER)
WINDOW_LABELS = ("OCCASION_GREETING",)  # the spans those windows are taken around


def _the_business_celebrates(text: str, start: int, end: int) -> bool:
    """ "Our 10th anniversary", "happy birthday to us": the sender's own occasion."""
    return bool(
        _OURS_BEFORE.search(text[max(0, start - 24) : start]) or _TO_US_AFTER.match(text[end : end + 24])
    )


# --------------------------------------------------------------- template-time checks

# A greeting right before a merge tag: the tag prints a name.
# All kinds: "Welcome back, {{first_name}}" prints the name as surely as "Hi {{first_name}}".
# Every language: "Hola {{first_name}}" too.
_GREETING_BEFORE = re.compile(
    r"(?i)(?:^|[\s>(])(?:" + greeting_pattern(*GREETING_KINDS, language=ALL_LANGUAGES) + r")[ \t]*,?[ \t]*$"
)


@lint_check("SG102")
def lint_small_talk(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """Small talk in an automated marketing template."""
    if not (part.marketing and part.automated):
        return
    for item, start, end, said in lint.spans(part.items, "FAKE_INTIMACY"):
        yield lint.hit("SG102", f"'{said}' is small talk an automated message cannot mean", item, start, end)


@lint_check("SG103")
def lint_broken_merge(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """Another tool's merge tags or scaffolding, and a greeting that prints an optional
    name with no fallback."""
    previous_text = ""
    for position, item in enumerate(part.items):
        segment = item.segment
        for match in foreign_tags().finditer(segment.text):
            # As at send time: "[Product] New export options" opens with a list or
            # brand tag. Only the subject's first segment can open it.
            if part.subject and position == 0 and is_subject_tag(segment.text, match.start(), match.end()):
                continue
            yield lint.hit(
                "SG103",
                f"'{match.group()}' is scaffolding or another tool's merge tag; SES prints it as it is",
                item,
                match.start(),
                match.end(),
            )
        for index, variable in segment.variables.items():
            before = segment.text[:index] or previous_text
            if _unguarded_greeting(variable, before, segment.conditions, part.settings.optional_name_fields):
                yield lint.hit(
                    "SG103",
                    f"greeting prints {{{{{variable.path}}}}} with no fallback; wrap it in "
                    f"{{{{#if {variable.path}}}}}...{{{{else}}}}...{{{{/if}}}}",
                    item,
                    index,
                    index + 1,
                )
        previous_text = segment.text


def _unguarded_greeting(
    variable: Mustache, before: str, conditions: tuple[Condition, ...], name_fields: list[str]
) -> bool:
    if not lint.path_matches(variable.path, name_fields):
        return False
    if not _GREETING_BEFORE.search(before.replace(PLACEHOLDER, " ")[-40:]):
        return False
    return not any(c.truthy and c.path == variable.path for c in conditions)
