"""The bodies of ``POST /contacts/ask`` and ``POST /contacts`` (and ``sendguard contacts``).

Both name the person by ``customer_id`` and/or ``to`` (the address the contact goes to:
a phone number, an email address, a postal address line, an app user id). Every model
refuses unknown fields, as the send request does; errors name the field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from functions.feedback.records import recipient
from linters.models import (
    Channel,
    Contact,
    Customer,
    Event,
    InlineTemplate,
    Purpose,
    RequestError,
    StoredTemplate,
    describe_validation_error,
    moment,
)

# Post and in-app messages go to a postal address line or an app user id: any text.
_FREE_FORM = (Channel.POSTAL, Channel.IN_APP)
Name = Annotated[str, Field(min_length=1, max_length=256)]
Address = Annotated[str, Field(min_length=1, max_length=320)]
# Ledger keys of sendguard's own begin with this ("#customer#", "#record#"): no address does.
RESERVED_START = "#"


def _not_reserved(value: str | None) -> str | None:
    if value is not None and value.startswith(RESERVED_START):
        raise ValueError(f"may not start with {RESERVED_START!r} (sendguard's own ledger keys do)")
    return value


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    channel: Channel
    purpose: Purpose = Purpose.MARKETING
    campaign: Name | None = None
    to: Address | None = None
    customer_id: Name | None = None

    @field_validator("to")
    @classmethod
    def not_a_ledger_key(cls, value: str | None) -> str | None:
        return _not_reserved(value)

    @model_validator(mode="after")
    def address_fits_channel(self) -> _Body:
        """An address is checked as the feedback entries check one before it becomes a
        ledger key (E.164 for calls and texts, ...), so a rep's "(312) 555-0142" cannot
        miss the rows the guard keeps under "+13125550142"."""
        if self.to is None:
            return self
        if self.channel in _FREE_FORM:
            if not self.to.isprintable():
                raise ValueError("to: an address of printable characters")
            return self
        try:
            self.to = recipient(self.channel, self.to)
        except ValueError as exc:
            raise ValueError(f"to: {exc}") from None
        return self

    def who(self) -> str | None:
        """The customer id the body names (``customer_id``, or an inline record's)."""
        return self.customer_id


class ContactAsk(_Body):
    """``POST /contacts/ask``: may I contact this person now, on this channel, for this
    purpose and campaign? Nothing is written."""

    id: Name | None = None  # the caller's reference, echoed in the answer
    automated: bool = True  # false: a person makes this contact (a rep's call)
    trigger: Name | None = None
    customer: Customer | None = None
    events: list[Event] = Field(default_factory=list)
    history: list[Contact] | None = None
    # The call script or postcard text, judged like any message; optional.
    template: StoredTemplate | InlineTemplate | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    at: datetime | None = None  # when the contact would be made; default now

    @field_validator("at")
    @classmethod
    def zone_aware(cls, value: datetime | None) -> datetime | None:
        return moment(value) if value else value

    @field_validator("template", mode="before")
    @classmethod
    def pick_template_kind(cls, value: Any) -> Any:
        # As the send request: errors name the fields of the shape that was meant.
        if value is None or isinstance(value, (StoredTemplate, InlineTemplate)):
            return value
        if isinstance(value, dict) and "name" in value:
            return StoredTemplate.model_validate(value)
        if isinstance(value, dict):
            return InlineTemplate.model_validate(value)
        raise ValueError('must be an object: {"name": ...} or {"subject", "text"}')

    @model_validator(mode="after")
    def names_someone(self) -> ContactAsk:
        if not (self.to or self.who()):
            raise ValueError("customer_id: name the person (customer_id, customer.customer_id or to)")
        return self

    def who(self) -> str | None:
        inline = self.customer.customer_id if self.customer is not None else None
        return self.customer_id or inline


class ContactRecord(_Body):
    """``POST /contacts``: a contact made outside the guard, for the contact ledger."""

    id: Name  # the caller's id (a CRM task, a dialer call id): the idempotency key
    at: datetime  # when it was made
    by: Name | None = None  # who made it: a rep, a mail house, another platform

    @field_validator("at")
    @classmethod
    def zone_aware(cls, value: datetime) -> datetime:
        # In UTC: the same moment written in another zone is the same body (an id's
        # record is compared by its body).
        return moment(value).astimezone(UTC)

    @model_validator(mode="after")
    def names_someone(self) -> ContactRecord:
        if not (self.to or self.customer_id):
            raise ValueError("customer_id: name the person (customer_id or to)")
        return self

    def contact(self) -> Contact:
        """The ledger's row for it."""
        return Contact(at=self.at, channel=self.channel, campaign=self.campaign, purpose=self.purpose, by=self.by)


def parse(model: type[BaseModel], body: Any) -> Any:
    """``body`` validated as ``model``; RequestError naming the field otherwise."""
    if not isinstance(body, dict):
        raise RequestError("", f"a JSON object, not {type(body).__name__}")
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        raise describe_validation_error(exc) from None
    except RecursionError:
        raise RequestError("", "nested too deeply") from None
