"""SG603 frequency-cap: Sends more marketing than the cap allows in a rolling window."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from pydantic import Field

from ...findings import Action, Hit
from ...message import Message
from ...models import Channel, Purpose
from ...registry import Settings, rule
from ...timing import aware, within
from ._shared import _history, _now, _room_again, _span, _when


class CapWindow(Settings):
    hours: float = Field(gt=0, le=24 * 366, description="length of the rolling window in hours")
    max: int = Field(ge=1, description="marketing messages allowed in the window, this one included")
    channel: Channel | None = Field(
        None, description="count and cap only this channel; absent: every channel together"
    )


class FrequencySettings(Settings):
    # Defaults are plain data (validated into CapWindow) so `sendguard rule` can print them.
    windows: list[CapWindow] = Field(
        default_factory=lambda: [{"hours": 24, "max": 1}, {"hours": 168, "max": 3}],
        validate_default=True,
        description="caps over rolling windows; every one must hold",
    )


@rule(
    "SG603", "frequency-cap", Action.HOLD, FrequencySettings,
    reads=("request.channel", "request.purpose", "history", "now"),
)
def find_over_cap(message: Message, settings: FrequencySettings) -> Iterator[Hit]:
    """Sends more marketing than the cap allows in a rolling window.

    Catches: a marketing message when the person already got `max` marketing
    messages in the last `hours` (default: 1 in 24 hours and 3 in 7 days, across
    every channel: post, in-app messages and the calls people made count as much as
    what the guard sent, once recorded in the contact ledger with `POST /contacts`).
    A window with a `channel` counts and caps only that channel.
    Windows are rolling: a message sent exactly 24 hours ago no longer counts toward
    a 24-hour window. Transactional and service messages neither count nor are
    capped. The hold's retry time is when every window has room again.

    Why it hurts: "I received at least two emails a day for the next two weeks."
    Volume is what turns a brand into spam in a person's mind.

    Example: history [{"at": "2026-11-20T09:00:00Z", "channel": "email"}] and a
    marketing SMS at 2026-11-20T15:00:00Z: held until 2026-11-21T09:00:00Z.

    Fix: send less; merge campaigns; let the hold re-queue the message.
    """
    if message.request.purpose != Purpose.MARKETING:
        return
    now = _now(message)
    channel = message.request.channel
    marketing = [c for c in _history(message) if c.purpose == Purpose.MARKETING]
    for window in settings.windows:
        if window.channel is not None and window.channel != channel:
            continue
        span = timedelta(hours=window.hours)
        times = sorted(
            aware(c.at)
            for c in marketing
            if (window.channel is None or c.channel == window.channel) and within(c.at, now, span)
        )
        if len(times) < window.max:
            continue
        frees_at = _room_again(times, window.max, span)
        scope = f"{window.channel} " if window.channel else ""
        yield Hit(
            f"{len(times)} {scope}marketing message{'s' if len(times) != 1 else ''} in the last "
            f"{_span(window.hours)} (cap {window.max}); room again at {_when(frees_at)}",
            retry_at=frees_at,
        )
