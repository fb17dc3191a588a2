"""SG606 quiet-hours: Buzzes someone's phone during their night."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import time

from pydantic import Field, field_validator

from ...findings import Action, Hit
from ...message import Message
from ...models import Channel, Purpose
from ...registry import Settings, rule
from ...timing import quiet_hours_end, zone_named
from ._shared import _now


class QuietHoursSettings(Settings):
    quiet_start: time = Field(
        "21:00", validate_default=True, description="default start of quiet hours, local time"
    )
    quiet_end: time = Field(
        "08:00", validate_default=True, description="default end of quiet hours, local time"
    )
    default_timezone: str = Field("UTC", description="IANA zone when the customer has none")
    channels: list[Channel] = Field(
        default_factory=lambda: [Channel.SMS, Channel.VOICE, Channel.PUSH],
        description="channels that respect quiet hours",
    )
    purposes: list[Purpose] = Field(
        default_factory=lambda: [Purpose.MARKETING, Purpose.SERVICE],
        description="purposes that respect quiet hours",
    )

    @field_validator("default_timezone")
    @classmethod
    def known_zone(cls, value: str) -> str:
        zone_named(value)
        return value

    @field_validator("quiet_start", "quiet_end")
    @classmethod
    def wall_clock(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("a local wall-clock time like 21:00, without a UTC offset")
        return value


@rule(
    "SG606", "quiet-hours", Action.HOLD, QuietHoursSettings,
    reads=("request.channel", "request.purpose", "customer.timezone", "customer.quiet_hours", "now"),
)
def find_quiet_hours(message: Message, settings: QuietHoursSettings) -> Iterator[Hit]:
    """Buzzes someone's phone during their night.

    Catches: a message on one of `channels` (default sms, voice, push) for one of
    `purposes` (default marketing and service) when the recipient's local time is in
    their quiet hours: the customer's `quiet_hours`, else `quiet_start`-`quiet_end`
    (default 21:00-08:00), in the customer's `timezone`, else `default_timezone`
    (default UTC). A call a person makes (`automated: false`) is held like an
    automated one. Email waits in the inbox and is exempt by default, and so do post
    and in-app messages (`postal`, `in_app`: read when the person opens them); transactional
    messages (a password reset or one-time code the person just asked for) are
    exempt by default. The hold's retry time is the end of the quiet hours, on the
    local wall clock, daylight-saving changes included.

    Why it hurts: a sales text at 23:40 is remembered for the wrong reason.

    Example: an SMS to a customer in "America/New_York" judged at 2026-11-20T03:30Z
    (22:30 local): held until 2026-11-20T13:00Z (08:00 local).

    Fix: let the hold re-queue it, or schedule sends in the recipient's daytime.
    """
    request = message.request
    if request.channel not in settings.channels or request.purpose not in settings.purposes:
        return
    customer = message.customer
    zone_name = (customer.timezone if customer else None) or settings.default_timezone
    zone = zone_named(zone_name)
    quiet = customer.quiet_hours if customer else None
    start, end = (quiet.start, quiet.end) if quiet else (settings.quiet_start, settings.quiet_end)
    now = _now(message)
    ends = quiet_hours_end(now, zone, start, end)
    if ends is None:
        return
    local = now.astimezone(zone)
    yield Hit(
        f"{local:%H:%M} in {zone_name} is inside quiet hours {start:%H:%M}-{end:%H:%M}; "
        f"allowed from {ends.astimezone(zone):%Y-%m-%d %H:%M %Z}",
        retry_at=ends,
    )
