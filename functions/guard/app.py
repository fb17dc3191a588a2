"""The send guard: SQS outbox -> render, lint, decide -> SES / SNS, ledger, quarantine.

Every SQS record is one send request (DESIGN section 2). The engine decides; this
module only moves data between AWS and ``linters.engine.check``:

- allow / rewrite: send exactly ``result.message`` (SESv2 simple content, or SNS for
  SMS and push), then write the contact to the ledger and the decision row;
- hold: put the request back on the outbox, delayed until ``retry_at``. SQS delays stop
  at 15 minutes, so a longer hold travels in 15-minute steps, passed on without being
  judged until the not-before time the guard keeps in the delivery record;
- block: quarantine (decisions table, ``quarantined``) and a short notice, without
  personal data, to the review topic.

It fails closed: when a lookup, the policy or the engine fails, or the request is
malformed, nothing is sent; the record is reported as a batch item failure, SQS
delivers it again, and after ``maxReceiveCount`` receives it rests in the dead-letter
queue with its exact body. Malformed requests take that path too (not straight to
quarantine): the DLQ keeps bodies that are not even JSON or have no id, which the
decisions table (keyed by request id) cannot, and it needs no second code path.

Duplicates, crashes and failed writes are handled by the delivery record
(``functions.guard.delivery``): at most one send per request, every request accounted
for. The guard also watches the invocation's remaining time and hands back records it
has not started (batch item failures) rather than letting the timeout take the batch.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import signal
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from functions import aws, ledger
from functions.facts import read_stored_facts
from functions.guard import delivery
from functions.guard.delivery import Record
from functions.ses_templates import get_template
from functions.tracing import make_tracer
from linters.engine import check
from linters.findings import Decision, Result
from linters.html_text import visible_text
from linters.models import Channel, Contact, InlineTemplate, Purpose, RequestError, SendRequest, parse_request
from linters.policy import Policy, policy_from_mapping

MAX_DELAY_SECONDS = 900  # SQS's limit for DelaySeconds
MAX_HOPS = 700  # about a week of 15-minute hold steps; then the request goes to quarantine
DEFAULT_HOLD = timedelta(minutes=15)  # a hold finding without a retry time waits one step
# The token of the outbox copy the guard itself put back. Only a hint: what a copy may do
# is decided by the delivery record, which a producer cannot write.
STEP_ATTR = "sendguard-step"
DECISION_TAG = ledger.DECISION_TAG  # SES email tag / SNS attribute on every sent message
# A record is started only with this much time left: judging takes under 0.5 s, and each
# AWS call is bounded by the clients' timeouts and retries.
TIME_RESERVE_MS = 8_000
# Judging a record must end this long before the invocation would: the send and the
# bookkeeping after it need the rest (each AWS call is bounded by the clients' timeouts).
ACT_RESERVE_MS = 5_000
# And no record is judged longer than this, so one slow record cannot use up the time
# of the nine behind it (a batch is 10; 10 x 2 s fits the 30 s timeout less the
# reserves). The cost model refuses any request it cannot judge in 0.5 s; this is
# the net under it.
MAX_JUDGING_SECONDS = 2.0
# The time the current record may spend being judged (seconds), from handle_record.
_judging_budget: ContextVar[float | None] = ContextVar("judging_budget", default=None)
# A held request's live copy that has not acted this long after its not-before time
# is taken as lost (it went to the dead-letter queue): any copy may then take over.
LIVE_COPY_OVERDUE = timedelta(hours=1)
POLICY_MAX_AGE = 300  # seconds an SSM policy document is cached in the container
TEMPLATE_MAX_AGE = 300  # seconds a stored SES template is cached in the container

# Names of the current record's customer, masked in every log line written for it.
_names_to_mask: ContextVar[tuple[str, ...]] = ContextVar("names_to_mask", default=())
_EMAIL = re.compile(r"([A-Za-z0-9])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_PHONE = re.compile(r"\+\d[\d ().-]{5,}\d|\(\d{3}\)\s?\d{3}-\d{4}|\b\d{3}[-.]\d{3}[-.]\d{4}\b")


def mask_personal(text: str, names: tuple[str, ...] = ()) -> str:
    """Addresses, phone numbers and the given names, masked: logs hold no personal data."""
    text = _EMAIL.sub(r"\1***@\2", text)
    text = _PHONE.sub("[phone]", text)
    for name in names:
        text = re.sub(rf"\b{re.escape(name)}\b", "[name]", text, flags=re.IGNORECASE)
    return text


class MaskingFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON log lines, with personal data masked in the finished line (so
    exception texts from boto3, which quote addresses, are covered too)."""

    def serialize(self, log: dict[str, Any]) -> str:  # type: ignore[override]
        return mask_personal(super().serialize(log), _names_to_mask.get())


