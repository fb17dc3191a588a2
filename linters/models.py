"""The send request (v1) and the customer record, as docs/design.md, section 2 (The send request) defines them.

Every model refuses unknown fields: a typo such as ``"cusomer"`` must fail loudly
instead of silently turning off the checks that field would have enabled.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from .phone_zones import UnknownZones, zone_names_for_number

# A part larger than this is refused: real emails are far smaller (Gmail clips at
# 102 KB), and an unbounded body would let one request stall the guard.
MAX_PART_CHARS = 256 * 1024


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    VOICE = "voice"
    # Contacts the guard does not deliver: asked about (POST /contacts/ask) and recorded
    # (POST /contacts) so that caps, pile-ups and cooldowns count them.
    POSTAL = "postal"  # direct mail, postcards, catalogues
    IN_APP = "in_app"  # a message shown inside the customer's app or account


class Purpose(StrEnum):
    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"
    SERVICE = "service"


class AddressAs(StrEnum):
    FIRST_NAME = "first_name"
    FORMAL = "formal"
    NONE = "none"


class Strict(BaseModel):
    # Assignment is validated too: the limits bound a customer record by its validated
    # fields (``limits.check_customer``), so a field set afterwards must be one as well.
    model_config = ConfigDict(
        extra="forbid", str_strip_whitespace=False, frozen=False, validate_assignment=True
    )


def _empty_list() -> list[Any]:
    return []


def _empty_dict() -> dict[str, Any]:
    return {}


# Empty defaults, a new one per instance. A plain ``[]`` default is deep-copied by
# pydantic for every instance (about 1.5 us each: three per request of a campaign's
# million); ``default_factory=list`` would make pydantic read ``list``'s signature from
# text at import (compiling the tokenize module's patterns, ~5 ms of every cold start);
# a function of our own has a signature to hand. The schema still shows the default.
NO_ITEMS: Any = Field(default_factory=_empty_list, json_schema_extra={"default": []})
NO_FIELDS: Any = Field(default_factory=_empty_dict, json_schema_extra={"default": {}})


def aware(value: datetime) -> datetime:
    """Times without a zone are read as UTC, so comparisons never mix naive and aware."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# Times outside these years are refused: the rules add days and weeks to them and read
# them in the customer's zone, which overflows near year 1 and 9999.
FIRST_YEAR, LAST_YEAR = 1900, 2999


def moment(value: datetime) -> datetime:
    """A zone-aware time within FIRST_YEAR..LAST_YEAR (the validator of every time field)."""
    value = aware(value)
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"a time between the years {FIRST_YEAR} and {LAST_YEAR}, not {value.year}")
    return value


class Consent(Strict):
    # Frozen, so one empty Consent is every customer's default: pydantic copies a
    # default it cannot hash, and a copied or freshly built model costs ~1.5 us.
    model_config = ConfigDict(frozen=True)  # and Strict's

    email_marketing: bool | None = None
    sms_marketing: bool | None = None
    voice_marketing: bool | None = None
    push_marketing: bool | None = None
    postal_marketing: bool | None = None
    in_app_marketing: bool | None = None
    personalization: bool | None = None


class QuietHours(Strict):
    """Local wall-clock times in the customer's ``timezone``; 21:00-08:00 spans midnight."""

    start: time
    end: time

    @field_validator("start", "end")
    @classmethod
    def wall_clock(cls, value: time) -> time:
        # A UTC offset here would fight the customer's time zone twice a year.
        if value.tzinfo is not None:
            raise ValueError("a local wall-clock time like 21:00, without a UTC offset")
        return value

    @model_validator(mode="after")
    def not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise ValueError("start and end are the same time; leave quiet_hours out for none")
        return self


class Attributes(BaseModel):
    """Known facts; open-ended, but the ones rules read are typed."""

    model_config = ConfigDict(extra="allow", frozen=True)  # a shared default, as Consent
    children_ages: list[Annotated[int, Field(ge=0, le=120)]] | None = None
    pets: list[str] | None = None
    birth_year: Annotated[int, Field(ge=1890, le=2100)] | None = None


