"""SG6xx contact policy: suppression, consent, caps, cooldowns, quiet hours, openers.

These rules judge when and whether to contact someone, not what the message says
(SG607 and SG608 aside). They are pure functions of the request, its ``history``
(earlier contacts) and ``events`` (behaviour and delivery feedback), the customer
record and the moment the message is judged. History entries stamped in the future beyond a
few minutes of clock skew are ignored (see ``linters.timing``), so a bad timestamp
can never hold a message until some far-off date.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime, time, timedelta
from itertools import islice
from typing import Literal

from pydantic import Field, field_validator

from ..address import GREETING_KINDS, greeting_pattern
from ..findings import Action, Hit
from ..message import Message, Part
from ..models import Channel, Contact, Event, Purpose
from ..nlp import Analysis, analyse_value, current_vocabulary
from ..registry import NoSettings, Settings, rule
from ..timing import aware, quiet_hours_end, within, zone_named
from ..vocabulary import word_set
from .common import sentence_removal

# --------------------------------------------------------------------------- helpers


def _now(message: Message) -> datetime:
    return aware(message.now)


def _history(message: Message) -> list[Contact]:
    return list(message.request.history or [])


def _events(message: Message, *types: str) -> list[Event]:
    return [e for e in message.request.events if e.type in types]


def _on_channel(event: Event, channel: Channel) -> bool:
    """An event without a channel (an account-wide opt-out) applies to every channel."""
    return event.channel is None or event.channel == channel


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


# ------------------------------------------------------------------------------ SG601


@rule("SG601", "suppressed", Action.BLOCK, NoSettings)
def find_suppressed(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """Contacts someone who asked not to be contacted, or cannot be, on this channel.

    Catches: a marketing message on a channel listed in the customer's `unsubscribed`,
    or after an `unsubscribe` event on that channel; anything at all on a channel with
    a `complaint` event or a permanent `bounce` event. An event without a `channel`
    applies to every channel. Suppression events count whatever their timestamp.
    Transient (soft) bounces do not suppress.

    Why it hurts: "I finally had to report the emails as spam to stop them (after I
    unsubscribed twice)." Every message after an unsubscribe teaches the person that
    the button does nothing; after a complaint, mailbox providers start filtering
    all your mail.

    Example: {"channel": "email", "purpose": "marketing", "events": [{"type":
    "unsubscribe", "channel": "email", "at": "2026-11-02T09:00:00Z"}]}

    Fix: none in the message: remove the person from the audience. A marketing
    unsubscribe does not stop receipts and password resets (`purpose`
    "transactional" or "service"); a complaint or hard bounce stops them too.
    """
    request = message.request
    channel = request.channel
    reasons: list[str] = []
    if request.purpose == Purpose.MARKETING:
        customer = message.customer
        if customer is not None and channel in customer.unsubscribed:
            reasons.append(f"the customer record lists {channel} as unsubscribed")
        for event in _events(message, "unsubscribe"):
            if _on_channel(event, channel):
                reasons.append(f"unsubscribed on {_when(event.at)}")
                break
    for event in _events(message, "complaint"):
        if _on_channel(event, channel):
            reasons.append(f"complained (marked as spam) on {_when(event.at)}")
            break
    for event in _events(message, "bounce"):
        if event.bounce_type == "permanent" and _on_channel(event, channel):
            reasons.append(f"the address bounced permanently on {_when(event.at)}")
            break
    if reasons:
        yield Hit(f"suppressed on {channel}: {'; '.join(reasons)}")


# ------------------------------------------------------------------------------ SG602


class ConsentSettings(Settings):
    consent_mode: Literal["opt_in", "opt_out"] = Field(
        "opt_in",
        description=(
            "email marketing: 'opt_in' needs consent.email_marketing true; 'opt_out' "
            "allows it unless consent.email_marketing is false"
        ),
    )
    push_consent_mode: Literal["opt_in", "opt_out"] = Field(
        "opt_in",
        description="push marketing, the same way, from consent.push_marketing",
    )


_CONSENT_FIELD = {
    Channel.EMAIL: "email_marketing",
    Channel.SMS: "sms_marketing",
    Channel.VOICE: "voice_marketing",
    Channel.PUSH: "push_marketing",
}


@rule("SG602", "no-consent", Action.BLOCK, ConsentSettings)
def find_no_consent(message: Message, settings: ConsentSettings) -> Iterator[Hit]:
    """Sends marketing on a channel the person has not agreed to.

    Catches: a marketing SMS or voice call without `consent.sms_marketing` /
    `consent.voice_marketing` set to true (always explicit opt-in); marketing email
    without `consent.email_marketing` true under `consent_mode = "opt_in"` (the
    default), or with it false under `"opt_out"`; marketing push the same way with
    `consent.push_marketing` and `push_consent_mode`. Transactional and service
    messages are not marketing and need no marketing consent. Without a customer
    record nothing is judged (template linting has no recipient); at send time the
    guard, a release and `/check/stored` judge marketing with no record at all against
    an empty one, so it is stopped here.

    Why it hurts: a promotional text nobody asked for is the fastest way to an
    opt-out, and in many places (TCPA, PECR, CASL) it is unlawful.

    Example: {"channel": "sms", "purpose": "marketing", "customer": {"consent":
    {"email_marketing": true}}}

    Fix: ask for consent on that channel first, or use a channel the person agreed to.
    """
    customer = message.customer
    if customer is None or message.request.purpose != Purpose.MARKETING:
        return
    channel = message.request.channel
    name = _CONSENT_FIELD[channel]
    given = getattr(customer.consent, name)
    mode = {Channel.EMAIL: settings.consent_mode, Channel.PUSH: settings.push_consent_mode}.get(
        channel, "opt_in"
    )
    if given is True or (mode == "opt_out" and given is None):
        return
    state = "refused (false)" if given is False else "not given"
    need = "explicit opt-in" if mode == "opt_in" else "no refusal"
    yield Hit(f"marketing {channel} needs {need}; consent.{name} is {state}")


# ------------------------------------------------------------------------------ SG603


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


@rule("SG603", "frequency-cap", Action.HOLD, FrequencySettings)
def find_over_cap(message: Message, settings: FrequencySettings) -> Iterator[Hit]:
    """Sends more marketing than the cap allows in a rolling window.

    Catches: a marketing message when the person already got `max` marketing
    messages in the last `hours` (default: 1 in 24 hours and 3 in 7 days, across
    every channel). A window with a `channel` counts and caps only that channel.
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


