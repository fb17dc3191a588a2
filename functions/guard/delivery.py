"""The delivery record: one DynamoDB item per request id that decides what a delivery may do.

The guard's promise (docs/aws.md, "Duplicates and failures"; docs/design.md, section 5): at most one send per request,
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

The steps a delivery can take live here too, beside the record they change
(``deliver``, ``act``, ``send_once``, ``after_send``, ``hold``, ``move_on``,
``requeue``, ``quarantine``, ``unknown_send``, ``id_conflict``, ``finish_bookkeeping``).
What they do through AWS beyond this table (the provider's send, the bookkeeping
writes, judging, metrics, the log) is the Lambda adapter's, ``functions.guard.app``,
and comes in as an ``Effects`` (``app.effects()``): this module never imports the adapter.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions import aws, ledger
from linters.findings import Decision, Result
from linters.html_text import visible_text
from linters.models import Contact, RequestError, SendRequest, load_json

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
        if ledger.conditional_failed(exc):
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


# --- the steps a delivery can take ---------------------------------------------------
#
# Each step changes the record (conditional writes above) and acts on it. What the
# steps need from the Lambda adapter (functions.guard.app: the provider call, the
# bookkeeping writers, judging, metrics and the log) comes in as an ``Effects``, so
# this module never imports the adapter.

MAX_DELAY_SECONDS = 900  # SQS's limit for DelaySeconds
MAX_HOPS = 700  # about a week of 15-minute hold steps; then the request goes to quarantine
DEFAULT_HOLD = timedelta(minutes=15)  # a hold finding without a retry time waits one step
# The token of the outbox copy the guard itself put back. Only a hint: what a copy may do
# is decided by the delivery record, which a producer cannot write.
STEP_ATTR = "sendguard-step"
# A held request's live copy that has not acted this long after its not-before time
# is taken as lost (it went to the dead-letter queue): any copy may then take over.
LIVE_COPY_OVERDUE = timedelta(hours=1)


class BookkeepingIncomplete(RuntimeError):
    """A write after a state change failed; the next delivery finishes it (never resends)."""


@dataclass(frozen=True)
class Effects:
    """What the steps do through the guard's Lambda adapter (``functions.guard.app.effects``)."""

    # The provider call (SES / SNS): (request, checked message, decision id) -> message id.
    send: Callable[[SendRequest, dict[str, str], str], str]
    # The bookkeeping writers, by item (LEDGER, DECISION, NOTICE).
    writers: Mapping[str, Callable[[dict[str, Any]], None]]
    # The review notice's fate ("sent" or "failed") on the decision row; never raises.
    note_notice: Callable[[Record, str], None]
    # Judge the request and act on the decision (``act``).
    judge_and_act: Callable[[Delivery], dict[str, Any]]
    count: Callable[[str], None]  # one event, as a metric
    logger: Any  # the guard's logger (personal data masked)


@dataclass
class Delivery:
    """One SQS record being delivered: the request and what the delivery record says."""

    request: SendRequest
    body: str
    payload_hash: str
    token: str | None  # the copy's STEP_ATTR
    record: Record | None
    now: datetime
    effects: Effects
    key: str = ""  # the delivery record's key: the request id, or an id conflict's own key
    generation: str = ""  # the record's; a new one for a request without a record (yet)

    def __post_init__(self) -> None:
        self.key = self.key or self.request.id
        self.generation = (self.record.generation if self.record else "") or uuid.uuid4().hex

    @property
    def decision_id(self) -> str:
        return decision_id(self.request.id, self.payload_hash)

    def next_record(self, state: str, **changes: Any) -> Record:
        base = self.record or Record(self.key, self.payload_hash, state, decision_id=self.decision_id)
        fields = {
            **base.__dict__,
            "state": state,
            "decision_id": self.decision_id,
            "generation": self.generation,
            **changes,
        }
        fields.update(todo=set(), pending={})
        return Record(**fields)


class NotAttempted(RuntimeError):
    """Raised by a send before it calls the provider (something the message must carry,
    such as its one-click unsubscribe link, cannot be made now): nothing went out, and
    the request is judged again later."""


def certainly_not_sent(exc: Exception) -> bool:
    """Whether a failed send call certainly sent nothing: the provider answered with a
    refusal (4xx: throttled, rejected, not verified), the connection was never made, or
    our own check refused before calling. A 5xx answer, a read timeout or anything
    unknown may hide an accepted message."""
    if isinstance(exc, RequestError | NotAttempted):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return 400 <= int(status) < 500
    from botocore.exceptions import ConnectTimeoutError, EndpointConnectionError

    return isinstance(exc, EndpointConnectionError | ConnectTimeoutError)


