"""The send guard: SQS outbox -> render, lint, decide -> SES / SNS, ledger, quarantine.

Every SQS record is one send request (DESIGN section 2). The engine decides; this
module only moves data between AWS and ``linters.engine.check``:

- allow / rewrite: send exactly ``result.message`` (SESv2 simple content, or SNS for
  SMS and push), then write the contact to the ledger and the decision row;
- hold: put the request back on the outbox, delayed until ``retry_at``. SQS delays stop
  at 15 minutes, so a longer hold travels in 15-minute steps: each step carries the
  ``sendguard-not-before`` time and is passed on without being judged until that time;
- block: quarantine (decisions table, ``quarantined``) and a short notice, without
  personal data, to the review topic.

It fails closed: when a lookup, the policy or the engine fails, or the request is
malformed, nothing is sent; the record is reported as a batch item failure, SQS
delivers it again, and after ``maxReceiveCount`` receives it rests in the dead-letter
queue with its exact body. Malformed requests take that path too (not straight to
quarantine): the DLQ keeps bodies that are not even JSON or have no id, which the
decisions table (keyed by request id) cannot, and it needs no second code path.

Idempotency (Powertools, DynamoDB) is keyed on the request ``id`` and the hold step
(``sendguard-hop``): a duplicate delivery of the same step returns the stored outcome
instead of sending again, while each hold step is a new unit of work.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import time
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities import parameters
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from functions import aws, ledger
from functions.ses_templates import get_template
from functions.tracing import make_tracer
from linters.engine import check, resolve_customer
from linters.findings import Decision, Result
from linters.html_text import visible_text
from linters.models import Channel, Contact, InlineTemplate, Purpose, RequestError, SendRequest, parse_request
from linters.policy import Policy, policy_from_mapping

MAX_DELAY_SECONDS = 900  # SQS's limit for DelaySeconds
MAX_HOPS = 700  # about a week of 15-minute hold steps; then the request goes to quarantine
DEFAULT_HOLD = timedelta(minutes=15)  # a hold finding without a retry time waits one step
NOT_BEFORE_ATTR = "sendguard-not-before"
HOP_ATTR = "sendguard-hop"
IDEMPOTENCY_SECONDS = 48 * 3600  # duplicates later than this are sent again: ids must be unique
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
    _idempotent_deliver.cache_clear()
    parameters.clear_caches()
    _policies.clear()
    _templates.clear()


# --- lookups -------------------------------------------------------------------------


def current_policy() -> Policy:
    """The policy document from SSM (the ``[tool.sendguard]`` table as JSON), cached."""
    name = aws.optional_setting(aws.POLICY_PARAMETER)
    if not name:
        return Policy()
    document = parameters.get_parameter(name, transform="json", max_age=POLICY_MAX_AGE)
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
    """The request with its customer record and, when absent, history and events."""
    customers = aws.table(aws.CUSTOMERS_TABLE)
    customer = resolve_customer(request, lambda cid: ledger.get_customer(customers, cid))
    update: dict[str, Any] = {"customer": customer}
    if request.history is None or not request.events:
        contacts, events = ledger.read_recent(aws.table(aws.LEDGER_TABLE), request.to, moment)
        if request.history is None:
            update["history"] = contacts
        if not request.events:
            update["events"] = events
    return request.model_copy(update=update)


def _customer_names(request: SendRequest) -> tuple[str, ...]:
    customer = request.customer
    if customer is None:
        return ()
    names = (customer.first_name, customer.last_name, customer.preferred_name)
    return tuple(n for n in names if n and len(n) > 1)


# --- sending -------------------------------------------------------------------------


def _send_email(request: SendRequest, message: dict[str, str]) -> str:
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
    }
    configuration_set = aws.optional_setting(aws.SES_CONFIGURATION_SET)
    if configuration_set:
        kwargs["ConfigurationSetName"] = configuration_set
    return aws.client("sesv2").send_email(**kwargs)["MessageId"]


def _send_sms(request: SendRequest, text: str) -> str:
    kind = "Promotional" if request.purpose == Purpose.MARKETING else "Transactional"
    attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": kind}}
    # A sender id is 1-11 letters and digits with at least one letter (SNS's rule).
    if request.from_ and re.fullmatch(r"(?=.*[A-Za-z])[A-Za-z0-9]{1,11}", request.from_):
        attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": request.from_}
    response = aws.client("sns").publish(PhoneNumber=request.to, Message=text, MessageAttributes=attributes)
    return response["MessageId"]


@tracer.capture_method
def send(request: SendRequest, message: dict[str, str]) -> str:
    """Send exactly the checked (and rewritten) message; returns the provider's id."""
    if request.channel == Channel.EMAIL:
        return _send_email(request, message)
    text = message.get("text") or ""
    if request.channel == Channel.SMS:
        return _send_sms(request, text)
    if request.channel == Channel.PUSH:
        return aws.client("sns").publish(TargetArn=request.to, Message=text)["MessageId"]
    raise RequestError(
        "channel", "the guard delivers email, sms and push; check voice scripts with `sendguard check`"
    )