# ISO 3166-1 alpha-2: the officially assigned codes (249), the values ``country`` takes.
# fmt: off
COUNTRY_CODES = frozenset(
    {
        "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
        "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
        "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
        "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
        "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
        "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
        "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
        "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
        "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
        "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
        "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
        "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
        "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
        "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
        "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
        "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
    }
)
# fmt: on
# Codes people write that ISO reserves for something else, with the one they mean.
_COUNTRY_HINTS = {"UK": "GB", "EL": "GR", "EN": "GB"}
# BCP 47, loosely: a language subtag of 2-3 letters, an optional script (4 letters) and
# an optional region (2 letters or 3 digits): "de", "de-DE", "pt-BR", "zh-Hant-TW", "es-419".
_LOCALE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z]{4})?(?:-(?:[A-Za-z]{2}|[0-9]{3}))?")


class Customer(Strict):
    customer_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    preferred_name: str | None = None
    title: str | None = None
    address_as: AddressAs = AddressAs.FIRST_NAME
    anonymous: bool = False
    purchase_count: Annotated[int, Field(ge=0)] | None = None
    lifetime_value: Annotated[float, Field(ge=0)] | None = None
    tier: str | None = None
    customer_since: datetime | None = None
    last_purchase_at: datetime | None = None
    consent: Consent = Consent()
    unsubscribed: list[Channel] = NO_ITEMS
    timezone: str | None = None
    quiet_hours: QuietHours | None = None
    attributes: Attributes = Attributes()
    segments: list[str] = NO_ITEMS
    # Where the customer lives and the language they read (SG501 reads city and region).
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2: "GB", "DE"
    locale: str | None = None  # BCP 47: "de-DE", "pt-BR"

    @field_validator("country")
    @classmethod
    def known_country(cls, value: str | None) -> str | None:
        if value is None:
            return value
        code = value.upper()
        if code in COUNTRY_CODES:
            return code
        hint = _COUNTRY_HINTS.get(code)
        also = f"; did you mean {hint!r}?" if hint else ""
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code like 'GB' or 'DE'{also}")

    @field_validator("locale")
    @classmethod
    def language_tag(cls, value: str | None) -> str | None:
        if value is None or _LOCALE.fullmatch(value):
            return value
        hyphenated = value.replace("_", "-")
        also = f"; did you mean {hyphenated!r}?" if _LOCALE.fullmatch(hyphenated) else ""
        raise ValueError(f"{value!r} is not a BCP 47 language tag like 'de-DE' or 'pt-BR'{also}")

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("customer_since", "last_purchase_at")
    @classmethod
    def zone_aware(cls, value: datetime | None) -> datetime | None:
        return moment(value) if value else value

    @property
    def addressed_name(self) -> str | None:
        """The name this person goes by: preferred name, else first name."""
        return self.preferred_name or self.first_name


class StoredTemplate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=256)]


class InlineTemplate(Strict):
    subject: Annotated[str, Field(max_length=MAX_PART_CHARS)] | None = None
    text: Annotated[str, Field(max_length=MAX_PART_CHARS)] | None = None
    html: Annotated[str, Field(max_length=MAX_PART_CHARS)] | None = None

    @model_validator(mode="after")
    def has_content(self) -> InlineTemplate:
        if not (self.text or self.html or self.subject):
            raise ValueError("an inline template needs at least one of subject, text or html")
        return self


class Contact(Strict):
    """One earlier contact with the person, from the request or the contact ledger."""

    at: datetime
    channel: Channel
    campaign: str | None = None
    purpose: Purpose = Purpose.MARKETING
    text: Annotated[str, Field(max_length=MAX_PART_CHARS)] | None = None
    # Who made a contact the guard did not send (a rep, a mail house), as recorded.
    by: Annotated[str, Field(max_length=256)] | None = None

    @field_validator("at")
    @classmethod
    def zone_aware(cls, value: datetime) -> datetime:
        return moment(value)


