"""SG605 trigger-cooldown: Reacts to something the person just did on the site before the cooldown ends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from pydantic import Field

from ...findings import Action, Hit
from ...message import Message
from ...models import Purpose
from ...registry import Settings, rule
from ...timing import aware, within
from ._shared import _events, _now, _span, _when


class CooldownSettings(Settings):
    cooldown_hours: float = Field(24, gt=0, description="hours to wait after the behaviour")
    triggers: list[str] = Field(
        default_factory=lambda: ["site_visit", "login", "product_view"],
        description="request triggers (and event types) that count as watched behaviour",
    )


@rule(
    "SG605", "trigger-cooldown", Action.HOLD, CooldownSettings,
    reads=("request.purpose", "request.trigger", "request.automated", "events", "now"),
)
def find_trigger_too_soon(message: Message, settings: CooldownSettings) -> Iterator[Hit]:
    """Reacts to something the person just did on the site before the cooldown ends.

    Catches: a marketing message whose `trigger` is one of `triggers` (default
    `site_visit`, `login`, `product_view`) sent less than `cooldown_hours` (default
    24) after the latest event of any of those types in `events`. A contact a person
    makes (`automated: false`: a rep's call or email) is timed from those events
    whether or not it declares a trigger: the rep who calls within the hour after a
    login was prompted by it all the same. The hold's retry time is that event plus
    the cooldown. Transactional and service messages (a new-sign-in alert, a call
    back the person asked for) are never held. Without such an event there is
    nothing to time and nothing is judged.

    Why it hurts: "Every time I log in to the site to look at products, I get a phone
    call from my sales rep within an hour. I'm afraid even to visit the site."

    Example: {"trigger": "login", "events": [{"type": "login", "at":
    "2026-11-20T14:20:00Z"}], "now": "2026-11-20T15:00:00Z"}: held until
    2026-11-21T14:20:00Z.

    Fix: wait; better, let the person come to you (a visible contact link) instead of
    pouncing on every visit.
    """
    request = message.request
    watched = set(settings.triggers)
    # A person reaching out after a visit reacts to it, declared or not.
    prompted = request.trigger in watched or not request.automated
    if request.purpose != Purpose.MARKETING or not prompted:
        return
    now = _now(message)
    span = timedelta(hours=settings.cooldown_hours)
    recent = [e for e in _events(message, *watched) if within(e.at, now, span)]
    if not recent:
        return
    latest = max(recent, key=lambda e: aware(e.at))
    ends = aware(latest.at) + span
    how = f"{request.trigger}-triggered" if request.trigger in watched else "a person's contact"
    yield Hit(
        f"sent {_ago(now - aware(latest.at))} after a {latest.type.replace('_', ' ')} "
        f"({how}); cooldown {_span(settings.cooldown_hours)} ends {_when(ends)}",
        retry_at=ends,
    )


def _ago(gap: timedelta) -> str:
    minutes = max(int(gap.total_seconds() // 60), 0)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"