def _read_text(message: dict[str, str]) -> str | None:
    if message.get("text"):
        return message["text"]
    return visible_text(message["html"]).text if message.get("html") else None


def _record_sent(request: SendRequest, result: Result, moment: datetime, now: datetime) -> None:
    """Ledger contact and decision row. A failure here is logged, not raised: the
    message is already out, and raising would let a retry send it a second time."""
    try:
        contact = Contact(
            at=moment,
            channel=request.channel,
            campaign=request.campaign,
            purpose=request.purpose,
            text=_read_text(result.message),
        )
        ledger.put_contact(aws.table(aws.LEDGER_TABLE), request.to, contact)
        ledger.put_decision(aws.table(aws.DECISIONS_TABLE), result.to_dict(), now, quarantined=False)
    except Exception:
        logger.exception("sent, but the ledger or decision row was not written", request_id=request.id)
        metrics.add_metric(name="BookkeepingFailed", unit=MetricUnit.Count, value=1)


# --- hold and quarantine -------------------------------------------------------------


def requeue(body: str, not_before: datetime, hop: int, now: datetime) -> int:
    """Put ``body`` back on the outbox for ``not_before``; returns the delay in seconds."""
    delay = max(0, min(MAX_DELAY_SECONDS, math.ceil((not_before - now).total_seconds())))
    aws.client("sqs").send_message(
        QueueUrl=aws.setting(aws.OUTBOX_QUEUE_URL),
        MessageBody=body,
        DelaySeconds=delay,
        MessageAttributes={
            NOT_BEFORE_ATTR: {"DataType": "String", "StringValue": not_before.astimezone(UTC).isoformat()},
            HOP_ATTR: {"DataType": "Number", "StringValue": str(hop)},
        },
    )
    return delay


def quarantine(request: SendRequest, result: Result, now: datetime, reason: str) -> None:
    """Keep the message and its findings, and tell the reviewers (ids and rules only)."""
    ledger.put_decision(aws.table(aws.DECISIONS_TABLE), result.to_dict(), now, quarantined=True)
    topic = aws.optional_setting(aws.REVIEW_TOPIC_ARN)
    if not topic:
        return
    notice = {
        "id": request.id,
        "decision": str(result.decision),
        "reason": reason,
        "channel": str(request.channel),
        "campaign": request.campaign,
        "rules": sorted({f.rule for f in result.findings}),
        "see": "the decisions table, item with this id (quarantined = true)",
    }
    subject = re.sub(r"[^ -~]", "?", f"sendguard quarantined {request.id}")[:100]
    aws.client("sns").publish(TopicArn=topic, Subject=subject, Message=json.dumps(notice, indent=2))