EventType = Literal[
    "site_visit", "login", "product_view", "unsubscribe", "complaint", "bounce", "cart_abandoned"
]


class Event(Strict):
    type: EventType
    at: datetime
    channel: Channel | None = None
    # Only "permanent" bounces suppress; a soft bounce is a full mailbox.
    bounce_type: Literal["permanent", "transient"] = "permanent"
    purpose: Purpose | None = None

    @field_validator("at")
    @classmethod
    def zone_aware(cls, value: datetime) -> datetime:
        return moment(value)


def read_as_value(method: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Mark a property whose value, not the fields it is computed from, is what a rule
    reads: the campaign path notes that value (linters.recipient_classes.Trace)."""
    method.read_as_value = True  # type: ignore[attr-defined]
    return method


class SendRequest(Strict):
    """One outbound message, before it is rendered, linted and sent."""

    id: Annotated[str, Field(min_length=1, max_length=256)]
    channel: Channel
    purpose: Purpose = Purpose.MARKETING
    automated: bool = True
    campaign: str | None = None
    trigger: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: Annotated[str, Field(min_length=1, max_length=320)]
    template: StoredTemplate | InlineTemplate
    data: dict[str, Any] = NO_FIELDS
    audience: list[str] | None = None
    customer: Customer | None = None
    customer_id: str | None = None
    history: list[Contact] | None = None
    events: list[Event] = NO_ITEMS
    now: datetime | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @field_validator("now")
    @classmethod
    def zone_aware(cls, value: datetime | None) -> datetime | None:
        return moment(value) if value else value

    @property
    @read_as_value
    def number_zones(self) -> tuple[str, ...] | str:
        """The IANA zones the number ``to`` may ring in (linters.phone_zones), or why
        they cannot be told. What SG609 reads of the number: recipients whose numbers
        ring in the same zones share a verdict on the campaign path."""
        try:
            return zone_names_for_number(self.to)
        except UnknownZones as exc:
            return str(exc)

    @field_validator("id")
    @classmethod
    def not_an_internal_key(cls, value: str) -> str:
        # The decisions table keys the guard's own rows with "#" (an unguarded send,
        # an id conflict, an earlier decision kept): a producer id never collides.
        if RESERVED_ID_CHARACTER in value:
            raise ValueError(f"{RESERVED_ID_CHARACTER!r} is reserved for sendguard's own keys; use another character")
        return value

    @field_validator("template", mode="before")
    @classmethod
    def pick_template_kind(cls, value: Any) -> Any:
        # Tell the two shapes apart up front so errors name the right fields
        # instead of listing the failures of both union members.
        if isinstance(value, (StoredTemplate, InlineTemplate)):
            return value  # validated already (a campaign's one template, for every recipient)
        if isinstance(value, dict) and "name" in value:
            return StoredTemplate.model_validate(value)
        if isinstance(value, dict):
            return InlineTemplate.model_validate(value)
        raise ValueError('must be an object: {"name": ...} or {"subject", "text", "html"}')

    @model_validator(mode="after")
    def content_fits_channel(self) -> SendRequest:
        if isinstance(self.template, InlineTemplate) and self.channel != Channel.EMAIL:
            if self.template.html:
                raise ValueError(f"template.html: {self.channel} messages have no HTML part")
            if not self.template.text:
                raise ValueError(f"template.text: a {self.channel} message needs a text part")
        return self


# See SendRequest.not_an_internal_key.
RESERVED_ID_CHARACTER = "#"


class RequestError(ValueError):
    """A send request that cannot be judged; ``field`` names what is wrong."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}" if field else problem)


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The models an annotation can hold (``Customer | None``, ``list[Contact]``, a union)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in _models_in(arg)]


