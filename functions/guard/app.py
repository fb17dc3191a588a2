"""The send guard's Lambda adapter: SQS outbox -> render, lint, decide -> SES / SNS / voice.

Every SQS record is one send request (docs/design.md, section 2). The engine decides; this
module only moves data between AWS and ``linters.engine.check``:

- allow / rewrite: send exactly ``result.message`` (SESv2 simple content, SNS for SMS
  and push, End User Messaging SendVoiceMessage for voice: ``functions.guard.voice``),
  then write the contact to the ledger and the decision row;
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

Duplicates, crashes and failed writes are handled by the delivery record and the
steps beside it (``functions.guard.delivery``): at most one send per request, every
request accounted for. This module keeps the adapter: parsing the SQS record, the
lookups (``functions.lookups``), judging, the provider calls and the bookkeeping
writes (handed to the steps as ``effects()``), metrics and logs, the batch handler.
The guard also watches the invocation's remaining time and hands back records it has
not started (batch item failures) rather than letting the timeout take the batch.

The Lambda entry is ``functions.guard.handler.lambda_handler``: it sends a reviewer's
release (``{"sendguard_release": ...}``) to ``functions.review.release`` and every
SQS batch to ``lambda_handler`` here.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from functions import aws, ledger, lookups
from functions.guard import delivery, voice
from functions.tracing import make_tracer
from functions.unsubscribe_link import headers as unsubscribe_headers
from linters.engine import check
from linters.findings import Result
from linters.models import Channel, Contact, Purpose, RequestError, SendRequest, parse_request
from linters.rules.human_path.no_address_or_opt_out import UNSUBSCRIBE_LINK, fill_unsubscribe_link

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


def clock() -> datetime:
    """The guard's clock; tests replace it to walk through hold steps."""
    return datetime.now(UTC)


def reset() -> None:
    """Forget clients and caches (tests start a fresh moto for each test)."""
    aws.reset()
    lookups.reset()
    voice.reset()


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
    message = _with_footer_link(message, request)
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
    _add_one_click(kwargs, request)
    return aws.send_client("sesv2").send_email(**kwargs)["MessageId"]


def _with_footer_link(message: dict[str, str], request: SendRequest) -> dict[str, str]:
    """``message`` with the opt-out footer SG702 added (its ``UNSUBSCRIBE_LINK``) linked
    to the recipient's own one-click link. A footer whose link cannot be made is never
    sent dead: nothing goes out, and the request is judged again (then the DLQ)."""
    if not any(UNSUBSCRIBE_LINK in (message.get(part) or "") for part in ("text", "html")):
        return message
    try:
        base = unsubscribe_headers.base_url()
        if base is None:
            raise unsubscribe_headers.Unavailable(
                "the opt-out footer needs a one-click link: set the stack's UnsubscribeUrl, "
                "or [sender] unsubscribe_url in the policy"
            )
        url = unsubscribe_headers.link(base, request.to, request.channel, clock())
    except unsubscribe_headers.Unavailable as exc:
        _count_event("FooterLinkUnavailable")
        raise delivery.NotAttempted(str(exc)) from exc
    return fill_unsubscribe_link(message, url)


def _add_one_click(kwargs: dict[str, Any], request: SendRequest) -> None:
    """Marketing email carries one-click unsubscribe (functions.unsubscribe_link.headers).
    When its link cannot be made now, nothing is sent: the request is judged again."""
    try:
        offered = unsubscribe_headers.add_to_email(kwargs, request, clock())
    except unsubscribe_headers.Unavailable as exc:
        _count_event("OneClickUnavailable")
        raise delivery.NotAttempted(str(exc)) from exc
    if not offered:
        _count_event("OneClickMissing")  # UnsubscribeUrl is not set: the alarm says so


def _tag_attribute(tag: str) -> dict[str, dict[str, str]]:
    return {DECISION_TAG: {"DataType": "String", "StringValue": tag}}


def _send_sms(request: SendRequest, text: str, tag: str) -> str:
    kind = "Promotional" if request.purpose == Purpose.MARKETING else "Transactional"
    attributes = {"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": kind}, **_tag_attribute(tag)}
    # A sender id is 1-11 letters and digits with at least one letter (SNS's rule).
    if request.from_ and re.fullmatch(r"(?=.*[A-Za-z])[A-Za-z0-9]{1,11}", request.from_):
        attributes["AWS.SNS.SMS.SenderID"] = {"DataType": "String", "StringValue": request.from_}
    # A number of the stack's (E.164): a reply to a text (HELP) leaves from the number it answers.
    elif request.from_ and re.fullmatch(r"\+[1-9][0-9]{1,14}", request.from_):
        attributes["AWS.MM.SMS.OriginationNumber"] = {"DataType": "String", "StringValue": request.from_}
    response = aws.send_client("sns").publish(
        PhoneNumber=request.to, Message=text, MessageAttributes=attributes
    )
    return response["MessageId"]