def _read_text(message: dict[str, str]) -> str | None:
    if message.get("text"):
        return message["text"]
    return visible_text(message["html"]).text if message.get("html") else None


# --- bookkeeping ---------------------------------------------------------------------


def finish_bookkeeping(record: Record, effects: Effects) -> None:
    """Write what the record still lists, each item on its own: one failing never stops
    another. A failed ledger or decision write raises BookkeepingIncomplete after the
    others were tried (SQS delivers the record again, which only finishes them). A
    failed review notice does not: the quarantine itself is recorded, the decision row
    says ``review_notice = failed``, and the next delivery, if any, tries again."""
    failed: list[str] = []
    for item in (LEDGER, DECISION, NOTICE):
        if item not in record.todo:
            continue
        if item == NOTICE and DECISION in failed:
            # The notice sends reviewers to the decision row: not before the row exists.
            failed.append(item)
            continue
        pending = record.pending.get(item)
        try:
            if pending is not None:
                effects.writers[item](pending)
            done(record, item)
        except (ClientError, BotoCoreError):
            effects.logger.exception("bookkeeping write failed", request_id=record.id, item=item)
            effects.count("BookkeepingFailed")
            failed.append(item)
            continue
        if item == NOTICE:
            effects.note_notice(record, "sent")
    if NOTICE in failed and DECISION not in failed:
        effects.count("ReviewNoticeFailed")
        effects.note_notice(record, "failed")
    if NOTICE in failed:
        failed.remove(NOTICE)
    if failed:
        raise BookkeepingIncomplete(f"not yet written: {', '.join(failed)}")


def _notice(
    request_id: str, result: dict[str, Any], channel: str, campaign: str | None, reason: str
) -> dict[str, Any]:
    notice = {
        "id": request_id,
        "decision": result.get("decision"),
        "reason": reason,
        "channel": channel,
        "campaign": campaign,
        "rules": sorted({f["rule"] for f in result.get("findings", [])}),
        "see": "the decisions table, item with this id (quarantined = true)",
    }
    notice.update(_console_link(request_id))  # issue 14: the review console's entry, if deployed
    subject = re.sub(r"[^ -~]", "?", f"sendguard quarantined {request_id}")[:100]
    return {"subject": subject, "message": json.dumps(notice, indent=2)}


def _console_link(request_id: str) -> dict[str, str]:
    """The review console's page for this id (REVIEW_CONSOLE_URL), or nothing."""
    from urllib.parse import quote

    base = os.environ.get("REVIEW_CONSOLE_URL", "").strip()
    return {"console": f"{base}#item={quote(request_id, safe='')}"} if base else {}


# --- the steps -----------------------------------------------------------------------


def quarantine(current: Delivery, result: dict[str, Any], reason: str) -> dict[str, Any]:
    """Keep the request (body included) and its findings; tell the reviewers."""
    request = current.request
    own_key = current.key != request.id
    row = ledger.decision_item(
        {**result, "id": current.key},
        current.now,
        quarantined=True,
        decision_id=current.decision_id,
        outcome="quarantined",
        reason=reason,
        request_id=request.id if own_key else None,
        body=current.body if own_key else None,
        campaign=request.campaign,  # issue 14: `sendguard review list --campaign`
        generation=current.generation,
    )
    pending = {
        DECISION: row,
        NOTICE: _notice(current.key, result, str(request.channel), request.campaign, reason),
    }
    new = current.next_record(QUARANTINED, reason=reason, step=current.token)
    record = transition(current.record, new, current.now, pending, body=current.body)
    current.effects.count("Quarantined")
    finish_bookkeeping(record, current.effects)
    return {"outcome": "quarantined", "reason": reason}


def _unjudged(request: SendRequest, reason: str) -> dict[str, Any]:
    """A decision row for a request quarantined without being judged (again)."""
    return {"id": request.id, "decision": "block", "findings": [], "message": {}, "reason": reason}


def move_on(current: Delivery, not_before: datetime, pending: dict[str, Any]) -> dict[str, Any]:
    """Put the request back on the outbox for ``not_before`` as the one live copy.

    The record is written first (new token, hop + 1, ``requeued`` false), then the copy
    is sent, then ``requeued`` is set. A crash between them leaves the parent copy (this
    one) to send the same token again; a second copy with one token is harmless (the
    first to act wins the conditional write, the other is stale)."""
    token = uuid.uuid4().hex
    new = current.next_record(
        HELD,
        step=token,
        prev_step=current.token,
        requeued=False,
        hop=(current.record.hop if current.record else 0) + 1,
        not_before=not_before,
    )
    record = transition(current.record, new, current.now, pending)
    delay = requeue(current.body, record, current.now, current.effects)
    try:
        finish_bookkeeping(record, current.effects)
    except BookkeepingIncomplete:
        # The hold is done and its one copy is out. Failing here would keep this copy
        # on the outbox beside the new one; the new copy finishes the writes (every
        # delivery finishes the record's todo before anything else).
        current.effects.logger.warning("held; the new copy finishes the bookkeeping", request_id=record.id)
    return {"outcome": "held", "delay_seconds": delay, "hop": record.hop}


