"""SG604 channel-pileup: Sends a campaign on a second channel after it already reached the person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from pydantic import Field

from ...findings import Action, Hit
from ...message import Message
from ...models import Purpose
from ...registry import Settings, rule
from ...timing import aware, within
from ._shared import _history, _now, _when


class PileupSettings(Settings):
    window_days: float = Field(7, gt=0, description="days in which one campaign may use one channel")


@rule(
    "SG604", "channel-pileup", Action.BLOCK, PileupSettings,
    reads=("request.channel", "request.purpose", "request.campaign", "history", "now"),
)
def find_channel_pileup(message: Message, settings: PileupSettings) -> Iterator[Hit]:
    """Sends a campaign on a second channel after it already reached the person.

    Catches: a marketing message whose `campaign` matches (ignoring case) a contact
    in `history` on a different channel within `window_days` (default 7). A repeat
    on the same channel is a frequency question (SG603), not a pile-up. A postcard
    drop or a rep's call recorded for the campaign (`POST /contacts`) counts like a
    message the guard sent. Messages
    without a campaign and transactional/service messages are not judged.

    Why it hurts: a postcard, a text, a voicemail and an email for the same sale
    say "we will follow you everywhere", not "we thought you'd like this".

    Example: history [{"channel": "email", "campaign": "winter-sale", "at":
    "2026-11-18T10:00:00Z"}] and an SMS for "winter-sale" on 2026-11-20.

    Fix: pick one channel per person per campaign (their preferred one).
    """
    campaign = (message.request.campaign or "").strip().casefold()
    if not campaign or message.request.purpose != Purpose.MARKETING:
        return
    now = _now(message)
    span = timedelta(days=settings.window_days)
    earlier = [
        c
        for c in _history(message)
        if c.channel != message.request.channel
        and (c.campaign or "").strip().casefold() == campaign
        and within(c.at, now, span)
    ]
    if earlier:
        channels = sorted({str(c.channel) for c in earlier})
        latest = max(aware(c.at) for c in earlier)
        yield Hit(
            f"campaign {message.request.campaign!r} already reached this person by "
            f"{', '.join(channels)} (latest {_when(latest)}); not also by {message.request.channel}"
        )
