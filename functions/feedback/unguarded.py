"""Sends that did not pass through the guard, found in SES *Send* events.

Every sending identity has the guard's configuration set as its default (template.yaml,
``AWS::SES::EmailIdentity``), and that set publishes Send events to the feedback topic.
The guard tags each email it sends with ``sendguard-decision`` (its decision id); SES
copies message tags into the event's ``mail.tags``. A Send event without that tag is an
*unguarded send*: someone called SES directly. The feedback function counts it, and
writes it to the decisions table for review with ``functions.ledger.put_unguarded_send``.

What is kept is what a reviewer needs to find the sender, and nothing about the
recipient: SES's message id, the sending identity, the caller SES reports, the operation,
the time and the number of recipients. Addresses, subject and content stay out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

from functions.feedback.records import IsoTime
from functions.ledger import DECISION_TAG
from linters.models import aware, describe_validation_error

MAX_DESTINATIONS = 50
TagText = Annotated[StrictStr, Field(max_length=256)]

# The message tag (SESv2 EmailTags) the guard puts on every email it sends.


class SesMail(BaseModel):
    """The ``mail`` object of an SES event: only the fields the review needs."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    message_id: Annotated[StrictStr, Field(alias="messageId", min_length=1, max_length=200)]
    timestamp: IsoTime
    source_arn: Annotated[StrictStr, Field(alias="sourceArn", max_length=2048)] = ""
    # SES sends to at most 50 recipients; only the count is kept.
    destination: Annotated[list[Any], Field(max_length=MAX_DESTINATIONS)] = Field(default_factory=list)
    # SES allows 50 message tags of its callers, names and values at most 256 characters,
    # and adds its own (ses:...): bounded so a review row stays far below DynamoDB's 400 KB.
    tags: Annotated[dict[TagText, Annotated[list[TagText], Field(max_length=10)]], Field(max_length=100)] = (
        Field(default_factory=dict)
    )

    def tag(self, name: str) -> str | None:
        values = [v for v in self.tags.get(name, []) if v]
        return values[0] if values else None


class UnguardedSend(BaseModel):
    """One email SES sent without the guard's decision tag: the row a reviewer reads."""

    message_id: str
    sent_at: datetime
    identity: str  # the SES identity ARN the email was sent from
    caller: str | None  # ses:caller-identity, the IAM identity that called SES
    operation: str | None  # ses:operation, e.g. SendEmail
    configuration_set: str | None
    recipients: int

    @property
    def review_id(self) -> str:
        """The decisions table key: never a guard request id (those are the producers')."""
        return f"unguarded#{self.message_id}"


def read_mail(notification: dict[str, Any]) -> SesMail:
    """The ``mail`` of an SES event; ValueError naming the field when it is unusable."""
    try:
        mail = SesMail.model_validate(notification.get("mail"))
    except RecursionError:
        raise ValueError("mail: nested too deeply") from None
    except ValidationError as exc:
        problem = describe_validation_error(exc)
        where = f"mail.{problem.field}" if problem.field else "mail"
        raise ValueError(f"{where}: {problem.problem}") from None
    mail.timestamp = aware(mail.timestamp)
    return mail


def unguarded_send(notification: dict[str, Any]) -> UnguardedSend | None:
    """The unguarded send a Send event reports, or None when the guard sent it."""
    mail = read_mail(notification)
    if mail.tag(DECISION_TAG):
        return None
    return UnguardedSend(
        message_id=mail.message_id,
        sent_at=mail.timestamp,
        identity=mail.source_arn,
        caller=mail.tag("ses:caller-identity"),
        operation=mail.tag("ses:operation"),
        configuration_set=mail.tag("ses:configuration-set"),
        recipients=len(mail.destination),
    )