def requeue(body: str, record: Record, now: datetime, effects: Effects) -> int:
    """Send the copy ``record.step`` to the outbox; returns the delay in seconds."""
    assert record.not_before is not None
    delay = max(0, min(MAX_DELAY_SECONDS, math.ceil((record.not_before - now).total_seconds())))
    aws.client("sqs").send_message(
        QueueUrl=aws.setting(aws.OUTBOX_QUEUE_URL),
        MessageBody=body,
        DelaySeconds=delay,
        MessageAttributes={STEP_ATTR: {"DataType": "String", "StringValue": record.step or ""}},
    )
    try:
        mark_requeued(record)
    except (ClientError, BotoCoreError):
        # The copy is out; at worst the parent sends it once more (harmless, see move_on).
        effects.logger.warning("could not mark the copy as sent", request_id=record.id)
    return delay


def hold(current: Delivery, result: Result, moment: datetime) -> dict[str, Any]:
    hop = current.record.hop if current.record else 0
    row = result.to_dict()
    if hop >= MAX_HOPS:
        return quarantine(current, row, f"still held after {MAX_HOPS} hold steps")
    wait = (result.retry_at - moment) if result.retry_at else DEFAULT_HOLD
    decision_row = ledger.decision_item(
        row,
        current.now,
        quarantined=False,
        decision_id=current.decision_id,
        outcome="held",
        generation=current.generation,
    )
    return move_on(current, current.now + max(wait, timedelta(0)), {DECISION: decision_row})


