"""SG607 repeated-opener: Opens with the same pleasantry the person already got recently."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import timedelta
from itertools import islice

from pydantic import Field

from ...address import GREETING_KINDS, greeting_pattern
from ...findings import Action, Hit
from ...message import Message, Part
from ...models import Contact
from ...nlp import Analysis, analyse_value
from ...registry import Settings, rule
from ...timing import aware, within
from ..common import sentence_removal
from ._shared import _head, _history, _now, _when

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


@rule("SG607", "repeated-opener", Action.REWRITE, OpenerSettings, reads=("text", "history", "now"))
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
