"""The delivery record: one DynamoDB item per request id that decides what a delivery may do.

The guard's promise (README, "Duplicates and failures"): at most one send per request,
and every request accounted for. SQS delivers a record at least once, Lambda may die at
any instruction, and SES has no idempotency token, so the promise rests on this record,
written with conditional writes (``version``) before and after every side effect:

- ``sending`` (with the payload hash and decision id) is written *before* SES / SNS is
  called, ``sent`` (with the provider's message id) after. A delivery that finds
  ``sending`` never sends: once the attempt is older than SENDING_GRACE (the longest an
  invocation can live), it quarantines the request as ``delivery-unknown``, unless the
  decision row proves the send (it carries the provider id).
- ``held``: the guard, not the producer, keeps the hop count, the not-before time and
  the token (``step``) of the one live copy on the outbox. A copy whose token is not the
  record's ``step`` is stale: it is acknowledged, never judged.
- ``quarantined``: blocked, over the hop cap, delivery-unknown, or an id conflict.
- ``retry``: the provider refused the send (it certainly did not send); judged again.

Bookkeeping after a state change (the ledger contact, the decision row, the review
notice) is listed in ``todo`` with what to write (``pending_*``), and each item is
removed when written. Any later delivery of the request finishes what is left before
doing anything else, so a failed write is retried without a second send or re-queue.

Item layout (the IDEMPOTENCY_TABLE, pk ``id``): ``payload_hash``, ``state``,
``version``, ``decision_id``, ``step``, ``prev_step``, ``requeued``, ``hop``,
``not_before``, ``sending_at``, ``provider_id``, ``reason``, ``body`` (kept for a
quarantine, so a reviewer's release can judge it again), ``todo`` (string set),
``pending_decision``, ``pending_contact``, ``pending_notice`` (JSON), ``generation``
(made with the record, carried by its decision rows: ``functions.ledger.write_decision``), ``expiration``
(epoch seconds: DynamoDB's TTL; RECORD_DAYS after the last change).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from functions import aws
from linters.models import load_json

HELD, RETRY, SENDING, SENT, QUARANTINED = "held", "retry", "sending", "sent", "quarantined"
FINAL = frozenset({SENT, QUARANTINED})
# An SQS message (14 days) plus its time in the dead-letter queue (14 more) must still
# find its record: a redrive from the DLQ is then always safe.
RECORD_DAYS = 35
# Longer than an invocation can live (the guard's Timeout, 30 s; tests/test_guard.py
# checks template.yaml): a "sending" older than this belongs to an attempt that died.
SENDING_GRACE = timedelta(seconds=120)

LEDGER, DECISION, NOTICE = "ledger", "decision", "notice"


class RaceLost(RuntimeError):
    """Another delivery of the same request changed the record first; SQS retries this one."""


def payload_hash(body: str) -> str:
    """The request's identity beyond its id: the hash of its JSON, keys sorted (so
    spacing and key order do not make two deliveries of one request differ)."""
    canonical = json.dumps(load_json(body), sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def decision_id(request_id: str, body_hash: str) -> str:
    """The tag on every message the guard sends: [0-9a-f] only (SES tag values allow
    [A-Za-z0-9_-]); the same for every delivery of one request."""
    return hashlib.sha256(f"{request_id}\n{body_hash}".encode()).hexdigest()[:32]


def conflict_key(request_id: str, body_hash: str) -> str:
    return f"{request_id}#conflict-{body_hash[:16]}"


@dataclass
class Record:
    id: str
    payload_hash: str
    state: str
    version: int = 0
    decision_id: str = ""
    step: str | None = None
    prev_step: str | None = None
    requeued: bool = True
    hop: int = 0
    not_before: datetime | None = None
    sending_at: datetime | None = None
    provider_id: str | None = None
    reason: str | None = None
    # Made when the record is made: a request id reused after its record expired gets
    # a new one, so its decision row cannot overwrite the earlier decision and review.
    generation: str = ""
    todo: set[str] = field(default_factory=set)
    pending: dict[str, Any] = field(default_factory=dict)

    def is_live(self, token: str | None) -> bool:
        """Whether a copy carrying ``token`` is the request's one live outbox copy."""
        return token == self.step

    def is_parent_of_missing_copy(self, token: str | None) -> bool:
        """The copy that was replaced by ``step``, while the replacement may not exist."""
        return not self.requeued and self.state == HELD and token == self.prev_step


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _from_item(item: dict[str, Any]) -> Record:
    pending = {
        name: json.loads(item[f"pending_{name}"])
        for name in (LEDGER, DECISION, NOTICE)
        if item.get(f"pending_{name}")
    }
    return Record(
        id=item["id"],
        payload_hash=item["payload_hash"],
        state=item["state"],
        version=int(item.get("version", 0)),
        decision_id=item.get("decision_id", ""),
        step=item.get("step"),
        prev_step=item.get("prev_step"),
        requeued=bool(item.get("requeued", True)),
        hop=int(item.get("hop", 0)),
        not_before=_time(item.get("not_before")),
        sending_at=_time(item.get("sending_at")),
        provider_id=item.get("provider_id"),
        reason=item.get("reason"),
        generation=item.get("generation", ""),
        todo=set(item.get("todo") or ()),
        pending=pending,
    )