logger = Logger(service="sendguard-guard", logger_formatter=MaskingFormatter())
tracer = make_tracer("sendguard-guard")
metrics = Metrics(namespace="sendguard", service="sendguard-guard")
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

_policies: dict[str, Policy] = {}
_templates: dict[str, tuple[float, InlineTemplate]] = {}


def clock() -> datetime:
    """The guard's clock; tests replace it to walk through hold steps."""
    return datetime.now(UTC)


def reset() -> None:
    """Forget clients and caches (tests start a fresh moto for each test)."""
    aws.reset()
    _policies.clear()
    _templates.clear()


# --- lookups -------------------------------------------------------------------------


def current_policy() -> Policy:
    """The policy document from SSM (the ``[tool.sendguard]`` table as JSON), cached."""
    name = aws.optional_setting(aws.POLICY_PARAMETER)
    if not name:
        return Policy()
    document = aws.ssm_parameters().get(name, transform="json", max_age=POLICY_MAX_AGE)
    key = json.dumps(document, sort_keys=True)
    if key not in _policies:
        _policies.clear()
        _policies[key] = policy_from_mapping(document, f"ssm:{name}")
    return _policies[key]


def stored_template(name: str) -> InlineTemplate | None:
    """A stored SES template by name; found ones are cached for TEMPLATE_MAX_AGE."""
    cached = _templates.get(name)
    if cached and time.monotonic() - cached[0] < TEMPLATE_MAX_AGE:
        return cached[1]
    found = get_template(aws.client("ses"), name)
    if found is not None:
        _templates[name] = (time.monotonic(), found)
    return found


def with_customer_and_ledger(request: SendRequest, moment: datetime) -> SendRequest:
    """The request with the stored customer record and the contact ledger merged in
    (``linters.precedence``): what the request carries adds facts, never hides one."""
    customers = aws.table(aws.CUSTOMERS_TABLE)
    return read_stored_facts(request, moment, customers, aws.table(aws.LEDGER_TABLE))


def _customer_names(request: SendRequest) -> tuple[str, ...]:
    customer = request.customer
    if customer is None:
        return ()
    names = (customer.first_name, customer.last_name, customer.preferred_name)
    return tuple(n for n in names if n and len(n) > 1)


# --- sending -------------------------------------------------------------------------


def _send_email(request: SendRequest, message: dict[str, str], tag: str) -> str:
    if not request.from_:
        raise RequestError("from", "an email needs a sender address")
    if not message.get("subject"):
        raise RequestError("template.subject", "an email needs a subject line")
    body: dict[str, Any] = {}
    if message.get("text"):
        body["Text"] = {"Data": message["text"], "Charset": "UTF-8"}
    if message.get("html"):
        body["Html"] = {"Data": message["html"], "Charset": "UTF-8"}
    kwargs: dict[str, Any] = {
        "FromEmailAddress": request.from_,
        "Destination": {"ToAddresses": [request.to]},
        "Content": {"Simple": {"Subject": {"Data": message["subject"], "Charset": "UTF-8"}, "Body": body}},
        # Every message the guard sends names its decision: feedback can tell guard
        # sends from mail that went around the guard.
        "EmailTags": [{"Name": DECISION_TAG, "Value": tag}],
    }
    configuration_set = aws.optional_setting(aws.SES_CONFIGURATION_SET)
    if configuration_set:
        kwargs["ConfigurationSetName"] = configuration_set
    return aws.send_client("sesv2").send_email(**kwargs)["MessageId"]


def _tag_attribute(tag: str) -> dict[str, dict[str, str]]:
    return {DECISION_TAG: {"DataType": "String", "StringValue": tag}}


