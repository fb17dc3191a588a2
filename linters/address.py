"""How a message addresses its reader: salutations, the names in them, and the
forms of address a customer record allows."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache

from .message import Part
from .models import AddressAs, Customer
from .vocabulary import load, words

# Greeting words by language and kind, from linters/data/greetings.json (a language is
# a top-level key there). Every greeting test in the engine builds from these, picking
# its kinds: the salutations here, SG103's lint, SG607, the rewrite, normalisation.
# Those outside this module read English only (the default language); the salutations
# here (SG101-SG104) and SG103's lint read every language (``ALL_LANGUAGES``).
GREETING_LANGUAGE = "en"
ALL_LANGUAGES = "all"
GREETING_KINDS = ("casual", "neutral", "formal", "time_of_day", "welcome")


@cache
def greeting_languages() -> tuple[str, ...]:
    """The languages of linters/data/greetings.json, English first."""
    found = [key for key in load("greetings") if not key.startswith("_")]
    return tuple(sorted(found, key=lambda lang: (lang != GREETING_LANGUAGE, lang)))


@cache
def greeting_words(*kinds: str, language: str = GREETING_LANGUAGE) -> tuple[str, ...]:
    """The lower-case greetings of ``kinds`` ("good morning" is one greeting), in file
    order, of one language ("en" unless told) or of every one (``ALL_LANGUAGES``)."""
    data = load("greetings")
    languages = greeting_languages() if language == ALL_LANGUAGES else (language,)
    return tuple(
        dict.fromkeys(
            unicodedata.normalize("NFC", word)
            for lang in languages
            for kind in kinds
            for word in data[lang].get(kind, ())
        )
    )


@cache
def greeting_pattern(*kinds: str, language: str = GREETING_LANGUAGE) -> str:
    """A regex alternation (no group) of the greetings of ``kinds``, longest first, so
    "welcome back" is tried before "welcome". Compile it once, at import."""
    found = sorted(greeting_words(*kinds, language=language), key=lambda w: (-len(w), w))
    return "|".join(re.escape(w) for w in found)


# Symbols that end a name ("Hey Maria 👋", "Hi Sam 🎉!", "Hello Priya 🙂,"): the emoji and
# symbol blocks, variation selectors, the zero-width joiner, the keycap and the tag
# characters. Not the letterlike symbols (U+2100-U+218F): under IGNORECASE the Kelvin
# sign is a "k" and the Ohm sign an omega. Within the regex only; ``_name_before_symbol`` ends a name at any
# character of the Unicode symbol categories (So, Sk, Sm) the blocks leave out.
_SYMBOL = (
    "\u00a9\u00ae\u200d\u20e3\u2122\u2139\u2190-\u2bff\u3030\u303d\ufe00-\ufe0f"
    "\U0001f000-\U0001faff\U000e0020-\U000e007f"
)
_SYMBOL_CATEGORIES = frozenset({"So", "Sk", "Sm"})

# "Hi Ana," / "Dear Dr. Okafor:" / "Welcome back, Sam!" / "Hola José," at the start of
# a line. All kinds of every language: any greeting, "Welcome back" too, opens a line
# that may name the reader.
_SALUTATION = re.compile(
    r"(?im)^[ \t>]*(?P<greeting>" + greeting_pattern(*GREETING_KINDS, language=ALL_LANGUAGES) + r")\b"
    r"(?P<gap>[ \t]*,?[ \t]*)(?P<name>[^\n,!.:;?()" + _SYMBOL + r"]{0,60}?"
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Mx|Prof|St|Jr|Sr)\.[^\n,!:;?()" + _SYMBOL + r"]{0,40}?)?)"
    # A hyphen ends the name only as a dash ("Hi Ana - ..."), never inside one ("Jamie-Lee").
    # A symbol ends it too ("Hey Maria 👋").
    r"[ \t]*(?=[,!.:;?\n\u2014" + _SYMBOL + r"]|-(?!\w)|$)"
)
# Too familiar for a customer addressed formally (SG102): the "casual" kind, every language.
CASUAL_GREETINGS = frozenset(greeting_words("casual", language=ALL_LANGUAGES))
_VOCABULARY = load("address")
# Data fields whose value is a name: a value from one of these is a name wherever it lands.
NAME_FIELDS = frozenset(_VOCABULARY["name_fields"])
# Salutations that name nobody ("Dear Customer", "Hi there").
# Forms of address that name nobody: one list in address.json's three classes, which
# SG301's GENERIC_ADDRESSEE phrases (pressure.json) read too.
GENERIC_ADDRESSEES = frozenset(
    word for name in ("addressees_alone", "addressees_after_dear", "addressees_in_greetings") for word in words(name)
)
# Words of address that are not someone's name, though some name lists carry them ("Hey Buddy").
ADDRESS_NOUNS = frozenset(_VOCABULARY["address_nouns"])
# Names left in a template from a sample ("Dear John Doe", "Hi First Name").
SAMPLE_NAMES = frozenset(_VOCABULARY["sample_names"])
_TITLE_WORD = re.compile(r"^(mr|mrs|ms|miss|mx|dr|prof|professor|rev)\.?$", re.I)


@dataclass(frozen=True, slots=True)
class Salutation:
    """A greeting and the name after it, as spans of one part's text."""

    part: str
    start: int
    greeting: str
    greeting_end: int
    name: str
    name_start: int
    name_end: int
    from_data: bool

    @property
    def end(self) -> int:
        return self.name_end if self.name else self.greeting_end