@tracer.capture_method
def send(request: SendRequest, message: dict[str, str], tag: str) -> str:
    """Send exactly the checked (and rewritten) message; returns the provider's id.
    ``tag`` is the decision id the message carries (SES email tag, SNS attribute,
    the voice call's context)."""
    if request.channel == Channel.EMAIL:
        return _send_email(request, message, tag)
    text = message.get("text") or ""
    if request.channel == Channel.SMS:
        return _send_sms(request, text, tag)
    if request.channel == Channel.PUSH:
        publish = aws.send_client("sns").publish
        return publish(TargetArn=request.to, Message=text, MessageAttributes=_tag_attribute(tag))["MessageId"]
    if request.channel == Channel.VOICE:
        return voice.send_voice(request, text, tag)
    raise RequestError("channel", f"the guard does not deliver {request.channel!r}")


# --- bookkeeping writes and metrics --------------------------------------------------


def _count_event(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


def _write_ledger(pending: dict[str, Any]) -> None:
    contact = Contact.model_validate(pending["contact"])
    table = aws.table(aws.LEDGER_TABLE)
    # One row per partition of the person, the same sort key in each: a read that finds
    # it under both counts it once (ledger.read_recent), a retried write replaces it.
    for key in ledger.person_keys(pending["to"], pending.get("customer_id")):
        ledger.put_contact(table, key, contact, suffix=pending["suffix"])


def _write_decision(pending: dict[str, Any]) -> None:
    ledger.write_decision(aws.table(aws.DECISIONS_TABLE), pending)


def _send_notice(pending: dict[str, Any]) -> None:
    topic = aws.optional_setting(aws.REVIEW_TOPIC_ARN)
    if topic:
        aws.client("sns").publish(TopicArn=topic, Subject=pending["subject"], Message=pending["message"])


def _note_notice(record: delivery.Record, outcome: str) -> None:
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


def effects() -> delivery.Effects:
    """What the delivery steps do through this adapter. Made for each record, so the
    functions are the ones this module holds at the time (tests replace them)."""
    return delivery.Effects(
        send=send,
        writers={
            delivery.LEDGER: _write_ledger,
            delivery.DECISION: _write_decision,
            delivery.NOTICE: _send_notice,
        },
        note_notice=_note_notice,
        judge_and_act=judge_and_act,
        count=_count_event,
        logger=logger,
    )


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


def judge(current: delivery.Delivery) -> tuple[Result, datetime]:
    """Render, lint and decide (no side effects but metrics and a log line), within the
    record's judging deadline: a request that cannot be judged in time is not judged."""
    # The guard's clock, never the request's ``now``: a producer's ``now`` would move a
    # message out of quiet hours, or the ledger's window away from today's contacts.
    moment = current.now
    at_guard_time = current.request.model_copy(update={"now": None}) if current.request.now else current.request
    request = lookups.with_customer_and_ledger(at_guard_time, moment)
    _names_to_mask.set(_customer_names(request))
    policy = lookups.current_policy()
    with deadline(_judging_budget.get()):
        result = check(request, policy, templates=lookups.stored_template, now=moment)
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
def judge_and_act(current: delivery.Delivery) -> dict[str, Any]:
    """Judge the request and act on the decision (``delivery.act``): send once, hold,
    or quarantine."""
    result, moment = judge(current)
    return delivery.act(current, result, moment)


# What the guard itself delivers. A postcard, an in-app message or a person's call is a
# contact made elsewhere: asked for before (POST /contacts/ask) and recorded after
# (POST /contacts), never put on the outbox.
DELIVERED = frozenset({Channel.EMAIL, Channel.SMS, Channel.PUSH, Channel.VOICE})


def deliverable(request: SendRequest) -> SendRequest:
    """``request``, or a RequestError before any judging when the guard cannot deliver it."""
    if request.channel not in DELIVERED:
        raise RequestError(
            "channel",
            f"the guard delivers email, sms, push and voice, not {request.channel}: ask before a "
            f"{request.channel} contact with POST /contacts/ask and record it with POST /contacts",
        )
    if request.channel == Channel.VOICE and not request.automated:
        raise RequestError(
            "automated",
            "a person's call is not delivered by the guard: ask before it with POST /contacts/ask "
            "and record it with POST /contacts",
        )
    return request


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
        request = deliverable(parse_request(record.body))
        body_hash = delivery.payload_hash(record.body)
    except RequestError as exc:
        logger.warning("malformed send request", message_id=record.message_id, error=str(exc))
        _count_event("Malformed")
        raise
    # SQSMessageAttributes' item access gives the typed attribute (its .get the raw dict).
    attributes = record.message_attributes
    step = delivery.STEP_ATTR
    token = attributes[step].string_value if step in attributes else None
    try:
        record_now = delivery.load(request.id)
        current = delivery.Delivery(request, record.body, body_hash, token or None, record_now, clock(), effects())
        return delivery.deliver(current)
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
    """An SQS batch from the outbox (the entry, ``functions.guard.handler``, routes a
    reviewer's release elsewhere)."""
    response = process_partial_response(
        event=event, record_handler=handle_record, processor=processor, context=context
    )
    failed = len(response.get("batchItemFailures", []))
    metrics.add_metric(name="Records", unit=MetricUnit.Count, value=len(event.get("Records", [])))
    metrics.add_metric(name="FailedRecords", unit=MetricUnit.Count, value=failed)
    return response