def _send_sms(request: SendRequest, text: str, tag: str) -> str:
    kind = "Promotional" if request.purpose == Purpose.MARKETING else "Transactional"
    attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": kind}, **_tag_attribute(tag)}
    # A sender id is 1-11 letters and digits with at least one letter (SNS's rule).
    if request.from_ and re.fullmatch(r"(?=.*[A-Za-z])[A-Za-z0-9]{1,11}", request.from_):
        attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": request.from_}
    response = aws.send_client("sns").publish(
        PhoneNumber=request.to, Message=text, MessageAttributes=attributes
    )
    return response["MessageId"]


@tracer.capture_method
def send(request: SendRequest, message: dict[str, str], tag: str) -> str:
    """Send exactly the checked (and rewritten) message; returns the provider's id.
    ``tag`` is the decision id the message carries (SES email tag, SNS attribute)."""
    if request.channel == Channel.EMAIL:
        return _send_email(request, message, tag)
    text = message.get("text") or ""
    if request.channel == Channel.SMS:
        return _send_sms(request, text, tag)
    if request.channel == Channel.PUSH:
        publish = aws.send_client("sns").publish
        return publish(TargetArn=request.to, Message=text, MessageAttributes=_tag_attribute(tag))["MessageId"]
    raise RequestError(
        "channel", "the guard delivers email, sms and push; check voice scripts with `sendguard check`"
    )


def certainly_not_sent(exc: Exception) -> bool:
    """Whether a failed send call certainly sent nothing: the provider answered with a
    refusal (4xx: throttled, rejected, not verified), the connection was never made, or
    our own check refused before calling. A 5xx answer, a read timeout or anything
    unknown may hide an accepted message."""
    if isinstance(exc, RequestError):
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


class BookkeepingIncomplete(RuntimeError):
    """A write after a state change failed; the next delivery finishes it (never resends)."""


def _count_event(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def _write_ledger(pending: dict[str, Any]) -> None:
    contact = Contact.model_validate(pending["contact"])
    ledger.put_contact(aws.table(aws.LEDGER_TABLE), pending["to"], contact, suffix=pending["suffix"])


def _write_decision(pending: dict[str, Any]) -> None:
    ledger.write_decision(aws.table(aws.DECISIONS_TABLE), pending)


def _send_notice(pending: dict[str, Any]) -> None:
    topic = aws.optional_setting(aws.REVIEW_TOPIC_ARN)
    if topic:
        aws.client("sns").publish(TopicArn=topic, Subject=pending["subject"], Message=pending["message"])


def _note_notice(record: Record, outcome: str) -> None:
    """The notice's fate on the decision row, so reviewers can find unannounced ones."""
    row_id = record.pending.get(delivery.DECISION, {}).get("id") or record.id
    try:
        aws.table(aws.DECISIONS_TABLE).update_item(
            Key={"id": row_id},
            UpdateExpression="SET review_notice = :outcome",
            ConditionExpression="attribute_exists(id)",  # never a stub row without a decision
            ExpressionAttributeValues={":outcome": outcome},
        )
    except (ClientError, BotoCoreError):
        logger.exception("could not note the review notice on the decision row", request_id=record.id)


def _writer(item: str) -> Callable[[dict[str, Any]], None]:
    return {
        delivery.LEDGER: _write_ledger,
        delivery.DECISION: _write_decision,
        delivery.NOTICE: _send_notice,
    }[item]


def finish_bookkeeping(record: Record) -> None:
    """Write what the record still lists, each item on its own: one failing never stops
    another. A failed ledger or decision write raises BookkeepingIncomplete after the
    others were tried (SQS delivers the record again, which only finishes them). A
    failed review notice does not: the quarantine itself is recorded, the decision row
    says ``review_notice = failed``, and the next delivery, if any, tries again."""
    failed: list[str] = []
    for item in (delivery.LEDGER, delivery.DECISION, delivery.NOTICE):
        if item not in record.todo:
            continue
        if item == delivery.NOTICE and delivery.DECISION in failed:
            # The notice sends reviewers to the decision row: not before the row exists.
            failed.append(item)
            continue
        pending = record.pending.get(item)
        try:
            if pending is not None:
                _writer(item)(pending)
            delivery.done(record, item)
        except (ClientError, BotoCoreError):
            logger.exception("bookkeeping write failed", request_id=record.id, item=item)
            _count_event("BookkeepingFailed")
            failed.append(item)
            continue
        if item == delivery.NOTICE:
            _note_notice(record, "sent")
    if delivery.NOTICE in failed and delivery.DECISION not in failed:
        _count_event("ReviewNoticeFailed")
        _note_notice(record, "failed")
    if delivery.NOTICE in failed:
        failed.remove(delivery.NOTICE)
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


# --- the steps a delivery can take ---------------------------------------------------


@dataclass
class Delivery:
    """One SQS record being delivered: the request and what the delivery record says."""

    request: SendRequest
    body: str
    payload_hash: str
    token: str | None  # the copy's STEP_ATTR
    record: Record | None
    now: datetime
    key: str = ""  # the delivery record's key: the request id, or an id conflict's own key
    generation: str = ""  # the record's; a new one for a request without a record (yet)

    def __post_init__(self) -> None:
        self.key = self.key or self.request.id
        self.generation = (self.record.generation if self.record else "") or uuid.uuid4().hex

    @property
    def decision_id(self) -> str:
        return delivery.decision_id(self.request.id, self.payload_hash)

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
        delivery.DECISION: row,
        delivery.NOTICE: _notice(current.key, result, str(request.channel), request.campaign, reason),
    }
    new = current.next_record(delivery.QUARANTINED, reason=reason, step=current.token)
    record = delivery.transition(current.record, new, current.now, pending, body=current.body)
    _count_event("Quarantined")
    finish_bookkeeping(record)
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
        delivery.HELD,
        step=token,
        prev_step=current.token,
        requeued=False,
        hop=(current.record.hop if current.record else 0) + 1,
        not_before=not_before,
    )
    record = delivery.transition(current.record, new, current.now, pending)
    delay = requeue(current.body, record, current.now)
    try:
        finish_bookkeeping(record)
    except BookkeepingIncomplete:
        # The hold is done and its one copy is out. Failing here would keep this copy
        # on the outbox beside the new one; the new copy finishes the writes (every
        # delivery finishes the record's todo before anything else).
        logger.warning("held; the new copy finishes the bookkeeping", request_id=record.id)
    return {"outcome": "held", "delay_seconds": delay, "hop": record.hop}


