"""Stored facts against what a request carries: a request can add facts, never hide them.

At send time (the guard), at a reviewer's release and in ``POST /check/stored``, the
engine judges a request together with what the company has stored about the recipient:
the customer record (CUSTOMERS_TABLE) and the contact ledger (LEDGER_TABLE). A send
request may carry its own ``customer``, ``history`` and ``events``; producers do, for
good reasons (a trigger carries the event that fired it). None of that may switch a
stored fact off. The precedence, field by field (docs/security.md repeats it and
tests/test_stored_facts.py checks every line):

- ``history`` and ``events``: the stored ones **and** the request's (the same contact
  or event in both counts once).
- ``consent.*``: the stricter of stored and inline: ``false`` over ``null`` (not given)
  over ``true``. With no stored record, the inline record is all there is.
- ``unsubscribed``: both lists together.
- ``anonymous``: true when either says so.
- ``address_as``: the more formal: ``none`` over ``formal`` over ``first_name``.
- every other field: the stored value where the stored record has one; the inline
  value only fills a field the stored record leaves empty.
- marketing with no customer record at all, stored or inline, is judged against an
  empty record: no consent was given, so SG602 stops it (under ``consent_mode =
  "opt_out"`` email and push marketing need no consent, as that mode says).

Only pure functions here; ``functions.facts`` reads the tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from .models import AddressAs, Consent, Customer, Purpose, RequestError, SendRequest

# Stricter last: the merge keeps the later of the two in this order.
_CONSENT_ORDER: dict[bool | None, int] = {True: 0, None: 1, False: 2}
_ADDRESS_ORDER = {AddressAs.FIRST_NAME: 0, AddressAs.FORMAL: 1, AddressAs.NONE: 2}
_STRICTER_FIELDS = frozenset({"consent", "unsubscribed", "anonymous", "address_as"})

Fact = TypeVar("Fact", bound=BaseModel)


def customer_id_of(request: SendRequest) -> str | None:
    """The id to look the stored record up by; refuses a request naming two customers."""
    inline = request.customer.customer_id if request.customer is not None else None
    if request.customer_id and inline and request.customer_id != inline:
        raise RequestError(
            "customer.customer_id",
            f"names customer {inline!r} while customer_id names {request.customer_id!r}",
        )
    return request.customer_id or inline


def stricter_consent(stored: Consent, inline: Consent) -> Consent:
    fields = {
        name: max(getattr(stored, name), getattr(inline, name), key=_CONSENT_ORDER.__getitem__)
        for name in Consent.model_fields
    }
    return Consent(**fields)


def _is_empty(value: Any) -> bool:
    return value is None or value == [] or value == {}


def merge_customer(stored: Customer | None, inline: Customer | None) -> Customer | None:
    """One customer record from the stored one and the request's (precedence above)."""
    if stored is None or inline is None:
        return stored if inline is None else inline
    fields: dict[str, Any] = {}
    for name in Customer.model_fields:
        if name in _STRICTER_FIELDS:
            continue
        kept = getattr(stored, name)
        fields[name] = getattr(inline, name) if _is_empty(kept) else kept
    fields["consent"] = stricter_consent(stored.consent, inline.consent)
    fields["unsubscribed"] = list(dict.fromkeys([*stored.unsubscribed, *inline.unsubscribed]))
    fields["anonymous"] = stored.anonymous or inline.anonymous
    fields["address_as"] = max(stored.address_as, inline.address_as, key=_ADDRESS_ORDER.__getitem__)
    return Customer.model_validate(fields)


def union(stored: Sequence[Fact], carried: Sequence[Fact] | None) -> list[Fact]:
    """Every stored fact, then those the request adds; one that is in both counts once."""
    seen = {fact.model_dump_json() for fact in stored}
    added = [fact for fact in carried or () if fact.model_dump_json() not in seen]
    return [*stored, *added]


def with_stored_facts(
    request: SendRequest,
    stored_customer: Customer | None,
    history: Sequence[Any],
    events: Sequence[Any],
) -> SendRequest:
    """``request`` as it is judged at send time: stored facts merged with what it carries."""
    customer = merge_customer(stored_customer, request.customer)
    if customer is None and request.purpose == Purpose.MARKETING:
        customer = Customer()  # nothing known, so no consent either
    return request.model_copy(
        update={
            "customer": customer,
            "history": union(history, request.history),
            "events": union(events, request.events),
        }
    )
