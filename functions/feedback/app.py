"""Turn delivery feedback into suppression the next check sees.

Inputs, all to the same handler:

- SNS records from the topic SES publishes to (configuration-set event publishing,
  ``eventType``, or identity notifications, ``notificationType``). A *permanent*
  bounce or a complaint becomes a ``bounce``/``complaint`` Event on the ``email``
  channel, for every affected recipient. Transient and undetermined bounces are
  not suppression (a full mailbox) and are skipped; deliveries, opens and other
  event types are ignored.
- SES *Send* events from the same configuration set: a send without the guard's
  ``sendguard-decision`` tag is an unguarded send (``functions.feedback.unguarded``),
  counted in the ``UnguardedSends`` metric and written to the decisions table for
  review. The guard's own sends are counted and otherwise ignored.
- Application unsubscribe events (see :class:`Unsubscribe`), invoked directly or
  published to that topic: an ``unsubscribe`` Event with the purpose it covers
  (``marketing`` unless the app says otherwise).

Each Event is written to the contact ledger with ``functions.ledger.put_event``.
An identical event already on the ledger (same recipient, type, time, channel,
purpose) is not written again, so SNS redeliveries and Lambda retries are harmless.
SNS records are read with Powertools' ``SNSEvent`` data class.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import SNSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from functions.feedback.unguarded import UnguardedSend, unguarded_send
from functions.ledger import put_event, put_unguarded_send, read_recent
from linters.models import Channel, Event, Purpose, aware, describe_validation_error, load_json

SES_EMAIL = Channel.EMAIL


class FeedbackError(ValueError):
    """A feedback message that cannot be used; the text names the field."""


class Unsubscribe(BaseModel):
    """An application's unsubscribe event (the documented JSON shape).

    ``{"type": "unsubscribe", "to": "ada@example.com", "channel": "email",
    "purpose": "marketing", "at": "2026-11-20T15:00:00Z", "source": "preference-center"}``
    """

    model_config = ConfigDict(extra="forbid")
    type: Literal["unsubscribe"]
    to: Annotated[str, Field(min_length=1, max_length=320)]
    channel: Channel
    purpose: Purpose = Purpose.MARKETING
    at: datetime | None = None
    source: Annotated[str, Field(max_length=200)] | None = None

    @field_validator("at")
    @classmethod
    def zone_aware(cls, value: datetime | None) -> datetime | None:
        return aware(value) if value else value


@dataclass(slots=True)
class Outcome:
    """What one invocation did; returned to the caller and logged (no addresses)."""

    written: int = 0
    duplicates: int = 0
    skipped: int = 0
    unguarded: int = 0
    guarded: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "written": self.written,
            "duplicates": self.duplicates,
            "skipped": self.skipped,
            "unguarded": self.unguarded,
            "guarded": self.guarded,
            "errors": self.errors,
        }


def _ses_time(text: str | None, fallback: str | None) -> datetime:
    value = text or fallback
    if not value:
        raise FeedbackError("timestamp: the notification has no time")
    try:
        return aware(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        raise FeedbackError(f"timestamp: not an ISO time: {value!r}") from None


def _addresses(recipients: Any, where: str) -> list[str]:
    if not isinstance(recipients, list) or not recipients:
        raise FeedbackError(f"{where}: no recipients in the notification")
    found = [r.get("emailAddress") for r in recipients if isinstance(r, dict)]
    if not all(isinstance(a, str) and a for a in found):
        raise FeedbackError(f"{where}[].emailAddress: missing")
    return found


def events_from_ses(notification: dict[str, Any]) -> list[tuple[str, Event]]:
    """(recipient, Event) pairs for one SES notification; [] when it is not suppression."""
    kind = notification.get("eventType") or notification.get("notificationType")
    sent_at = (notification.get("mail") or {}).get("timestamp")
    if kind == "Bounce":
        bounce = notification.get("bounce") or {}
        if bounce.get("bounceType") != "Permanent":
            return []
        at = _ses_time(bounce.get("timestamp"), sent_at)
        event = Event(type="bounce", at=at, channel=SES_EMAIL, bounce_type="permanent")
        return [(a, event) for a in _addresses(bounce.get("bouncedRecipients"), "bounce.bouncedRecipients")]
    if kind == "Complaint":
        complaint = notification.get("complaint") or {}
        # "not-spam" feedback is a retraction of a complaint, not a complaint.
        if complaint.get("complaintFeedbackType") == "not-spam":
            return []
        at = _ses_time(complaint.get("timestamp"), sent_at)
        event = Event(type="complaint", at=at, channel=SES_EMAIL)
        recipients = complaint.get("complainedRecipients")
        return [(a, event) for a in _addresses(recipients, "complaint.complainedRecipients")]
    return []


def events_from_unsubscribe(body: dict[str, Any], now: datetime) -> list[tuple[str, Event]]:
    try:
        unsubscribe = Unsubscribe.model_validate(body)
    except ValidationError as exc:
        raise FeedbackError(str(describe_validation_error(exc))) from None
    event = Event(
        type="unsubscribe", at=unsubscribe.at or now, channel=unsubscribe.channel, purpose=unsubscribe.purpose
    )
    return [(unsubscribe.to, event)]


def events_from_message(message: dict[str, Any], now: datetime) -> list[tuple[str, Event]]:
    """An SNS message body: an SES notification or an application unsubscribe."""
    if message.get("type") == "unsubscribe":
        return events_from_unsubscribe(message, now)
    if "eventType" in message or "notificationType" in message:
        return events_from_ses(message)
    raise FeedbackError("type: neither an SES notification nor an unsubscribe event")


def already_recorded(table: Any, to: str, event: Event) -> bool:
    # Reading from the event's own time forward finds an identical earlier write.
    _, events = read_recent(table, to, event.at, days=0)
    return event in events


def record(table: Any, to: str, event: Event) -> bool:
    """Write the event unless the ledger has it already; True when written."""
    if already_recorded(table, to, event):
        return False
    put_event(table, to, event)
    return True


def _messages(event: dict[str, Any]) -> list[tuple[str, Any]]:
    """(label, decoded body) per message in the invocation; label is for error reports.

    An event without ``Records`` is one message invoked directly (an app's unsubscribe).
    """
    if "Records" not in event:
        return [("event", event)]
    if not isinstance(event["Records"], list):
        return [("event", FeedbackError("Records: expected a list of SNS records"))]
    found: list[tuple[str, Any]] = []
    for index, item in enumerate(SNSEvent(event).records):
        label = f"Records[{index}]"
        try:
            text = item.sns.message
        except (KeyError, TypeError):
            found.append((label, FeedbackError("Sns.Message: missing (only SNS records are accepted)")))
            continue
        try:
            found.append((label, load_json(text)))
        except (json.JSONDecodeError, TypeError) as exc:
            problem = exc.msg if isinstance(exc, json.JSONDecodeError) else "not text"
            found.append((label, FeedbackError(f"Sns.Message: not valid JSON: {problem}")))
    return found


def is_send_event(message: dict[str, Any]) -> bool:
    return message.get("eventType") == "Send"


def check_send(message: dict[str, Any], now: datetime, outcome: Outcome) -> None:
    """Count a Send event; an unguarded one is written to the decisions table."""
    try:
        send = unguarded_send(message)
    except ValueError as exc:
        raise FeedbackError(str(exc)) from None
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


def process(event: dict[str, Any], now: datetime | None = None) -> Outcome:
    """Record every suppression event and unguarded send in the invocation; bad messages
    are listed, not fatal."""
    now = now or datetime.now(UTC)
    outcome = Outcome()
    for label, body in _messages(event):
        try:
            if isinstance(body, Exception):
                raise body
            if not isinstance(body, dict):
                raise FeedbackError("a feedback message is a JSON object")
            if is_send_event(body):
                check_send(body, now, outcome)
                continue
            pairs = events_from_message(body, now)
        except FeedbackError as exc:
            outcome.errors.append(f"{label}: {exc}")
            continue
        if not pairs:
            outcome.skipped += 1
        for to, suppression in pairs:
            if record(ledger_table(), to, suppression):
                outcome.written += 1
            else:
                outcome.duplicates += 1
    return outcome


# --- Lambda wiring -------------------------------------------------------------------

logger = Logger(service="sendguard-feedback")
metrics = Metrics(namespace="sendguard", service="sendguard-feedback")


def ledger_table() -> Any:
    from functions import aws

    return aws.table(aws.LEDGER_TABLE)


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
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point. Malformed messages are reported and logged (they would fail
    the same way on every retry); an AWS error propagates so Lambda retries the whole
    invocation, which the duplicate check makes safe."""
    outcome = process(event)
    _count(outcome)
    # Counts only: recipients' addresses are personal data and stay out of the logs.
    logger.info("feedback recorded", extra=outcome.to_dict())
    return outcome.to_dict()