def normalize_name(name: str) -> str:
    """Case, spacing and title dots do not make a different name: 'Dr Okafor' == 'dr. okafor'."""
    if name.isalpha():  # one word of letters (most names): no spaces or dots to remove
        return name.casefold()
    return _normalize_words(name)


# A campaign's names: its first ten thousand fill it, then memory stays flat.
@lru_cache(maxsize=8192)
def _normalize_words(name: str) -> str:
    words = [w.strip(".").casefold() for w in name.replace("\u00a0", " ").split()]
    return " ".join(w for w in words if w)


def is_generic(name: str) -> bool:
    return normalize_name(name) in GENERIC_ADDRESSEES or normalize_name(name).startswith("valued ")


def looks_like_name(name: str) -> bool:
    words = name.split()
    if not words or len(words) > 4:
        return False
    return all(w[:1].isupper() or _TITLE_WORD.match(w) for w in words)


@cache
def given_names() -> frozenset[str]:
    """Case-folded given names (linters/data/given_names.json), read once per process."""
    return frozenset(name.casefold() for name in load("given_names")["names"])


def can_be_person_name(name: str) -> bool:
    """Whether a name typed into a greeting can be a person's name.

    A title with a surname ("Dr. Okafor") is one; otherwise the first word must be a
    given name. A word in capitals ("HEY GIRL", "HEY MATE"), a word of address
    ("Hey Buddy") or a noun ("Hello Acme Zealot!") is not.
    """
    words = name.replace("\u00a0", " ").split()
    if not words:
        return False
    if _TITLE_WORD.match(words[0]):
        return len(words) > 1
    first = words[0].strip(".,'\u2019")
    if len(first) > 1 and first.isupper():
        return False
    key = unicodedata.normalize("NFC", first).casefold()
    if key in ADDRESS_NOUNS:
        return False
    keys = (key, key.split("-")[0])
    if not key.isascii():  # "Loïc" where the list has "Loic" only
        keys += tuple(_without_accents(k) for k in keys)
    return any(k in given_names() for k in keys)


