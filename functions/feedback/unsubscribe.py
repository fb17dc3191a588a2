"""An application's unsubscribe entry (UnsubscribeFunction): it can only stop marketing.

Applications invoke it directly (``lambda:InvokeFunction`` on the stack output
``UnsubscribeFunctionArn``) with one unsubscribe, the documented JSON shape::

    {"type": "unsubscribe", "to": "ada@example.com", "channel": "email",
     "purpose": "marketing", "at": "2026-11-20T15:00:00Z", "source": "preference-center"}

``type`` and ``purpose`` may be left out; ``purpose`` can only be ``marketing``. ``to`` is
checked against its channel: an email address (RFC 5321: at most 254 characters), an
E.164 phone number for ``sms`` and ``voice``, an SNS platform endpoint ARN for
``push``. ``at`` defaults to now and may not lie more than a day ahead.

What it writes is an ``unsubscribe`` Event with purpose ``marketing`` on that channel,
and nothing else: SG601 then blocks marketing on the channel while receipts, password
resets and service messages still go. Bounces and complaints are SES's to report, to
FeedbackFunction through the stack's topic; no event an application sends here can
become one. A malformed event is answered in ``errors`` (nothing written), never raised.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError, model_validator

from functions.feedback.records import IsoTime, Outcome, ledger_table, recipient, write_all
from linters.models import Channel, Event, Purpose, describe_validation_error

# A device clock a little ahead is fine; an unsubscribe dated next year is a mistake.
MAX_AHEAD = timedelta(days=1)
MAX_SOURCE_CHARS = 200


class Unsubscribe(BaseModel):
    """An application's unsubscribe: marketing only, on one channel."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["unsubscribe"] = "unsubscribe"
    to: Annotated[StrictStr, Field(min_length=1, max_length=2048)]
    channel: Channel
    purpose: Literal[Purpose.MARKETING] = Purpose.MARKETING
    at: IsoTime | None = None
    source: Annotated[StrictStr, Field(max_length=MAX_SOURCE_CHARS)] | None = None

    @model_validator(mode="after")
    def address_fits_channel(self) -> Unsubscribe:
        try:
            self.to = recipient(self.channel, self.to)
        except ValueError as exc:
            raise ValueError(f"to: {exc}") from None
        return self


def read_unsubscribe(event: Any, now: datetime) -> tuple[str, Event]:
    """(recipient, Event) for one application unsubscribe; ValueError naming the field."""
    if not isinstance(event, dict):
        raise ValueError("event: an unsubscribe is a JSON object")
    if "Records" in event or "eventType" in event or "notificationType" in event:
        raise ValueError(
            "event: SES notifications and SNS records are not accepted here: bounces and "
            "complaints reach FeedbackFunction through the stack's feedback topic only"
        )
    if event.get("purpose") not in (None, Purpose.MARKETING.value):
        raise ValueError(
            "purpose: this entry records marketing unsubscribes only; receipts, password "
            "resets and service messages are not stopped by an application"
        )
    try:
        unsubscribe = Unsubscribe.model_validate(event)
    except ValidationError as exc:
        raise ValueError(str(describe_validation_error(exc))) from None
    except RecursionError:
        raise ValueError("event: nested too deeply to be an unsubscribe") from None
    at = unsubscribe.at or now
    if at > now + MAX_AHEAD:
        raise ValueError("at: more than a day in the future")
    event_ = Event(type="unsubscribe", at=at, channel=unsubscribe.channel, purpose=Purpose.MARKETING)
    return unsubscribe.to, event_


def process(event: Any, now: datetime | None = None) -> Outcome:
    """Write one marketing unsubscribe; a malformed event is listed in ``errors``."""
    now = now or datetime.now(UTC)
    outcome = Outcome()
    try:
        pair = read_unsubscribe(event, now)
    except Exception as exc:  # reading the event makes no AWS call: it is the data
        problem = str(exc) if isinstance(exc, ValueError) else f"malformed event ({type(exc).__name__})"
        outcome.errors.append(problem if problem.startswith("event") else f"event: {problem}")
        return outcome
    write_all(ledger_table(), [pair], outcome)
    return outcome


# --- Lambda wiring -------------------------------------------------------------------

logger = Logger(service="sendguard-unsubscribe")
metrics = Metrics(namespace="sendguard", service="sendguard-unsubscribe")


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point: ``{"written", "duplicates", "errors", ...}`` (an AWS error
    propagates: the caller, or Lambda for an asynchronous invoke, retries safely)."""
    outcome = process(event)
    metrics.add_metric(name="UnsubscribesWritten", unit=MetricUnit.Count, value=outcome.written)
    metrics.add_metric(name="UnsubscribeErrors", unit=MetricUnit.Count, value=len(outcome.errors))
    # Counts only: the address is personal data and stays out of the logs.
    logger.info("unsubscribe recorded", extra=outcome.to_dict())
    return outcome.to_dict()
