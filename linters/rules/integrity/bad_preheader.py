"""SG804 bad-preheader: An email's inbox preview that is missing, boilerplate or a repeat."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache

from ...findings import Action, Hit
from ...message import Message, Part
from ...registry import NoSettings, rule
from ...vocabulary import words

_NOT_LETTERS = re.compile(r"[\W_]+")
# A line shorter than this is a label ("Hi,", "Northwind"), not what the preview repeats.
_MIN_REPEAT = 12


@rule("SG804", "bad-preheader", Action.WARN, reads=("text", "request.channel"))
def find_bad_preheader(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """An email's inbox preview that is missing, boilerplate or a repeat.

    Catches: an HTML email whose preheader (the hidden text at the top that inboxes
    show after the subject) repeats the subject or the first line of the body, so the
    preview says the same thing twice; an HTML email without a preheader whose body
    opens with boilerplate ("View this email in your browser", "Having trouble
    viewing this email?"), which then becomes the preview. An email without a
    preheader whose body opens with words of its own is not reported: the inbox shows
    those, which serve as well (a heading that repeats the subject included).

    Why it hurts: the preview is the second line of every message in the inbox, and
    often what decides whether it is opened. Left to chance it shows "View in
    browser" or repeats the subject (Litmus Checklist and Email on Acid check the
    preheader before every send).

    Example: subject "Winter sale: 40% off coats", no preheader, and a body that
    opens "View this email in your browser".

    Fix: a preheader of its own that adds to the subject ("Three days only, free
    returns"), hidden with `display:none` at the top of the body.
    """
    html = message.parts.get("html")
    if message.request.channel != "email" or html is None or not html.text.strip():
        return
    preheader = message.part("preheader")
    first_start, first_end = _first_line(html)
    first = html.text[first_start:first_end]
    if preheader is not None and preheader.text.strip():
        yield from _repeated(message, preheader, first)
        return
    if _boilerplate(first):
        yield Hit(f"no preheader: the inbox preview will be '{first[:60]}'", html.name, first_start, first_end)


def _repeated(message: Message, preheader: Part, first: str) -> Iterator[Hit]:
    said = _letters(preheader.text)
    if len(said) < _MIN_REPEAT:
        return
    subject = message.parts.get("subject")
    if subject is not None and _letters(subject.text) == said:
        yield Hit("the preheader repeats the subject", preheader.name, 0, len(preheader.text))
    elif _letters(first).startswith(said) or (len(_letters(first)) >= _MIN_REPEAT and said.startswith(_letters(first))):
        yield Hit("the preheader repeats the first line of the body", preheader.name, 0, len(preheader.text))


def _first_line(part: Part) -> tuple[int, int]:
    text = part.text
    start = len(text) - len(text.lstrip())
    end = text.find("\n", start)
    return start, len(text) if end < 0 else end


def _letters(text: str) -> str:
    return _NOT_LETTERS.sub(" ", text.casefold()).strip()


def _boilerplate(line: str) -> bool:
    folded = _letters(line)
    return bool(folded) and any(phrase in folded for phrase in _boilerplate_phrases())


@cache
def _boilerplate_phrases() -> tuple[str, ...]:
    return tuple(_letters(phrase) for phrase in words("preview_boilerplate"))
