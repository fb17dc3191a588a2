"""What the two feedback entries share: recipient addresses checked against their
channel's limits, times checked before they reach the ledger, the outcome of an
invocation, and the duplicate-safe ledger write.

- ``functions.feedback.app`` (FeedbackFunction): SES notifications, only as SNS records
  from the stack's feedback topic.
- ``functions.feedback.unsubscribe`` (UnsubscribeFunction): an application's
  unsubscribe, which can only stop marketing.

Every address is checked before it becomes a DynamoDB key: an email address as RFC 5321
allows (at most 254 characters, a local part of at most 64), a phone number in E.164
(``+`` and at most 15 digits), a push endpoint as an SNS platform endpoint ARN. Text
that is not printable (control characters, lone surrogates) is refused, so a malformed
record is reported by field and never fails the write.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, StrictStr

from functions.ledger import put_event, read_recent
from linters.models import Channel, Event, moment

# RFC 5321, 4.5.3.1: a path is at most 256 octets including the angle brackets, so an
# address is at most 254; its local part at most 64.
MAX_EMAIL_CHARS = 254
MAX_LOCAL_PART_CHARS = 64
# An SNS platform endpoint ARN; well under DynamoDB's 2,048-byte key limit.
MAX_PUSH_ENDPOINT_CHARS = 1024
MAX_TIME_CHARS = 64

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.][^@\s]*")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
_PUSH_ENDPOINT = re.compile(r"arn:aws[a-z-]*:sns:[a-z0-9-]{1,32}:[0-9]{12}:endpoint/[A-Za-z0-9_./-]+")


def email_address(value: str) -> str:
    """An email address within RFC 5321's limits (stripped); ValueError says why not."""
    value = value.strip()
    if len(value) > MAX_EMAIL_CHARS:
        raise ValueError(f"an email address is at most {MAX_EMAIL_CHARS} characters (RFC 5321)")
    if not value.isprintable() or not _EMAIL.fullmatch(value):
        raise ValueError("not an email address (local-part@domain)")
    if len(value.rsplit("@", 1)[0]) > MAX_LOCAL_PART_CHARS:
        raise ValueError(f"the local part of an email address is at most {MAX_LOCAL_PART_CHARS} characters")
    return value


def phone_number(value: str) -> str:
    value = value.strip()
    if not _E164.fullmatch(value):
        raise ValueError("not an E.164 phone number (+ and at most 15 digits)")
    return value


def push_endpoint(value: str) -> str:
    value = value.strip()
    if len(value) > MAX_PUSH_ENDPOINT_CHARS or not _PUSH_ENDPOINT.fullmatch(value):
        raise ValueError("not an SNS platform endpoint ARN")
    return value


def recipient(channel: Channel, value: str) -> str:
    """``value`` checked as an address on ``channel`` (voice, like SMS, is a phone number)."""
    if channel == Channel.EMAIL:
        return email_address(value)
    if channel == Channel.PUSH:
        return push_endpoint(value)
    return phone_number(value)


def _iso_time(value: Any) -> Any:
    if not isinstance(value, str):
        raise ValueError("a time is ISO 8601 text, e.g. 2026-11-20T15:00:00Z")
    if len(value) > MAX_TIME_CHARS:
        raise ValueError(f"a time is at most {MAX_TIME_CHARS} characters")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 time: {value!r}") from None


EmailAddress = Annotated[StrictStr, AfterValidator(email_address)]
# ISO 8601 text only (pydantic would also read a number as seconds since 1970), zone-aware,
# within the years the rules can compute with.
IsoTime = Annotated[datetime, BeforeValidator(_iso_time), AfterValidator(moment)]


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


def write_all(table: Any, pairs: list[tuple[str, Event]], outcome: Outcome) -> None:
    for to, event in pairs:
        if record(table, to, event):
            outcome.written += 1
        else:
            outcome.duplicates += 1


def ledger_table() -> Any:
    from functions import aws

    return aws.table(aws.LEDGER_TABLE)
