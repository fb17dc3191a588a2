"""What the company has stored about a recipient, read for one request.

The guard, a reviewer's release and ``POST /check/stored`` all judge a request with the
stored customer record and the contact ledger merged in; ``linters.precedence`` says
how, and this module only reads the tables. A stored fact is never skipped because the
request carries something of its own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from functions import ledger
from linters.models import RequestError, SendRequest
from linters.precedence import customer_id_of, with_stored_facts


def read_stored_facts(
    request: SendRequest, moment: datetime, customers: Any | None, contacts: Any | None
) -> SendRequest:
    """``request`` with the stored customer (``customers`` table) and the ledger's
    contacts and events (``contacts`` table) merged in; a table that is None is not read.

    A ``customer_id`` with no stored record and no inline record is refused (the
    request names someone the company does not know)."""
    customer_id = customer_id_of(request)
    stored = ledger.get_customer(customers, customer_id) if customers is not None and customer_id else None
    if stored is None and request.customer is None and request.customer_id is not None:
        raise RequestError("customer_id", f"no customer record for {request.customer_id!r}")
    # The customer's own rows too: contacts recorded by customer (a rep's call) count
    # toward this address's caps, pile-ups and cooldowns.
    history, events = (
        ledger.read_recent(contacts, request.to, moment, customer_id=customer_id)
        if contacts is not None
        else ([], [])
    )
    return with_stored_facts(request, stored, history, events)