# ------------------------------------------------------------------------------ SG604


class PileupSettings(Settings):
    window_days: float = Field(7, gt=0, description="days in which one campaign may use one channel")


@rule("SG604", "channel-pileup", Action.BLOCK, PileupSettings)
def find_channel_pileup(message: Message, settings: PileupSettings) -> Iterator[Hit]:
    """Sends a campaign on a second channel after it already reached the person.

    Catches: a marketing message whose `campaign` matches (ignoring case) a contact
    in `history` on a different channel within `window_days` (default 7). A repeat
    on the same channel is a frequency question (SG603), not a pile-up. Messages
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


# ------------------------------------------------------------------------------ SG605


class CooldownSettings(Settings):
    cooldown_hours: float = Field(24, gt=0, description="hours to wait after the behaviour")
    triggers: list[str] = Field(
        default_factory=lambda: ["site_visit", "login", "product_view"],
        description="request triggers (and event types) that count as watched behaviour",
    )


@rule("SG605", "trigger-cooldown", Action.HOLD, CooldownSettings)
def find_trigger_too_soon(message: Message, settings: CooldownSettings) -> Iterator[Hit]:
    """Reacts to something the person just did on the site before the cooldown ends.

    Catches: a marketing message whose `trigger` is one of `triggers` (default
    `site_visit`, `login`, `product_view`) sent less than `cooldown_hours` (default
    24) after the latest event of any of those types in `events`. The hold's retry
    time is that event plus the cooldown. Transactional and service messages (a
    new-sign-in alert) are never held. Without such an event there is nothing to
    time and nothing is judged.

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
    if request.purpose != Purpose.MARKETING or request.trigger not in watched:
        return
    now = _now(message)
    span = timedelta(hours=settings.cooldown_hours)
    recent = [e for e in _events(message, *watched) if within(e.at, now, span)]
    if not recent:
        return
    latest = max(recent, key=lambda e: aware(e.at))
    ends = aware(latest.at) + span
    yield Hit(
        f"sent {_ago(now - aware(latest.at))} after a {latest.type.replace('_', ' ')} "
        f"({request.trigger}-triggered); cooldown {_span(settings.cooldown_hours)} ends {_when(ends)}",
        retry_at=ends,
    )


