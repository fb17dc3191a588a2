"""The contact ledger, customers and decisions tables: one place for their item layout.

Ledger (LEDGER_TABLE): pk ``recipient`` (the ``to`` address, lower-cased, or the E.164
number), sk ``at`` = ISO-8601 UTC time + "#" + a unique suffix. Attributes: ``kind``
("contact" or "event"), ``record`` (the Contact or Event model as JSON), ``ttl``
(epoch seconds, LEDGER_DAYS after ``at``; DynamoDB expires old rows, moto never does).
Suppression events (an unsubscribe, a complaint, a permanent bounce) have no ``ttl``:
they are kept for good, and ``read_recent`` returns them however old they are, so a
person who complained two years ago is still not sent marketing.

Contacts made outside the guard (POST /contacts: a rep's call, a postcard) are rows of
the same kind, kept under the address and under ``#customer#<customer_id>``
(``customer_key``), which every read of a request naming the customer adds; a row
``#record#<id>`` (sk ``#``, ``kind`` "record") holds the hash of the body each recorded
id came with (``record_contact``).

Customers (CUSTOMERS_TABLE): pk ``customer_id``; ``record`` = the Customer as JSON.

Decisions (DECISIONS_TABLE): pk ``id`` (the request id); ``decision``, ``findings``
and ``message`` as JSON, ``quarantined`` (bool), ``retry_at`` (ISO time of a hold, or
null), ``at``, ``ttl``. One row per request id: a later decision on the same request (a
held request judged again) replaces the row. Rows the guard writes also carry
``decision_id`` (the tag on the sent message), ``outcome`` (sent, held, quarantined),
``provider_id`` (SES / SNS message id) once sent, ``reason`` for a quarantine, and
``review_notice`` ("sent" or "failed"). An id conflict (the same request id with a
different payload) gets a row of its own, keyed ``<id>#conflict-<hash>``, with
``request_id`` and the conflicting ``body``.

Writes the guard may retry are idempotent: a contact's sort key can be fixed by the
caller (``suffix``), and a decision row is a whole-item put.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from linters.models import Contact, Customer, Event

# The SES email tag / SNS message attribute the guard puts on every message it sends;
# the feedback function calls a send without it unguarded.
DECISION_TAG = "sendguard-decision"

LEDGER_DAYS = 90


def recipient_key(to: str) -> str:
    if to.startswith(CUSTOMER_KEY_PREFIX):
        return to  # a customer's own rows (customer_key): ids keep their case
    return to.strip().lower()


# A person reached on several addresses is one customer: contacts recorded through
# POST /contacts with a customer_id are kept under this key too, and every decision on
# a request that names the customer reads it (``read_recent``), so a rep's call counts
# toward the cap of the next email. No address starts with "#customer#".
CUSTOMER_KEY_PREFIX = "#customer#"
# One row per recorded contact id (``record_contact``): the body it was recorded with.
RECORD_KEY_PREFIX = "#record#"


def customer_key(customer_id: str) -> str:
    return CUSTOMER_KEY_PREFIX + customer_id


def person_keys(to: str | None, customer_id: str | None) -> list[str]:
    """The ledger partitions of one person: the address, then the customer's own."""
    keys = [recipient_key(to)] if to else []
    if customer_id:
        keys.append(customer_key(customer_id))
    return list(dict.fromkeys(keys))


def _sort_key(at: datetime, suffix: str | None = None) -> str:
    return f"{at.astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%S.%fZ')}#{suffix or uuid.uuid4().hex[:8]}"


def _ttl(at: datetime, days: int = LEDGER_DAYS) -> int:
    return int((at + timedelta(days=days)).timestamp())


def put_contact(table: Any, to: str, contact: Contact, suffix: str | None = None) -> None:
    """One contact. With ``suffix`` (the guard passes its decision id) writing it again
    replaces the same row, so a retried write never counts a contact twice."""
    table.put_item(
        Item={
            "recipient": recipient_key(to),
            "at": _sort_key(contact.at, suffix),
            "kind": "contact",
            "record": contact.model_dump_json(),
            "ttl": _ttl(contact.at),
        }
    )


def is_suppression(event: Event) -> bool:
    """An event that stops contact until the person says otherwise: never expired."""
    if event.type == "bounce":
        return event.bounce_type == "permanent"
    return event.type in ("unsubscribe", "complaint")


def put_event(table: Any, to: str, event: Event) -> None:
    item: dict[str, Any] = {
        "recipient": recipient_key(to),
        "at": _sort_key(event.at),
        "kind": "event",
        "record": event.model_dump_json(),
    }
    if not is_suppression(event):
        item["ttl"] = _ttl(event.at)
    table.put_item(Item=item)


