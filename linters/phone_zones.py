"""Where a phone number rings, in time zones: calling hours at the recipient's location.

A record without a ``timezone`` still has a number, and a number says roughly where it
rings: the country, and for a geographic number the area code. ``phonenumbers`` (the
Python port of Google's libphonenumber) keeps that as time-zone data per number prefix;
this module asks it, and nothing else here knows about phone numbers.

An area code that spans zones (Idaho's +1 208: Boise and Los Angeles; Labrador's +1 709:
Halifax and St. John's) gives every zone it may ring in, and so does a country-wide or
non-geographic number (+1 800 gives some forty zones from Guam to Newfoundland). A
caller that must respect hours at the recipient's location takes the hours valid in
*all* of them (``earliest_within``): the number does not say which one it is, and a
mobile number carried to another city says nothing at all, which is why an explicit
``timezone`` on the record always wins over the number.

Pure and offline: the data ships inside the package; no network, no AWS.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from .timing import aware, quiet_hours_end, zone_named

# What phonenumbers answers for a number whose zone it does not know.
_UNKNOWN_ZONE = "Etc/Unknown"
# How far ahead a common window is looked for. Calling hours are a daily window, so a
# set of zones that shares one shares it within a day; past two, none is coming.
_HORIZON = timedelta(days=2)
# Each step moves to the latest end of the zones still outside their hours, so a
# window shared by all is found in a few steps; this only bounds zones that share none.
_MAX_STEPS = 64


class UnknownZones(ValueError):
    """The number's zones cannot be told: not a number, or one without zone data."""


@lru_cache(maxsize=4096)
def zone_names_for_number(number: str) -> tuple[str, ...]:
    """The IANA zones ``number`` (E.164, ``+`` and country code) may ring in, sorted.

    Raises UnknownZones when it is not a phone number in international form or when
    phonenumbers has no zone for it. Cached: a campaign texts many numbers of one area.
    """
    # Imported here: about 12 ms, and only texts and calls to records without a time
    # zone need it (not the guard's cold start, nor email).
    import phonenumbers
    from phonenumbers import timezone as number_timezones

    try:
        parsed = phonenumbers.parse(number, None)
    except phonenumbers.NumberParseException:
        # The number itself stays out of the message: findings are stored and shown.
        raise UnknownZones("the number is not a phone number in international form (+ and country code)") from None
    names = tuple(sorted(set(number_timezones.time_zones_for_number(parsed)) - {_UNKNOWN_ZONE}))
    if not names:
        raise UnknownZones("the number has no known time zone (not a number in use?)")
    return names


def zones_named(names: Sequence[str]) -> list[tuple[str, ZoneInfo]]:
    """Each zone of ``names`` loaded. A zone this machine's time-zone database lacks is an
    UnknownZones too: leaving it out would judge the hours of the other zones only,
    which may be night in the one left out."""
    zones = []
    for name in names:
        try:
            zones.append((name, zone_named(name)))
        except ValueError:
            raise UnknownZones(f"the number may ring in {name}, which this system's zone data lacks") from None
    return zones


def earliest_within(now: datetime, zones: Sequence[ZoneInfo], start: time, end: time) -> datetime | None:
    """The first instant at or after ``now`` at which the wall clock of every zone in
    ``zones`` reads inside ``[start, end)`` (``start`` before ``end``, a daytime window).

    ``now`` itself (as given) when it already is; None when the zones share no such
    window within two days (zones spread round the clock: London, Shanghai and Los
    Angeles share no hour of a 13-hour day). Daylight-saving
    changes are the zones' own (``linters.timing.quiet_hours_end``)."""
    moment = aware(now)
    for _ in range(_MAX_STEPS):
        # Outside [start, end) is the overnight window [end, start) of timing's quiet hours.
        ends = [found for zone in zones if (found := quiet_hours_end(moment, zone, end, start)) is not None]
        if not ends:
            return moment
        moment = max(ends)
        if moment - aware(now) > _HORIZON:
            return None
    return None