def send_once(
    current: Delivery, result: Result, moment: datetime, row_extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """``sending``, the provider call, ``sent``: the one path that sends. ``row_extra``:
    more fields for the decision row (a reviewer's release keeps its audit record)."""
    request = current.request
    tag = current.decision_id
    contact = Contact(
        at=moment,
        channel=request.channel,
        campaign=request.campaign,
        purpose=request.purpose,
        text=_read_text(result.message),
    )
    bookkeeping = {
        LEDGER: {
            "to": request.to,
            "contact": contact.model_dump(mode="json"),
            "suffix": tag[:12],
            # Also under the customer's own key: an ask that names only the customer (a
            # rep before a call, POST /contacts/ask) counts what the guard sent.
            "customer_id": request.customer_id or (request.customer.customer_id if request.customer else None),
        },
        DECISION: ledger.decision_item(
            result.to_dict(),
            current.now,
            quarantined=False,
            decision_id=tag,
            outcome="sent",
            generation=current.generation,
            **(row_extra or {}),
        ),
    }
    sending = current.next_record(SENDING, sending_at=current.now, step=current.token)
    # What to write after the send is stored before it, but not yet due: a later
    # delivery that learns of the send (unknown_send) can then complete it.
    record = transition(current.record, sending, current.now, bookkeeping, todo=set())
    try:
        provider_id = current.effects.send(request, result.message, tag)
    except Exception as exc:
        if certainly_not_sent(exc):
            retry = current.next_record(RETRY, step=current.token, sending_at=None)
            transition(record, retry, current.now, {})
        raise
    bookkeeping[DECISION]["provider_id"] = provider_id
    return after_send(record, provider_id, bookkeeping, current.now, current.effects)


def after_send(
    record: Record, provider_id: str, bookkeeping: dict[str, Any], now: datetime, effects: Effects
) -> dict[str, Any]:
    """Record the send. If the record itself cannot be written, the ledger and the
    decision row (which names the provider id) are still written, each on its own, and
    the decision row is what a later delivery reads to repair the record."""
    try:
        record = mark_sent(record, provider_id, now, bookkeeping)
    except (ClientError, BotoCoreError):
        effects.logger.exception(
            "sent, but the delivery record was not updated", request_id=record.id, provider_id=provider_id
        )
        effects.count("BookkeepingFailed")
        for item in (LEDGER, DECISION):
            try:
                effects.writers[item](bookkeeping[item])
            except (ClientError, BotoCoreError):
                effects.logger.exception("bookkeeping write failed", request_id=record.id, item=item)
        raise BookkeepingIncomplete("the delivery record still says sending") from None
    effects.count("Sent")
    finish_bookkeeping(record, effects)
    return {"outcome": "sent", "provider_id": provider_id}


def unknown_send(current: Delivery) -> dict[str, Any]:
    """A delivery found ``sending``: an attempt that died, or one still running. Never
    send. Before SENDING_GRACE, fail (SQS retries later); after it, repair the record
    from the decision row when that proves the send, else quarantine as delivery-unknown."""
    record = current.record
    assert record is not None and record.sending_at is not None
    if current.now - record.sending_at < SENDING_GRACE:
        raise RaceLost("a send attempt may still be running; judged again later")
    row = ledger.get_decision(aws.table(aws.DECISIONS_TABLE), record.id)
    if row and row.get("decision_id") == record.decision_id and row.get("provider_id"):
        # The decision row is written already (it is the proof); the contact may not be.
        bookkeeping = {LEDGER: record.pending[LEDGER]} if LEDGER in record.pending else {}
        repaired = after_send(record, row["provider_id"], bookkeeping, current.now, current.effects)
        return {**repaired, "repaired": True}
    current.effects.count("DeliveryUnknown")
    reason = "delivery-unknown: a send was attempted and its outcome was not recorded; check the provider"
    return quarantine(current, _unjudged(current.request, reason), reason)


def id_conflict(current: Delivery) -> dict[str, Any]:
    """The same id with another payload: quarantined under its own key, never dropped,
    never merged with the first request (which goes on as it was)."""
    key = conflict_key(current.request.id, current.payload_hash)
    existing = load(key)
    if existing is not None:
        finish_bookkeeping(existing, current.effects)
        return {"outcome": "duplicate", "state": existing.state}
    current.effects.count("IdConflict")
    reason = "id-conflict: another request with this id and a different payload came first"
    conflict = Delivery(
        current.request,
        current.body,
        current.payload_hash,
        current.token,
        None,
        current.now,
        current.effects,
        key,
    )
    return quarantine(conflict, _unjudged(current.request, reason), reason)


def act(current: Delivery, result: Result, moment: datetime) -> dict[str, Any]:
    """Act on a judged request's decision: send once, hold, or quarantine.

    The hook for a reviewer's release (issue 14): a release judges the request again
    with an override of the block and reaches ``send_once`` through the same record,
    whose conditional ``quarantined -> sending`` write lets it send at most once."""
    summary: dict[str, Any] = {
        "id": current.request.id,
        "decision": str(result.decision),
        "rules": sorted({f.rule for f in result.findings}),
    }
    if result.sendable:
        return {**summary, **send_once(current, result, moment)}
    if result.decision == Decision.HOLD:
        return {**summary, **hold(current, result, moment)}
    return {**summary, **quarantine(current, result.to_dict(), "blocked by policy")}


def adopts(record: Record, current: Delivery) -> bool:
    """Whether this copy of a request that is still open (held or to retry) may act.

    The live copy (its token is the record's ``step``) always may. So may a copy
    without the guard's token, which is a fresh body: a producer's resend, or a
    dead-letter copy redriven with its body alone (``aws sqs send-message``, a script,
    the console's re-send), which may be the only copy left. So may any copy once the
    live one is overdue. Either way the copy takes over and the old live copy becomes
    stale, so there is still one live copy and nothing is lost. A stale copy of the
    guard's own, while the live one is on time, is acknowledged (two of those adopting
    each other would never settle)."""
    if record.is_live(current.token) or current.token is None:
        return True
    due = record.not_before or record.sending_at or current.now
    return current.now - due > LIVE_COPY_OVERDUE


def deliver(current: Delivery) -> dict[str, Any]:
    """What this delivery of the request may do, as the delivery record says; a
    delivery that may be judged goes to ``effects.judge_and_act``."""
    record = current.record
    if record is not None and record.payload_hash != current.payload_hash:
        return id_conflict(current)
    if record is not None:
        finish_bookkeeping(record, current.effects)
        if record.is_parent_of_missing_copy(current.token):
            requeue(current.body, record, current.now, current.effects)
            return {"outcome": "held", "resent_copy": True}
        if record.state in FINAL or not adopts(record, current):
            current.effects.count("Duplicate")
            return {"outcome": "duplicate", "state": record.state}
        if record.state == SENDING:
            return unknown_send(current)
        if record.hop >= MAX_HOPS:
            reason = f"still held after {MAX_HOPS} hold steps"
            return quarantine(current, _unjudged(current.request, reason), reason)
        if record.state == HELD and record.not_before and record.not_before > current.now:
            # A long hold between steps: passed on unjudged (cheap; nothing is sent).
            return move_on(current, record.not_before, {})
    return current.effects.judge_and_act(current)
