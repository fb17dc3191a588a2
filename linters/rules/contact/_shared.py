"""Helpers several contact rules share."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from ...message import Message
from ...models import Contact, Event
from ...timing import aware


def _now(message: Message) -> datetime:
    return aware(message.now)


def _history(message: Message) -> list[Contact]:
    return list(message.request.history or [])


def _events(message: Message, *types: str) -> list[Event]:
    return [e for e in message.request.events if e.type in types]


def _when(moment: datetime) -> str:
    return aware(moment).strftime("%Y-%m-%d %H:%M %Z")


def _room_again(times: list[datetime], allowed: int, span: timedelta) -> datetime:
    """When a rolling window holding ``times`` (sorted) has room for one more: once all
    but ``allowed - 1`` of them have left it."""
    return times[len(times) - allowed] + span


def _span(hours: float) -> str:
    if hours % 24 == 0:
        days = int(hours // 24)
        return f"{days} day{'s' if days != 1 else ''}"
    return f"{hours:g} hour{'s' if hours != 1 else ''}"


_HISTORY_HEAD_CHARS = 600


def _head(text: str) -> str:
    """Spacing normalised (blank lines kept: they end a greeting line)."""
    head = re.sub(r"[ \t\r\f\v\u00a0]+", " ", text[:_HISTORY_HEAD_CHARS])
    return re.sub(r" ?\n[ \n]*", lambda m: "\n\n" if m.group().count("\n") > 1 else "\n", head).strip()