def _ago(gap: timedelta) -> str:
    minutes = max(int(gap.total_seconds() // 60), 0)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes // 60} hours"


# ------------------------------------------------------------------------------ SG606


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


@rule("SG606", "quiet-hours", Action.HOLD, QuietHoursSettings)
def find_quiet_hours(message: Message, settings: QuietHoursSettings) -> Iterator[Hit]:
    """Buzzes someone's phone during their night.

    Catches: a message on one of `channels` (default sms, voice, push) for one of
    `purposes` (default marketing and service) when the recipient's local time is in
    their quiet hours: the customer's `quiet_hours`, else `quiet_start`-`quiet_end`
    (default 21:00-08:00), in the customer's `timezone`, else `default_timezone`
    (default UTC). Email waits in the inbox and is exempt by default; transactional
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


# ------------------------------------------------------------------------------ SG607

# Pleasantry families: two openers in one family are the same pleasantry to the
# reader ("How are you today?" and "How are you doing?"). Each family is a label
# "PLEASANTRY:<family>" in linters/data/contact.json; lemmas make "hoping" and
# "hoped" one word; the matcher ignores case and punctuation.
_LABEL = "PLEASANTRY:"

# A greeting line before the opener ("Hi Maggie,"), and a greeting sharing the opener's
# sentence ("Hi Maggie, how are you?"). Not "welcome": "Welcome to the club!" is itself
# how the message opens, not a salutation to skip or keep.
_GREETINGS = greeting_pattern(*(k for k in GREETING_KINDS if k != "welcome"))
_GREETING_LINE = re.compile(r"^(?:" + _GREETINGS + r")\b[^!?\n]{0,40}[,.!:\u2014-]?$", re.I)
_GREETING_PREFIX = re.compile(r"\s*(?:" + _GREETINGS + r")\b[^,!\n]{0,40}[,!]", re.I)
# An opener is in the first few sentences; a pleasantry further down is small talk
# in the body, not the way the message opens.
_OPENING_SENTENCES = 3
_HISTORY_HEAD_CHARS = 600


class OpenerSettings(Settings):
    window_days: float = Field(30, gt=0, description="days in which an opener may not repeat")


# Pleasantry families with their spans in one text.
_Families = list[tuple[str, tuple[tuple[int, int], ...]]]


def _pleasantry_spans(analysis: Analysis) -> _Families:
    """Each pleasantry family the text holds, with its spans (the other labels left out
    once, not once per sentence)."""
    return [
        (label.removeprefix(_LABEL), spans)
        for label, spans in analysis.hits.items()
        if label.startswith(_LABEL)
    ]


def _pleasantries(families: _Families, start: int, end: int) -> set[str]:
    return {family for family, spans in families if any(start <= s < end for s, _ in spans)}


def _opening(text: str, analysis: Analysis) -> Iterator[tuple[int, int, set[str]]]:
    """The leading pleasantry sentences: (start, end, families), after any greeting line."""
    sentences = ((s, e) for s, e in analysis.sentences if text[s:e].strip())
    in_text = _pleasantry_spans(analysis)
    for start, end in islice(sentences, _OPENING_SENTENCES):
        families = _pleasantries(in_text, start, end)
        if families:
            yield start, end, families
        elif not _GREETING_LINE.match(text[start:end].strip()):
            return  # the first real sentence is not small talk: the opening is over


def _head(text: str) -> str:
    """Spacing normalised (blank lines kept: they end a greeting line)."""
    head = re.sub(r"[ \t\r\f\v\u00a0]+", " ", text[:_HISTORY_HEAD_CHARS])
    return re.sub(r" ?\n[ \n]*", lambda m: "\n\n" if m.group().count("\n") > 1 else "\n", head).strip()


def _earlier_openers(contacts: Iterable[Contact]) -> dict[str, Contact]:
    """Each pleasantry family the earlier messages opened with, and the latest such message."""
    used: dict[str, Contact] = {}
    for contact in sorted(contacts, key=lambda c: aware(c.at)):
        if not contact.text:
            continue
        # Spacing is normalised before the (cached) analysis, so the same opener in
        # many messages is analysed once; the matcher itself ignores case.
        head = _head(contact.text)
        for _, _, families in _opening(head, analyse_value(head)):
            for family in families:
                used[family] = contact
    return used


@rule("SG607", "repeated-opener", Action.REWRITE, OpenerSettings)
def find_repeated_opener(message: Message, settings: OpenerSettings) -> Iterator[Hit]:
    """Opens with the same pleasantry the person already got recently.

    Catches: a text or HTML body that opens (after any "Hi Maggie," line) with a
    pleasantry, "How are you today?", "I hope this email finds you well", "Happy
    Friday!", "Just checking in", of the same kind as the opening of a message in
    `history` within `window_days` (default 30). Case, punctuation and word forms do
    not matter, and "How are you doing?" is the same pleasantry as "How are you
    today?". Any channel and purpose in history counts.

    Why it hurts: "How are you today?" from every salesperson in the store: by the
    third time the reader answers "I'M FINE" before being asked. A question nobody
    waits to hear answered is a script, and it reads as one.

    Example: history [{"text": "Hi Maggie, how are you today? Our sale..."}], then
    "Hi Maggie,\\n\\nHow are you doing today? New arrivals are in."

    Fix: open with the reason for writing. The rewrite removes the opener sentence.
    """
    now = _now(message)
    span = timedelta(days=settings.window_days)
    parts = [p for p in message.readable() if p.name != "subject"]
    openings = [(part, list(_opening(part.text, part.analysis))) for part in parts]
    if not any(found for _, found in openings):
        return  # the common case: no history text is analysed at all
    recent = [c for c in _history(message) if within(c.at, now, span)]
    used = _earlier_openers(recent)
    for part, found in openings:
        for start, end, families in found:
            repeated = sorted(families & used.keys())
            if not repeated:
                continue
            earlier = used[repeated[0]]
            cut_start, cut_end = _opener_removal(part, start, end)
            yield Hit(
                f"opens with '{part.text[start:end].strip()}', the same pleasantry ('{repeated[0]}') "
                f"as the {earlier.channel} of {_when(earlier.at)}",
                part.name,
                cut_start,
                cut_end,
                fix="",
            )


def _opener_removal(part: Part, start: int, end: int) -> tuple[int, int]:
    """The span that deletes the opener sentence. When a greeting shares the sentence
    ("Hi Maggie, how are you?"), keep the greeting and its comma."""
    greeting = _GREETING_PREFIX.match(part.text, start, end)
    if greeting:
        return greeting.end(), end
    cut_start, cut_end = sentence_removal(part, start)
    if part.visible is None:  # in HTML the newlines after a sentence are markup: keep them
        while cut_end < len(part.text) and part.text[cut_end] in " \t\r\n":
            cut_end += 1
    return cut_start, cut_end


# ------------------------------------------------------------------------------ SG608

# Survey and feedback requests (SURVEY_REQUEST) are matched from linters/data/contact.json.
# A message is a survey when it asks in its subject or its opening sentences (a
# greeting line counts as one); "take our survey" in a newsletter's footer is not.
_SURVEY_SENTENCES = 4
_CAMPAIGN_WORD = re.compile(r"[a-z]+")


class SurveySettings(Settings):
    max_requests: int = Field(
        1, ge=1, description="survey or feedback requests allowed in the window, this one included"
    )
    window_days: float = Field(30, gt=0, description="length of the rolling window in days")


def _survey_campaign(campaign: str | None) -> bool:
    """ "csat-weekly", "post_visit_survey", "NPS Q4": a campaign named as a survey."""
    if not campaign:
        return False
    names = word_set("survey_campaign_words", current_vocabulary())
    return any(w in names for w in _CAMPAIGN_WORD.findall(campaign.lower()))


def _survey_ask(text: str, analysis: Analysis) -> tuple[int, int] | None:
    """The first survey request in the opening sentences of a text."""
    found = analysis.spans("SURVEY_REQUEST")
    if not found:
        return None
    opening = [(s, e) for s, e in analysis.sentences if text[s:e].strip()][:_SURVEY_SENTENCES]
    limit = opening[-1][1] if opening else 0
    return next(((s, e) for s, e in found if s < limit), None)


def _asks_for_feedback(contact: Contact) -> bool:
    if _survey_campaign(contact.campaign):
        return True
    if not contact.text:
        return False
    head = _head(contact.text)
    return _survey_ask(head, analyse_value(head)) is not None


def _survey_excerpt(message: Message) -> str | None:
    for part in message.readable():
        found = _survey_ask(part.text, part.analysis)
        if found:
            return f"'{part.text[found[0] : found[1]]}'"
    if _survey_campaign(message.request.campaign):
        return f"campaign {message.request.campaign!r}"
    return None


@rule("SG608", "survey-fatigue", Action.BLOCK, SurveySettings)
def find_survey_fatigue(message: Message, settings: SurveySettings) -> Iterator[Hit]:
    """Asks for feedback again when the person was already asked recently.

    Catches: a message that asks for feedback in its subject or opening sentences
    ("How did we do?", "rate your experience", "customer satisfaction survey", "how
    likely are you to recommend us", "leave a review"), or whose `campaign` is named
    as a survey ("csat-weekly", "post-visit-survey"), when `history` already holds
    `max_requests` such requests (default 1, this one included) within
    `window_days` (default 30): found the same way in the earlier texts and
    campaign names, on any channel and with any purpose. A newsletter with "take
    our survey" in its footer is not a survey.

    Why it hurts: "Every week Hyundai sends me a customer satisfaction form." A
    question asked every week says the answers are not read; by the third form the
    only feedback left to give is the unsubscribe link.

    Example: history [{"at": "2026-11-13T10:00:00Z", "channel": "email", "campaign":
    "csat-weekly"}] and, on 2026-11-20, "How did we do? Rate your recent service visit."

    Fix: ask once per experience, and not more than `max_requests` in `window_days`;
    merge the weekly form into one after the visit. Blocked by default: a survey
    sent weeks late asks about an experience nobody remembers. Set the action to
    `hold` to re-queue it instead (the finding carries when the window has room).
    """
    asked = _survey_excerpt(message)
    if asked is None:
        return
    now = _now(message)
    span = timedelta(days=settings.window_days)
    earlier = [c for c in _history(message) if within(c.at, now, span) and _asks_for_feedback(c)]
    if len(earlier) < settings.max_requests:
        return
    times = sorted(aware(c.at) for c in earlier)
    frees_at = _room_again(times, settings.max_requests, span)
    yield Hit(
        f"{asked} asks for feedback again: {len(earlier)} survey or feedback "
        f"request{'s' if len(earlier) != 1 else ''} in the last {_span(settings.window_days * 24)} "
        f"(at most {settings.max_requests}, this one included; latest {_when(times[-1])}); "
        f"room again at {_when(frees_at)}",
        retry_at=frees_at,
    )
