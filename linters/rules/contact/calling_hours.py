"""SG609 calling-hours: A marketing text or call outside 8:00-21:00 where the phone rings."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, time
from zoneinfo import ZoneInfo

from pydantic import Field, ValidationInfo, field_validator

from ...findings import Action, Hit
from ...message import Message
from ...models import Channel, Purpose
from ...phone_zones import UnknownZones, earliest_within, zones_named
from ...registry import Settings, rule
from ...timing import zone_named
from ._shared import _now

# 47 CFR 64.1200(c)(1): no telephone solicitation before 8 a.m. or after 9 p.m. local
# time at the called party's location. A floor: settings may narrow it, never widen it
# (and linters.policy.FLOORS keeps the rule on, at hold or block, whatever a policy says).
EARLIEST, LATEST = time(8, 0), time(21, 0)
# Telephone solicitation is a call or a text; email and push are not judged here.
_CHANNELS = (Channel.SMS, Channel.VOICE)
_LAW = "47 CFR 64.1200(c)(1)"
# Local times a finding names; a toll-free number may be outside the hours in dozens.
_SHOWN = 3


class CallingHoursSettings(Settings):
    start: time = Field("08:00", validate_default=True, description="earliest local time; not before 08:00")
    end: time = Field("21:00", validate_default=True, description="latest local time; not after 21:00")
    purposes: list[Purpose] = Field(
        default_factory=lambda: [Purpose.MARKETING],
        description="purposes held to calling hours; marketing always is, service may be added",
    )

    @field_validator("start", "end")
    @classmethod
    def wall_clock(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("a local wall-clock time like 09:00, without a UTC offset")
        return value

    @field_validator("start")
    @classmethod
    def not_earlier(cls, value: time) -> time:
        if value < EARLIEST:
            raise ValueError(f"{value:%H:%M} is before 08:00; calling hours can only be narrowed ({_LAW})")
        return value

    @field_validator("end")
    @classmethod
    def not_later(cls, value: time, info: ValidationInfo) -> time:
        if value > LATEST:
            raise ValueError(f"{value:%H:%M} is after 21:00; calling hours can only be narrowed ({_LAW})")
        start = info.data.get("start")  # absent when start itself was refused
        if start is not None and value <= start:
            raise ValueError(f"{value:%H:%M} is not after start {start:%H:%M} (one daytime window)")
        return value

    @field_validator("purposes")
    @classmethod
    def marketing_kept(cls, value: list[Purpose]) -> list[Purpose]:
        if Purpose.MARKETING not in value:
            raise ValueError(f"marketing is always held to calling hours ({_LAW}); purposes can only be added")
        return value


def _zones(message: Message) -> tuple[list[tuple[str, ZoneInfo]], str]:
    """The zones the recipient may be in and where they come from: the record's
    ``timezone`` when it has one (it wins), else the phone number's area."""
    customer = message.customer
    if customer is not None and customer.timezone:
        return [(customer.timezone, zone_named(customer.timezone))], "the customer's timezone"
    names = message.request.number_zones  # the zones, not the number: campaigns share it
    if isinstance(names, str):
        raise UnknownZones(names)
    zones = zones_named(names)
    return zones, "the number" if len(zones) == 1 else f"the number, which may ring in {len(zones)} zones"


def _outside(now: datetime, zones: Sequence[tuple[str, ZoneInfo]], start: time, end: time) -> list[str]:
    """ "07:30 in America/Los_Angeles" for each zone whose clock is outside the hours."""
    found = []
    for name, zone in zones:
        clock = now.astimezone(zone).time().replace(tzinfo=None)
        if not start <= clock < end:
            found.append(f"{clock:%H:%M} in {name}")
    return found


@rule(
    "SG609", "calling-hours", Action.HOLD, CallingHoursSettings,
    reads=("request.channel", "request.purpose", "request.to", "customer.timezone", "now"),
)
def find_outside_calling_hours(message: Message, settings: CallingHoursSettings) -> Iterator[Hit]:
    """A marketing text or call outside 8:00-21:00 where the phone rings.

    Catches: a marketing `sms` or `voice` message (and any other `purposes` a policy
    adds) when the recipient's local time is before `start` (08:00) or from `end`
    (21:00) on: in the customer's `timezone` when the record has one, else in every
    time zone the number `to` may ring in (its country and area code, from the
    `phonenumbers` library's data). A number whose area spans zones (+1 208 Idaho,
    +1 709 Newfoundland and Labrador) is allowed only in hours valid in all of them.
    It is the legal floor of 47 CFR 64.1200(c)(1) (TCPA: no telephone solicitation
    before 8 a.m. or after 9 p.m. at the called party's location), applied to every
    number: settings may narrow the hours or add purposes, never widen them, and a
    policy can set the action to hold or block but not turn the rule off. The hold's
    retry time is the first moment valid in every zone. When the zones cannot be told
    (no `timezone` and a number with no zone data, or zones that share no such hour)
    the message is blocked instead: it cannot be judged. Transactional messages are
    never judged, and service messages only when a policy adds them. Quiet hours
    (SG606) apply besides.

    Why it hurts: "texts at every hour": a promotion at 7:30 in New York was sent at
    12:30 UTC because the record had no time zone, and the law counts the recipient's
    clock, not the sender's.

    Example: an SMS to +1 212 555 0123 (New York) at 2026-11-20T12:30Z (07:30 local):
    held until 2026-11-20T13:00Z (08:00 local); to +1 415 555 0123 (San Francisco) at
    15:30Z: held until 16:00Z.

    Fix: let the hold re-queue it; record the customer's `timezone` where it is known
    (it wins over the number); schedule campaigns in the recipients' daytime.
    """
    request = message.request
    if request.channel not in _CHANNELS or request.purpose not in settings.purposes:
        return
    try:
        zones, source = _zones(message)
    except UnknownZones as exc:
        yield Hit(f"cannot tell the local time where the phone rings: {exc}; set customer.timezone", action=Action.BLOCK)
        return
    now = _now(message)
    outside = _outside(now, zones, settings.start, settings.end)
    if not outside:
        return
    hours = f"calling hours {settings.start:%H:%M}-{settings.end:%H:%M} ({_LAW})"
    allowed = earliest_within(now, [zone for _, zone in zones], settings.start, settings.end)
    if allowed is None:
        names = ", ".join(name for name, _ in zones)
        yield Hit(
            f"{source} ({names}): no moment is inside {hours} in all of them; set customer.timezone",
            action=Action.BLOCK,
        )
        return
    zone = zones[0][1] if len(zones) == 1 else None
    local = f" ({allowed.astimezone(zone):%H:%M %Z} local)" if zone is not None else ""
    shown = ", ".join(outside[:_SHOWN]) + (f" and {len(outside) - _SHOWN} more" if len(outside) > _SHOWN else "")
    yield Hit(
        f"{shown} ({source}) is outside {hours}; allowed from {allowed:%Y-%m-%d %H:%M} UTC{local}",
        retry_at=allowed,
    )