def _table() -> Any:
    return aws.table(aws.IDEMPOTENCY_TABLE)


def load(key: str) -> Record | None:
    item = _table().get_item(Key={"id": key}, ConsistentRead=True).get("Item")
    return _from_item(item) if item else None


def _expiration(now: datetime) -> int:
    return int((now + timedelta(days=RECORD_DAYS)).timestamp())


def transition(
    record: Record | None,
    new: Record,
    now: datetime,
    pending: dict[str, Any],
    body: str | None = None,
    todo: set[str] | None = None,
) -> Record:
    """Write ``new`` in place of ``record`` (None: no record yet), only if nobody changed
    the record since it was read. ``pending`` holds what to write after the change and
    ``todo`` (default: all of it) what is due now. Raises RaceLost."""
    new.version = (record.version if record else 0) + 1
    new.todo = set(pending) if todo is None else todo
    new.pending = pending
    item: dict[str, Any] = {
        "id": new.id,
        "payload_hash": new.payload_hash,
        "state": new.state,
        "version": new.version,
        "decision_id": new.decision_id,
        "step": new.step,
        "prev_step": new.prev_step,
        "requeued": new.requeued,
        "hop": new.hop,
        "not_before": new.not_before.astimezone(UTC).isoformat() if new.not_before else None,
        "sending_at": new.sending_at.astimezone(UTC).isoformat() if new.sending_at else None,
        "provider_id": new.provider_id,
        "reason": new.reason,
        "generation": new.generation or None,
        "body": body,
        "expiration": _expiration(now),
    }
    item = {key: value for key, value in item.items() if value is not None}
    if new.todo:
        item["todo"] = set(new.todo)
    for name, value in pending.items():
        item[f"pending_{name}"] = json.dumps(value)
    if record is None:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(id)"}
    else:
        condition = {
            "ConditionExpression": "version = :version",
            "ExpressionAttributeValues": {":version": record.version},
        }
    try:
        _table().put_item(Item=item, **condition)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise RaceLost(f"the delivery record of {new.id!r} changed meanwhile") from exc
        raise
    return new


def mark_sent(record: Record, provider_id: str, now: datetime, pending: dict[str, Any]) -> Record:
    """``sending`` -> ``sent`` with the provider's id. Unconditional on purpose: the
    message is out, and that fact must be recorded whatever else happened meanwhile."""
    done = Record(
        **{**record.__dict__, "state": SENT, "provider_id": provider_id, "todo": set(), "pending": {}}
    )
    names = {f"#{k}": k for k in ("state", "provider_id", "version", "todo", "expiration")}
    values: dict[str, Any] = {":state": SENT, ":provider": provider_id, ":one": 1, ":exp": _expiration(now)}
    update = "SET #state = :state, #provider_id = :provider, #version = #version + :one, #expiration = :exp"
    if pending:
        values[":todo"] = set(pending)
        update += ", #todo = :todo"
        for name, value in pending.items():
            names[f"#p_{name}"] = f"pending_{name}"
            values[f":p_{name}"] = json.dumps(value)
            update += f", #p_{name} = :p_{name}"
    _table().update_item(
        Key={"id": record.id},
        UpdateExpression=update,
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
    done.version = record.version + 1
    done.todo = set(pending)
    done.pending = pending
    return done


def done(record: Record, item: str) -> None:
    """Take one finished bookkeeping item off the record's todo list (idempotent)."""
    _table().update_item(
        Key={"id": record.id},
        UpdateExpression="DELETE #todo :item REMOVE #pending",
        ExpressionAttributeNames={"#todo": "todo", "#pending": f"pending_{item}"},
        ExpressionAttributeValues={":item": {item}},
    )
    record.todo.discard(item)


def mark_requeued(record: Record) -> None:
    """The copy named ``step`` is on the outbox (its parent need not send it again)."""
    _table().update_item(
        Key={"id": record.id},
        UpdateExpression="SET requeued = :yes",
        ConditionExpression="step = :step",
        ExpressionAttributeValues={":yes": True, ":step": record.step},
    )
    record.requeued = True