def _field_names_at(root: type[BaseModel], parent: list[Any]) -> list[str]:
    """The field names (as a request spells them: ``from``) of the model(s) at ``parent``."""
    models = [root]
    for step in parent:
        if isinstance(step, int):
            continue  # an item of a list: the models already are the items'
        found = []
        for model in models:
            for name, info in model.model_fields.items():
                if step in (name, info.alias):
                    found.extend(_models_in(info.annotation))
        models = found
    return [info.alias or name for model in models for name, info in model.model_fields.items()]


def _suggestion(exc: ValidationError, error: Any) -> str | None:
    """The field an unknown one is a misspelling of (``tempalte`` -> ``template``)."""
    root = globals().get(exc.title)
    if not (isinstance(root, type) and issubclass(root, BaseModel)):
        return None
    parent = [p for p in error["loc"][:-1] if p not in ("StoredTemplate", "InlineTemplate")]
    close = difflib.get_close_matches(str(error["loc"][-1]), _field_names_at(root, parent), n=1, cutoff=0.6)
    return close[0] if close else None


def describe_validation_error(exc: ValidationError) -> RequestError:
    """The first problem, as ``dotted.field: what is wrong``; pydantic's text is long.

    A misspelt field comes first, with the field it resembles: ``{"tempalte": ...}`` is
    "tempalte: unknown field; did you mean 'template'?", not "template: required field
    is missing" (which it also causes, and which is not counted as one more problem).
    """
    errors = exc.errors(include_url=False)
    first, hint = errors[0], None
    for error in errors:
        if error["type"] == "extra_forbidden" and (hint := _suggestion(exc, error)) is not None:
            first = error
            break
    loc = [str(p) for p in first["loc"] if not str(p).startswith("function-after")]
    field = ".".join(p for p in loc if p not in ("StoredTemplate", "InlineTemplate"))
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        message = f"unknown field; did you mean {hint!r}?" if hint else "unknown field (check the spelling)"
    elif first["type"] == "missing":
        message = "required field is missing"
    if ": " in message and message.split(": ", 1)[0].replace(".", "").isidentifier() and not field:
        field, message = message.split(": ", 1)
    explained = (*first["loc"][:-1], hint) if hint else None
    more = sum(
        1 for error in errors if error is not first and not (error["type"] == "missing" and error["loc"] == explained)
    )
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return RequestError(field, message)


def parse_request(raw: str | bytes | dict[str, Any]) -> SendRequest:
    """Validate one send request from JSON text, bytes or a decoded object."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise RequestError("", f"not UTF-8 text (bad byte at offset {exc.start})") from exc
    if isinstance(raw, str):
        try:
            raw = load_json(raw)
        except json.JSONDecodeError as exc:
            raise RequestError(
                "", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
            ) from exc
    if not isinstance(raw, dict):
        raise RequestError("", f"a send request is a JSON object, not {type(raw).__name__}")
    try:
        return SendRequest.model_validate(raw)
    except ValidationError as exc:
        raise describe_validation_error(exc) from exc
    except RecursionError as exc:  # a decoded object nested deeper than Python recurses
        raise RequestError("", "nested too deeply to be a send request") from exc


def load_json(text: str) -> Any:
    """``json.loads`` that reports what it raises besides a decode error as one: nesting
    too deep for Python's stack (RecursionError), and a number longer than Python reads
    (ValueError past 4,300 digits, Python's guard against slow parsing). No caller
    expects either from bad input."""
    try:
        return json.loads(text)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", text, 0) from None
    except json.JSONDecodeError:
        raise
    except ValueError:
        found = _LONG_NUMBER.search(text)
        raise json.JSONDecodeError(
            f"a number of more than {MOST_NUMBER_DIGITS:,} digits", text, found.start() if found else 0
        ) from None


# The longest whole number Python reads from text or writes as text
# (sys.get_int_max_str_digits(), a guard against slow parsing).
MOST_NUMBER_DIGITS = 4300
_LONG_NUMBER = re.compile(rf"\d{{{MOST_NUMBER_DIGITS + 1},}}")


def request_schema() -> dict[str, Any]:
    return SendRequest.model_json_schema(by_alias=True)