def requeue(body: str, record: Record, now: datetime) -> int:
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
        delivery.mark_requeued(record)
    except (ClientError, BotoCoreError):
        # The copy is out; at worst the parent sends it once more (harmless, see move_on).
        logger.warning("could not mark the copy as sent", request_id=record.id)
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
    return move_on(current, current.now + max(wait, timedelta(0)), {delivery.DECISION: decision_row})


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
        delivery.LEDGER: {"to": request.to, "contact": contact.model_dump(mode="json"), "suffix": tag[:12]},
        delivery.DECISION: ledger.decision_item(
            result.to_dict(),
            current.now,
            quarantined=False,
            decision_id=tag,
            outcome="sent",
            generation=current.generation,
            **(row_extra or {}),
        ),
    }
    sending = current.next_record(delivery.SENDING, sending_at=current.now, step=current.token)
    # What to write after the send is stored before it, but not yet due: a later
    # delivery that learns of the send (unknown_send) can then complete it.
    record = delivery.transition(current.record, sending, current.now, bookkeeping, todo=set())
    try:
        provider_id = send(request, result.message, tag)
    except Exception as exc:
        if certainly_not_sent(exc):
            retry = current.next_record(delivery.RETRY, step=current.token, sending_at=None)
            delivery.transition(record, retry, current.now, {})
        raise
    bookkeeping[delivery.DECISION]["provider_id"] = provider_id
    return after_send(record, provider_id, bookkeeping, current.now)


