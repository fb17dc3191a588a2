"""The contact ledger, customers and decisions tables: one place for their item layout.

Ledger (LEDGER_TABLE): pk ``recipient`` (the ``to`` address, lower-cased, or the E.164
number), sk ``at`` = ISO-8601 UTC time + "#" + a unique suffix. Attributes: ``kind``
("contact" or "event"), ``record`` (the Contact or Event model as JSON), ``ttl``
(epoch seconds, LEDGER_DAYS after ``at``; DynamoDB expires old rows, moto never does).
Suppression events (an unsubscribe, a complaint, a permanent bounce) have no ``ttl``:
they are kept for good, and ``read_recent`` returns them however old they are, so a
person who complained two years ago is still not sent marketing.

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
    return to.strip().lower()


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
    table: Any, to: str, now: datetime, days: int = LEDGER_DAYS
) -> tuple[list[Contact], list[Event]]:
    """Contacts and events for ``to`` in the last ``days`` (rows from the future are kept:
    the rules decide what a future timestamp means), plus every older suppression event.

    Two queries: the window, then the rows before it filtered to events. Old contacts and
    other old events have expired (their ``ttl``), so the second query reads little more
    than the suppression rows it returns.
    """
    from boto3.dynamodb.conditions import Attr, Key

    since = (now - timedelta(days=days)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")
    recipient = Key("recipient").eq(recipient_key(to))
    contacts: list[Contact] = []
    events: list[Event] = []
    for item in _query(table, KeyConditionExpression=recipient & Key("at").gte(since)):
        if item.get("kind") == "event":
            events.append(Event.model_validate_json(item["record"]))
        else:
            contacts.append(Contact.model_validate_json(item["record"]))
    older = _query(
        table,
        KeyConditionExpression=recipient & Key("at").lt(since),
        FilterExpression=Attr("kind").eq("event"),
    )
    # Oldest first, like the window's rows; kept only when they still suppress.
    suppression = [e for e in (Event.model_validate_json(i["record"]) for i in older) if is_suppression(e)]
    return contacts, [*suppression, *events]


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