def _without_accents(word: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", word) if not unicodedata.combining(c))


# A field of a notice or a receipt: "Name: YubiKey 5C", "Device name: Pixel 8",
# "- Account name: Household", "Shared account updated. Account name: Household". The
# label, up to four words, opens its line or follows the end of a sentence on it; a
# greeting does not open it ("Dear Customer Name:" is a salutation).
_FIELD_LABEL = re.compile(
    r"(?:^|[.!?|\u00b7\u2022\u2014][ \t]+)[ \t>*\u2022\u00b7-]*"
    r"(?P<label>[^\W\d_][\w'\u2019-]*(?:[ \t]+[\w'\u2019()/#-]+){0,3})[ \t]*:[ \t]*$"
)
# What may follow a field's value on its line: nothing, or the end of the field.
_FIELD_END = re.compile(r"[ \t]*(?:[.;|\u00b7\u2022\u2014\r\n]|\Z)")


def is_field_value(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is the value of a ``<label>: <value>`` field of a notice
    ("Device name: Pixel 8"), not a word addressed to the reader. Only the end of the
    field may follow the value on its line ("Name: Meg is who we'll ask for" is a sentence)."""
    line_start = text.rfind("\n", 0, start) + 1
    if not _FIELD_END.match(text, end):
        return False
    label = _FIELD_LABEL.search(text[line_start:start])
    if label is None:
        return False
    first = label.group("label").split()[0].lower()
    return first not in _GREETING_WORDS


def names_a_person(
    part: Part, salutation: Salutation, customer: Customer | None, known: set[str] | None = None
) -> bool:
    """Whether the name in ``salutation`` is meant as the name of a person.

    A value from a name field is, whatever it holds; so is a form of the customer's own
    name and a sample name left in a template. Anything else must look like a person's
    name (``can_be_person_name``): "Hey Riverside Tool Library" from a collective's
    name field addresses an organisation, not a wrongly named customer.
    """
    name = normalize_name(salutation.name)
    if not name:
        return False
    if customer is not None and known is None:
        known = known_name_forms(customer)
    if name in SAMPLE_NAMES or (known is not None and name in known):
        return True
    if any(
        v.start < salutation.name_end and salutation.name_start < v.end and _is_name_field(v.path)
        for v in part.values
    ):
        return True
    return can_be_person_name(salutation.name)


@lru_cache(maxsize=1024)
def _is_name_field(path: str) -> bool:
    return path.rsplit(".", 1)[-1].lower() in NAME_FIELDS


def salutations(part: Part) -> list[Salutation]:
    """Every salutation in ``part``; the name is empty when none follows the greeting."""
    found = part.memo.get("salutations")
    if found is None:
        found = part.memo["salutations"] = list(_find_salutations(part))
    return found  # type: ignore[return-value]


# The first word of every salutation greeting ("good" for "good morning"): the cheap
# test ``_greeting_lines`` makes before the regex; it reads the first
# ``_GREETING_WORD_CHARS`` characters of a line.
_GREETING_WORDS = tuple(
    dict.fromkeys(g.split()[0] for g in greeting_words(*GREETING_KINDS, language=ALL_LANGUAGES))
)
_GREETING_WORD_CHARS = max(map(len, _GREETING_WORDS))


# A line that may start with a greeting word: its first letter (after spaces and quote
# marks) is the first of one, or is not ASCII (its lower case may be). A prefilter only:
# ``_greeting_lines`` tests each line it finds as before. The pattern after a line break
# starts with a literal "\n", which the regex engine finds by a fast scan; ``^`` with
# MULTILINE would be tried at every character.
_FIRST_LETTERS = "".join(sorted({w[0] for w in _GREETING_WORDS}))
_MAYBE_GREETING_START = (
    r"[ \t>]*(?:[" + re.escape(_FIRST_LETTERS + _FIRST_LETTERS.upper()) + r"]|[^\x00-\x7f])"
)
_MAYBE_GREETING_FIRST_LINE = re.compile(_MAYBE_GREETING_START)
_MAYBE_GREETING_LINE = re.compile("\n" + _MAYBE_GREETING_START)


def _maybe_greeting_lines(text: str) -> Iterator[int]:
    """Offsets of the lines the prefilter lets through, in order (``^`` under MULTILINE:
    the start of the text and every position after a line break)."""
    if _MAYBE_GREETING_FIRST_LINE.match(text):
        yield 0
    for candidate in _MAYBE_GREETING_LINE.finditer(text):
        yield candidate.start() + 1


def _greeting_lines(text: str) -> Iterator[int]:
    """Offsets of the lines that start with a greeting word; the regex runs on these only."""
    for at in _maybe_greeting_lines(text):
        end = text.find("\n", at)
        line = text[at:] if end < 0 else text[at:end]
        if line.lstrip(" \t>")[:_GREETING_WORD_CHARS].lower().startswith(_GREETING_WORDS):
            yield at


def _name_before_symbol(name: str) -> str:
    """``name`` up to its first symbol (Unicode So, Sk, Sm: "Sam 🎉", "Ana ✨", "Ben +"),
    the blocks the regex stops at aside."""
    if name.isascii() and name.replace(" ", "").replace("-", "").replace("'", "").isalnum():
        return name
    for at, char in enumerate(name):
        if unicodedata.category(char) in _SYMBOL_CATEGORIES:
            return name[:at]
    return name


def _find_salutations(part: Part) -> Iterator[Salutation]:
    matches = (_SALUTATION.match(part.text, at) for at in _greeting_lines(part.text))
    for match in filter(None, matches):
        name = _name_before_symbol(match.group("name")).strip()
        name_start = match.start("name") + (len(match.group("name")) - len(match.group("name").lstrip()))
        name_end = name_start + len(name)
        value = part.value_at(name_start, name_end) if name else None
        from_data = value is not None or any(
            v.start >= name_start and v.end <= name_end and v.end > v.start for v in part.values
        )
        if name and not from_data and not looks_like_name(name):
            name, name_end = "", name_start
        yield Salutation(
            part.name,
            match.start("greeting"),
            match.group("greeting"),
            match.end("greeting"),
            name,
            name_start,
            name_end,
            from_data,
        )


def name_values(part: Part) -> Iterator[tuple[int, int]]:
    """Spans of the text that came from a name field (``{{first_name}}``, ``{{customer.name}}``)."""
    for value in part.values:
        if not value.missing and value.end > value.start and _is_name_field(value.path):
            yield value.start, value.end


def formal_form(customer: Customer) -> str | None:
    """'Dr. Okafor': the title and last name, when both are known."""
    if customer.title and customer.last_name:
        title = customer.title.strip()
        if title.lower().rstrip(".") in {"mr", "mrs", "ms", "dr", "mx", "prof", "rev"} and not title.endswith(
            "."
        ):
            title += "."
        return f"{title} {customer.last_name.strip()}"
    return None


def familiar_forms(customer: Customer) -> set[str]:
    """The first-name forms the person uses (normalized): preferred name, else first name."""
    name = customer.addressed_name
    return {normalize_name(name)} if name else set()


def formal_forms(customer: Customer) -> set[str]:
    forms: set[str] = set()
    first, last, title = customer.first_name, customer.last_name, customer.title
    if title and last:
        forms.add(normalize_name(f"{title} {last}"))
        if first:
            forms.add(normalize_name(f"{title} {first} {last}"))
    if first and last:
        forms.add(normalize_name(f"{first} {last}"))
        if customer.preferred_name:
            forms.add(normalize_name(f"{customer.preferred_name} {last}"))
    return forms


def accepted_forms(customer: Customer) -> set[str]:
    """Every form of address this customer accepts (normalized)."""
    if customer.address_as == AddressAs.NONE:
        return set()
    if customer.address_as == AddressAs.FORMAL:
        return formal_forms(customer)
    return familiar_forms(customer) | formal_forms(customer)


def known_name_forms(customer: Customer) -> set[str]:
    """Forms that are this person's own, whether or not they like being called by them:
    every form they accept (``accepted_forms``: the familiar form is their preferred or
    first name, the rest formal forms), their names one by one and the formal forms."""
    parts = [customer.first_name, customer.preferred_name, customer.last_name]
    return {normalize_name(p) for p in parts if p} | formal_forms(customer)


def preferred_address(customer: Customer) -> str | None:
    """What to call the person in a rewrite, or None for no name at all."""
    if customer.address_as == AddressAs.NONE or customer.anonymous:
        return None
    if customer.address_as == AddressAs.FORMAL:
        return formal_form(customer)
    return customer.addressed_name or formal_form(customer)
