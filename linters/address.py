"""How a message addresses its reader: salutations, the names in them, and the
forms of address a customer record allows."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from linters.message import Part
from linters.models import AddressAs, Customer

# "Hi Ana," / "Dear Dr. Okafor:" / "Welcome back, Sam!" at the start of a line.
_SALUTATION = re.compile(
    r"(?im)^[ \t>]*(?P<greeting>hi|hello|hey|hiya|howdy|yo|dear|greetings|"
    r"good (?:morning|afternoon|evening)|welcome(?: back)?)\b"
    r"(?P<gap>[ \t]*,?[ \t]*)(?P<name>[^\n,!.:;?()]{0,60}?(?:\b(?:Mr|Mrs|Ms|Dr|Mx|Prof|St|Jr|Sr)\.[^\n,!:;?()]{0,40}?)?)"
    r"[ \t]*(?=[,!.:;?\n\u2014-]|$)"
)
CASUAL_GREETINGS = frozenset({"hey", "hiya", "yo", "howdy"})
NAME_FIELDS = frozenset(
    {
        "first_name",
        "firstname",
        "fname",
        "given_name",
        "preferred_name",
        "name",
        "full_name",
        "fullname",
        "customer_name",
        "last_name",
        "lastname",
        "surname",
        "display_name",
        "nickname",
    }
)
GENERIC_ADDRESSEES = frozenset(
    {
        "current resident",
        "resident",
        "occupant",
        "current occupant",
        "the occupant",
        "valued customer",
        "customer",
        "dear customer",
        "valued member",
        "member",
        "friend",
        "friends",
        "there",
        "all",
        "everyone",
        "everybody",
        "folks",
        "team",
        "sir",
        "madam",
        "sir or madam",
        "sir/madam",
        "homeowner",
        "neighbor",
        "neighbour",
        "subscriber",
        "user",
        "shopper",
        "valued shopper",
        "valued client",
        "client",
        "guest",
        "valued guest",
        "patient",
        "valued patient",
        "to whom it may concern",
    }
)
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


@lru_cache(maxsize=65536)
def normalize_name(name: str) -> str:
    """Case, spacing and title dots do not make a different name: 'Dr Okafor' == 'dr. okafor'."""
    words = [w.strip(".").casefold() for w in name.replace("\u00a0", " ").split()]
    return " ".join(w for w in words if w)


def is_generic(name: str) -> bool:
    return normalize_name(name) in GENERIC_ADDRESSEES or normalize_name(name).startswith("valued ")


def looks_like_name(name: str) -> bool:
    words = name.split()
    if not words or len(words) > 4:
        return False
    return all(w[:1].isupper() or _TITLE_WORD.match(w) for w in words)


def salutations(part: Part) -> list[Salutation]:
    """Every salutation in ``part``; the name is empty when none follows the greeting."""
    found = part.memo.get("salutations")
    if found is None:
        found = part.memo["salutations"] = list(_find_salutations(part))
    return found  # type: ignore[return-value]


_GREETING_WORDS = ("hi", "hello", "hey", "hiya", "howdy", "yo", "dear", "greetings", "good", "welcome")


def _greeting_lines(text: str) -> Iterator[int]:
    """Offsets of the lines that start with a greeting word; the regex runs on these only."""
    at = 0
    for line in text.split("\n"):
        if line.lstrip(" \t>")[:9].lower().startswith(_GREETING_WORDS):
            yield at
        at += len(line) + 1


def _find_salutations(part: Part) -> Iterator[Salutation]:
    matches = (_SALUTATION.match(part.text, at) for at in _greeting_lines(part.text))
    for match in filter(None, matches):
        name = match.group("name").strip()
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
        if (
            not value.missing
            and value.end > value.start
            and value.path.rsplit(".", 1)[-1].lower() in NAME_FIELDS
        ):
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
    """Forms that are this person's own, whether or not they like being called by them."""
    parts = [customer.first_name, customer.preferred_name, customer.last_name]
    return accepted_forms(customer) | {normalize_name(p) for p in parts if p} | formal_forms(customer)


def preferred_address(customer: Customer) -> str | None:
    """What to call the person in a rewrite, or None for no name at all."""
    if customer.address_as == AddressAs.NONE or customer.anonymous:
        return None
    if customer.address_as == AddressAs.FORMAL:
        return formal_form(customer)
    return customer.addressed_name or formal_form(customer)