def after_send(
    record: Record, provider_id: str, bookkeeping: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """Record the send. If the record itself cannot be written, the ledger and the
    decision row (which names the provider id) are still written, each on its own, and
    the decision row is what a later delivery reads to repair the record."""
    try:
        record = delivery.mark_sent(record, provider_id, now, bookkeeping)
    except (ClientError, BotoCoreError):
        logger.exception(
            "sent, but the delivery record was not updated", request_id=record.id, provider_id=provider_id
        )
        _count_event("BookkeepingFailed")
        for item in (delivery.LEDGER, delivery.DECISION):
            try:
                _writer(item)(bookkeeping[item])
            except (ClientError, BotoCoreError):
                logger.exception("bookkeeping write failed", request_id=record.id, item=item)
        raise BookkeepingIncomplete("the delivery record still says sending") from None
    _count_event("Sent")
    finish_bookkeeping(record)
    return {"outcome": "sent", "provider_id": provider_id}


def unknown_send(current: Delivery) -> dict[str, Any]:
    """A delivery found ``sending``: an attempt that died, or one still running. Never
    send. Before SENDING_GRACE, fail (SQS retries later); after it, repair the record
    from the decision row when that proves the send, else quarantine as delivery-unknown."""
    record = current.record
    assert record is not None and record.sending_at is not None
    if current.now - record.sending_at < delivery.SENDING_GRACE:
        raise delivery.RaceLost("a send attempt may still be running; judged again later")
    row = ledger.get_decision(aws.table(aws.DECISIONS_TABLE), record.id)
    if row and row.get("decision_id") == record.decision_id and row.get("provider_id"):
        # The decision row is written already (it is the proof); the contact may not be.
        bookkeeping = (
            {delivery.LEDGER: record.pending[delivery.LEDGER]} if delivery.LEDGER in record.pending else {}
        )
        return {**after_send(record, row["provider_id"], bookkeeping, current.now), "repaired": True}
    _count_event("DeliveryUnknown")
    reason = "delivery-unknown: a send was attempted and its outcome was not recorded; check the provider"
    return quarantine(current, _unjudged(current.request, reason), reason)


def id_conflict(current: Delivery) -> dict[str, Any]:
    """The same id with another payload: quarantined under its own key, never dropped,
    never merged with the first request (which goes on as it was)."""
    key = delivery.conflict_key(current.request.id, current.payload_hash)
    existing = delivery.load(key)
    if existing is not None:
        finish_bookkeeping(existing)
        return {"outcome": "duplicate", "state": existing.state}
    _count_event("IdConflict")
    reason = "id-conflict: another request with this id and a different payload came first"
    conflict = Delivery(
        current.request, current.body, current.payload_hash, current.token, None, current.now, key
    )
    return quarantine(conflict, _unjudged(current.request, reason), reason)


# --- one request ---------------------------------------------------------------------


def _count(result: Result) -> None:
    # single_metric prints at once and ignores POWERTOOLS_METRICS_DISABLED: check it here.
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() in ("1", "true", "yes", "on"):
        return
    dimensions = metrics.default_dimensions
    with single_metric(
        name="Decisions",
        unit=MetricUnit.Count,
        value=1,
        namespace=metrics.namespace,
        default_dimensions=dimensions,
    ) as metric:
        metric.add_dimension(name="outcome", value=str(result.decision))
    for rule_id, count in Counter(f.rule for f in result.findings).items():
        with single_metric(
            name="Findings",
            unit=MetricUnit.Count,
            value=count,
            namespace=metrics.namespace,
            default_dimensions=dimensions,
        ) as metric:
            metric.add_dimension(name="rule", value=rule_id)


class OutOfTime(BaseException):
    """The record's judging deadline passed. A BaseException, so that no ``except
    Exception`` in the engine turns it into a verdict; handle_record turns it into
    JudgingTooLong, which the batch processor reports as this record's failure."""


class JudgingTooLong(RuntimeError):
    """This record could not be judged in the time left; SQS delivers it again and, after
    ``maxReceiveCount`` receives, it rests in the dead-letter queue alone."""


@contextmanager
def deadline(seconds: float | None) -> Iterator[None]:
    """Raise OutOfTime in this block after ``seconds`` (SIGALRM: only the main thread,
    where Lambda runs the handler, can take it; elsewhere the block runs unbounded)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise OutOfTime

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, max(seconds, 0.001))
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def judge(current: Delivery) -> tuple[Result, datetime]:
    """Render, lint and decide (no side effects but metrics and a log line), within the
    record's judging deadline: a request that cannot be judged in time is not judged."""
    moment = current.request.now or current.now
    request = with_customer_and_ledger(current.request, moment)
    _names_to_mask.set(_customer_names(request))
    policy = current_policy()
    with deadline(_judging_budget.get()):
        result = check(request, policy, templates=stored_template, now=moment)
    current.request = request
    _count(result)
    logger.info(
        "decided",
        request_id=request.id,
        decision=str(result.decision),
        rules=sorted({f.rule for f in result.findings}),
        channel=str(request.channel),
        recipient_ref=hashlib.sha256(ledger.recipient_key(request.to).encode()).hexdigest()[:12],
    )
    return result, moment


@tracer.capture_method
def judge_and_act(current: Delivery) -> dict[str, Any]:
    """Judge the request and act on the decision: send once, hold, or quarantine.

    The hook for a reviewer's release (issue 14): a release judges the request again
    with an override of the block and reaches ``send_once`` through the same record,
    whose conditional ``quarantined -> sending`` write lets it send at most once."""
    result, moment = judge(current)
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
    """What this delivery of the request may do, as the delivery record says."""
    record = current.record
    if record is not None and record.payload_hash != current.payload_hash:
        return id_conflict(current)
    if record is not None:
        finish_bookkeeping(record)
        if record.is_parent_of_missing_copy(current.token):
            requeue(current.body, record, current.now)
            return {"outcome": "held", "resent_copy": True}
        if record.state in delivery.FINAL or not adopts(record, current):
            _count_event("Duplicate")
            return {"outcome": "duplicate", "state": record.state}
        if record.state == delivery.SENDING:
            return unknown_send(current)
        if record.hop >= MAX_HOPS:
            reason = f"still held after {MAX_HOPS} hold steps"
            return quarantine(current, _unjudged(current.request, reason), reason)
        if record.state == delivery.HELD and record.not_before and record.not_before > current.now:
            # A long hold between steps: passed on unjudged (cheap; nothing is sent).
            return move_on(current, record.not_before, {})
    return judge_and_act(current)


class NotStarted(RuntimeError):
    """Too little time left in the invocation to judge this record; SQS delivers it again."""


def handle_record(record: SQSRecord, lambda_context: LambdaContext | None = None) -> dict[str, Any]:
    """One SQS record. Raising marks it failed: it stays on the queue (then the DLQ).
    Powertools passes ``lambda_context`` (it looks for that parameter name)."""
    _names_to_mask.set(())
    remaining = lambda_context.get_remaining_time_in_millis() if lambda_context is not None else None
    if remaining is not None and remaining < TIME_RESERVE_MS:
        _count_event("NotStarted")
        raise NotStarted("too little time left in this invocation; not started")
    budget = None if remaining is None else min(MAX_JUDGING_SECONDS, (remaining - ACT_RESERVE_MS) / 1000)
    _judging_budget.set(budget)
    try:
        request = parse_request(record.body)
        body_hash = delivery.payload_hash(record.body)
    except RequestError as exc:
        logger.warning("malformed send request", message_id=record.message_id, error=str(exc))
        _count_event("Malformed")
        raise
    # SQSMessageAttributes' item access gives the typed attribute (its .get the raw dict).
    attributes = record.message_attributes
    token = attributes[STEP_ATTR].string_value if STEP_ATTR in attributes else None
    try:
        current = Delivery(request, record.body, body_hash, token or None, delivery.load(request.id), clock())
        return deliver(current)
    except OutOfTime:
        _count_event("JudgingTooLong")
        logger.error("not judged before the record's deadline; SQS delivers it again", request_id=request.id)
        raise JudgingTooLong(f"{request.id}: not judged in the time left") from None
    except Exception:
        logger.exception("not finished; SQS delivers the record again", request_id=request.id)
        raise


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "sendguard_release" in event:  # issue 14: a reviewer's release, invoked by the review API
        from functions.review.release import handle_release_event

        _count_event("ReleaseInvoked")
        return handle_release_event(event["sendguard_release"])
    response = process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
    failed = len(response.get("batchItemFailures", []))
    metrics.add_metric(name="Records", unit=MetricUnit.Count, value=len(event.get("Records", [])))
    metrics.add_metric(name="FailedRecords", unit=MetricUnit.Count, value=failed)
    return response
