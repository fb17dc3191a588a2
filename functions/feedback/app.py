"""Turn SES delivery feedback into suppression the next check sees (FeedbackFunction).

Accepted, and only from the stack's own SES notifications: SNS records
(``EventSource`` ``aws:sns``) whose ``Sns.TopicArn`` is the stack's feedback topic, the
ARN in the ``FEEDBACK_TOPIC_ARN`` environment variable (template.yaml sets it; the
function's SNS subscription and its resource policy name that topic alone, and the
topic's policy lets only SES publish to it). In such a record's ``Message``:

- an SES notification (configuration-set event publishing, ``eventType``, or identity
  notifications, ``notificationType``). A *permanent* bounce or a complaint becomes a
  ``bounce``/``complaint`` Event on the ``email`` channel for every affected recipient.
  Transient and undetermined bounces are not suppression (a full mailbox) and are
  skipped; deliveries, opens and other event types are ignored. A *Subscription* event
  (SES subscription management, the policy's ``unsubscribe.method = "ses"``) that opts
  out of the list or a topic becomes a marketing ``unsubscribe`` on ``email``.
- an SES *Send* event: a send without the guard's ``sendguard-decision`` tag is an
  unguarded send (``functions.feedback.unguarded``), counted in the ``UnguardedSends``
  metric and written to the decisions table for review. The guard's own sends are
  counted and otherwise ignored.

Everything else is refused and listed in ``errors`` with the reason, and nothing is
written for it: a record from another topic or without ``EventSource`` ``aws:sns``, an
invocation without SNS records, an application's unsubscribe (those go to
UnsubscribeFunction, ``functions.feedback.unsubscribe``, which can only stop marketing),
and every malformed record: wrong types, lists where objects belong, addresses longer
than RFC 5321 allows, a ``Message`` that is not JSON. A malformed record is never
raised: it would fail the same way on every retry.

Each Event is written to the contact ledger with ``functions.ledger.put_event``. An
identical event already on the ledger (same recipient, type, time, channel, purpose) is
not written again, so SNS redeliveries and Lambda retries are harmless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from functions.feedback.records import EmailAddress, IsoTime, Outcome, ledger_table, write_all
from functions.feedback.unguarded import UnguardedSend, unguarded_send
from functions.ledger import put_unguarded_send
from linters.models import Channel, Event, Purpose, describe_validation_error, load_json

__all__ = ["FEEDBACK_TOPIC_ARN", "FeedbackError", "Outcome", "handler", "process"]

SES_EMAIL = Channel.EMAIL
# The environment variable naming the stack's feedback topic (template.yaml sets it).
FEEDBACK_TOPIC_ARN = "FEEDBACK_TOPIC_ARN"
# SES sends one email to at most 50 recipients, so a notification names at most 50.
MAX_RECIPIENTS = 50
UNSUBSCRIBE_ELSEWHERE = (
    "an application unsubscribe is not accepted by the feedback function, which takes SES "
    "notifications from the stack's feedback topic only: invoke UnsubscribeFunction (stack "
    "output UnsubscribeFunctionArn) with the same JSON; it records marketing unsubscribes"
)


class FeedbackError(ValueError):
    """A feedback message that cannot be used; the text names the field."""


# --- SES notifications (the fields used; SES adds others, which are ignored) ----------


class _SesPart(BaseModel):
    model_config = ConfigDict(extra="ignore")


class SesRecipient(_SesPart):
    emailAddress: EmailAddress  # SES's field names


Recipients = Annotated[list[SesRecipient], Field(min_length=1, max_length=MAX_RECIPIENTS)]


class SesMailTime(_SesPart):
    timestamp: IsoTime | None = None


class SesBounce(_SesPart):
    bounceType: Annotated[StrictStr, Field(max_length=64)]
    bouncedRecipients: Recipients
    timestamp: IsoTime | None = None


class SesComplaint(_SesPart):
    complainedRecipients: Recipients
    timestamp: IsoTime | None = None
    complaintFeedbackType: Annotated[StrictStr, Field(max_length=128)] | None = None


class BounceNotification(_SesPart):
    bounce: SesBounce
    mail: SesMailTime | None = None


class ComplaintNotification(_SesPart):
    complaint: SesComplaint
    mail: SesMailTime | None = None


class SesTopicStatus(_SesPart):
    topicName: Annotated[StrictStr, Field(max_length=256)] | None = None
    subscriptionStatus: Annotated[StrictStr, Field(max_length=32)]


class SesTopicPreferences(_SesPart):
    unsubscribeAll: bool = False
    topicSubscriptionStatus: Annotated[list[SesTopicStatus], Field(max_length=100)] = Field(
        default_factory=list
    )

    def opts_out(self) -> bool:
        return self.unsubscribeAll or any(
            t.subscriptionStatus.lower() == "optout" for t in self.topicSubscriptionStatus
        )


class SesSubscription(_SesPart):
    timestamp: IsoTime | None = None
    newTopicPreferences: SesTopicPreferences


class SesDestinationMail(SesMailTime):
    destination: Annotated[list[EmailAddress], Field(min_length=1, max_length=MAX_RECIPIENTS)]


class SubscriptionNotification(_SesPart):
    """SES subscription management (the policy's ``unsubscribe.method = "ses"``): the
    reader used SES's own unsubscribe header or footer link."""

    subscription: SesSubscription
    mail: SesDestinationMail


def _validated(model: type[BaseModel], notification: dict[str, Any]) -> Any:
    try:
        return model.model_validate(notification)
    except ValidationError as exc:
        raise FeedbackError(str(describe_validation_error(exc))) from None


def _time(at: datetime | None, mail: SesMailTime | None) -> datetime:
    value = at or (mail.timestamp if mail else None)
    if value is None:
        raise FeedbackError("timestamp: the notification has no time")
    return value


def notification_kind(notification: dict[str, Any]) -> str | None:
    """``eventType`` (event publishing) or ``notificationType`` (identity notifications)."""
    key = "eventType" if "eventType" in notification else "notificationType"
    kind = notification.get(key)
    if kind is None:
        return None
    if not isinstance(kind, str) or len(kind) > 64:
        raise FeedbackError(f"{key}: an SES event type is short text")
    return kind


def events_from_ses(notification: dict[str, Any]) -> list[tuple[str, Event]]:
    """(recipient, Event) pairs for one SES notification; [] when it is not suppression."""
    kind = notification_kind(notification)
    if kind == "Bounce":
        bounced: BounceNotification = _validated(BounceNotification, notification)
        if bounced.bounce.bounceType != "Permanent":
            return []
        at = _time(bounced.bounce.timestamp, bounced.mail)
        event = Event(type="bounce", at=at, channel=SES_EMAIL, bounce_type="permanent")
        return [(r.emailAddress, event) for r in bounced.bounce.bouncedRecipients]
    if kind == "Complaint":
        complained: ComplaintNotification = _validated(ComplaintNotification, notification)
        # "not-spam" feedback is a retraction of a complaint, not a complaint.
        if complained.complaint.complaintFeedbackType == "not-spam":
            return []
        at = _time(complained.complaint.timestamp, complained.mail)
        event = Event(type="complaint", at=at, channel=SES_EMAIL)
        return [(r.emailAddress, event) for r in complained.complaint.complainedRecipients]
    if kind == "Subscription":
        return _unsubscribes_from_ses(_validated(SubscriptionNotification, notification))
    return []


def _unsubscribes_from_ses(notice: SubscriptionNotification) -> list[tuple[str, Event]]:
    """An opt-out through SES subscription management (all topics or one: the ledger
    has no topics, so either stops marketing email) as a marketing unsubscribe."""
    if not notice.subscription.newTopicPreferences.opts_out():
        return []  # an opt-in, or preferences changed without leaving anything
    at = _time(notice.subscription.timestamp, notice.mail)
    event = Event(type="unsubscribe", at=at, channel=SES_EMAIL, purpose=Purpose.MARKETING)
    return [(address, event) for address in notice.mail.destination]


def is_ses_notification(message: dict[str, Any]) -> bool:
    return "eventType" in message or "notificationType" in message


# --- the SNS envelope -------------------------------------------------------------------


class SnsNotification(BaseModel):
    """The ``Sns`` of a record: the required fields of Powertools' ``SnsNotificationModel``
    (``aws_lambda_powertools.utilities.parser.models``), declared here because importing
    Powertools' parser loads every event model it has (about a quarter of a second of
    this function's cold start)."""

    model_config = ConfigDict(extra="ignore")
    Type: Literal["Notification"]
    MessageId: Annotated[StrictStr, Field(min_length=1, max_length=256)]
    TopicArn: Annotated[StrictStr, Field(max_length=1024)]
    Message: StrictStr
    Timestamp: IsoTime
    Subject: StrictStr | None = None


class SnsRecord(BaseModel):
    """One record of an SNS invocation (Powertools' ``SnsRecordModel``, as above)."""

    model_config = ConfigDict(extra="ignore")
    EventSource: Literal["aws:sns"]
    EventVersion: StrictStr
    EventSubscriptionArn: Annotated[StrictStr, Field(max_length=2048)]
    Sns: SnsNotification


def _type_name(value: Any) -> str:
    return {dict: "object", list: "list", str: "text", bool: "boolean", type(None): "null"}.get(
        type(value), "number" if isinstance(value, (int, float)) else type(value).__name__
    )


def message_of(record: Any, topic_arn: str) -> dict[str, Any]:
    """The decoded ``Message`` of an SNS record from the stack's feedback topic;
    FeedbackError saying why the record is refused otherwise."""
    return sns_message(record, topic_arn)[1]


def sns_message(
    record: Any, topic_arn: str, topic: str = "feedback topic", payload: str = "an SES notification"
) -> tuple[SnsNotification, dict[str, Any]]:
    """The ``Sns`` envelope and decoded ``Message`` of a record from the stack's ``topic``
    (the topic whose ARN is ``topic_arn``); FeedbackError saying why it is refused
    otherwise. ``payload`` names what the message should be, for the error."""
    if not isinstance(record, dict):
        raise FeedbackError(f"an SNS record is an object, not {_type_name(record)}")
    if record.get("EventSource") != "aws:sns":
        raise FeedbackError(
            f'EventSource: not "aws:sns"; refused: only SNS notifications from the {topic} are accepted'
        )
    sns = record.get("Sns")
    if not isinstance(sns, dict):
        raise FeedbackError("Sns: missing or not an object")
    if sns.get("TopicArn") != topic_arn:
        raise FeedbackError(
            f"Sns.TopicArn: not the stack's {topic} {topic_arn}; refused: nothing is written for it"
        )
    subscription = record.get("EventSubscriptionArn")
    if not isinstance(subscription, str) or not subscription.startswith(f"{topic_arn}:"):
        raise FeedbackError(f"EventSubscriptionArn: not a subscription to the {topic}; refused")
    try:
        envelope = SnsRecord.model_validate(record)
    except ValidationError as exc:
        raise FeedbackError(str(describe_validation_error(exc))) from None
    try:
        message = load_json(envelope.Sns.Message)
    except json.JSONDecodeError as exc:
        raise FeedbackError(f"Sns.Message: not valid JSON: {exc.msg}") from None
    if not isinstance(message, dict):
        raise FeedbackError(f"Sns.Message: {payload} is a JSON object, not {_type_name(message)}")
    return envelope.Sns, message


def _records(event: Any) -> list[Any] | str:
    """The invocation's records, or the reason the whole invocation is refused."""
    if not isinstance(event, dict):
        return f"event: the feedback function takes SNS records, not {_type_name(event)}"
    if "Records" not in event:
        if event.get("type") == "unsubscribe":
            return f"event: {UNSUBSCRIBE_ELSEWHERE}"
        return (
            "event: Records: missing; refused: the feedback function takes SES notifications "
            "as SNS records from the stack's feedback topic only"
        )
    records = event["Records"]
    if not isinstance(records, list):
        return "event: Records: expected a list of SNS records"
    return records


# --- one invocation ---------------------------------------------------------------------


def read_send(message: dict[str, Any]) -> UnguardedSend | None:
    """The unguarded send a Send event reports, None for the guard's own; FeedbackError
    naming the field when the event is malformed."""
    try:
        return unguarded_send(message)
    except ValueError as exc:
        raise FeedbackError(str(exc)) from None


def count_send(send: UnguardedSend | None, now: datetime, outcome: Outcome) -> None:
    if send is None:
        outcome.guarded += 1
        return
    report_unguarded(send, now)
    outcome.unguarded += 1


def report_unguarded(send: UnguardedSend, now: datetime) -> None:
    put_unguarded_send(decisions_table(), send, now)
    # Identity and caller only: who sent past the guard, never to whom.
    logger.warning(
        "unguarded send",
        extra={"ses_message_id": send.message_id, "identity": send.identity, "caller": send.caller},
    )


@dataclass(frozen=True, slots=True)
class SendEvent:
    """A Send event read from a record: the unguarded send, or None for the guard's own."""

    unguarded: UnguardedSend | None


def read_record(record: Any, topic_arn: str) -> SendEvent | list[tuple[str, Event]]:
    """The Send event or the suppression pairs of one record.

    Reading only, no AWS call: any exception is about the record, reported as one.
    """
    message = message_of(record, topic_arn)
    if message.get("type") == "unsubscribe" and not is_ses_notification(message):
        raise FeedbackError(f"Sns.Message: {UNSUBSCRIBE_ELSEWHERE}")
    if not is_ses_notification(message):
        raise FeedbackError("Sns.Message: not an SES notification (no eventType or notificationType)")
    if notification_kind(message) == "Send":
        return SendEvent(read_send(message))
    return events_from_ses(message)


def _problem(exc: BaseException) -> str:
    if isinstance(exc, FeedbackError):
        return str(exc)
    if isinstance(exc, ValidationError):
        return str(describe_validation_error(exc))
    if isinstance(exc, RecursionError):
        return "nested too deeply to be an SNS record"
    # Anything else a record's data provokes: named by kind, never with the data.
    return f"malformed record ({type(exc).__name__})"


def process(event: Any, now: datetime | None = None, topic_arn: str | None = None) -> Outcome:
    """Record every suppression event and unguarded send in the invocation; refused and
    malformed records are listed in ``errors``, never raised. AWS errors propagate."""
    now = now or datetime.now(UTC)
    outcome = Outcome()
    found = _records(event)
    if isinstance(found, str):
        outcome.errors.append(found)
        if "UnsubscribeFunction" in found:
            logger.warning("application unsubscribe sent to the feedback function; refused")
        return outcome
    records = found
    if records and topic_arn is None:
        topic_arn = feedback_topic()  # outside the loop: a missing setting is raised, not listed
    for index, item in enumerate(records):
        label = f"Records[{index}]"
        try:
            read = read_record(item, topic_arn or "")
        except Exception as exc:  # reading a record makes no AWS call: it is the data
            outcome.errors.append(f"{label}: {_problem(exc)}")
            continue
        if isinstance(read, SendEvent):
            count_send(read.unguarded, now, outcome)
        elif not read:
            outcome.skipped += 1
        else:
            write_all(ledger_table(), read, outcome)
    return outcome


# --- Lambda wiring -------------------------------------------------------------------

logger = Logger(service="sendguard-feedback")
metrics = Metrics(namespace="sendguard", service="sendguard-feedback")


def feedback_topic() -> str:
    """The stack's feedback topic ARN; MissingSetting (raised: a deployment mistake,
    Lambda retries and keeps the event) when the environment does not name it."""
    from functions import aws

    return aws.setting(FEEDBACK_TOPIC_ARN)


def decisions_table() -> Any:
    from functions import aws

    return aws.table(aws.DECISIONS_TABLE)


def _count(outcome: Outcome) -> None:
    # UnguardedSends is published on every invocation (0 included): its alarm sees data.
    metrics.add_metric(name="UnguardedSends", unit=MetricUnit.Count, value=outcome.unguarded)
    metrics.add_metric(name="GuardedSends", unit=MetricUnit.Count, value=outcome.guarded)
    metrics.add_metric(name="SuppressionWritten", unit=MetricUnit.Count, value=outcome.written)
    metrics.add_metric(name="FeedbackErrors", unit=MetricUnit.Count, value=len(outcome.errors))


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point. Refused and malformed records are reported and logged (they
    would fail the same way on every retry); an AWS error, or a missing
    FEEDBACK_TOPIC_ARN, propagates so Lambda retries the whole invocation, which the
    duplicate check makes safe."""
    outcome = process(event)
    _count(outcome)
    # Counts and reasons only: recipients' addresses are personal data and stay out of the logs.
    logger.info("feedback recorded", extra=outcome.to_dict())
    return outcome.to_dict()
