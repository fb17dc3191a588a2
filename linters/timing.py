"""Time windows and local quiet hours for the contact-policy rules (zoneinfo only).

Every time here is timezone-aware. Windows are rolling and half-open, ``(now - span,
now]``: a contact exactly 24 hours old has left a 24-hour window, so the moment a
window frees is exactly ``contact + span`` and a message retried then is allowed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

# Producers' clocks drift. A contact stamped up to this far ahead of ``now`` is taken
# as real; one further ahead is bad data (or a scheduled send that has not happened)
# and is ignored, so it can never hold a message until some far-off date.
CLOCK_SKEW = timedelta(minutes=5)


def aware(moment: datetime) -> datetime:
    """Times without a zone are read as UTC, like the request models do."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def has_happened(at: datetime, now: datetime) -> bool:
    """False for entries stamped in the future beyond the clock-skew allowance."""
    return aware(at) <= aware(now) + CLOCK_SKEW


def within(at: datetime, now: datetime, span: timedelta) -> bool:
    """``at`` lies in the rolling window ``(now - span, now]`` (with clock-skew slack)."""
    return has_happened(at, now) and aware(at) > aware(now) - span


def zone_named(name: str) -> ZoneInfo:
    """The IANA zone ``name``; a ValueError that names it when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown IANA time zone {name!r}") from exc


def in_quiet_hours(clock: time, start: time, end: time) -> bool:
    """Whether the local wall-clock time ``clock`` is inside ``[start, end)``.

    ``start > end`` is an overnight window (21:00-08:00); ``start == end`` is none.
    """
    if start == end:
        return False
    if start < end:
        return start <= clock < end
    return clock >= start or clock < end


def quiet_hours_end(now: datetime, zone: ZoneInfo, start: time, end: time) -> datetime | None:
    """The first instant at or after ``now`` outside the quiet hours, in UTC.

    None when ``now`` is not inside them. Daylight-saving changes are handled: the
    end is a local wall-clock time, so on the night clocks go forward 08:00 is an hour
    earlier in UTC; when ``end`` falls inside the skipped hour, the quiet hours end at
    the jump itself.
    """
    local = aware(now).astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    if not in_quiet_hours(clock, start, end):
        return None
    # Overnight window and we are in its evening half: it ends tomorrow morning.
    day = local.date() + timedelta(days=1) if start > end and clock >= start else local.date()
    return _first_instant_at(day, end, zone)


def _first_instant_at(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The first UTC instant at which the wall clock in ``zone`` reads ``clock`` on ``day``
    (or later, when that wall time does not exist because the clocks jumped past it)."""
    wall = datetime.combine(day, clock)
    first = wall.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return first.astimezone(UTC)  # exists (for a repeated hour, fold=0 is the first)
    # The wall time was skipped. The jump lies between the two readings of it; find the
    # first second whose local reading is at or past ``wall``.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = first.astimezone(UTC)
    low, high = min(low, high), max(low, high)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)
