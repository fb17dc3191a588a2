"""What a rewrite may never delete: the substance of a message.

A rewrite removes the words that are the problem (an unearned claim, small talk, a
repeated opener) and nothing else. ``substance_in(removed)`` names the first piece of
substance in text a removal would take: a link, an e-mail address, a number (a
price, a percentage, a date, a phone number), an offer, a call to action, a date
word or news. The phrases the removal exists for (the labels ``removable_labels``
of ``linters/data/substance.json``) are blanked out first, so "top 1% of our
customers" is not substance but "20% off" next to it is.

The words are data (``linters/data/substance.json``): offers come from the SG5xx
vocabulary (OFFER, DISCOUNT); CALL_TO_ACTION, NEWS and DATE_WORD are defined there.
"""

from __future__ import annotations

import html
import re
from functools import cache

from .nlp import analyse_scope, analyse_value
from .vocabulary import load

_TAG = re.compile(r"<[^<>]*>")
_LINK = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|io|co|uk|de|fr|eu|us|ca|au|shop|store|app|example)\b(?:/\S*)?"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MONEY = re.compile(r"[$£€¥]\s?\d[\d,.]*|\d[\d,.]*\s?(?:usd|eur|gbp|dollars|euros|pounds)\b", re.I)
_PERCENT = re.compile(r"\d+(?:\.\d+)?\s?(?:%|percent\b)", re.I)
_NUMBER = re.compile(r"\d[\d:/.,-]*")


@cache
def _rules() -> tuple[frozenset[str], tuple[str, ...], dict[str, str]]:
    data = load("substance")
    return (
        frozenset(data["removable_labels"]),
        tuple(data["removable_prefixes"]),
        dict(data["substance_labels"]),
    )


def _visible(removed: str) -> str:
    """Removed HTML as a reader reads it (a removal may hold whole <b>/<em> elements)."""
    return html.unescape(_TAG.sub("", removed)) if "<" in removed or "&" in removed else removed


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def substance_in(removed: str) -> str | None:
    """What substance ``removed`` holds beyond the phrase being removed, described
    ("an offer ('20% off')"), or None when the removal takes nothing of substance."""
    text = _visible(removed)
    if not text.strip():
        return None
    removable, prefixes, described = _rules()
    analysis = analyse_value(text)
    problem = [
        span
        for label, spans in analysis.hits.items()
        if label in removable or label.startswith(prefixes)
        for span in spans
    ]
    rest = _blank(text, problem)
    own = analyse_scope(text, "substance")
    hits = {**analysis.hits, **own.hits}
    for pattern, what in ((_EMAIL, "an e-mail address"), (_LINK, "a link"), (_MONEY, "a price")):
        found = pattern.search(rest)
        if found:
            return f"{what} ('{found.group()}')"
    for label, what in described.items():
        for start, end in hits.get(label, ()):
            if rest[start:end].strip() == text[start:end].strip():
                return f"{what} ('{text[start:end]}')"
    for pattern, what in ((_PERCENT, "a percentage"), (_NUMBER, "a number or date")):
        found = pattern.search(rest)
        if found:
            return f"{what} ('{found.group()}')"
    return None