def _query(table: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item of a query, page by page."""
    items: list[dict[str, Any]] = []
    while True:
        page = table.query(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def read_recent(
    table: Any, to: str, now: datetime, days: int = LEDGER_DAYS, customer_id: str | None = None
) -> tuple[list[Contact], list[Event]]:
    """Contacts and events for ``to`` (and, with ``customer_id``, the customer's own
    rows: ``person_keys``) in the last ``days`` (rows from the future are kept: the rules
    decide what a future timestamp means), plus every older suppression event. A row
    kept under both keys (a recorded contact) counts once.

    Two queries a key: the window, then the rows before it filtered to events. Old
    contacts and other old events have expired (their ``ttl``), so the second query
    reads little more than the suppression rows it returns.
    """
    contacts: list[Contact] = []
    events: list[Event] = []
    seen: set[str] = set()
    for key in person_keys(to, customer_id):
        found, happened = _read_key(table, key, now, days, seen)
        contacts.extend(found)
        events.extend(happened)
    return contacts, events


def _read_key(
    table: Any, key: str, now: datetime, days: int, seen: set[str]
) -> tuple[list[Contact], list[Event]]:
    """``read_recent`` for one partition; ``seen`` holds the sort keys read already."""
    from boto3.dynamodb.conditions import Attr, Key

    since = (now - timedelta(days=days)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    recipient = Key("recipient").eq(key)
    contacts: list[Contact] = []
    events: list[Event] = []
    for item in _query(table, KeyConditionExpression=recipient & Key("at").gte(since)):
        if item["at"] in seen:
            continue
        seen.add(item["at"])
        if item.get("kind") == "event":
            events.append(Event.model_validate_json(item["record"]))
        elif item.get("kind", "contact") == "contact":
            contacts.append(Contact.model_validate_json(item["record"]))
    older = _query(
        table,
        KeyConditionExpression=recipient & Key("at").lt(since),
        FilterExpression=Attr("kind").eq("event"),
    )
    # Oldest first, like the window's rows; kept only when they still suppress.
    suppression = [e for e in (Event.model_validate_json(i["record"]) for i in older) if is_suppression(e)]
    return contacts, [*suppression, *events]


class RecordConflict(Exception):
    """A contact id recorded before with another body (POST /contacts answers 409)."""


def record_contact(table: Any, record_id: str, body_hash: str, keys: list[str], contact: Contact) -> bool:
    """Record a contact made outside the guard under each of ``keys``, once per id.

    A row ``#record#<id>`` keeps the hash of the body first recorded with the id, written
    only where none is: the same id again with the same body writes the contact rows
    again (the same keys: a retry after a failed write completes it, and counts once)
    and returns False; with another body it writes nothing and raises RecordConflict.
    True when recorded now. The rows' sort keys come from the id, so nothing here can
    count one contact twice."""
    marker = {
        "recipient": RECORD_KEY_PREFIX + record_id,
        "at": "#",
        "kind": "record",
        "body": body_hash,
        "ttl": _ttl(contact.at),
    }
    try:
        table.put_item(Item=marker, ConditionExpression="attribute_not_exists(recipient)")
        new = True
    except ClientError as exc:
        if not conditional_failed(exc):
            raise
        earlier = table.get_item(Key={"recipient": marker["recipient"], "at": "#"}, ConsistentRead=True)
        if earlier.get("Item", {}).get("body") != body_hash:
            raise RecordConflict(record_id) from None
        new = False
    suffix = "rec-" + hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:16]
    for key in keys:
        put_contact(table, key, contact, suffix=suffix)
    return new


def get_customer(table: Any, customer_id: str) -> Customer | None:
    item = table.get_item(Key={"customer_id": customer_id}).get("Item")
    return Customer.model_validate_json(item["record"]) if item else None


def put_customer(table: Any, customer: Customer) -> None:
    if not customer.customer_id:
        raise ValueError("customer_id: a stored customer needs an id")
    table.put_item(Item={"customer_id": customer.customer_id, "record": customer.model_dump_json()})


def decision_item(result: dict[str, Any], now: datetime, quarantined: bool, **extra: Any) -> dict[str, Any]:
    """The decisions-table row for a judged request (``extra``: the guard's fields)."""
    item = {
        "id": result["id"],
        "decision": result["decision"],
        "findings": json.dumps(result.get("findings", [])),
        "message": json.dumps(result.get("message", {})),
        "changes": json.dumps(result.get("changes", [])),
        "quarantined": quarantined,
        "retry_at": result.get("retry_at"),
        "at": now.astimezone(UTC).isoformat(),
        "ttl": _ttl(now, 365),
    }
    item.update({key: value for key, value in extra.items() if value is not None})
    return item


def conditional_failed(exc: ClientError) -> bool:
    """Whether a DynamoDB write was refused by its condition (not an outage)."""
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def put_new(table: Any, item: dict[str, Any]) -> bool:
    """Write ``item`` only where no row has its key; False when one had (left as it is)."""
    try:
        table.put_item(Item=item, ConditionExpression="attribute_not_exists(id)")
    except ClientError as exc:
        if conditional_failed(exc):
            return False
        raise
    return True


# Fields of an earlier decision of the same request that a later one must not inherit
# (a quarantine's reason on the row of the released message that was then sent).
_GUARD_ONLY_FIELDS = ("reason", "provider_id", "request_id", "body")


def write_decision(table: Any, row: dict[str, Any]) -> None:
    """Write a decision row of the guard's, append-only as an audit record must be.

    The row names its ``generation`` (the delivery record's; a request id reused after
    its delivery record expired starts a new one). Within a generation the guard's
    fields move on (held, then sent) by an update that never touches a reviewer's
    fields, so ``review_log`` only grows. A row of an earlier generation is first
    kept under ``<id>#earlier-<its time>`` (the earlier decision and its review stay
    readable there), then replaced by a conditional write."""
    key = row["id"]
    fields = [name for name in row if name != "id"]
    names = {f"#{i}": name for i, name in enumerate(fields)}
    values = {f":{i}": row[name] for i, name in enumerate(fields)}
    update = "SET " + ", ".join(f"#{i} = :{i}" for i in range(len(fields)))
    gone = [name for name in _GUARD_ONLY_FIELDS if name not in row]
    if gone:
        names.update({f"#gone{i}": name for i, name in enumerate(gone)})
        update += " REMOVE " + ", ".join(f"#gone{i}" for i in range(len(gone)))
    names["#generation"], values[":generation"] = "generation", row.get("generation", "")
    try:
        table.update_item(
            Key={"id": key},
            UpdateExpression=update,
            ConditionExpression="attribute_not_exists(id) OR #generation = :generation",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if not conditional_failed(exc):
            raise
        _replace_earlier_generation(table, row)


def _replace_earlier_generation(table: Any, row: dict[str, Any]) -> None:
    earlier = get_decision(table, row["id"])
    if earlier is None or earlier.get("generation", "") == row.get("generation", ""):
        # Deleted or moved on meanwhile: the next delivery writes it again.
        raise RuntimeError(f"the decision row of {row['id']!r} changed meanwhile")
    put_new(table, {**earlier, "id": f"{row['id']}#earlier-{earlier.get('at', 'unknown')}", "kept_from": row["id"]})
    condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(generation)"}
    if "generation" in earlier:
        condition = {
            "ConditionExpression": "generation = :earlier",
            "ExpressionAttributeValues": {":earlier": earlier["generation"]},
        }
    table.put_item(Item=row, **condition)


def get_decision(table: Any, row_id: str) -> dict[str, Any] | None:
    return table.get_item(Key={"id": row_id}, ConsistentRead=True).get("Item")


def put_unguarded_send(table: Any, send: Any, now: datetime) -> bool:
    """A decisions row for an email sent past the guard (``functions.feedback.unguarded``).

    The decisions layout, with ``decision`` "unguarded" and ``quarantined`` true so review
    tooling lists it with the quarantined requests. ``findings`` names the problem;
    ``message`` is empty: the row holds the SES message id, the sending identity and
    caller, and a recipient count, never addresses or content. Keyed by the SES message
    id and written only when absent: a redelivered event finds the row and leaves it,
    with whatever a reviewer has recorded on it, as it is (returns False then).
    """
    finding = {
        "rule": "unguarded-send",
        "message": "SES sent this email without the guard's sendguard-decision tag",
        "identity": send.identity,
        "caller": send.caller,
        "operation": send.operation,
        "configuration_set": send.configuration_set,
        "recipients": send.recipients,
        "ses_message_id": send.message_id,
    }
    return put_new(
        table,
        {
            "id": send.review_id,
            "decision": "unguarded",
            "findings": json.dumps([finding]),
            "message": json.dumps({}),
            "changes": json.dumps([]),
            "quarantined": True,
            "retry_at": None,
            "at": send.sent_at.astimezone(UTC).isoformat(),
            "ttl": _ttl(now, 365),
        },
    )
