"""SG101 wrong-name: Addresses the recipient by a name that is not one they use."""

from __future__ import annotations

from collections.abc import Iterator

from ...address import (
    SAMPLE_NAMES,
    Salutation,
    accepted_forms,
    is_generic,
    known_name_forms,
    names_a_person,
    normalize_name,
    preferred_address,
    salutations,
)
from ...findings import Action, Hit
from ...message import Message, Part
from ...models import AddressAs, Customer
from ...registry import NoSettings, rule
from ._shared import _vocative_names


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


@rule("SG101", "wrong-name", Action.REWRITE, reads=("text", "values", "customer"))
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
