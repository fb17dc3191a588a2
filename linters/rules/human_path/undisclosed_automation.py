"""SG704 undisclosed-automation: An automated call or chat message that poses as a person or never says it is automated."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from pydantic import Field, field_validator

from ...address import can_be_person_name
from ...findings import Action, Hit
from ...message import Message, Part
from ...registry import Settings, rule
from ...vocabulary import words
from ._shared import name_words, prepend_hit, printed_text, spoken_start

# Channels where a machine talks with someone as a person would: a call, a text, a
# message in the customer's app. Email and push are announcements, not conversations.
_VOICE = "voice"
_CHAT = frozenset({"sms", "in_app"})
# In a call, the disclosure belongs in the opening: people decide in the first seconds.
_OPENING_SENTENCES = 2
# After the name: a surname, then the end of the introduction ("this is Sarah Jones from").
_SURNAME = re.compile(r"[ \t]+[A-Z][\w'\u2019-]*")
_AFTER_NAME = re.compile(r"[ \t]*(?:$|[,.!?;:\u2014\u2013-]|(?P<word>[^\W\d_]+))")


class DisclosureSettings(Settings):
    sender_name: str | None = Field(
        None,
        max_length=80,
        description="the sender's name for the disclosure put in front ('This is an automated call from "
        "Northwind.'); set by [sender] name; absent: a marketing call without a disclosure is blocked",
    )

    @field_validator("sender_name")
    @classmethod
    def name_is_text(cls, value: str | None) -> str | None:
        return printed_text(value, "the name")


@rule(
    "SG704",
    "undisclosed-automation",
    Action.REWRITE,
    DisclosureSettings,
    reads=("text", "values", "request.channel", "request.purpose", "request.automated"),
)
def find_undisclosed_automation(message: Message, settings: DisclosureSettings) -> Iterator[Hit]:
    """An automated call or chat message that poses as a person or never says it is automated.

    Catches: an automated (`automated` true, the default) `voice` script, text or
    in-app message that introduces its speaker by a person's name ("Hi, this is Sarah
    from Northwind", "my name is Sarah", "I'm Sarah from", "you're speaking with
    Sarah", or a name from an agent or rep field) and nowhere says it is a machine
    ("automated call", "recorded message", "virtual assistant", "I'm a bot"); and a
    marketing call that does not say in its first two sentences that it is automated,
    persona or not. A person's own call or text (`automated: false`) is not judged, nor
    a company introducing itself ("this is Northwind"). Marketing: rewritten or
    blocked; a transactional or service message that poses as a person: a warning.

    Why it hurts: a machine that passes itself off as a person takes the listener's
    trust under a false name, which is the robot call at its worst. The EU AI Act,
    Article 50(1), requires from 2 August 2026 that people be told when they interact
    with an AI system; the FCC's declaratory ruling of February 2024 (FCC 24-17) holds
    AI-generated voices to be "artificial" voices under the TCPA (47 U.S.C. 227(b)),
    whose prerecorded calls must identify the caller at the start (47 CFR
    64.1200(b)(1)).

    Example: voice: "Hi, this is Sarah from Northwind! I was just looking at your
    account and wanted to tell you about our winter sale."

    Fix: say it first. Rewritten when the policy names the sender (`[sender] name`):
    "This is an automated call from Northwind." (a text: "This is an automated message
    from Northwind.") is put in front; blocked when it does not.
    """
    request = message.request
    part = message.parts.get("text")
    channel = str(request.channel)
    if not request.automated or part is None or (channel != _VOICE and channel not in _CHAT):
        return
    persona = _persona(part, settings.sender_name)
    disclosed = _disclosed(part, opening_only=channel == _VOICE)
    if disclosed or (persona is None and not (channel == _VOICE and message.is_marketing)):
        return
    said = f"introduces itself as '{persona[2]}'" if persona else "never says in its opening"
    kind = "call" if channel == _VOICE else "message"
    why = f"an automated {kind} that {said}{' and never says' if persona else ''} that it is automated"
    start, end = persona[:2] if persona else _first_sentence(part)
    if not message.is_marketing:
        yield Hit(why, part.name, start, end, action=Action.WARN)
    elif settings.sender_name is None:
        yield Hit(f"{why}; no [sender] name in the policy to disclose it with", part.name, start, end, action=Action.BLOCK)
    else:
        yield prepend_hit(part, f"This is an automated {kind} from {settings.sender_name}. ", why)


def _persona(part: Part, sender: str | None) -> tuple[int, int, str] | None:
    """The first introduction by a person's name: (start, end, name)."""
    brand = set(name_words(sender)) if sender else set()
    for start, end in part.analysis.spans("PERSONA_INTRO"):
        value = next((v for v in part.values if v.end == end and start <= v.start), None)
        name_start = value.start if value else _last_word_start(part.text, start, end)
        name = part.text[name_start:end]
        if name.casefold() in brand or not _ends_introduction(part.text, end):
            continue
        if (value is not None and _person_field(value.path)) or can_be_person_name(name):
            return start, end, name
    return None


def _last_word_start(text: str, start: int, end: int) -> int:
    at = end
    while at > start and not text[at - 1].isspace():
        at -= 1
    return at


def _ends_introduction(text: str, end: int) -> bool:
    """What follows the name ends an introduction ("from", "here", ",", the end): "It's
    June already" and "this is Sarah's desk" are not one."""
    surname = _SURNAME.match(text, end)
    after = _AFTER_NAME.match(text, surname.end() if surname else end)
    if after is None or text.startswith(("'s", "\u2019s"), end):
        return False
    word = after.group("word")
    return word is None or word.lower() in _followers()


@cache
def _followers() -> frozenset[str]:
    return frozenset(words("persona_followers"))


@cache
def _person_fields() -> tuple[str, ...]:
    return tuple(words("persona_field_words"))


def _person_field(path: str) -> bool:
    """A merge field that holds a person's name: an agent's, a rep's, a first name."""
    leaf = path.rsplit(".", 1)[-1].lower()
    return any(word in leaf for word in _person_fields())


def _disclosed(part: Part, opening_only: bool) -> bool:
    """Whether the text says it is automated (in a call: in its opening sentences)."""
    found = part.analysis.spans("AUTOMATION_DISCLOSED")
    if not found:
        return False
    if not opening_only:
        return True
    limit = _opening_end(part)
    return any(start < limit for start, _ in found)


def _opening_end(part: Part) -> int:
    first = spoken_start(part)
    ends = [end for start, end in part.analysis.sentences if end > first]
    return ends[min(_OPENING_SENTENCES, len(ends)) - 1] if ends else len(part.text)


def _first_sentence(part: Part) -> tuple[int, int]:
    first = spoken_start(part)
    start, end = part.analysis.sentence_at(first)
    return (start, end) if end > start else (first, len(part.text.rstrip()))