def hold(
    request: SendRequest, result: Result, delivery: dict[str, Any], moment: datetime, now: datetime
) -> dict:
    wait = (result.retry_at - moment) if result.retry_at else DEFAULT_HOLD
    hop = int(delivery["hop"])
    if hop >= MAX_HOPS:
        quarantine(request, result, now, f"still held after {MAX_HOPS} hold steps")
        return {"outcome": "quarantined"}
    delay = requeue(delivery["body"], now + max(wait, timedelta(0)), hop + 1, now)
    ledger.put_decision(aws.table(aws.DECISIONS_TABLE), result.to_dict(), now, quarantined=False)
    return {"outcome": "held", "delay_seconds": delay}


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


@tracer.capture_method
def deliver(delivery: dict[str, Any]) -> dict[str, Any]:
    """Judge one request and act on the decision. Idempotent per (id, hop)."""
    now = clock()
    request = parse_request(delivery["body"])
    moment = request.now or now
    request = with_customer_and_ledger(request, moment)
    _names_to_mask.set(_customer_names(request))
    result = check(request, current_policy(), templates=stored_template, now=moment)
    _count(result)
    rules = sorted({f.rule for f in result.findings})
    logger.info(
        "decided",
        request_id=request.id,
        decision=str(result.decision),
        rules=rules,
        channel=str(request.channel),
        recipient_ref=hashlib.sha256(ledger.recipient_key(request.to).encode()).hexdigest()[:12],
    )
    summary: dict[str, Any] = {"id": request.id, "decision": str(result.decision), "rules": rules}
    if result.sendable:
        summary["provider_id"] = send(request, result.message)
        _record_sent(request, result, moment, now)
        return {**summary, "outcome": "sent"}
    if result.decision == Decision.HOLD:
        return {**summary, **hold(request, result, delivery, moment, now)}
    quarantine(request, result, now, "blocked by policy")
    return {**summary, "outcome": "quarantined"}


@cache
def _idempotent_deliver() -> tuple[IdempotencyConfig, Callable[..., dict[str, Any]]]:
    """Built on first use, so the table name and client come from the environment then."""
    config = IdempotencyConfig(
        event_key_jmespath="[id, hop]",
        expires_after_seconds=IDEMPOTENCY_SECONDS,
        raise_on_no_idempotency_key=True,
    )
    store = DynamoDBPersistenceLayer(
        table_name=aws.setting(aws.IDEMPOTENCY_TABLE), boto3_client=aws.client("dynamodb")
    )
    wrapped = idempotent_function(data_keyword_argument="delivery", config=config, persistence_store=store)(
        deliver
    )
    return config, wrapped


def _attribute(record: SQSRecord, name: str) -> str | None:
    found = (record.raw_event.get("messageAttributes") or {}).get(name) or {}
    return found.get("stringValue")


def handle_record(record: SQSRecord) -> dict[str, Any]:
    """One SQS record. Raising marks it failed: it stays on the queue (then the DLQ)."""
    _names_to_mask.set(())
    hop = int(_attribute(record, HOP_ATTR) or 0)
    not_before_text = _attribute(record, NOT_BEFORE_ATTR)
    now = clock()
    if not_before_text and datetime.fromisoformat(not_before_text) > now:
        # A long hold, between steps: pass it on unjudged (cheap, and nothing is sent).
        requeue(record.body, datetime.fromisoformat(not_before_text), hop + 1, now)
        return {"outcome": "waiting"}
    try:
        request_id = parse_request(record.body).id
    except RequestError as exc:
        logger.warning("malformed send request", message_id=record.message_id, error=str(exc))
        metrics.add_metric(name="Malformed", unit=MetricUnit.Count, value=1)
        raise
    _, deliver_once = _idempotent_deliver()
    try:
        return deliver_once(delivery={"id": request_id, "hop": hop, "body": record.body})
    except Exception:
        logger.exception("not sent; SQS delivers the record again", request_id=request_id)
        raise


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    config, _ = _idempotent_deliver()
    config.register_lambda_context(context)
    response = process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
    failed = len(response.get("batchItemFailures", []))
    metrics.add_metric(name="Records", unit=MetricUnit.Count, value=len(event.get("Records", [])))
    metrics.add_metric(name="FailedRecords", unit=MetricUnit.Count, value=failed)
    return response
